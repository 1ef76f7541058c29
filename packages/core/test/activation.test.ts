import { describe, expect, it } from 'vitest';
import { costGradient, costValue, relu, reluPrime, sigmoid, sigmoidPrime, softmax } from '../src/index.js';

describe('activations', () => {
  it('act.sigmoid: σ(0) = ½, in (0, 1), σ′ = σ(1 − σ), saturates without NaN', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoidPrime(0)).toBe(0.25);
    for (const x of [-30, -2, 0.3, 5, 30]) {
      expect(sigmoid(x)).toBeGreaterThan(0);
      expect(sigmoid(x)).toBeLessThan(1);
      expect(sigmoidPrime(x)).toBeCloseTo(sigmoid(x) * (1 - sigmoid(x)), 15);
      expect(sigmoid(-x)).toBeCloseTo(1 - sigmoid(x), 15);
    }
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
  it('act.relu: max(0, x) and its 0/1 derivative', () => {
    expect([relu(-2), relu(0), relu(3)]).toEqual([0, 0, 3]);
    expect([reluPrime(-2), reluPrime(0), reluPrime(3)]).toEqual([0, 0, 1]);
  });
  it('act.softmax: positive, sums to 1, shift-invariant, no overflow', () => {
    const a = softmax([1, 2, 3, 1000]);
    expect(a.every((v) => v >= 0)).toBe(true);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 15);
    const b = softmax([0, 1, 2]);
    const c = softmax([10, 11, 12]);
    for (let i = 0; i < 3; i++) expect(c[i]).toBeCloseTo(b[i]!, 15);
  });
});

describe('costs', () => {
  const a = [0.2, 0.7, 0.1];
  const y = [0, 1, 0];
  it('cost.quadratic is ½Σ(a−y)² with gradient a − y', () => {
    expect(costValue('quadratic', a, y)).toBeCloseTo(0.5 * (0.04 + 0.09 + 0.01), 15);
    expect(Array.from(costGradient('quadratic', a, y, new Float64Array(3)))).toEqual([0.2, 0.7 - 1, 0.1]);
  });
  it('cost.squared-error is Σ(a−y)², as in the video, with gradient 2(a − y)', () => {
    expect(costValue('squared-error', a, y)).toBeCloseTo(0.04 + 0.09 + 0.01, 15);
    expect(Array.from(costGradient('squared-error', a, y, new Float64Array(3)))).toEqual([
      0.4,
      2 * (0.7 - 1),
      0.2,
    ]);
  });
  it('cost.cross-entropy is −Σ y ln a; from z it is stable for confident wrong outputs', () => {
    expect(costValue('cross-entropy', a, y)).toBeCloseTo(-Math.log(0.7), 15);
    const z = [0, 800, 0];
    expect(costValue('cross-entropy', softmax(z), [1, 0, 0], z)).toBeCloseTo(800, 9);
  });
});
