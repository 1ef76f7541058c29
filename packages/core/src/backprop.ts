import type { BackpropTrace, Batch } from './backend.js';
import { meanCost } from './cost.js';
import { type ForwardOptions, forwardInto, traceOf } from './forward.js';
import { columnSums, outputError, scale, times, timesPrime, transposeTimes } from './kernels.js';
import type { NetworkSpec, Params } from './spec.js';
import { Workspace } from './workspace.js';

/** How {@link backpropInto} reads the inputs and whether it takes the mean. */
export interface BackpropOptions extends ForwardOptions {
  /**
   * Apply grad.mean's 1/m (the default). False leaves the gradients as sums over the batch, for
   * a caller that applies the 1/m itself in the same pass as the update (the reference's epoch loop).
   */
  readonly mean?: boolean;
}

/**
 * The forward pass, then backpropagation as the four equations in matrix form over a mini-batch
 * of m examples, rows being examples (Δ^l is m × n_l, like Z^l and A^l):
 *
 * - BP1  Δ^L = ∇_A C ⊙ σ′(Z^L)                 (cross-entropy + softmax: Δ^L = A^L − Y)
 * - BP2  Δ^l = (Δ^{l+1} W^{l+1}) ⊙ σ′(Z^l)      for l = L−1 … 1
 * - BP3  ∂C/∂b^l = (1/m) 1ᵀ Δ^l                  (the sum of the rows)
 * - BP4  ∂C/∂W^l = (1/m) (Δ^l)ᵀ A^{l−1}
 *
 * The 1/m is clause `grad.mean`: the batch gradient is the mean of the per-example gradients.
 * `weights[l−1]` is W^l. Results are left in the workspace (`D`, `gradW`, `gradB`); returns the
 * batch's mean cost.
 */
export function backpropInto(
  spec: NetworkSpec,
  params: Params,
  batch: Batch,
  ws: Workspace,
  options: BackpropOptions = {},
): number {
  const { sizes, activation: act } = spec;
  const L = sizes.length - 1;
  const { size: m, y: Y } = batch;
  const W = params.weights;
  const { Z, A, D, gradW, gradB } = ws;
  forwardInto(spec, params, batch.x, m, ws, options);
  const z = spec.cost === 'cross-entropy' ? Z[L].values : undefined; // for a stable ln softmax
  const cost = meanCost(spec.cost, A[L].values, Y, m, sizes[L], z); // cost.mean

  outputError(D[L], spec.cost, act, A[L], Z[L], Y, m); // bp1: Δ^L = ∇_A C ⊙ σ′(Z^L)
  for (let l = L - 1; l >= 1; l--) timesPrime(times(D[l], D[l + 1], W[l], m), act, Z[l], A[l], m); // bp2: Δ^l = (Δ^{l+1} W^{l+1}) ⊙ σ′(Z^l)
  for (let l = 1; l <= L; l++) columnSums(gradB[l - 1], D[l], m); // bp3: ∂C/∂b^l = 1ᵀ Δ^l (× 1/m below)
  for (let l = 1; l <= L; l++) transposeTimes(gradW[l - 1], D[l], ws.inputOf[l], m); // bp4: ∂C/∂W^l = (Δ^l)ᵀ A^{l−1} (× 1/m below)
  if (options.mean ?? true) scale(ws.gradients, 1 / m); // grad.mean: ∇C = (1/m) Σ_x ∇C_x
  return cost;
}

/** Backpropagation as a pure function: the batch's cost, every z^l, a^l, δ^l and both gradients. */
export function backprop(spec: NetworkSpec, params: Params, batch: Batch): BackpropTrace {
  const ws = new Workspace(spec, batch.size);
  return backpropTrace(spec, params, batch, ws);
}

/** Run {@link backpropInto} in `ws` and copy out a trace the caller may keep. */
export function backpropTrace(spec: NetworkSpec, params: Params, batch: Batch, ws: Workspace): BackpropTrace {
  const cost = backpropInto(spec, params, batch, ws);
  const { sizes } = spec;
  const m = batch.size;
  const deltas: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) deltas.push(ws.D[l]!.values.slice(0, m * sizes[l]!));
  return {
    ...traceOf(spec, batch.x, m, ws),
    cost,
    deltas,
    gradients: { weights: ws.gradW.map((g) => g.slice()), biases: ws.gradB.map((g) => g.slice()) },
  };
}
