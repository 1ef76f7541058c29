import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  type Batch,
  batchOf,
  createReferenceBackend,
  type EpochOptions,
  type EpochResult,
  epochStart,
  flattenParams,
  genericTrainEpoch,
  initParams,
  type NetworkSpec,
  type Params,
  type ReferenceBackend,
  runEpoch,
  type SgdOptions,
  stepsToPause,
  TrainingStopped,
  type TrainOptions,
  type TrainState,
  train,
} from '../src/index.js';
import { blobData } from './helpers.js';

const bytes = (p: Params) => Buffer.from(flattenParams(p).buffer);
const spec: NetworkSpec = { sizes: [4, 6, 3], activation: 'sigmoid', cost: 'quadratic' };
const data = blobData(5, 103, 4, 3); // 103 examples: the last mini-batch of 10 has 3
const base: TrainOptions = { epochs: 3, batchSize: 10, eta: 2, seed: 9, logEvery: 4, validation: data };

/**
 * A backend with no `trainEpoch` whose `step` insists on the contract of `Batch`: exactly
 * `size` rows of x and of y. Every epoch of it goes through `genericTrainEpoch`.
 */
class ExactBackend implements Backend {
  readonly name = 'exact';
  readonly dtype = 'float64' as const;
  readonly device = 'js';
  readonly sizes: number[] = [];
  readonly inner: ReferenceBackend;
  constructor(
    readonly spec: NetworkSpec,
    params: Params,
  ) {
    this.inner = createReferenceBackend(spec, params);
  }
  private check(batch: Batch) {
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes.at(-1)!;
    if (batch.x.length !== batch.size * n0 || batch.y.length !== batch.size * nL)
      throw new RangeError(
        `batch of ${batch.size} rows with x of ${batch.x.length} and y of ${batch.y.length} values, not ${batch.size * n0} and ${batch.size * nL}`,
      );
  }
  setParams(p: Params) {
    return this.inner.setParams(p);
  }
  getParams() {
    return this.inner.getParams();
  }
  forward(x: Float64Array, size: number) {
    return this.inner.forward(x, size);
  }
  backprop(batch: Batch) {
    this.check(batch);
    return this.inner.backprop(batch);
  }
  step(batch: Batch, sgd: SgdOptions) {
    this.check(batch);
    this.sizes.push(batch.size);
    return this.inner.step(batch, sgd);
  }
  dispose() {
    return this.inner.dispose();
  }
}

/**
 * A backend that runs its steps in groups of `group`, as ONNX fast mode runs several per
 * `session.run`: one `onSteps` and one `betweenSteps` per group. With `honour` false it
 * ignores `startStep` or `pauseEvery`, to show that `train` notices.
 */
class GroupingBackend extends ExactBackend {
  groups: number[] = [];
  constructor(
    spec: NetworkSpec,
    params: Params,
    readonly group: number,
    readonly ignore: 'none' | 'startStep' | 'pauseEvery' = 'none',
  ) {
    super(spec, params);
  }
  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes.at(-1)!;
    const B = options.batchSize;
    const batches = epochBatches(data.count, B, options.seed, options.lastBatch ?? 'keep');
    const first = this.ignore === 'startStep' ? 0 : epochStart(options, batches.length);
    const costs = new Float64Array(batches.length - first);
    const x = new Float64Array(B * n0);
    const y = new Float64Array(B * nL);
    for (let done = first; done < batches.length; ) {
      const k = Math.min(
        this.group,
        batches.length - done,
        this.ignore === 'pauseEvery' ? Number.POSITIVE_INFINITY : stepsToPause(options, done),
      );
      for (let i = done; i < done + k; i++) {
        fillInputs(data, batches[i]!, x);
        fillTargets(data, batches[i]!, y);
        costs[i - first] = await this.step(batchOf(batches[i]!.length, x, y, n0, nL), options);
      }
      this.groups.push(k);
      options.onSteps?.(done, costs.subarray(done - first, done - first + k));
      done += k;
      await options.betweenSteps?.(done);
    }
    return { batches, costs };
  }
}

describe('Batch: step gets exactly size rows', () => {
  it('the check of ExactBackend can fail: buffers longer than the batch are refused', async () => {
    const b = new ExactBackend(spec, initParams(spec, 1));
    const long = { size: 3, x: new Float64Array(10 * 4), y: new Float64Array(10 * 3) };
    await expect(async () => b.step(long, { eta: 1 })).rejects.toThrow(
      /x of 40 and y of 30 values, not 12 and 9/,
    );
  });

  it('genericTrainEpoch and train, with and without checkpoints and resume, hand exact batches, the last smaller one too', async () => {
    const epoch = new ExactBackend(spec, initParams(spec, 1));
    await genericTrainEpoch(epoch, data, { eta: 1, batchSize: 10, seed: 3 });
    expect(epoch.sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);

    const plain = new ExactBackend(spec, initParams(spec, 1));
    await train(plain, data, base);
    const states: TrainState[] = [];
    const checkpointed = new ExactBackend(spec, initParams(spec, 1));
    await train(checkpointed, data, {
      ...base,
      checkpointEvery: 4,
      onCheckpoint: (s) => void states.push(s),
    });
    const resumed = new ExactBackend(spec, initParams(spec, 2));
    await train(resumed, data, { ...base, resume: states[4]! }); // step 20: epoch 2, 9 of its steps
    for (const b of [plain, checkpointed]) expect(b.sizes.filter((n) => n === 3)).toHaveLength(3);
    expect(resumed.sizes).toEqual([10, 3, ...new Array(10).fill(10), 3]);
    expect(bytes(await resumed.getParams()).equals(bytes(await plain.getParams()))).toBe(true);
    expect(bytes(await checkpointed.getParams()).equals(bytes(await plain.getParams()))).toBe(true);
  });

  it('batchOf gives the buffers themselves when exact, views otherwise, and refuses too few values', () => {
    const x = new Float64Array(40);
    const y = new Float64Array(30);
    expect(batchOf(10, x, y, 4, 3).x).toBe(x);
    const part = batchOf(3, x, y, 4, 3);
    expect([part.x.length, part.y.length, part.x.buffer === x.buffer]).toEqual([12, 9, true]);
    expect(() => batchOf(11, x, y, 4, 3)).toThrow(/fewer than 11 rows/);
  });
});

describe('an epoch from startStep, with betweenSteps', () => {
  /** The whole epoch, and the parameters after each of its steps. */
  async function wholeEpoch(options: EpochOptions) {
    const b = new ExactBackend(spec, initParams(spec, 1));
    const after: Params[] = [];
    const r = await genericTrainEpoch(b, data, {
      ...options,
      betweenSteps: async () => void after.push(await b.getParams()),
    });
    return { r, after };
  }

  for (const [label, make] of [
    ['genericTrainEpoch', (p: Params) => new ExactBackend(spec, p)],
    ['the reference’s own trainEpoch', (p: Params) => createReferenceBackend(spec, p)],
  ] as const)
    it(`${label}: resumed at any step, the rest of the epoch equals the whole one bit for bit`, async () => {
      const options = { eta: 0.7, momentum: 0, batchSize: 10, seed: 21 };
      const whole = await wholeEpoch(options);
      expect(whole.after).toHaveLength(11);
      for (const k of [0, 1, 5, 10, 11]) {
        const b = make(k === 0 ? initParams(spec, 1) : whole.after[k - 1]!);
        const dones: number[] = [];
        const firsts: number[] = [];
        const r = await runEpoch(b, data, {
          ...options,
          startStep: k,
          onSteps: (first) => void firsts.push(first),
          betweenSteps: (done) => void dones.push(done),
        });
        expect(r.batches).toEqual(whole.r.batches); // the whole shuffle, always
        expect(Array.from(r.costs)).toEqual(Array.from(whole.r.costs.subarray(k)));
        expect(firsts).toEqual(Array.from({ length: 11 - k }, (_, i) => k + i));
        expect(dones).toEqual(Array.from({ length: 11 - k }, (_, i) => k + i + 1));
        expect(bytes(await b.getParams()).equals(bytes(whole.after[10]!))).toBe(true);
      }
    });

  it('betweenSteps that throws stops the epoch there, with the parameters after those steps', async () => {
    const whole = await wholeEpoch({ eta: 0.7, batchSize: 10, seed: 21 });
    for (const b of [
      new ExactBackend(spec, initParams(spec, 1)),
      createReferenceBackend(spec, initParams(spec, 1)),
    ]) {
      const stop = new Error('stop here');
      const err = await runEpoch(b, data, {
        eta: 0.7,
        batchSize: 10,
        seed: 21,
        betweenSteps: async (done) => {
          if (done === 4) throw stop;
        },
      }).catch((e: unknown) => e);
      expect(err).toBe(stop);
      expect(bytes(await b.getParams()).equals(bytes(whole.after[3]!))).toBe(true);
    }
  });

  it('refuses a startStep outside the epoch and a bad pauseEvery', async () => {
    for (const b of [
      new ExactBackend(spec, initParams(spec, 1)),
      createReferenceBackend(spec, initParams(spec, 1)),
    ]) {
      await expect(runEpoch(b, data, { eta: 1, batchSize: 10, seed: 1, startStep: 12 })).rejects.toThrow(
        /startStep must be an integer in 0…11 \(the epoch's steps\), got 12/,
      );
      await expect(runEpoch(b, data, { eta: 1, batchSize: 10, seed: 1, pauseEvery: 0 })).rejects.toThrow(
        /pauseEvery must be a positive integer/,
      );
    }
  });

  it('stepsToPause counts to the next multiple of pauseEvery, offset by pauseOffset', () => {
    expect(stepsToPause({}, 5)).toBe(Number.POSITIVE_INFINITY);
    expect([0, 1, 2, 3, 4, 5].map((d) => stepsToPause({ pauseEvery: 3 }, d))).toEqual([3, 2, 1, 3, 2, 1]);
    // Epoch 2 of a run with 11 steps per epoch: step 4 of it is step 15 of the run.
    expect(stepsToPause({ pauseEvery: 5, pauseOffset: 11 }, 0)).toBe(4);
    expect(stepsToPause({ pauseEvery: 5, pauseOffset: 11 }, 4)).toBe(5);
  });
});

describe('train: one epoch path', () => {
  it('with checkpoints a grouping backend keeps its groups, ending one at each checkpoint, and ends bit-identical', async () => {
    const plain = new GroupingBackend(spec, initParams(spec, 1), 4);
    await train(plain, data, base);
    expect(plain.groups).toEqual([4, 4, 3, 4, 4, 3, 4, 4, 3]);
    const b = new GroupingBackend(spec, initParams(spec, 1), 4);
    const states: TrainState[] = [];
    await train(b, data, { ...base, checkpointEvery: 5, onCheckpoint: (s) => void states.push(s) });
    expect(states.map((s) => s.step)).toEqual([5, 10, 15, 20, 25, 30]);
    // Epoch 1: 4, then 1 to reach step 5, 4 more to step 9, 1 to step 10, 1 to the end (11);
    // epoch 2 starts at step 11: 4 to step 15, 4, 1 to step 20, 2 to the end (22); …
    expect(b.groups).toEqual([4, 1, 4, 1, 1, 4, 4, 1, 2, 3, 4, 1, 3]);
    expect(bytes(await b.getParams()).equals(bytes(await plain.getParams()))).toBe(true);
    // And from each checkpoint, resumed on the grouping backend: the same parameters.
    for (const s of [states[0]!, states[3]!]) {
      const r = new GroupingBackend(spec, initParams(spec, 7), 4);
      await train(r, data, { ...base, resume: s });
      expect(bytes(await r.getParams()).equals(bytes(await plain.getParams())), `from step ${s.step}`).toBe(
        true,
      );
    }
  });

  it('checkpoints and shouldStop run through the backend’s trainEpoch, not a step loop of train’s own', async () => {
    const b = new GroupingBackend(spec, initParams(spec, 1), 4);
    let polls = 0;
    await train(b, data, {
      ...base,
      checkpointEvery: 3,
      onCheckpoint: () => {},
      shouldStop: () => {
        polls++;
        return false;
      },
    });
    expect(b.groups.reduce((s, k) => s + k, 0)).toBe(33);
    expect(Math.max(...b.groups)).toBeGreaterThan(1); // groups, so its own trainEpoch ran
    expect(polls).toBe(3 + b.groups.length); // before each epoch and after each group
  });

  it('betweenSteps every pauseEvery steps: awaited, with the parameters after that step, groups ending there', async () => {
    // The parameters after step s of an uninterrupted run, for s = 1..33.
    const after: Buffer[] = [];
    const ref = createReferenceBackend(spec, initParams(spec, 1));
    await train(ref, data, {
      ...base,
      betweenSteps: async () => void after.push(bytes(await ref.getParams())),
    });
    expect(after).toHaveLength(33); // pauseEvery defaults to 1: after every step
    const b = new GroupingBackend(spec, initParams(spec, 1), 4);
    const seen: { step: number; epoch: number; stepInEpoch: number; same: boolean }[] = [];
    const checkpoints: number[] = [];
    await train(b, data, {
      ...base,
      pauseEvery: 6,
      betweenSteps: async (at) => {
        await new Promise((r) => setTimeout(r, 1)); // awaited: the next step waits for it
        seen.push({ ...at, same: bytes(await b.getParams()).equals(after[at.step - 1]!) });
      },
      checkpointEvery: 4,
      onCheckpoint: (s) => void checkpoints.push(s.step),
    });
    expect(seen).toEqual(
      [6, 12, 18, 24, 30].map((step) => ({
        step,
        epoch: Math.ceil(step / 11),
        stepInEpoch: step - 11 * (Math.ceil(step / 11) - 1),
        same: true,
      })),
    );
    expect(checkpoints).toEqual([4, 8, 12, 16, 20, 24, 28, 32]);
    // The epoch pauses where either falls, at the multiples of gcd(4, 6) = 2: its groups of 4 are cut to 2.
    expect(Math.max(...b.groups)).toBe(2);
    expect(bytes(await b.getParams()).equals(after[32]!)).toBe(true);
    await expect(train(b, data, { ...base, betweenSteps: () => {}, pauseEvery: 0 })).rejects.toThrow(
      /pauseEvery must be a positive integer, got 0/,
    );
  });

  it('a trainEpoch that ignores startStep or pauseEvery is caught with a message saying which', async () => {
    const states: TrainState[] = [];
    await train(new GroupingBackend(spec, initParams(spec, 1), 4), data, {
      ...base,
      checkpointEvery: 5,
      onCheckpoint: (s) => void states.push(s),
    });
    await expect(
      train(new GroupingBackend(spec, initParams(spec, 1), 4, 'startStep'), data, {
        ...base,
        resume: states[1]!,
      }),
    ).rejects.toThrow(
      /reported step 0 of epoch 1 through onSteps where step 10 was next \(does its trainEpoch honour startStep\?\)/,
    );
    await expect(
      train(new GroupingBackend(spec, initParams(spec, 1), 4, 'pauseEvery'), data, {
        ...base,
        checkpointEvery: 3,
        onCheckpoint: () => {},
      }),
    ).rejects.toThrow(
      /ran past step 3 of the run without calling betweenSteps there, where pauseEvery 3 asks for it/,
    );
  });

  it('yields to the event loop, so that a timer (a signal handler) can stop a long run', async () => {
    const big = blobData(6, 2000, 4, 3);
    let stop = false;
    const timer = setTimeout(() => {
      stop = true;
    }, 5);
    const b = createReferenceBackend(spec, initParams(spec, 1));
    const err = await train(b, big, {
      epochs: 2000,
      batchSize: 1,
      eta: 0.1,
      seed: 1,
      shouldStop: () => stop,
    }).catch((e: unknown) => e);
    clearTimeout(timer);
    expect(err).toBeInstanceOf(TrainingStopped);
    expect((err as TrainingStopped).state.epoch).toBeLessThan(2000);
  });
});
