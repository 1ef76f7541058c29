import { describe, expect, it } from 'vitest';
import {
  backprop,
  createReferenceBackend,
  flattenParams,
  initParams,
  type NetworkSpec,
} from '../src/index.js';
import { randomBatch } from './helpers.js';

const spec: NetworkSpec = { sizes: [5, 4, 3], activation: 'sigmoid', cost: 'quadratic' };

describe('sgd.step', () => {
  it("θ' = θ − η ∇C_batch(θ), exactly, with ∇C from backprop at θ", async () => {
    const params = initParams(spec, 3);
    const batch = randomBatch(spec, 4, 1);
    const grad = flattenParams(backprop(spec, params, batch).gradients);
    const backend = createReferenceBackend(spec, params);
    const cost = await backend.step(batch, { eta: 0.7 });
    expect(cost).toBe(backprop(spec, params, batch).cost);
    const before = flattenParams(params);
    const after = flattenParams(await backend.getParams());
    const want = before.map((t, i) => t - 0.7 * grad[i]!);
    expect(Array.from(after)).toEqual(Array.from(want));
  });
  it('sgd.descent: a small enough step lowers the cost', async () => {
    const batch = randomBatch(spec, 6, 2);
    const backend = createReferenceBackend(spec, initParams(spec, 4));
    const c0 = await backend.step(batch, { eta: 0.01 });
    const c1 = (await backend.backprop(batch)).cost;
    expect(c1).toBeLessThan(c0);
  });
  it('momentum: v ← μv − η∇C, θ ← θ + v; weight decay adds λW to the weights only', async () => {
    const params = initParams(spec, 5);
    const b1 = randomBatch(spec, 3, 10);
    const b2 = randomBatch(spec, 3, 11);
    const backend = createReferenceBackend(spec, params);
    const sgd = { eta: 0.5, momentum: 0.9, weightDecay: 0.01 };
    await backend.step(b1, sgd);
    await backend.step(b2, sgd);
    // By hand, layer by layer.
    const theta = {
      weights: params.weights.map((w) => w.slice()),
      biases: params.biases.map((b) => b.slice()),
    };
    const v = {
      weights: params.weights.map((w) => new Float64Array(w.length)),
      biases: params.biases.map((b) => new Float64Array(b.length)),
    };
    for (const batch of [b1, b2]) {
      const g = backprop(spec, theta, batch).gradients;
      for (let l = 0; l < theta.weights.length; l++) {
        for (let i = 0; i < theta.weights[l]!.length; i++) {
          v.weights[l]![i] =
            0.9 * v.weights[l]![i]! - 0.5 * (g.weights[l]![i]! + 0.01 * theta.weights[l]![i]!);
          theta.weights[l]![i]! += v.weights[l]![i]!;
        }
        for (let i = 0; i < theta.biases[l]!.length; i++) {
          v.biases[l]![i] = 0.9 * v.biases[l]![i]! - 0.5 * g.biases[l]![i]!;
          theta.biases[l]![i]! += v.biases[l]![i]!;
        }
      }
    }
    const got = flattenParams(await backend.getParams());
    const want = flattenParams(theta);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 14);
  });
  it('rejects a learning rate that is not a positive number', async () => {
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    await expect(backend.step(randomBatch(spec, 1, 1), { eta: 0 })).rejects.toThrow(/learning rate η/);
    await expect(backend.step(randomBatch(spec, 1, 1), { eta: 1, momentum: 1 })).rejects.toThrow(/momentum/);
  });
});
