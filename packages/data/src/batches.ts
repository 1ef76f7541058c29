import { Rng } from './rng.js';

/**
 * What to do with the last mini-batch of an epoch when the batch size does not divide the
 * number of examples: `keep` it smaller (every example is seen once, as in network.py), or
 * `drop` it (every step has the same size; the dropped examples differ each epoch).
 */
export type LastBatchPolicy = 'keep' | 'drop';

/**
 * The mini-batches of one epoch (clause `sgd.epoch`): a seeded permutation of
 * `0..count-1` cut into consecutive slices of `batchSize`. The slices are views of one
 * permutation, so together they cover every example exactly once (under `keep`).
 */
export function epochBatches(
  count: number,
  batchSize: number,
  seed: number,
  policy: LastBatchPolicy = 'keep',
): Uint32Array[] {
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  if (batchSize > count) throw new RangeError(`batch size ${batchSize} is larger than the ${count} examples`);
  const order = new Rng(seed).permutation(count);
  const batches: Uint32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (end - start < batchSize && policy === 'drop') break;
    batches.push(order.subarray(start, end));
  }
  return batches;
}
