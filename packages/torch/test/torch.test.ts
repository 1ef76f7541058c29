import { type Backend, createReferenceBackend, type NetworkSpec, type Params } from '@backprop/core';
import { findPython, pythonCandidates } from '@backprop/protocol';
import { describe, expect, test } from 'vitest';
import { TORCH_PYTHON_ENV, torchEntry, torchEntry64 } from '../src/index.js';

const spec: NetworkSpec = { sizes: [3, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
const params: Params = {
  weights: [
    Float64Array.from({ length: 12 }, (_, i) => (i % 5) / 4 - 0.5),
    Float64Array.of(1, -1, 0.5, 0.25, -0.75, 2, 0, 1),
  ],
  biases: [Float64Array.of(0.1, -0.2, 0.3, 0), Float64Array.of(0.5, -0.5)],
};
const batch = { size: 2, x: Float64Array.of(1, 0.5, -1, 0, 2, 1), y: Float64Array.of(1, 0, 0, 1) };

describe('torch', () => {
  test('an interpreter without torch is passed over, and when none has it the reason names each and the fix', async () => {
    const noTorch = await findPython(['numpy'], ['python3']);
    const entry = torchEntry('float64', {
      pythons: ['no-such-python', ...(noTorch.found ? [noTorch.python] : [])],
    });
    const av = await entry.probe();
    expect(av.available).toBe(false);
    if (!av.available) {
      expect(av.reason).toMatch(/^no Python here runs PyTorch \(no-such-python: .*ENOENT/);
      expect(av.reason).toMatch(
        /install it \(Debian: apt-get install python3-torch python3-numpy\) or name the interpreter in BACKPROP_TORCH_PYTHON$/,
      );
    }
    await expect(entry.create(spec, params)).rejects.toThrow(
      /^torch is unavailable: no Python here runs PyTorch/,
    );
  });

  test('BACKPROP_TORCH_PYTHON alone is tried when set', () => {
    expect(pythonCandidates(TORCH_PYTHON_ENV, { [TORCH_PYTHON_ENV]: '/opt/py/bin/python3' })).toEqual([
      '/opt/py/bin/python3',
    ]);
    expect(pythonCandidates(TORCH_PYTHON_ENV, {})).toEqual(['python3', '/usr/bin/python3', 'python']);
  });

  test('torch.optim.SGD with momentum and weight decay (on weights only) is the update of the contract, in float64', async (ctx) => {
    const av = await torchEntry64.probe();
    if (!av.available) {
      if ((process.env.BACKPROP_REQUIRE_BACKENDS ?? '').split(',').includes('torch'))
        throw new Error(av.reason);
      ctx.skip(av.reason);
    }
    const b = await torchEntry64.create(spec, params);
    const ref = createReferenceBackend(spec, params);
    const sgd = { eta: 0.25, momentum: 0.5, weightDecay: 0.1 };
    for (let i = 0; i < 3; i++) expect(await b.step(batch, sgd)).toBeCloseTo(await ref.step(batch, sgd), 12);
    const p = await b.getParams();
    const r = await ref.getParams();
    for (const kind of ['weights', 'biases'] as const)
      for (let l = 0; l < 2; l++)
        p[kind][l]!.forEach((v, i) => {
          expect(v).toBeCloseTo(r[kind][l]![i]!, 12);
        });
    // setParams resets momentum: a step from θ₀ again matches a fresh reference's.
    await b.setParams(params);
    const fresh = createReferenceBackend(spec, params);
    await b.step(batch, sgd);
    await fresh.step(batch, sgd);
    const w = (await fresh.getParams()).weights[0]!;
    (await b.getParams()).weights[0]!.forEach((v, i) => {
      expect(v).toBeCloseTo(w[i]!, 12);
    });
    expect(b.device).toBe('cpu');
    expect(b.capabilities).toContain('train-epoch');
    await b.dispose();
  });

  test('its own epoch run in parts (paused every 3 steps, resumed at step 4) is the uninterrupted epoch, bit for bit', async (ctx) => {
    const av = await torchEntry64.probe();
    if (!av.available) {
      if ((process.env.BACKPROP_REQUIRE_BACKENDS ?? '').split(',').includes('torch'))
        throw new Error(av.reason);
      ctx.skip(av.reason);
    }
    const n = 23; // batches of 2: 12 steps, the last of one example
    // A DataSet (of @backprop/data, not a dependency here) as the plain object it is.
    const data: Parameters<NonNullable<Backend['trainEpoch']>>[0] = {
      name: 'tiny',
      count: n,
      inputSize: 3,
      classes: 2,
      shape: [3],
      features: Float64Array.from({ length: 3 * n }, (_, i) => ((i * 7) % 13) / 12),
      featureScale: 1,
      labels: Uint8Array.from({ length: n }, (_, i) => (i * 5) % 2),
    };
    const epoch = { batchSize: 2, seed: 5, eta: 0.5, weightDecay: 0.01 };
    const flat = (p: Params) => [...p.weights, ...p.biases].flatMap((a) => [...a]);
    const whole = await torchEntry64.create(spec, params);
    const a = await whole.trainEpoch!(data, epoch);
    expect(a.costs.length).toBe(12);
    const parts = await torchEntry64.create(spec, params);
    const pauses: number[] = [];
    const stop = new Error('stop');
    await expect(
      parts.trainEpoch!(data, {
        ...epoch,
        pauseEvery: 3,
        pauseOffset: 2, // pauses after steps 1, 4, 7, 10 of the epoch
        betweenSteps: async (done) => {
          pauses.push(done);
          if (done === 4) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(pauses).toEqual([1, 4]);
    const resumed = await torchEntry64.create(spec, await parts.getParams());
    const b = await resumed.trainEpoch!(data, { ...epoch, startStep: 4, pauseEvery: 3, pauseOffset: 2 });
    expect([...b.costs]).toEqual([...a.costs.subarray(4)]);
    expect(b.batches).toEqual(a.batches);
    expect(flat(await resumed.getParams())).toEqual(flat(await whole.getParams()));
    for (const x of [whole, parts, resumed]) await x.dispose();
  });
});
