import { type Backend, batchOf, epochSeed } from '@backprop/core';
import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import type { ProgressFn } from './progress.js';

/** Options of {@link sgdWithProbes}. */
export interface ProbedSgdOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  /** Shuffle seed: epoch e uses `epochSeed(seed, e)`, as `train` does, so runs see the same batches. */
  readonly seed: number;
  /** Call `probe` before the first step, after each step s with `probeAt(s)`, and after the last step. */
  readonly probeAt: (step: number) => boolean;
  /** Measure something about the network at `step` (steps done so far); awaited, so it may use the backend. */
  readonly probe: (step: number, epoch: number) => Promise<void>;
  readonly label?: string;
  readonly progress?: ProgressFn;
}

/** What {@link sgdWithProbes} did. */
export interface ProbedSgdResult {
  /** Each step's mini-batch cost, before the step. */
  readonly costs: Float64Array;
  /** Seconds of SGD steps (probes excluded). */
  readonly sgdSeconds: number;
}

/**
 * Mini-batch SGD written out (clause `sgd.epoch`: a seeded shuffle per epoch, every example
 * once) so that the loop can stop between steps and await a measurement, which the
 * callbacks of `train` cannot. The batches are the ones `train` would draw from the same seed.
 */
export async function sgdWithProbes(
  backend: Backend,
  data: DataSet,
  options: ProbedSgdOptions,
): Promise<ProbedSgdResult> {
  const { epochs, batchSize, eta, probeAt } = options;
  const n0 = backend.spec.sizes[0]!;
  const nL = backend.spec.sizes[backend.spec.sizes.length - 1]!;
  const perEpoch = Math.ceil(data.count / batchSize);
  const costs = new Float64Array(epochs * perEpoch);
  const x = new Float64Array(batchSize * n0);
  const y = new Float64Array(batchSize * nL);
  const sgd = { eta };
  let step = 0;
  let sgdMs = 0;
  await options.probe(0, 0);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const indices of epochBatches(data.count, batchSize, epochSeed(options.seed, epoch), 'keep')) {
      fillInputs(data, indices, x);
      fillTargets(data, indices, y);
      const t = performance.now();
      const batch = batchOf(indices.length, x, y, n0, nL); // exactly its rows, the last batch too
      const cost = await backend.step(batch, sgd); // sgd.step
      sgdMs += performance.now() - t;
      if (!Number.isFinite(cost))
        throw new Error(
          `${options.label ?? 'training'}: the cost became ${cost} at step ${step + 1} with η = ${eta}; use a smaller η`,
        );
      costs[step++] = cost;
      if (step < costs.length && probeAt(step)) await options.probe(step, epoch);
      options.progress?.(options.label ?? 'training', step, costs.length);
    }
  }
  await options.probe(step, epochs);
  return { costs, sgdSeconds: sgdMs / 1000 };
}
