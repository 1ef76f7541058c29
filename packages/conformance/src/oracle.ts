/**
 * The conformance suite's own float64 formulas, written independently of @backprop/core so that
 * a fault in the reference (or in a mutant wrapping it) is never shared by the check.
 */
import type { Activation, Cost } from '@backprop/core';

/** act.sigmoid: σ(x) = 1/(1+e^{−x}), evaluated without overflow for either sign. */
export function sigma(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** act.sigmoid: σ′(x) = σ(x)(1−σ(x)) = e^{−|x|}/(1+e^{−|x|})², accurate even where σ(x) rounds to 1. */
export function sigmaPrime(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return e / ((1 + e) * (1 + e));
}

/** σ(x) for each activation name; act.relu: max(0, x). */
export function act(a: Activation, x: number): number {
  switch (a) {
    case 'sigmoid':
      return sigma(x);
    case 'relu':
      return Math.max(0, x);
    case 'identity':
      return x;
  }
}

/** σ′(x) for each activation name; act.relu: 1 for x > 0, 0 for x ≤ 0 (0 at the kink, by convention). */
export function actPrime(a: Activation, x: number): number {
  switch (a) {
    case 'sigmoid':
      return sigmaPrime(x);
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'identity':
      return 1;
  }
}

/** act.softmax of `n` entries of `z` from `offset`, with the maximum subtracted. */
export function softmaxRow(z: ArrayLike<number>, offset: number, n: number): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, z[offset + j]!);
  const out = new Float64Array(n);
  let s = 0;
  for (let j = 0; j < n; j++) {
    out[j] = Math.exp(z[offset + j]! - max);
    s += out[j]!;
  }
  for (let j = 0; j < n; j++) out[j] = out[j]! / s;
  return out;
}

/** ln Σ_j e^{z_j} of one row, stably. */
export function logSumExp(z: ArrayLike<number>, offset: number, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, z[offset + j]!);
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(z[offset + j]! - max);
  return max + Math.log(s);
}

/** The cost of one example and a bound on its rounding (Σ|terms|). */
export interface CostTerm {
  readonly value: number;
  readonly magnitude: number;
}

/**
 * cost.quadratic C_x = ½Σ(a−y)², cost.squared-error C_x = Σ(a−y)², cost.cross-entropy
 * C_x = −Σ y_j ln softmax(z)_j (from z^L, so it stays finite where a_j underflows).
 */
export function exampleCost(
  cost: Cost,
  a: ArrayLike<number>,
  y: ArrayLike<number>,
  z: ArrayLike<number>,
  offset: number,
  n: number,
): CostTerm {
  let value = 0;
  let magnitude = 0;
  switch (cost) {
    case 'quadratic':
    case 'squared-error': {
      const c = cost === 'quadratic' ? 0.5 : 1; // ½ in Nielsen's quadratic cost, 1 in the video's
      for (let j = 0; j < n; j++) {
        const d = a[offset + j]! - y[offset + j]!;
        value += c * d * d;
        const s = Math.abs(a[offset + j]!) + Math.abs(y[offset + j]!);
        magnitude += c * s * s;
      }
      return { value, magnitude };
    }
    case 'cross-entropy': {
      const lse = logSumExp(z, offset, n);
      for (let j = 0; j < n; j++) {
        const yj = y[offset + j]!;
        if (yj === 0) continue;
        value -= yj * (z[offset + j]! - lse);
        magnitude += Math.abs(yj) * (Math.abs(z[offset + j]!) + Math.abs(lse));
      }
      return { value, magnitude };
    }
  }
}

/**
 * ∂C_x/∂a^L_j for the quadratic (a − y) and squared-error (2(a − y)) costs, and the size of its
 * terms. Cross-entropy has no separate factor: with softmax, δ^L = a − y directly (bp1).
 */
export function costGradFactor(cost: Cost): number {
  return cost === 'squared-error' ? 2 : 1;
}

/** Σ_l n_l (n_{l−1} + 1), the number of weights and biases (net.shape). */
export function expectedParameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += sizes[l]! * sizes[l - 1]! + sizes[l]!;
  return n;
}
