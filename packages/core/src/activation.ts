import type { Activation } from './spec.js';

/** σ(x) = 1/(1+e^{−x}) (clause `act.sigmoid`). Saturates to 0 or 1, never NaN, for finite x. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** σ′(x) = σ(x)(1−σ(x)) (clause `act.sigmoid`). */
export function sigmoidPrime(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

/** ReLU(x) = max(0, x) (clause `act.relu`). */
export function relu(x: number): number {
  return Math.max(0, x);
}

/** ReLU′(x): 1 for x > 0, else 0 (the subgradient 0 is taken at x = 0). */
export function reluPrime(x: number): number {
  return x > 0 ? 1 : 0;
}

/** The identity activation: with it every depth collapses to one affine map (clause `lin.collapse`). */
export function identity(x: number): number {
  return x;
}

/** The identity's derivative, 1 everywhere. */
export function identityPrime(_x: number): number {
  return 1;
}

/** An activation function and its derivative, element by element. */
export interface ActivationFunctions {
  /** σ(x). */
  readonly f: (x: number) => number;
  /** σ′(x). */
  readonly prime: (x: number) => number;
}

/** The scalar σ and σ′ of each activation name. */
export const activations: Readonly<Record<Activation, ActivationFunctions>> = Object.freeze({
  sigmoid: { f: sigmoid, prime: sigmoidPrime },
  relu: { f: relu, prime: reluPrime },
  identity: { f: identity, prime: identityPrime },
});

/** The activation names, for flags and validation. */
export const ACTIVATIONS: readonly Activation[] = Object.freeze(['sigmoid', 'relu', 'identity']);

/** a = σ(z) element-wise over the first `length` entries (clause `fwd.act`). */
export function activate(act: Activation, z: Float64Array, a: Float64Array, length: number): void {
  switch (act) {
    case 'sigmoid':
      for (let i = 0; i < length; i++) a[i] = 1 / (1 + Math.exp(-z[i]!)); // act.sigmoid
      return;
    case 'relu':
      for (let i = 0; i < length; i++) a[i] = Math.max(0, z[i]!); // act.relu
      return;
    case 'identity':
      for (let i = 0; i < length; i++) a[i] = z[i]!;
      return;
  }
}

/**
 * out ⊙= σ′(z) element-wise over the first `length` entries, where `a = σ(z)` was computed by
 * the forward pass. Sigmoid uses σ′ = a(1 − a), which is σ′(z) exactly (a is σ(z)), without a
 * second exponential.
 */
export function multiplyByPrime(
  act: Activation,
  z: Float64Array,
  a: Float64Array,
  out: Float64Array,
  length: number,
): void {
  switch (act) {
    case 'sigmoid':
      for (let i = 0; i < length; i++) out[i] = out[i]! * (a[i]! * (1 - a[i]!)); // act.sigmoid: σ′ = σ(1 − σ)
      return;
    case 'relu':
      for (let i = 0; i < length; i++) if (!(z[i]! > 0)) out[i] = 0; // act.relu: derivative 0 for z ≤ 0, else 1
      return;
    case 'identity':
      return;
  }
}

/**
 * Row-wise softmax (clause `act.softmax`): a_j = e^{z_j} / Σ_k e^{z_k} for each of `rows` rows of
 * `cols` entries. The row maximum is subtracted first so that no exponential overflows.
 */
export function softmaxRows(z: Float64Array, a: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) if (z[o + j]! > max) max = z[o + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(z[o + j]! - max);
      a[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) a[o + j] = a[o + j]! / sum; // act.softmax
  }
}

/** Softmax of one vector, allocating the result. */
export function softmax(z: ArrayLike<number>): Float64Array {
  const zz = Float64Array.from(z);
  const a = new Float64Array(zz.length);
  softmaxRows(zz, a, 1, zz.length);
  return a;
}
