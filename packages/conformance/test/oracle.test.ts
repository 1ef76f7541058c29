import { describe, expect, test } from 'vitest';
import {
  act,
  actPrime,
  exampleCost,
  expectedParameterCount,
  logSumExp,
  sigma,
  sigmaPrime,
  softmaxRow,
} from '../src/oracle.js';

describe('the suite’s own formulas', () => {
  test('σ and σ′ at known points and far out', () => {
    expect(sigma(0)).toBe(0.5);
    expect(sigmaPrime(0)).toBe(0.25);
    expect(sigma(-800)).toBe(0);
    expect(sigma(800)).toBe(1);
    // σ′(40) = e^{−40}/(1+e^{−40})², which σ(1−σ) would round to 0.
    expect(sigmaPrime(40) / Math.exp(-40)).toBeCloseTo(1, 12);
    expect(sigmaPrime(-3)).toBeCloseTo(sigma(-3) * (1 - sigma(-3)), 15);
  });

  test('ReLU′ is 0 at the kink, and the identity’s derivative is 1', () => {
    expect([act('relu', -1), act('relu', 0), act('relu', 2)]).toEqual([0, 0, 2]);
    expect([actPrime('relu', -1), actPrime('relu', 0), actPrime('relu', 2)]).toEqual([0, 0, 1]);
    expect(actPrime('identity', 7)).toBe(1);
  });

  test('the video’s squared error is twice Nielsen’s quadratic cost', () => {
    const a = [0.2, 0.9];
    const y = [0, 1];
    const q = exampleCost('quadratic', a, y, [0, 0], 0, 2).value;
    const s = exampleCost('squared-error', a, y, [0, 0], 0, 2).value;
    expect(q).toBeCloseTo(0.5 * (0.04 + 0.01), 15);
    expect(s).toBeCloseTo(2 * q, 15);
  });

  test('cross-entropy from z is finite where the softmax underflows', () => {
    const c = exampleCost('cross-entropy', [1, 0], [0, 1], [800, 0], 0, 2).value;
    expect(c).toBeCloseTo(800, 9);
    expect(logSumExp([1000, 1000], 0, 2)).toBeCloseTo(1000 + Math.LN2, 9);
    const s = softmaxRow([1, 2, 3], 0, 3);
    expect(s[0]! + s[1]! + s[2]!).toBeCloseTo(1, 15);
  });

  test('the document’s network has 13,002 parameters', () => {
    expect(expectedParameterCount([784, 16, 16, 10])).toBe(13002);
  });
});
