import { createReferenceBackend, type NetworkSpec, type Params } from '@backprop/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test, vi } from 'vitest';
import { probeTfjs, registerTfjsBackends, TfjsBackend, tfjsCpuEntry, tfjsWasmEntry } from '../src/index.js';

const spec: NetworkSpec = { sizes: [3, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
const params: Params = {
  weights: [
    Float64Array.from({ length: 12 }, (_, i) => (i % 5) / 4 - 0.5),
    Float64Array.of(1, -1, 0.5, 0.25, -0.75, 2, 0, 1),
  ],
  biases: [Float64Array.of(0.1, -0.2, 0.3, 0), Float64Array.of(0.5, -0.5)],
};
const batch = { size: 2, x: Float64Array.of(1, 0.5, -1, 0, 2, 1), y: Float64Array.of(1, 0, 0, 1) };
const close = (a: Float64Array, b: Float64Array, tol = 1e-5) =>
  Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)));

describe('TF.js backends', () => {
  test('both start here and differentiate', async () => {
    expect(await probeTfjs('cpu')).toMatchObject({ available: true, device: 'cpu' });
    expect(await probeTfjs('wasm')).toMatchObject({ available: true, device: 'wasm' });
    expect(tfjsCpuEntry.description).toMatch(/^TensorFlow.js 4\.22\.0, cpu backend/);
    registerTfjsBackends();
    registerTfjsBackends();
  });

  test('webgl and webgpu are browser backends: unavailable in Node, saying why', async () => {
    expect(await probeTfjs('webgpu')).toEqual({
      available: false,
      reason: expect.stringMatching(/no 'webgpu' backend here: this runtime has no WebGPU/),
    });
    expect(await probeTfjs('webgl')).toEqual({
      available: false,
      reason: expect.stringMatching(/no 'webgl' backend here: WebGL runs only in a browser/),
    });
  });

  test('cpu and wasm networks live side by side in one process (TF.js has one active backend)', async () => {
    const c = await tfjsCpuEntry.create(spec, params);
    const w = await tfjsWasmEntry.create(spec, params);
    const tc = await c.backprop(batch);
    const tw = await w.backprop(batch);
    const tc2 = await c.backprop(batch);
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(tc2.deltas[0]!)).toEqual(Array.from(tc.deltas[0]!));
    expect(close(tw.deltas[0]!, tc.deltas[0]!)).toBe(true);
    await c.dispose();
    await w.dispose();
  });

  test('no tensor leaks: traces, gradients and steps free what they make; dispose frees the variables', async () => {
    await probeTfjs('cpu');
    const before = tf.memory().numTensors;
    const b = await TfjsBackend.create('cpu', spec, params);
    const during = tf.memory().numTensors;
    await b.backprop(batch);
    await b.forward(batch.x, 2);
    await b.step(batch, { eta: 0.1, momentum: 0.5, weightDecay: 0.01 });
    await b.step(batch, { eta: 0.1, momentum: 0.5, weightDecay: 0.01 });
    await b.setParams(params);
    await b.getParams();
    expect(tf.memory().numTensors).toBe(during);
    await b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('momentum and weight decay: v ← μv − η(∇C + λW), θ ← θ + v, biases undecayed; setParams resets v', async () => {
    const eta = 0.25;
    const mu = 0.5;
    const lambda = 0.1;
    const b = await TfjsBackend.create('cpu', spec, params);
    const ref = createReferenceBackend(spec, params); // the float64 formula, to compare against
    for (let i = 0; i < 3; i++) {
      await b.step(batch, { eta, momentum: mu, weightDecay: lambda });
      await ref.step(batch, { eta, momentum: mu, weightDecay: lambda });
    }
    const p = await b.getParams();
    const r = await ref.getParams();
    for (let l = 0; l < 2; l++) {
      expect(close(p.weights[l]!, r.weights[l]!, 1e-5)).toBe(true);
      expect(close(p.biases[l]!, r.biases[l]!, 1e-5)).toBe(true);
    }
    await b.setParams(params);
    await ref.setParams(params);
    await b.step(batch, { eta, momentum: mu });
    await ref.step(batch, { eta, momentum: mu });
    expect(close((await b.getParams()).weights[0]!, (await ref.getParams()).weights[0]!)).toBe(true);
    await b.dispose();
  });

  test('its first tensor prints no tfjs-node notice', async () => {
    const warn = vi.spyOn(console, 'warn');
    const b = await TfjsBackend.create('cpu', spec, params);
    await b.backprop(batch);
    expect(warn.mock.calls.map((c) => String(c[0]))).not.toContainEqual(expect.stringMatching(/tfjs-node/));
    warn.mockRestore();
    await b.dispose();
  });

  test('bad input is refused with the reason', async () => {
    const b = await TfjsBackend.create('cpu', spec, params);
    await expect(b.forward(Float64Array.of(1, 2), 1)).rejects.toThrow(
      'x holds 2 values, fewer than 1 rows of 3',
    );
    await expect(b.step(batch, { eta: -1 })).rejects.toThrow();
    await b.dispose();
    await expect(b.getParams()).rejects.toThrow('tfjs-cpu: used after dispose');
  });
});
