import type { Cost } from './spec.js';

/** The cost names, for flags and validation. */
export const COSTS: readonly Cost[] = Object.freeze(['quadratic', 'squared-error', 'cross-entropy']);

/**
 * ln softmax(z)_j = z_j − max − ln Σ_k e^{z_k − max}, without forming the softmax, so the
 * cross-entropy of a confident wrong answer is large but finite.
 */
function logSoftmaxAt(z: ArrayLike<number>, offset: number, n: number, j: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) if (z[offset + k]! > max) max = z[offset + k]!;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.exp(z[offset + k]! - max);
  return z[offset + j]! - max - Math.log(sum);
}

function exampleCost(
  cost: Cost,
  a: ArrayLike<number>,
  y: ArrayLike<number>,
  offset: number,
  n: number,
  z: ArrayLike<number> | undefined,
): number {
  let c = 0;
  switch (cost) {
    case 'quadratic': // cost.quadratic: C_x = ½ Σ_j (a_j − y_j)²
      for (let j = 0; j < n; j++) {
        const d = a[offset + j]! - y[offset + j]!;
        c += d * d;
      }
      return 0.5 * c;
    case 'squared-error': // cost.squared-error: C_x = Σ_j (a_j − y_j)²
      for (let j = 0; j < n; j++) {
        const d = a[offset + j]! - y[offset + j]!;
        c += d * d;
      }
      return c;
    case 'cross-entropy': // cost.cross-entropy: C_x = −Σ_j y_j ln a_j, a = softmax(z)
      for (let j = 0; j < n; j++) {
        const yj = y[offset + j]!;
        if (yj === 0) continue; // 0 · ln 0 is taken as 0
        c -= yj * (z ? logSoftmaxAt(z, offset, n, j) : Math.log(a[offset + j]!));
      }
      return c;
  }
}

/**
 * The cost C_x of one example (clause `cost.*`) from the output activation `a` = a^L and the
 * target `y`. For cross-entropy pass the output's `z` = z^L too, to evaluate ln softmax(z)
 * stably; without it ln a is used (infinite when a_j underflowed to 0).
 */
export function costValue(
  cost: Cost,
  a: ArrayLike<number>,
  y: ArrayLike<number>,
  z?: ArrayLike<number>,
): number {
  if (a.length !== y.length)
    throw new RangeError(`costValue: output has ${a.length} entries but the target has ${y.length}`);
  return exampleCost(cost, a, y, 0, a.length, z);
}

/**
 * The cost of a batch: the mean of C_x over `size` rows of `n` outputs (clause `cost.*`:
 * the cost of a set is the mean over its examples).
 */
export function meanCost(
  cost: Cost,
  a: Float64Array,
  y: Float64Array,
  size: number,
  n: number,
  z?: Float64Array,
): number {
  let sum = 0;
  for (let r = 0; r < size; r++) sum += exampleCost(cost, a, y, r * n, n, z);
  return sum / size; // cost.mean: the cost of a set is the mean over its examples
}

/**
 * ∇_a C_x written into `out`: a − y (quadratic), 2(a − y) (squared error), −y/a
 * (cross-entropy, with respect to the softmax output). Combined with softmax, the
 * cross-entropy's δ^L is simply a − y; see {@link batchCostGradient}.
 */
export function costGradient(
  cost: Cost,
  a: ArrayLike<number>,
  y: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  const n = a.length;
  switch (cost) {
    case 'quadratic':
      for (let j = 0; j < n; j++) out[j] = a[j]! - y[j]!;
      break;
    case 'squared-error':
      for (let j = 0; j < n; j++) out[j] = 2 * (a[j]! - y[j]!);
      break;
    case 'cross-entropy':
      for (let j = 0; j < n; j++) out[j] = y[j]! === 0 ? 0 : -y[j]! / a[j]!;
      break;
  }
  return out;
}

/**
 * ∇_a C over the first `length` entries of a batch, into `out`. For cross-entropy this writes
 * a − y, which is already δ^L (the softmax Jacobian times −y/a); the caller must then skip σ′.
 */
export function batchCostGradient(
  cost: Cost,
  a: Float64Array,
  y: Float64Array,
  out: Float64Array,
  length: number,
): void {
  switch (cost) {
    case 'quadratic':
    case 'cross-entropy':
      for (let i = 0; i < length; i++) out[i] = a[i]! - y[i]!;
      return;
    case 'squared-error':
      for (let i = 0; i < length; i++) out[i] = 2 * (a[i]! - y[i]!);
      return;
  }
}
