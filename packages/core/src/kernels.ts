import { activate, multiplyByPrime, softmaxRows } from './activation.js';
import { batchCostGradient } from './cost.js';
import type { SparseRows } from './sparse-input.js';
import type { Activation, Cost, Gradients, Params } from './spec.js';

// The matrix operations the equations in forward.ts and backprop.ts call, over the first m rows
// of row-major matrices (rows are examples). They are written for V8's scalar code: several
// neurons at a time (eight or four "lanes"), so that each input is loaded once for several rows
// of W and independent sums hide the latency of the additions. Every sum still adds the same
// terms in the same order as the textbook loop (test/kernels.test.ts checks this bit for bit),
// so a lane count is a matter of speed only.
//
// Names: a weight matrix W is nj × nk (w_jk joins input k to neuron j); `nj` and `nk` are its
// row and column counts.

/** An m × cols matrix held densely, row-major; a buffer may hold more rows than are in use. */
export class DenseRows {
  /** Tells the kernels which representation they are handed. */
  readonly kind = 'dense' as const;
  /** The entries, row r's at `values[r·cols .. r·cols + cols − 1]`. */
  readonly values: Float64Array;
  /** Columns of a row. */
  readonly cols: number;

  /** Room for `capacity` rows of `cols` entries. */
  constructor(capacity: number, cols: number) {
    this.values = new Float64Array(capacity * cols);
    this.cols = cols;
  }
}

/** A layer's input rows A^{l−1} as a kernel reads them: dense, or only their non-zero entries. */
export type Rows = DenseRows | SparseRows;

/**
 * Z ← A Wᵀ + 1 bᵀ (clause `fwd.affine`, rows are examples): z_rj = Σ_k a_rk w_jk + b_j, each sum
 * over k in increasing order. A sparse A visits only its non-zero entries.
 */
export function affine(Z: DenseRows, A: Rows, W: Float64Array, b: Float64Array, m: number): DenseRows {
  return A.kind === 'sparse' ? affineSparse(Z, A, W, b, m) : affineDense(Z, A, W, b, m);
}

/** {@link affine} for dense rows: eight neurons j at a time, then four, then one. */
function affineDense(Z: DenseRows, A: DenseRows, W: Float64Array, b: Float64Array, m: number): DenseRows {
  const { values: z, cols: nj } = Z;
  const { values: a, cols: nk } = A;
  for (let r = 0; r < m; r++) {
    const ao = r * nk;
    const zo = r * nj;
    let j = 0;
    for (; j + 7 < nj; j += 8) {
      const w0 = j * nk;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let k = 0; k < nk; k++) {
        const v = a[ao + k]!;
        const w = w0 + k;
        s0 += W[w]! * v;
        s1 += W[w + nk]! * v;
        s2 += W[w + 2 * nk]! * v;
        s3 += W[w + 3 * nk]! * v;
        s4 += W[w + 4 * nk]! * v;
        s5 += W[w + 5 * nk]! * v;
        s6 += W[w + 6 * nk]! * v;
        s7 += W[w + 7 * nk]! * v;
      }
      z[zo + j] = s0 + b[j]!;
      z[zo + j + 1] = s1 + b[j + 1]!;
      z[zo + j + 2] = s2 + b[j + 2]!;
      z[zo + j + 3] = s3 + b[j + 3]!;
      z[zo + j + 4] = s4 + b[j + 4]!;
      z[zo + j + 5] = s5 + b[j + 5]!;
      z[zo + j + 6] = s6 + b[j + 6]!;
      z[zo + j + 7] = s7 + b[j + 7]!;
    }
    for (; j + 3 < nj; j += 4) {
      const w0 = j * nk;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < nk; k++) {
        const v = a[ao + k]!;
        const w = w0 + k;
        s0 += W[w]! * v;
        s1 += W[w + nk]! * v;
        s2 += W[w + 2 * nk]! * v;
        s3 += W[w + 3 * nk]! * v;
      }
      z[zo + j] = s0 + b[j]!;
      z[zo + j + 1] = s1 + b[j + 1]!;
      z[zo + j + 2] = s2 + b[j + 2]!;
      z[zo + j + 3] = s3 + b[j + 3]!;
    }
    for (; j < nj; j++) {
      const w0 = j * nk;
      let s = 0;
      for (let k = 0; k < nk; k++) s += W[w0 + k]! * a[ao + k]!;
      z[zo + j] = s + b[j]!;
    }
  }
  return Z;
}

/** {@link affine} over each row's non-zero inputs: eight neurons j at a time share each (k, a_rk). */
function affineSparse(Z: DenseRows, A: SparseRows, W: Float64Array, b: Float64Array, m: number): DenseRows {
  const { values: z, cols: nj } = Z;
  const { start, index, value, cols: nk } = A;
  for (let r = 0; r < m; r++) {
    const t0 = start[r]!;
    const t1 = start[r + 1]!;
    const zo = r * nj;
    let j = 0;
    for (; j + 7 < nj; j += 8) {
      const w0 = j * nk;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let t = t0; t < t1; t++) {
        const w = w0 + index[t]!;
        const v = value[t]!;
        s0 += W[w]! * v;
        s1 += W[w + nk]! * v;
        s2 += W[w + 2 * nk]! * v;
        s3 += W[w + 3 * nk]! * v;
        s4 += W[w + 4 * nk]! * v;
        s5 += W[w + 5 * nk]! * v;
        s6 += W[w + 6 * nk]! * v;
        s7 += W[w + 7 * nk]! * v;
      }
      z[zo + j] = s0 + b[j]!;
      z[zo + j + 1] = s1 + b[j + 1]!;
      z[zo + j + 2] = s2 + b[j + 2]!;
      z[zo + j + 3] = s3 + b[j + 3]!;
      z[zo + j + 4] = s4 + b[j + 4]!;
      z[zo + j + 5] = s5 + b[j + 5]!;
      z[zo + j + 6] = s6 + b[j + 6]!;
      z[zo + j + 7] = s7 + b[j + 7]!;
    }
    for (; j + 3 < nj; j += 4) {
      const w0 = j * nk;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = t0; t < t1; t++) {
        const w = w0 + index[t]!;
        const v = value[t]!;
        s0 += W[w]! * v;
        s1 += W[w + nk]! * v;
        s2 += W[w + 2 * nk]! * v;
        s3 += W[w + 3 * nk]! * v;
      }
      z[zo + j] = s0 + b[j]!;
      z[zo + j + 1] = s1 + b[j + 1]!;
      z[zo + j + 2] = s2 + b[j + 2]!;
      z[zo + j + 3] = s3 + b[j + 3]!;
    }
    for (; j < nj; j++) {
      const w0 = j * nk;
      let s = 0;
      for (let t = t0; t < t1; t++) s += W[w0 + index[t]!]! * value[t]!;
      z[zo + j] = s + b[j]!;
    }
  }
  return Z;
}

/**
 * A ← f(Z) element by element (clause `fwd.act`), or row by row for `'softmax'` (clause
 * `act.softmax`, the output layer under cross-entropy).
 */
export function activateRows(A: DenseRows, f: Activation | 'softmax', Z: DenseRows, m: number): DenseRows {
  if (f === 'softmax') softmaxRows(Z.values, A.values, m, A.cols);
  else activate(f, Z.values, A.values, m * A.cols);
  return A;
}

/** X ← X ⊙ σ′(Z), where A = σ(Z) is the forward pass's (see `multiplyByPrime`). */
export function timesPrime(X: DenseRows, act: Activation, Z: DenseRows, A: DenseRows, m: number): DenseRows {
  multiplyByPrime(act, Z.values, A.values, X.values, m * X.cols);
  return X;
}

/**
 * D ← ∇_A C ⊙ σ′(Z) for the output layer (clause `bp1`). Under cross-entropy the output is
 * softmax(Z) and the product collapses to A − Y, which is what `batchCostGradient` writes.
 */
export function outputError(
  D: DenseRows,
  cost: Cost,
  act: Activation,
  A: DenseRows,
  Z: DenseRows,
  Y: Float64Array,
  m: number,
): DenseRows {
  batchCostGradient(cost, A.values, Y, D.values, m * D.cols);
  return cost === 'cross-entropy' ? D : timesPrime(D, act, Z, A, m);
}

/**
 * P ← D W (the back-propagated error of clause `bp2`, before ⊙σ′): p_rk = Σ_j d_rj w_jk, each
 * sum over j in increasing order, four columns k at a time so that four independent sums hide
 * the additions' latency.
 */
export function times(P: DenseRows, D: DenseRows, W: Float64Array, m: number): DenseRows {
  const { values: p, cols: nk } = P;
  const { values: d, cols: nj } = D;
  for (let r = 0; r < m; r++) {
    const po = r * nk;
    const dro = r * nj;
    let k = 0;
    for (; k + 3 < nk; k += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < nj; j++) {
        const dj = d[dro + j]!;
        const w = j * nk + k;
        s0 += dj * W[w]!;
        s1 += dj * W[w + 1]!;
        s2 += dj * W[w + 2]!;
        s3 += dj * W[w + 3]!;
      }
      p[po + k] = s0;
      p[po + k + 1] = s1;
      p[po + k + 2] = s2;
      p[po + k + 3] = s3;
    }
    for (; k < nk; k++) {
      let s = 0;
      for (let j = 0; j < nj; j++) s += d[dro + j]! * W[j * nk + k]!;
      p[po + k] = s;
    }
  }
  return P;
}

/** g ← 1ᵀ D, the sum of the first m rows (clause `bp3` before grad.mean): g_j = Σ_r d_rj in row order. */
export function columnSums(g: Float64Array, D: DenseRows, m: number): Float64Array {
  const { values: d, cols: nj } = D;
  g.fill(0);
  for (let r = 0; r < m; r++) for (let j = 0; j < nj; j++) g[j] = g[j]! + d[r * nj + j]!;
  return g;
}

/**
 * G ← Dᵀ A (clause `bp4` before grad.mean): g_jk = Σ_r d_rj a_rk, each sum over the rows r in
 * order ("activation in times error out", summed over the batch). A sparse A visits only its
 * non-zero entries.
 */
export function transposeTimes(G: Float64Array, D: DenseRows, A: Rows, m: number): Float64Array {
  G.fill(0);
  return A.kind === 'sparse' ? transposeTimesSparse(G, D, A, m) : transposeTimesDense(G, D, A, m);
}

/** Adds Dᵀ A to G for dense rows: four neurons j at a time share each a_rk. */
function transposeTimesDense(G: Float64Array, D: DenseRows, A: DenseRows, m: number): Float64Array {
  const { values: d, cols: nj } = D;
  const { values: a, cols: nk } = A;
  for (let r = 0; r < m; r++) {
    const ao = r * nk;
    const dro = r * nj;
    let j = 0;
    for (; j + 3 < nj; j += 4) {
      const d0 = d[dro + j]!;
      const d1 = d[dro + j + 1]!;
      const d2 = d[dro + j + 2]!;
      const d3 = d[dro + j + 3]!;
      const w0 = j * nk;
      for (let k = 0; k < nk; k++) {
        const v = a[ao + k]!;
        const w = w0 + k;
        G[w] += d0 * v;
        G[w + nk] += d1 * v;
        G[w + 2 * nk] += d2 * v;
        G[w + 3 * nk] += d3 * v;
      }
    }
    for (; j < nj; j++) {
      const dj = d[dro + j]!;
      const w0 = j * nk;
      for (let k = 0; k < nk; k++) G[w0 + k] += dj * a[ao + k]!;
    }
  }
  return G;
}

/** Adds Dᵀ A to G over each row's non-zero inputs: eight neurons j at a time share each (k, a_rk). */
function transposeTimesSparse(G: Float64Array, D: DenseRows, A: SparseRows, m: number): Float64Array {
  const { values: d, cols: nj } = D;
  const { start, index, value, cols: nk } = A;
  for (let r = 0; r < m; r++) {
    const t0 = start[r]!;
    const t1 = start[r + 1]!;
    const dro = r * nj;
    let j = 0;
    for (; j + 7 < nj; j += 8) {
      const d0 = d[dro + j]!;
      const d1 = d[dro + j + 1]!;
      const d2 = d[dro + j + 2]!;
      const d3 = d[dro + j + 3]!;
      const d4 = d[dro + j + 4]!;
      const d5 = d[dro + j + 5]!;
      const d6 = d[dro + j + 6]!;
      const d7 = d[dro + j + 7]!;
      const w0 = j * nk;
      for (let t = t0; t < t1; t++) {
        const w = w0 + index[t]!;
        const v = value[t]!;
        G[w] += d0 * v;
        G[w + nk] += d1 * v;
        G[w + 2 * nk] += d2 * v;
        G[w + 3 * nk] += d3 * v;
        G[w + 4 * nk] += d4 * v;
        G[w + 5 * nk] += d5 * v;
        G[w + 6 * nk] += d6 * v;
        G[w + 7 * nk] += d7 * v;
      }
    }
    for (; j + 3 < nj; j += 4) {
      const d0 = d[dro + j]!;
      const d1 = d[dro + j + 1]!;
      const d2 = d[dro + j + 2]!;
      const d3 = d[dro + j + 3]!;
      const w0 = j * nk;
      for (let t = t0; t < t1; t++) {
        const w = w0 + index[t]!;
        const v = value[t]!;
        G[w] += d0 * v;
        G[w + nk] += d1 * v;
        G[w + 2 * nk] += d2 * v;
        G[w + 3 * nk] += d3 * v;
      }
    }
    for (; j < nj; j++) {
      const dj = d[dro + j]!;
      const w0 = j * nk;
      for (let t = t0; t < t1; t++) G[w0 + index[t]!] += dj * value[t]!;
    }
  }
  return G;
}

/** Every gradient entry times s (grad.mean with s = 1/m): g ← s g. */
export function scale(grads: Gradients, s: number): Gradients {
  for (let l = 0; l < grads.weights.length; l++) {
    scaleArray(grads.weights[l]!, s);
    scaleArray(grads.biases[l]!, s);
  }
  return grads;
}

function scaleArray(g: Float64Array, s: number): void {
  for (let i = 0; i < g.length; i++) g[i] = g[i]! * s;
}

/**
 * grad.mean and plain sgd.step in one pass over each parameter array: g ← g · (1/m), then
 * θ ← θ − η g. The same operations in the same order as {@link scale} followed by `sgdStep`, so
 * the parameters are bit-identical; one pass over the 13,002 parameters instead of two.
 */
export function meanAndStep(params: Params, grads: Gradients, inv: number, eta: number): void {
  for (let l = 0; l < params.weights.length; l++) {
    meanAndStepArray(params.weights[l]!, grads.weights[l]!, inv, eta);
    meanAndStepArray(params.biases[l]!, grads.biases[l]!, inv, eta);
  }
}

function meanAndStepArray(theta: Float64Array, g: Float64Array, inv: number, eta: number): void {
  for (let i = 0; i < theta.length; i++) {
    const gi = g[i]! * inv; // grad.mean
    g[i] = gi;
    theta[i] = theta[i]! - eta * gi; // sgd.step: θ' = θ − η∇C
  }
}
