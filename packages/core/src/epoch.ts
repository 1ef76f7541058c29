import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import type { Backend, EpochOptions, EpochResult } from './backend.js';

/**
 * One epoch of mini-batch SGD for any backend (clause `sgd.epoch`): the seeded shuffle
 * `epochBatches(data.count, batchSize, seed, lastBatch)`, then for each mini-batch the float
 * inputs and one-hot targets and one `backend.step`. `onSteps` is called after every step with
 * that step's cost; if it throws, the epoch stops there.
 */
export async function genericTrainEpoch(
  backend: Backend,
  data: DataSet,
  options: EpochOptions,
): Promise<EpochResult> {
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
  const costs = new Float64Array(batches.length);
  const sgd = { eta: options.eta, momentum: options.momentum ?? 0, weightDecay: options.weightDecay ?? 0 };
  for (let i = 0; i < batches.length; i++) {
    const indices = batches[i]!;
    fillInputs(data, indices, x);
    fillTargets(data, indices, y);
    costs[i] = await backend.step({ size: indices.length, x, y }, sgd);
    options.onSteps?.(i, costs.subarray(i, i + 1));
  }
  return { batches, costs };
}
