import { type DataSet, fillInputs, fillTargets } from '@backprop/data';
import type { Backend } from './backend.js';
import { meanCost } from './cost.js';

/** How a network does on a data set. */
export interface Evaluation {
  /** Examples evaluated. */
  readonly count: number;
  /** Examples whose largest output is the label's. */
  readonly correct: number;
  /** correct / count. */
  readonly accuracy: number;
  /** Mean cost over the set (the spec's cost). */
  readonly cost: number;
  /** `confusion[label][predicted]` counts. */
  readonly confusion: number[][];
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Rows per forward pass (default 1000). */
  readonly batchSize?: number;
}

/**
 * Accuracy, mean cost and confusion matrix of `backend` on `data`. The prediction is the index
 * of the largest output activation (the first such index on ties).
 */
export async function evaluate(
  backend: Backend,
  data: DataSet,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const { sizes, cost } = backend.spec;
  const n0 = sizes[0]!;
  const nL = sizes[sizes.length - 1]!;
  if (data.inputSize !== n0)
    throw new RangeError(`${data.name} has ${data.inputSize} inputs but the network's input layer has ${n0}`);
  if (data.classes !== nL)
    throw new RangeError(`${data.name} has ${data.classes} classes but the network's output layer has ${nL}`);
  if (data.count === 0) throw new RangeError(`${data.name} is empty; nothing to evaluate`);
  const batchSize = Math.min(options.batchSize ?? 1000, data.count);
  const x = new Float64Array(batchSize * n0);
  const y = new Float64Array(batchSize * nL);
  const indices = new Uint32Array(batchSize);
  const confusion = Array.from({ length: nL }, () => new Array<number>(nL).fill(0));
  let correct = 0;
  let costSum = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const size = Math.min(batchSize, data.count - start);
    const idx = indices.subarray(0, size);
    for (let r = 0; r < size; r++) idx[r] = start + r;
    fillInputs(data, idx, x);
    fillTargets(data, idx, y);
    const trace = await backend.forward(x, size);
    const aL = trace.activations[sizes.length - 1]!;
    const zL = trace.zs[sizes.length - 2]!;
    costSum += meanCost(cost, aL, y, size, nL, cost === 'cross-entropy' ? zL : undefined) * size;
    for (let r = 0; r < size; r++) {
      let best = 0;
      for (let j = 1; j < nL; j++) if (aL[r * nL + j]! > aL[r * nL + best]!) best = j;
      const label = data.labels[start + r]!;
      confusion[label]![best]!++;
      if (best === label) correct++;
    }
  }
  return {
    count: data.count,
    correct,
    accuracy: correct / data.count,
    cost: costSum / data.count,
    confusion,
  };
}
