import { type DataSet, epochBatches, fillInputs, fillTargets, type LastBatchPolicy } from '@backprop/data';
import type { Backend, EpochOptions, EpochResult, SgdOptions } from './backend.js';

/** What {@link runEpochSteps} calls around each step. */
export interface StepHooks {
  /** Before each step; throwing stops the epoch there. */
  readonly beforeStep?: () => Promise<void>;
  /** With each step's cost (the batch's cost before the step); throwing stops the epoch there. */
  readonly onCost: (cost: number) => void;
  /** After each step. */
  readonly afterStep?: () => Promise<void>;
}

/**
 * The steps of one epoch (clause `sgd.epoch`), from step `first` on: the seeded shuffle
 * `epochBatches(data.count, batchSize, seed, lastBatch)`, then for each mini-batch the float
 * inputs and one-hot targets and one `backend.step`. Starting at `first > 0` skips the batches
 * an interrupted run already did. Returns the epoch's batches (all of them).
 */
export async function runEpochSteps(
  backend: Backend,
  data: DataSet,
  options: SgdOptions & {
    readonly batchSize: number;
    readonly seed: number;
    readonly lastBatch?: LastBatchPolicy;
  },
  first: number,
  hooks: StepHooks,
): Promise<Uint32Array[]> {
  const { batchSize } = options;
  const n0 = backend.spec.sizes[0]!;
  const nL = backend.spec.sizes[backend.spec.sizes.length - 1]!;
  if (data.inputSize !== n0)
    throw new RangeError(`${data.name} has ${data.inputSize} inputs but the network's input layer has ${n0}`);
  if (data.classes !== nL)
    throw new RangeError(`${data.name} has ${data.classes} classes but the network's output layer has ${nL}`);
  const batches = epochBatches(data.count, batchSize, options.seed, options.lastBatch ?? 'keep');
  const x = new Float64Array(batchSize * n0);
  const y = new Float64Array(batchSize * nL);
  const sgd = { eta: options.eta, momentum: options.momentum ?? 0, weightDecay: options.weightDecay ?? 0 };
  for (let i = first; i < batches.length; i++) {
    await hooks.beforeStep?.();
    const indices = batches[i]!;
    fillInputs(data, indices, x);
    fillTargets(data, indices, y);
    hooks.onCost(await backend.step({ size: indices.length, x, y }, sgd));
    await hooks.afterStep?.();
  }
  return batches;
}

/**
 * One epoch of mini-batch SGD for any backend ({@link runEpochSteps} from the first step).
 * `onSteps` is called after every step with that step's cost; if it throws, the epoch stops there.
 */
export async function genericTrainEpoch(
  backend: Backend,
  data: DataSet,
  options: EpochOptions,
): Promise<EpochResult> {
  const costs: number[] = [];
  const one = new Float64Array(1); // reused: no allocation per step
  const batches = await runEpochSteps(backend, data, options, 0, {
    onCost: (cost) => {
      costs.push(cost);
      one[0] = cost;
      options.onSteps?.(costs.length - 1, one);
    },
  });
  return { batches, costs: Float64Array.from(costs) };
}
