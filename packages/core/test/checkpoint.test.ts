import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSet } from '@backprop/data';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  type Batch,
  CHECKPOINT_VERSION,
  CheckpointError,
  CheckpointWriter,
  cloneParams,
  createReferenceBackend,
  DivergenceError,
  decodeFloats,
  type EpochOptions,
  encodeFloats,
  flattenParams,
  genericTrainEpoch,
  initParams,
  loadModel,
  MAX_LAYER_SIZE,
  ModelFileError,
  type NetworkSpec,
  type Params,
  parseCheckpoint,
  parseModel,
  type ReferenceBackend,
  readCheckpoint,
  type SgdOptions,
  serializeCheckpoint,
  serializeModel,
  sgdStep,
  TrainingStopped,
  type TrainOptions,
  type TrainState,
  train,
  type VelocityAccess,
  writeCheckpoint,
  zeroParams,
} from '../src/index.js';
import { blobData } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (p: Params) => Buffer.from(flattenParams(p).buffer);
const spec: NetworkSpec = { sizes: [4, 6, 3], activation: 'sigmoid', cost: 'quadratic' };
const data = blobData(5, 103, 4, 3); // 103 examples: the last mini-batch of 10 is short
const base: TrainOptions = { epochs: 3, batchSize: 10, eta: 2, seed: 9, logEvery: 4, validation: data };
/** What a run reports, timings left out. */
const curve = (r: { steps: readonly { step: number; cost: number }[]; epochs: readonly object[] }) => ({
  steps: r.steps.map((p) => [p.step, p.cost]),
  epochs: r.epochs.map((e) => {
    const { seconds: _s, epochSeconds: _e, ...rest } = e as Record<string, unknown>;
    return rest;
  }),
});

async function plainRun() {
  const backend = createReferenceBackend(spec, initParams(spec, 1));
  const result = await train(backend, data, base);
  return { params: await backend.getParams(), result };
}

describe('checkpoints and resume (train)', () => {
  it('resuming from any checkpoint ends with the parameters and curve of an uninterrupted run, bit for bit', async () => {
    const plain = await plainRun();
    const states: TrainState[] = [];
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    const checkpointed = await train(backend, data, {
      ...base,
      checkpointEvery: 3,
      onCheckpoint: (s) => {
        states.push(s);
      },
    });
    // Checkpointing runs the epochs step by step; for the reference that changes no bit.
    expect(bytes(await backend.getParams()).equals(bytes(plain.params))).toBe(true);
    expect(curve(checkpointed)).toEqual(curve(plain.result));
    expect(states.map((s) => s.step)).toEqual(Array.from({ length: 11 }, (_, i) => 3 * (i + 1)));
    // The last one falls on the last step: the run's final evaluations are still to come.
    expect(states.at(-1)).toMatchObject({ epoch: 3, stepInEpoch: 11, step: 33 });

    for (const s of [states[0]!, states[3]!, states[7]!, states[10]!]) {
      // Through the file format, as a resume after a crash would read it.
      const path = join(dir, `at-${s.step}.json`);
      writeCheckpoint(path, { spec, run: { note: 'test' }, state: s });
      const read = readCheckpoint(path);
      expect(bytes(read.state.params).equals(bytes(s.params))).toBe(true);
      const fresh = createReferenceBackend(spec, initParams(spec, 42)); // resume replaces these
      const resumed = await train(fresh, data, { ...base, resume: read.state });
      expect(bytes(await fresh.getParams()).equals(bytes(plain.params)), `resumed at step ${s.step}`).toBe(
        true,
      );
      expect(curve(resumed)).toEqual(curve(plain.result));
    }
  });

  it('shouldStop stops between two steps with the state to continue from', async () => {
    const plain = await plainRun();
    let steps = 0;
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    let stopped: TrainingStopped | undefined;
    try {
      await train(backend, data, { ...base, onStep: () => steps++, shouldStop: () => steps === 17 });
    } catch (e) {
      stopped = e as TrainingStopped;
    }
    expect(stopped).toBeInstanceOf(TrainingStopped);
    expect(stopped!.state).toMatchObject({ epoch: 2, stepInEpoch: 6, step: 17 });
    const resumed = createReferenceBackend(spec, initParams(spec, 1));
    await train(resumed, data, { ...base, resume: stopped!.state });
    expect(bytes(await resumed.getParams()).equals(bytes(plain.params))).toBe(true);
  });

  it('momentum: checkpoints carry the velocity, through a backend that hands it over', async () => {
    const options = { ...base, momentum: 0.7, eta: 0.5 };
    // A backend that keeps its velocity to itself: checkpointing with momentum is refused, clearly.
    const ref = createReferenceBackend(spec, initParams(spec, 1));
    const closed: Backend = {
      name: 'closed',
      dtype: 'float64',
      device: 'js',
      spec,
      setParams: (p) => ref.setParams(p),
      getParams: () => ref.getParams(),
      forward: (x, size) => ref.forward(x, size),
      backprop: (batch) => ref.backprop(batch),
      step: (batch, sgd) => ref.step(batch, sgd),
      trainEpoch: (d, o) => ref.trainEpoch(d, o),
      dispose: () => ref.dispose(),
    };
    await expect(
      train(closed, data, { ...options, checkpointEvery: 5, onCheckpoint: () => {} }),
    ).rejects.toThrow(/backend closed cannot hand over its momentum velocity/);
    // A backend with VelocityAccess: the uninterrupted run and every resumed one agree bit for bit.
    const plain = new MomentumBackend(spec, initParams(spec, 1));
    await train(plain, data, options);
    const states: TrainState[] = [];
    await train(new MomentumBackend(spec, initParams(spec, 1)), data, {
      ...options,
      checkpointEvery: 7,
      onCheckpoint: (s) => {
        states.push(s);
      },
    });
    expect(states[0]!.velocity).not.toBeNull();
    for (const s of [states[1]!, states[3]!]) {
      const path = join(dir, `momentum-${s.step}.json`);
      writeCheckpoint(path, { spec, run: {}, state: s });
      const resumed = new MomentumBackend(spec, initParams(spec, 3));
      await train(resumed, data, { ...options, resume: readCheckpoint(path).state });
      expect(bytes(await resumed.getParams()).equals(bytes(await plain.getParams()))).toBe(true);
    }
    // Without the velocity, the resumed run would differ: the test can fail.
    const noVelocity = new MomentumBackend(spec, initParams(spec, 3));
    await train(noVelocity, data, { ...options, resume: { ...states[3]!, velocity: null } });
    expect(bytes(await noVelocity.getParams()).equals(bytes(await plain.getParams()))).toBe(false);
  });

  it('a checkpoint is only taken of finite parameters; divergence stops with step and η', async () => {
    const linear: NetworkSpec = { sizes: [4, 6, 3], activation: 'identity', cost: 'quadratic' };
    const states: TrainState[] = [];
    const backend = createReferenceBackend(linear, initParams(linear, 1));
    const err = await train(backend, blobData(5, 103, 4, 3), {
      ...base,
      eta: 40,
      checkpointEvery: 1,
      onCheckpoint: (s) => {
        states.push(s);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as DivergenceError;
    expect(d.message).toMatch(
      /at step \d+ .* η = 40; training diverged\. Try a smaller learning rate, e\.g\. --eta 4/,
    );
    expect(states.length).toBeGreaterThan(0);
    expect(states.at(-1)!.step).toBeLessThan(d.step);
    for (const s of states) expect(flattenParams(s.params).every(Number.isFinite)).toBe(true);
  });

  it('a resume state that does not fit the run is refused', async () => {
    const states: TrainState[] = [];
    await train(createReferenceBackend(spec, initParams(spec, 1)), data, {
      ...base,
      checkpointEvery: 5,
      onCheckpoint: (s) => {
        states.push(s);
      },
    });
    const s = states[2]!; // step 15: epoch 2, 4 of its steps
    const b = createReferenceBackend(spec, initParams(spec, 1));
    await expect(train(b, data, { ...base, epochs: 1, resume: s })).rejects.toThrow(
      /outside this run's epochs/,
    );
    await expect(train(b, data, { ...base, batchSize: 7, resume: s })).rejects.toThrow(/does not match/);
  });
});

describe('checkpoint files', () => {
  const state = async (): Promise<TrainState> => {
    let out: TrainState | undefined;
    await train(createReferenceBackend(spec, initParams(spec, 1)), data, {
      ...base,
      checkpointEvery: 14,
      onCheckpoint: (s) => {
        out ??= s;
      },
    });
    return out!;
  };

  it('round-trip every number exactly', async () => {
    const s = await state();
    const c = parseCheckpoint(JSON.parse(serializeCheckpoint({ spec, run: { a: 1 }, state: s })), 'x');
    expect(bytes(c.state.params).equals(bytes(s.params))).toBe(true);
    expect(c.state).toEqual({ ...s, params: c.state.params });
    expect(c.run).toEqual({ a: 1 });
  });

  it('are written as version 2: each parameter array one base64 string of its float64 bytes', async () => {
    const s = await state();
    const json = JSON.parse(serializeCheckpoint({ spec, run: {}, state: s }));
    expect(json.version).toBe(CHECKPOINT_VERSION);
    expect(CHECKPOINT_VERSION).toBe(2);
    expect(json.params.weights.map((w: unknown) => typeof w)).toEqual(['string', 'string']);
    expect(decodeFloats(json.params.weights[0])).toEqual(s.params.weights[0]);
    expect(Buffer.from(json.params.biases[1], 'base64')).toHaveLength(8 * 3);
  });

  it('read version 1 (JSON numbers), and a run resumed from one ends as if never stopped, bit for bit', async () => {
    // Written by the version-1 code (backprop 0.1.0) from this run, with momentum, at step 14.
    const withMomentum: TrainOptions = { ...base, momentum: 0.5 };
    const fixture = join(import.meta.dirname, 'fixtures', 'checkpoint-v1.json');
    expect(JSON.parse(readFileSync(fixture, 'utf8'))).toMatchObject({ version: 1, position: { step: 14 } });
    const c = readCheckpoint(fixture);
    expect(c.spec).toEqual(spec);
    expect(c.state).toMatchObject({ epoch: 2, stepInEpoch: 3, step: 14 });
    expect(c.state.velocity).not.toBeNull();
    const plain = createReferenceBackend(spec, initParams(spec, 1));
    const uninterrupted = await train(plain, data, withMomentum);
    const resumed = createReferenceBackend(spec, initParams(spec, 2)); // the checkpoint's parameters replace these
    const result = await train(resumed, data, { ...withMomentum, resume: c.state });
    expect(bytes(await resumed.getParams()).equals(bytes(await plain.getParams()))).toBe(true);
    expect(curve(result)).toEqual(curve(uninterrupted));
    // Written again, it is version 2 and reads back to the same state.
    const again = parseCheckpoint(JSON.parse(serializeCheckpoint(c)), 'again');
    expect(bytes(again.state.velocity!).equals(bytes(c.state.velocity!))).toBe(true);
    expect(again.state).toEqual(c.state);
  });

  // biome-ignore lint/suspicious/noExplicitAny: the cases corrupt arbitrary JSON
  type Json = Record<string, any>;
  const cases: [string, (j: Json) => unknown, RegExp][] = [
    [
      'a model file instead',
      (j) => ({ ...j, format: 'backprop-model' }),
      /format should be "backprop-checkpoint"/,
    ],
    [
      'a newer version',
      (j) => ({ ...j, version: 3 }),
      /version should be 1 or 2 \(the versions this build reads\), got 3/,
    ],
    ['no run', (j) => ({ ...j, run: undefined }), /run should be an object/],
    [
      'a NaN parameter',
      (j) => {
        const w = decodeFloats(j.params.weights[1])!;
        w[7] = Number.NaN;
        j.params.weights[1] = encodeFloats(w);
        return j;
      },
      /params\.weights\[1\] \(W\^2, 3×6\)\[7\] should be a finite number, got NaN/,
    ],
    [
      'parameters that are not base64',
      (j) => {
        j.params.biases[0] = `${j.params.biases[0].slice(0, -4)}!!!!`;
        return j;
      },
      /params\.biases\[0\] \(b\^1\) should be base64 of 6 little-endian float64 values, got a string that is not base64/,
    ],
    [
      'a bias vector one value short',
      (j) => {
        j.params.biases[1] = encodeFloats(decodeFloats(j.params.biases[1])!.subarray(1));
        return j;
      },
      /params\.biases\[1\] \(b\^2\) should be 3 float64 values, got 2/,
    ],
    [
      'JSON numbers in a version-2 file',
      (j) => ({
        ...j,
        params: { ...j.params, weights: j.params.weights.map((w: string) => Array.from(decodeFloats(w)!)) },
      }),
      /params\.weights\[0\] \(W\^1, 6×4\) should be base64 of 24 little-endian float64 values, got \[/,
    ],
    [
      'a velocity of the wrong shape',
      (j) => ({ ...j, velocity: { weights: [[1]], biases: [[1]] } }),
      /velocity\.weights should be 2 matrices \(one per layer after the input\), got 1/,
    ],
    [
      'a huge layer',
      (j) => ({ ...j, spec: { ...j.spec, sizes: [4, 2 ** 31, 3] } }),
      /spec\.sizes\[1\] is 2147483648, more than the 100,000 neurons/,
    ],
    [
      'a negative step',
      (j) => ({ ...j, position: { ...j.position, step: -1 } }),
      /position\.step should be an integer ≥ 0/,
    ],
    [
      'a string cost sum',
      (j) => ({ ...j, progress: { ...j.progress, epochCostSum: '1.5' } }),
      /progress\.epochCostSum should be a finite number/,
    ],
    [
      'epochs missing from the curve',
      (j) => ({ ...j, progress: { ...j.progress, epochs: [] } }),
      /progress\.epochs should be the 1 epochs before position\.epoch 2/,
    ],
  ];
  for (const [what, corrupt, message] of cases)
    it(`refuses a checkpoint with ${what}, naming the field`, async () => {
      const good = JSON.parse(serializeCheckpoint({ spec, run: {}, state: await state() }));
      expect(good.position.epoch).toBe(2);
      const path = join(dir, `bad-${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(path, JSON.stringify(corrupt(good)));
      expect(() => readCheckpoint(path)).toThrow(CheckpointError);
      expect(() => readCheckpoint(path)).toThrow(message);
    });

  it('refuses to write non-finite parameters, leaving the previous checkpoint whole', async () => {
    const s = await state();
    const path = join(dir, 'keep.json');
    writeCheckpoint(path, { spec, run: {}, state: s });
    const before = readFileSync(path, 'utf8');
    const bad = {
      ...s,
      params: { weights: s.params.weights.map((w) => w.slice()), biases: s.params.biases },
    };
    bad.params.weights[0]![0] = Number.POSITIVE_INFINITY;
    expect(() => writeCheckpoint(path, { spec, run: {}, state: bad })).toThrow(
      /params\.weights\[0\] \(W\^1, 6×4\)\[0\] should be a finite number, got Infinity/,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});

describe('CheckpointWriter: checkpoints written in the background', () => {
  const states = async (): Promise<TrainState[]> => {
    const out: TrainState[] = [];
    await train(createReferenceBackend(spec, initParams(spec, 1)), data, {
      ...base,
      checkpointEvery: 5,
      onCheckpoint: (s) => void out.push(s),
    });
    return out;
  };

  it('writes each one whole, in order, the same text as writeCheckpoint; flush waits for the last', async () => {
    const all = await states();
    const path = join(dir, 'writer.json');
    const writer = new CheckpointWriter(path);
    expect(writer.written).toBeNull();
    for (const s of all) await writer.write({ spec, run: { a: 1 }, state: s });
    await writer.flush();
    expect(writer.written!.state).toBe(all.at(-1));
    const sync = join(dir, 'writer-sync.json');
    writeCheckpoint(sync, { spec, run: { a: 1 }, state: all.at(-1)! });
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(sync, 'utf8'));
    expect(readCheckpoint(path).state.step).toBe(all.at(-1)!.step);
  });

  it('refuses a state that would not read back at once, and a failed write at the next write or flush', async () => {
    const [first, second] = await states();
    const path = join(dir, 'writer-bad.json');
    const writer = new CheckpointWriter(path);
    await writer.write({ spec, run: {}, state: first! });
    await writer.flush();
    const before = readFileSync(path, 'utf8');
    const bad = { ...second!, params: cloneParams(second!.params) };
    bad.params.biases[1]![2] = Number.NaN;
    await expect(writer.write({ spec, run: {}, state: bad })).rejects.toThrow(
      /params\.biases\[1\] \(b\^2\)\[2\] should be a finite number, got NaN/,
    );
    await writer.flush();
    expect(readFileSync(path, 'utf8')).toBe(before);
    // A directory where the file should be: the write fails in the background, and says so next time.
    const blocked = new CheckpointWriter(dir);
    await blocked.write({ spec, run: {}, state: first! });
    await expect(blocked.flush()).rejects.toThrow(/EISDIR|EPERM|ENOTEMPTY|EEXIST|directory/i);
    await blocked.flush(); // reported once
  });
});

describe('model files: declared sizes are bounded before anything is allocated', () => {
  const good = () =>
    JSON.parse(serializeModel({ spec, params: initParams(spec, 1), provenance: {} })) as Record<
      string,
      unknown
    >;
  it('a layer above the limit, too many parameters, too many layers', () => {
    const withSizes = (sizes: number[]) => ({
      ...good(),
      spec: { ...spec, sizes },
      parameterCount: undefined,
    });
    expect(() => parseModel(withSizes([784, MAX_LAYER_SIZE + 1, 10]), 'm.json')).toThrow(
      /m\.json: spec\.sizes\[1\] is 100001, more than the 100,000 neurons a layer may have/,
    );
    expect(() => parseModel(withSizes([100_000, 100_000, 100_000]), 'm.json')).toThrow(
      /declare 20,000,200,000 parameters, more than the 100,000,000/,
    );
    expect(() => parseModel(withSizes(new Array(1001).fill(1)), 'm.json')).toThrow(/1001 layers/);
    expect(() => parseModel(withSizes([4, 0xffffffff, 3]), 'm.json')).toThrow(ModelFileError);
  });

  it('a file declaring 10^10 parameters fails without allocating them', () => {
    const path = join(dir, 'huge.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...good(),
        spec: { ...spec, sizes: [100_000, 100_000] },
        parameterCount: 10_000_100_000,
      }),
    );
    const before = process.memoryUsage().arrayBuffers;
    expect(() => loadModel(path)).toThrow(/more than the 100,000,000/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
  });
});

/**
 * The reference's gradients with SGD + momentum applied outside it, so that the velocity can be
 * handed over ({@link VelocityAccess}); every epoch goes through `genericTrainEpoch`.
 */
class MomentumBackend implements Backend, VelocityAccess {
  readonly name = 'momentum-test';
  readonly dtype = 'float64' as const;
  readonly device = 'js';
  private readonly inner: ReferenceBackend;
  private velocity: Params | null = null;
  constructor(
    readonly spec: NetworkSpec,
    params: Params,
  ) {
    this.inner = createReferenceBackend(spec, params);
  }
  async setParams(p: Params) {
    await this.inner.setParams(p);
    this.velocity = null;
  }
  getParams() {
    return this.inner.getParams();
  }
  forward(x: Float64Array, size: number) {
    return this.inner.forward(x, size);
  }
  backprop(batch: Batch) {
    return this.inner.backprop(batch);
  }
  async step(batch: Batch, sgd: SgdOptions) {
    const t = await this.inner.backprop(batch);
    const params = await this.inner.getParams();
    this.velocity ??= zeroParams(this.spec);
    sgdStep(params, t.gradients, sgd, this.velocity);
    await this.inner.setParams(params);
    return t.cost;
  }
  trainEpoch(data: DataSet, options: EpochOptions) {
    return genericTrainEpoch(this, data, options);
  }
  async getVelocity() {
    return this.velocity && cloneParams(this.velocity);
  }
  async setVelocity(v: Params | null) {
    this.velocity = v && cloneParams(v);
  }
  dispose() {
    return this.inner.dispose();
  }
}
