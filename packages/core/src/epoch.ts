import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import type { Backend, Batch, EpochOptions, EpochResult } from './backend.js';
import { validateSgd } from './sgd.js';

/**
 * One epoch of mini-batch SGD for any backend (clause `sgd.epoch`): the seeded shuffle
 * `epochBatches(data.count, batchSize, seed, lastBatch)`, then from mini-batch `startStep` on,
 * for each one its float inputs and one-hot targets and one `backend.step`, with `onSteps` and
 * `betweenSteps` after every step. The batch handed to `step` has exactly its own rows (the
 * last, smaller one as views of the full buffers). This is the epoch of every backend that has
 * no `trainEpoch` of its own, and the behaviour any `trainEpoch` must match step for step.
 */
export async function genericTrainEpoch(
  backend: Backend,
  data: DataSet,
  options: EpochOptions,
): Promise<EpochResult> {
  const { batchSize } = options;
  const n0 = backend.spec.sizes[0]!;
  const nL = backend.spec.sizes[backend.spec.sizes.length - 1]!;
  checkEpochData(backend, data);
  const batches = epochBatches(data.count, batchSize, options.seed, options.lastBatch ?? 'keep');
  const first = epochStart(options, batches.length);
  const x = new Float64Array(batchSize * n0);
  const y = new Float64Array(batchSize * nL);
  const sgd = { eta: options.eta, momentum: options.momentum ?? 0, weightDecay: options.weightDecay ?? 0 };
  validateSgd(sgd);
  const costs = new Float64Array(batches.length - first);
  for (let i = first; i < batches.length; i++) {
    const indices = batches[i]!;
    const m = indices.length;
    fillInputs(data, indices, x);
    fillTargets(data, indices, y);
    costs[i - first] = await backend.step(batchOf(m, x, y, n0, nL), sgd);
    options.onSteps?.(i, costs.subarray(i - first, i - first + 1));
    const pause = options.betweenSteps?.(i + 1);
    if (pause) await pause;
  }
  return { batches, costs };
}

/**
 * The {@link Batch} of the first `size` rows of buffers that may hold more (kept for full
 * batches): `x` and `y` themselves when they are exactly that long, else views (`subarray`) of
 * exactly `size · n0` and `size · nL` values. No copy.
 */
export function batchOf(size: number, x: Float64Array, y: Float64Array, n0: number, nL: number): Batch {
  if (x.length === size * n0 && y.length === size * nL) return { size, x, y };
  if (x.length < size * n0 || y.length < size * nL)
    throw new RangeError(
      `buffers of ${x.length} and ${y.length} values hold fewer than ${size} rows of ${n0} and ${nL}`,
    );
  return { size, x: x.subarray(0, size * n0), y: y.subarray(0, size * nL) };
}

/**
 * One epoch on `backend`: its own `trainEpoch` when it has one, else {@link genericTrainEpoch}.
 * Everything that runs an epoch goes through here (`train` does).
 */
export function runEpoch(backend: Backend, data: DataSet, options: EpochOptions): Promise<EpochResult> {
  return backend.trainEpoch ? backend.trainEpoch(data, options) : genericTrainEpoch(backend, data, options);
}

/** The data must fit the network: its inputs the first layer, its classes the last. */
export function checkEpochData(backend: Backend, data: DataSet): void {
  const n0 = backend.spec.sizes[0]!;
  const nL = backend.spec.sizes[backend.spec.sizes.length - 1]!;
  if (data.inputSize !== n0)
    throw new RangeError(`${data.name} has ${data.inputSize} inputs but the network's input layer has ${n0}`);
  if (data.classes !== nL)
    throw new RangeError(`${data.name} has ${data.classes} classes but the network's output layer has ${nL}`);
}

/**
 * `options.startStep` checked against an epoch of `steps` mini-batches (an integer in
 * 0…steps), and `pauseEvery`/`pauseOffset` checked too, for a `trainEpoch` to call first.
 */
export function epochStart(options: EpochOptions, steps: number): number {
  const s = options.startStep ?? 0;
  if (!(Number.isInteger(s) && s >= 0 && s <= steps))
    throw new RangeError(`startStep must be an integer in 0…${steps} (the epoch's steps), got ${s}`);
  const every = options.pauseEvery;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1))
    throw new RangeError(`pauseEvery must be a positive integer, got ${every}`);
  const offset = options.pauseOffset ?? 0;
  if (!Number.isSafeInteger(offset)) throw new RangeError(`pauseOffset must be an integer, got ${offset}`);
  return s;
}

/**
 * Steps from `done` to the next step where `betweenSteps` must be called by the rules of
 * `options.pauseEvery` and `pauseOffset` (at least 1), or Infinity when there is none. A
 * backend that groups steps takes `min(groupSize, stepsToPause(options, done))` next.
 */
export function stepsToPause(
  options: Pick<EpochOptions, 'pauseEvery' | 'pauseOffset'>,
  done: number,
): number {
  const every = options.pauseEvery;
  if (every === undefined) return Number.POSITIVE_INFINITY;
  return every - ((((done + (options.pauseOffset ?? 0)) % every) + every) % every);
}
