import { describe, expect, it } from 'vitest';
import {
  checkParamShapes,
  DOCUMENT_SPEC,
  flattenParams,
  initParams,
  parameterCount,
  unflattenParams,
  validateSpec,
} from '../src/index.js';

describe('net.shape', () => {
  it('784-16-16-10 has 13,002 parameters', () => {
    expect(parameterCount([784, 16, 16, 10])).toBe(13002);
    expect(parameterCount(DOCUMENT_SPEC.sizes)).toBe(13002);
  });
  it('counts Σ n_l (n_{l-1} + 1)', () => {
    expect(parameterCount([784, 30, 10])).toBe(784 * 30 + 30 + 30 * 10 + 10);
    expect(parameterCount([2, 1])).toBe(3);
  });
});

describe('initParams', () => {
  it('has the shapes of the spec: W^l is n_l × n_{l-1}', () => {
    const p = initParams(DOCUMENT_SPEC, 1);
    expect(p.weights.map((w) => w.length)).toEqual([16 * 784, 16 * 16, 10 * 16]);
    expect(p.biases.map((b) => b.length)).toEqual([16, 16, 10]);
    expect(flattenParams(p).length).toBe(13002);
    expect(() => checkParamShapes(DOCUMENT_SPEC, p)).not.toThrow();
  });
  it('is a function of the seed', () => {
    const a = flattenParams(initParams(DOCUMENT_SPEC, 5));
    expect(flattenParams(initParams(DOCUMENT_SPEC, 5))).toEqual(a);
    expect(flattenParams(initParams(DOCUMENT_SPEC, 6))).not.toEqual(a);
  });
  it('draws N(0,1) weights, or N(0,1/n_in) when scaled; biases N(0,1) either way', () => {
    const spec = { sizes: [400, 200, 10], activation: 'sigmoid', cost: 'quadratic' } as const;
    const variance = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0) / v.length;
    const normal = initParams(spec, 3, 'normal');
    const scaled = initParams(spec, 3, 'scaled-normal');
    expect(variance(normal.weights[0]!)).toBeCloseTo(1, 1);
    expect(variance(scaled.weights[0]!) * 400).toBeCloseTo(1, 1);
    expect(variance(scaled.weights[1]!) * 200).toBeCloseTo(1, 0);
    expect(scaled.biases).toEqual(normal.biases);
  });
  it('rejects bad specs with a message naming the problem', () => {
    expect(() => validateSpec({ sizes: [3], activation: 'sigmoid', cost: 'quadratic' })).toThrow(
      /at least an input and an output/,
    );
    expect(() => validateSpec({ sizes: [3, 0], activation: 'sigmoid', cost: 'quadratic' })).toThrow(
      /positive integers/,
    );
    expect(() => validateSpec({ sizes: [3, 2], activation: 'tanh' as never, cost: 'quadratic' })).toThrow(
      /unknown activation 'tanh'/,
    );
    expect(() => initParams(DOCUMENT_SPEC, 1, 'xavier' as never)).toThrow(/unknown init 'xavier'/);
  });
  it('flatten and unflatten are inverse', () => {
    const p = initParams({ sizes: [3, 4, 2], activation: 'relu', cost: 'quadratic' }, 9);
    expect(
      unflattenParams({ sizes: [3, 4, 2], activation: 'relu', cost: 'quadratic' }, flattenParams(p)),
    ).toEqual(p);
  });
});
