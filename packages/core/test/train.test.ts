import { epochBatches } from '@backprop/data';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  createReferenceBackend,
  DivergenceError,
  epochSeed,
  evaluate,
  flattenParams,
  genericTrainEpoch,
  initParams,
  type NetworkSpec,
  type StepEvent,
  train,
} from '../src/index.js';
import { blobData, xorData } from './helpers.js';

describe('training', () => {
  it('learns XOR to 100% accuracy', async () => {
    const spec: NetworkSpec = { sizes: [2, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    const data = xorData();
    const before = await evaluate(backend, data);
    await train(backend, data, { epochs: 2000, batchSize: 4, eta: 3, seed: 1 });
    const after = await evaluate(backend, data);
    expect(before.accuracy).toBeLessThan(1);
    expect(after.accuracy).toBe(1);
    expect(after.confusion).toEqual([
      [2, 0],
      [0, 2],
    ]);
  });

  it('is deterministic: same seed and config give bit-identical parameters', async () => {
    const spec: NetworkSpec = { sizes: [6, 8, 5, 3], activation: 'sigmoid', cost: 'cross-entropy' };
    const data = blobData(3, 300, 6, 3);
    const run = async (seed: number) => {
      const backend = createReferenceBackend(spec, initParams(spec, seed, 'scaled-normal'));
      await train(backend, data, { epochs: 3, batchSize: 7, eta: 0.5, momentum: 0.5, seed });
      return Buffer.from(flattenParams(await backend.getParams()).buffer);
    };
    const a = await run(12);
    expect((await run(12)).equals(a)).toBe(true);
    expect((await run(13)).equals(a)).toBe(false);
  });

  it('sgd.epoch: each epoch visits the seeded mini-batches that cover every example once', async () => {
    const spec: NetworkSpec = { sizes: [6, 3], activation: 'sigmoid', cost: 'quadratic' };
    const data = blobData(1, 23, 6, 3);
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    const result = await genericTrainEpoch(backend, data, { eta: 0.1, batchSize: 5, seed: epochSeed(9, 2) });
    expect(result.batches.map((b) => Array.from(b))).toEqual(
      epochBatches(23, 5, epochSeed(9, 2)).map((b) => Array.from(b)),
    );
    expect(result.batches.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    expect(result.batches.flatMap((b) => Array.from(b)).sort((p, q) => p - q)).toEqual(
      Array.from({ length: 23 }, (_, i) => i),
    );
    expect(result.costs.length).toBe(5);
  });

  it("the reference's own epoch loop is step for step genericTrainEpoch: same batches, costs and parameters, bit for bit", async () => {
    const { makeDataSet, Rng } = await import('@backprop/data');
    const rng = new Rng(5);
    const count = 137;
    const bytes = new Uint8Array(count * 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextFloat() < 0.6 ? 0 : rng.nextInt(256);
    const labels = Uint8Array.from({ length: count }, () => rng.nextInt(4));
    const byteData = makeDataSet({
      name: 'bytes',
      count,
      inputSize: 20,
      classes: 4,
      shape: [4, 5],
      features: bytes,
      featureScale: 1 / 255,
      labels,
    });
    for (const [data, spec] of [
      [byteData, { sizes: [20, 6, 5, 4], activation: 'sigmoid', cost: 'quadratic' }],
      [blobData(8, 90, 5, 3), { sizes: [5, 7, 3], activation: 'relu', cost: 'cross-entropy' }],
    ] as const) {
      const params = initParams(spec, 6);
      const fast = createReferenceBackend(spec, params);
      const plain = createReferenceBackend(spec, params);
      const options = { eta: 0.4, momentum: 0.3, weightDecay: 0.001, batchSize: 8, seed: 77 };
      const seen: number[] = [];
      const a = await fast.trainEpoch(data, { ...options, onSteps: (i) => seen.push(i) });
      const b = await genericTrainEpoch(plain, data, options);
      expect(a.batches).toEqual(b.batches);
      expect(Array.from(a.costs)).toEqual(Array.from(b.costs));
      expect(seen).toEqual(Array.from({ length: b.costs.length }, (_, i) => i));
      const pa = Buffer.from(flattenParams(await fast.getParams()).buffer);
      expect(pa.equals(Buffer.from(flattenParams(await plain.getParams()).buffer))).toBe(true);
    }
  });

  it('reports step, curve and epoch events, and the final test evaluation', async () => {
    const spec: NetworkSpec = { sizes: [4, 5, 3], activation: 'relu', cost: 'cross-entropy' };
    const data = blobData(2, 100, 4, 3);
    const test = blobData(2, 40, 4, 3);
    const backend = createReferenceBackend(spec, initParams(spec, 2, 'scaled-normal'));
    const steps: StepEvent[] = [];
    const starts: [number, number][] = [];
    const result = await train(backend, data, {
      epochs: 3,
      batchSize: 10,
      eta: 0.3,
      seed: 4,
      validation: test,
      test,
      logEvery: 4,
      onEpochStart: (e, n) => starts.push([e, n]),
      onStep: (e) => steps.push(e),
    });
    expect(starts).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
    ]);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(steps[9]).toMatchObject({ epoch: 1, stepInEpoch: 10, stepsInEpoch: 10 });
    // Curve points every 4 steps, each the mean of its 4 step costs, then the remainder.
    expect(result.steps.map((p) => p.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 30]);
    expect(result.steps[0]!.cost).toBeCloseTo(steps.slice(0, 4).reduce((s, e) => s + e.cost, 0) / 4, 14);
    expect(result.steps[7]!.cost).toBeCloseTo((steps[28]!.cost + steps[29]!.cost) / 2, 14);
    expect(result.epochs.map((e) => [e.epoch, e.step])).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(result.epochs[1]!.trainCost).toBeCloseTo(
      steps.slice(10, 20).reduce((s, e) => s + e.cost, 0) / 10,
      14,
    );
    const final = await evaluate(backend, test);
    expect(result.final).toEqual(final);
    expect(result.epochs[2]!.test).toEqual({ accuracy: final.accuracy, cost: final.cost });
    expect(result.epochs[2]!.validation).toEqual(result.epochs[2]!.test);
    expect(final.accuracy).toBeGreaterThan(0.9);
  });

  it('stops with a message naming the learning rate when the cost becomes NaN or Inf', async () => {
    const spec: NetworkSpec = { sizes: [4, 8, 3], activation: 'identity', cost: 'quadratic' };
    const data = blobData(2, 100, 4, 3);
    const backend = createReferenceBackend(spec, initParams(spec, 2));
    const err = await train(backend, data, { epochs: 5, batchSize: 10, eta: 50, seed: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).message).toMatch(/learning rate η = 50\b/);
    expect((err as DivergenceError).message).toMatch(/smaller learning rate/);
    expect((err as DivergenceError).step).toBeGreaterThan(1);
  });

  it('works for any Backend: train drives only the interface', async () => {
    const spec: NetworkSpec = { sizes: [4, 3], activation: 'sigmoid', cost: 'quadratic' };
    const inner = createReferenceBackend(spec, initParams(spec, 1));
    let stepCalls = 0;
    const wrapped: Backend = {
      name: 'wrapped',
      dtype: 'float64',
      device: 'js',
      spec,
      setParams: (p) => inner.setParams(p),
      getParams: () => inner.getParams(),
      forward: (x, n) => inner.forward(x, n),
      backprop: (b) => inner.backprop(b),
      step: (b, s) => {
        stepCalls++;
        return inner.step(b, s);
      },
      trainEpoch(d, o) {
        return genericTrainEpoch(this, d, o);
      },
      dispose: () => inner.dispose(),
    };
    await train(wrapped, blobData(1, 50, 4, 3), { epochs: 2, batchSize: 10, eta: 1, seed: 1 });
    expect(stepCalls).toBe(10);
    // A backend that reports its step costs only in the epoch's result still gives every step event.
    const silent: Backend = {
      ...wrapped,
      trainEpoch: (d, o) => genericTrainEpoch(inner, d, { ...o, onSteps: undefined }),
    };
    const events: StepEvent[] = [];
    const r = await train(silent, blobData(1, 50, 4, 3), {
      epochs: 2,
      batchSize: 10,
      eta: 1,
      seed: 1,
      logEvery: 5,
      onStep: (e) => events.push(e),
    });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.steps.map((p) => p.step)).toEqual([5, 10]);
  });
});

describe('evaluate', () => {
  it('counts correct predictions (largest output) into accuracy and the confusion matrix', async () => {
    // A 2-2 identity network whose output is its input: the prediction is the larger input.
    const spec: NetworkSpec = { sizes: [2, 2], activation: 'identity', cost: 'quadratic' };
    const backend = createReferenceBackend(spec, {
      weights: [Float64Array.of(1, 0, 0, 1)],
      biases: [new Float64Array(2)],
    });
    const { makeDataSet } = await import('@backprop/data');
    const data = makeDataSet({
      name: 'pairs',
      count: 5,
      inputSize: 2,
      classes: 2,
      shape: [2],
      features: Float64Array.from([1, 0, 0, 1, 1, 0, 0.2, 0.9, 0.7, 0.1]),
      featureScale: 1,
      labels: Uint8Array.from([0, 1, 1, 0, 0]),
    });
    const e = await evaluate(backend, data, { batchSize: 2 });
    expect(e.correct).toBe(3);
    expect(e.accuracy).toBe(0.6);
    expect(e.confusion).toEqual([
      [2, 1],
      [1, 1],
    ]);
    // quadratic cost: mean of ½Σ(a − y)²
    const costs = [0, 0, 0.5 * (1 + 1), 0.5 * ((0.2 - 1) ** 2 + 0.9 ** 2), 0.5 * ((0.7 - 1) ** 2 + 0.1 ** 2)];
    expect(e.cost).toBeCloseTo(costs.reduce((s, c) => s + c, 0) / 5, 14);
  });
});
