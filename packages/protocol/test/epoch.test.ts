// The engine's own epoch (train_epoch) in parts: resumed at startStep and paused where pauseEvery
// asks, through the `train-epoch-range` extension, must give exactly the steps of an uninterrupted
// epoch; `load-data` sends the training set once per engine process; a plain protocol-1 engine
// runs whole epochs and refuses the rest with the reason. Real engines: the NumPy example, and it
// again with a protocol-1 train_epoch (test/engines/whole_epoch_engine.py).
import { fileURLToPath } from 'node:url';
import type { EpochOptions, NetworkSpec, Params } from '@backprop/core';
import { makeDataSet } from '@backprop/data';
import { describe, expect, test } from 'vitest';
import { findPython, type ProtocolBackend, StdioEngine } from '../src/index.js';

const numpy = await findPython(['numpy']);
const numpyEngine = fileURLToPath(new URL('../python/examples/numpy_network.py', import.meta.url));
const wholeEngine = fileURLToPath(new URL('./engines/whole_epoch_engine.py', import.meta.url));
const faultyEngine = fileURLToPath(new URL('./engines/faulty_epoch_engine.py', import.meta.url));

const spec: NetworkSpec = { sizes: [3, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
const params: Params = {
  weights: [
    Float64Array.from({ length: 12 }, (_, i) => ((i * 7) % 11) / 5 - 1),
    Float64Array.of(1, -1, 0.5, 0.25, -0.75, 2, 0, 1),
  ],
  biases: [Float64Array.of(0.1, -0.2, 0.3, 0), Float64Array.of(0.5, -0.5)],
};
const n = 14; // batches of 3, kept: 5 steps (the last one of 2 examples)
const data = makeDataSet({
  name: 'tiny',
  count: n,
  inputSize: 3,
  classes: 2,
  shape: [3],
  features: Float64Array.from({ length: 3 * n }, (_, i) => ((i * 5) % 9) / 8),
  featureScale: 1,
  labels: Uint8Array.from({ length: n }, (_, i) => (i * 3) % 2),
});
const epoch: EpochOptions = { batchSize: 3, seed: 11, eta: 0.5, momentum: 0.5, weightDecay: 0.01 };
const STEPS = 5;

const flat = (p: Params) => [...p.weights, ...p.biases].flatMap((a) => [...a]);

/** Every call of onSteps and betweenSteps, in order, checking that each awaited pause ended first. */
function recorder() {
  const calls: string[] = [];
  let pausing = false;
  return {
    calls,
    onSteps: (first: number, costs: Float64Array) => {
      expect(pausing, 'a step ran before the awaited betweenSteps had finished').toBe(false);
      calls.push(`steps ${first}+${costs.length}`);
    },
    betweenSteps: (done: number) => {
      calls.push(`pause ${done}`);
      pausing = true;
      return new Promise<void>((r) =>
        setTimeout(() => {
          pausing = false;
          r();
        }, 5),
      );
    },
  };
}

describe.runIf(numpy.found)('train_epoch in parts (train-epoch-range, load-data)', () => {
  test('the NumPy engine announces both extensions', async () => {
    if (!numpy.found) return;
    const e = new StdioEngine([numpy.python, numpyEngine]);
    const h = await e.start();
    expect(h.extensions).toEqual(['train-epoch-range', 'load-data']);
    await e.close();
  });

  test('paused every 2 steps (offset 1) and resumed at a step, the epoch is the uninterrupted one bit for bit', async () => {
    if (!numpy.found) return;
    const sent: { op: string; keys: string[] }[] = [];
    const e = new StdioEngine([numpy.python, numpyEngine], {
      onMessage: (dir, m) => {
        if (dir === 'out') {
          const { op, ...rest } = m as { op: string };
          sent.push({ op, keys: Object.keys(rest) });
        }
      },
    });
    const whole = await e.create(spec, params);
    const a = await whole.trainEpoch(data, epoch);
    expect(a.costs.length).toBe(STEPS);
    const after = flat(await whole.getParams());

    // Paused where (done + 1) % 2 === 0: after steps 1 and 3, and after the last one.
    const paused = await e.create(spec, params);
    const r = recorder();
    const b = await paused.trainEpoch(data, { ...epoch, pauseEvery: 2, pauseOffset: 1, ...r });
    expect(r.calls).toEqual(['steps 0+1', 'pause 1', 'steps 1+2', 'pause 3', 'steps 3+2', 'pause 5']);
    expect([...b.costs]).toEqual([...a.costs]);
    expect(b.batches).toEqual(a.batches);
    expect(flat(await paused.getParams())).toEqual(after);

    // Stopped after step 2 by a throwing betweenSteps (no step after it runs), then resumed there
    // from the parameters it stopped with: the rest of the epoch, the steps of an uninterrupted
    // one. (Without momentum: a checkpoint of a protocol engine carries no velocity.)
    const plain = { ...epoch, momentum: 0 };
    const ref = await e.create(spec, params);
    const full = await ref.trainEpoch(data, plain);
    const first = await e.create(spec, params);
    const stop = new Error('stop here');
    const stopAt2 = (done: number) => {
      if (done === 2) throw stop;
    };
    await expect(first.trainEpoch(data, { ...plain, pauseEvery: 2, betweenSteps: stopAt2 })).rejects.toBe(
      stop,
    );
    const resumed = await e.create(spec, await first.getParams());
    const rr = recorder();
    const c = await resumed.trainEpoch(data, { ...plain, startStep: 2, pauseEvery: 2, ...rr });
    expect(rr.calls).toEqual(['steps 2+2', 'pause 4', 'steps 4+1', 'pause 5']);
    expect([...c.costs]).toEqual([...full.costs.subarray(2)]);
    expect(c.batches).toEqual(full.batches);
    expect(flat(await resumed.getParams())).toEqual(flat(await ref.getParams()));

    // startStep at the end: no step, no pause, the epoch's batches still reported.
    const none = recorder();
    const d = await resumed.trainEpoch(data, { ...plain, startStep: STEPS, ...none });
    expect(none.calls).toEqual([]);
    expect(d.costs.length).toBe(0);
    expect(d.batches).toEqual(full.batches);

    // load-data: the training set crossed the pipe once for the whole session, every
    // train_epoch named it by id, and each part said where it starts and how many steps it runs.
    expect(sent.filter((m) => m.op === 'load_data').length).toBe(1);
    const epochs = sent.filter((m) => m.op === 'train_epoch');
    expect(epochs.length).toBe(1 + 3 + 1 + 1 + 2 + 1);
    for (const m of epochs) {
      expect(m.keys).toContain('data');
      expect(m.keys).not.toContain('x');
      expect(m.keys).toEqual(expect.arrayContaining(['start_step', 'steps']));
    }
    for (const b of [whole, paused, ref, first, resumed]) await b.dispose();
  });

  test('another data set replaces the one the engine holds (drop_data, then load_data)', async () => {
    if (!numpy.found) return;
    const ops: string[] = [];
    const e = new StdioEngine([numpy.python, numpyEngine], {
      onMessage: (dir, m) => {
        if (dir === 'out') ops.push((m as { op: string }).op);
      },
    });
    const b = await e.create(spec, params);
    const other = makeDataSet({ ...data, name: 'tiny-2', features: data.features.slice() });
    await b.trainEpoch(data, epoch);
    await b.trainEpoch(data, epoch);
    await b.trainEpoch(other, epoch);
    await b.trainEpoch(other, epoch);
    expect(ops.filter((o) => o.endsWith('_data') || o === 'train_epoch')).toEqual([
      'load_data',
      'train_epoch',
      'train_epoch',
      'drop_data',
      'load_data',
      'train_epoch',
      'train_epoch',
    ]);
    await b.dispose();
  });
});

describe.runIf(numpy.found)('a train_epoch that gets start_step and steps wrong', () => {
  const paused = { ...epoch, pauseEvery: 2, betweenSteps: () => undefined };
  test('another shuffle for a later part of the epoch stops it, saying why', async () => {
    if (!numpy.found) return;
    const e = new StdioEngine([numpy.python, faultyEngine, 'reseed']);
    const b = await e.create(spec, params);
    await expect(b.trainEpoch(data, paused)).rejects.toThrow(
      'faulty-reseed drew another shuffle for the steps from 2 of this epoch (seed 11) than for the steps before: its train_epoch must draw the same mini-batches for the same seed every time',
    );
    await b.dispose();
  });

  test('the whole epoch where a part was asked for breaks the protocol (its costs)', async () => {
    if (!numpy.found) return;
    const e = new StdioEngine([numpy.python, faultyEngine, 'whole']);
    const b = await e.create(spec, params);
    await expect(b.trainEpoch(data, paused)).rejects.toThrow(/costs has shape \[5\], expected \[2\]/);
    await b.dispose();
  });
});

describe.runIf(numpy.found)('a protocol-1 train_epoch (no train-epoch-range)', () => {
  async function open(plain: boolean): Promise<{ e: StdioEngine; b: ProtocolBackend; ops: string[] }> {
    const ops: string[] = [];
    const e = new StdioEngine([numpy.found ? numpy.python : '', wholeEngine, ...(plain ? ['--plain'] : [])], {
      onMessage: (dir, m) => {
        if (dir === 'out') ops.push((m as { op: string }).op);
      },
    });
    return { e, b: await e.create(spec, params), ops };
  }

  test('runs a whole epoch as one request, then calls betweenSteps after its last step', async () => {
    if (!numpy.found) return;
    const { e, b, ops } = await open(true);
    expect(e.hello?.extensions).toEqual([]);
    const r = recorder();
    // pauseEvery 5 (offset 0) falls on the epoch's end only: nothing to pause inside.
    const res = await b.trainEpoch(data, { ...epoch, pauseEvery: 5, ...r });
    expect(r.calls).toEqual(['steps 0+5', 'pause 5']);
    expect(res.costs.length).toBe(STEPS);
    expect(ops).not.toContain('load_data'); // plain version 1: x and y with the request

    // The same engine with its extensions: the same epoch.
    const { b: withData } = await open(false);
    const again = await withData.trainEpoch(data, epoch);
    expect([...again.costs]).toEqual([...res.costs]);
    expect(flat(await withData.getParams())).toEqual(flat(await b.getParams()));
    await withData.dispose();
    await b.dispose();
  });

  test('refuses to resume or pause inside an epoch, saying why and what to do, before any step', async () => {
    if (!numpy.found) return;
    const { b, ops } = await open(false);
    expect(b.name).toBe('whole-epochs');
    await expect(b.trainEpoch(data, { ...epoch, startStep: 2 })).rejects.toThrow(
      "whole-epochs runs whole epochs only (its handshake announces no 'train-epoch-range' extension), so it cannot resume an epoch at step 2: checkpoints and resuming need an engine whose train_epoch runs part of an epoch (start_step, steps; docs/protocol.md, Extensions)",
    );
    await expect(
      b.trainEpoch(data, { ...epoch, pauseEvery: 2, betweenSteps: () => undefined }),
    ).rejects.toThrow(/so it cannot pause after step 2 of an epoch of 5 \(pauseEvery 2\)/);
    expect(ops).not.toContain('train_epoch');
    expect(flat(await b.getParams())).toEqual(flat(params));
    await b.dispose();
  });
});
