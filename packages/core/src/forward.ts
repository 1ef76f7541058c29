import type { ForwardTrace } from './backend.js';
import { activateRows, affine } from './kernels.js';
import { indexNonZeros } from './sparse-input.js';
import type { NetworkSpec, Params } from './spec.js';
import { Workspace } from './workspace.js';

/** Where the forward pass finds the batch's inputs. */
export interface ForwardOptions {
  /**
   * `'dense'` (the default): the m rows of `x`, whose non-zero entries are first copied to
   * `ws.input`; `'indexed'`: `ws.input` already holds them (see `indexRows`) and `x` is not read.
   */
  readonly inputs?: 'dense' | 'indexed';
}

/**
 * The forward pass over a mini-batch of m examples in matrix form, rows being examples (Z^l and
 * A^l are m × n_l, A^0 = X): for l = 1..L, Z^l = A^{l−1} (W^l)ᵀ + 1 (b^l)ᵀ and A^l = σ(Z^l), with
 * softmax for the output layer under cross-entropy. `weights[l−1]` is W^l; the results are left
 * in `ws.Z` and `ws.A`.
 */
export function forwardInto(
  spec: NetworkSpec,
  params: Params,
  x: Float64Array,
  m: number,
  ws: Workspace,
  options: ForwardOptions = {},
): void {
  const L = spec.sizes.length - 1;
  const { weights: W, biases: b } = params;
  const { Z, A } = ws;
  const output = spec.cost === 'cross-entropy' ? 'softmax' : spec.activation; // act.softmax under cross-entropy
  if (options.inputs !== 'indexed') indexNonZeros(x, m, ws.input);
  for (let l = 1; l <= L; l++) {
    affine(Z[l], ws.inputOf[l], W[l - 1], b[l - 1], m); // fwd.affine: Z^l = A^{l−1} (W^l)ᵀ + 1 (b^l)ᵀ
    activateRows(A[l], l < L ? spec.activation : output, Z[l], m); // fwd.act: A^l = σ(Z^l)
  }
}

/** Copy the workspace's Z^l and A^l for m rows into a fresh trace (A^0 is a copy of x). */
export function traceOf(spec: NetworkSpec, x: Float64Array, m: number, ws: Workspace): ForwardTrace {
  const { sizes } = spec;
  const zs: Float64Array[] = [];
  const activations: Float64Array[] = [x.slice(0, m * sizes[0]!)];
  for (let l = 1; l < sizes.length; l++) {
    zs.push(ws.Z[l]!.values.slice(0, m * sizes[l]!));
    activations.push(ws.A[l]!.values.slice(0, m * sizes[l]!));
  }
  return { zs, activations };
}

/** The forward pass as a pure function: every Z^l and A^l for m rows of `x`. */
export function forward(spec: NetworkSpec, params: Params, x: Float64Array, m: number): ForwardTrace {
  const ws = new Workspace(spec, m);
  forwardInto(spec, params, x, m, ws);
  return traceOf(spec, x, m, ws);
}
