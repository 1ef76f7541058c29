import type { Params } from '@backprop/core';
import type { DataSet } from '@backprop/data';

/**
 * The affine map x ↦ W x + b with the least quadratic cost ½ mean ‖W x + b − y‖² over a data
 * set (ridge-regularised by λ‖W‖² so that never-lit pixels do not make the system singular).
 * Every network with the identity activation computes an affine map (clause `lin.collapse`),
 * so none of them, at any depth, can reach a lower training cost than the unregularised one.
 *
 * Normal equations: (XᵀX + λI) Θ = XᵀY with x augmented by a constant 1 for the bias (λ is not
 * applied to the bias), solved by Cholesky. XᵀX is accumulated over each image's lit pixels only.
 */
export function leastSquaresAffine(data: DataSet, ridge: number): Params {
  const n = data.inputSize;
  const k = data.classes;
  const m = n + 1; // pixels and the constant 1
  const G = new Float64Array(m * m); // XᵀX, upper triangle filled
  const R = new Float64Array(m * k); // XᵀY
  const idx = new Int32Array(m);
  const val = new Float64Array(m);
  for (let e = 0; e < data.count; e++) {
    let nz = 0;
    for (let i = 0; i < n; i++) {
      const v = data.features[e * n + i]! * data.featureScale;
      if (v !== 0) {
        idx[nz] = i;
        val[nz++] = v;
      }
    }
    idx[nz] = n;
    val[nz++] = 1;
    const label = data.labels[e]!;
    for (let a = 0; a < nz; a++) {
      const ia = idx[a]!;
      const va = val[a]!;
      R[ia * k + label]! += va;
      for (let b = a; b < nz; b++) G[ia * m + idx[b]!]! += va * val[b]!;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) G[i * m + j] = G[j * m + i]!;
  for (let i = 0; i < n; i++) G[i * m + i]! += ridge * data.count; // λ per example, as the cost is a mean
  // Cholesky G = L Lᵀ in place (lower triangle).
  for (let j = 0; j < m; j++) {
    let d = G[j * m + j]!;
    for (let p = 0; p < j; p++) d -= G[j * m + p]! ** 2;
    if (!(d > 0))
      throw new RangeError(`the normal equations are not positive definite at ${j}; use a larger ridge`);
    const ljj = Math.sqrt(d);
    G[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = G[i * m + j]!;
      for (let p = 0; p < j; p++) s -= G[i * m + p]! * G[j * m + p]!;
      G[i * m + j] = s / ljj;
    }
  }
  // Solve L Z = R, then Lᵀ Θ = Z, for each class column.
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < m; i++) {
      let s = R[i * k + c]!;
      for (let p = 0; p < i; p++) s -= G[i * m + p]! * R[p * k + c]!;
      R[i * k + c] = s / G[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = R[i * k + c]!;
      for (let p = i + 1; p < m; p++) s -= G[p * m + i]! * R[p * k + c]!;
      R[i * k + c] = s / G[i * m + i]!;
    }
  }
  const W = new Float64Array(k * n);
  const b = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) W[c * n + i] = R[i * k + c]!;
    b[c] = R[n * k + c]!;
  }
  return { weights: [W], biases: [b] };
}
