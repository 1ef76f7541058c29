import type { DataSet } from '@backprop/data';
import { activate, softmaxRows } from './activation.js';
import type { ForwardTrace } from './backend.js';
import type { NetworkSpec, Params } from './spec.js';
import { Workspace } from './workspace.js';

/**
 * Record the non-zero entries of each input row. MNIST images are about 81% zeros, and a zero
 * input contributes exactly nothing to z^1 = W^1 a^0 + b^1 or to ∂C/∂W^1, so the first layer's
 * products visit only these entries. The sums keep their order, so the result is the dense
 * result exactly (for finite weights).
 */
export function indexNonZeros(x: Float64Array, size: number, n0: number, ws: Workspace): void {
  const { nzStart, nzIndex, nzValue } = ws;
  let t = 0;
  for (let r = 0; r < size; r++) {
    nzStart[r] = t;
    const o = r * n0;
    for (let k = 0; k < n0; k++) {
      const v = x[o + k]!;
      if (v !== 0) {
        nzIndex[t] = k;
        nzValue[t] = v;
        t++;
      }
    }
  }
  nzStart[size] = t;
}

/**
 * {@link indexNonZeros} straight from a data set's stored features, for the examples `indices`:
 * the same values `fillInputs` would write (feature × featureScale), without writing the dense
 * rows first. Used by the reference's own epoch loop.
 */
export function indexRows(data: DataSet, indices: ArrayLike<number>, ws: Workspace): void {
  const { nzStart, nzIndex, nzValue } = ws;
  const n0 = data.inputSize;
  const f = data.features;
  const scale = data.featureScale;
  let t = 0;
  for (let r = 0; r < indices.length; r++) {
    nzStart[r] = t;
    const o = indices[r]! * n0;
    for (let k = 0; k < n0; k++) {
      const v = f[o + k]! * scale;
      if (v !== 0) {
        nzIndex[t] = k;
        nzValue[t] = v;
        t++;
      }
    }
  }
  nzStart[indices.length] = t;
}

/**
 * The forward pass over a batch in matrix form: for l = 1..L, Z^l = A^{l−1} (W^l)ᵀ + 1 (b^l)ᵀ
 * and A^l = σ(Z^l) (softmax for the output layer under cross-entropy). Rows are examples.
 * Results are left in `ws.zs` and `ws.as`.
 */
export function forwardInto(
  spec: NetworkSpec,
  params: Params,
  x: Float64Array,
  size: number,
  ws: Workspace,
  /** The rows' non-zero inputs are already in `ws` (see {@link indexRows}); `x` is not read. */
  inputsIndexed = false,
): void {
  const { sizes } = spec;
  const L = sizes.length - 1;
  if (!inputsIndexed) indexNonZeros(x, size, sizes[0]!, ws);
  for (let l = 1; l <= L; l++) {
    const n = sizes[l]!;
    const m = sizes[l - 1]!;
    const W = params.weights[l - 1]!;
    const b = params.biases[l - 1]!;
    const z = ws.zs[l - 1]!;
    if (l === 1) {
      // Sparse rows: z_j = Σ over the row's non-zero inputs k of w_jk x_k, four neurons j at a time
      // so that each (k, x_k) is loaded once for four rows of W. Each sum keeps its k order.
      const { nzStart, nzIndex, nzValue } = ws;
      for (let r = 0; r < size; r++) {
        const t0 = nzStart[r]!;
        const t1 = nzStart[r + 1]!;
        const zo = r * n;
        let j = 0;
        for (; j + 3 < n; j += 4) {
          const w0 = j * m;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let t = t0; t < t1; t++) {
            const k = w0 + nzIndex[t]!;
            const v = nzValue[t]!;
            s0 += W[k]! * v;
            s1 += W[k + m]! * v;
            s2 += W[k + 2 * m]! * v;
            s3 += W[k + 3 * m]! * v;
          }
          z[zo + j] = s0 + b[j]!; // fwd.affine
          z[zo + j + 1] = s1 + b[j + 1]!; // fwd.affine
          z[zo + j + 2] = s2 + b[j + 2]!; // fwd.affine
          z[zo + j + 3] = s3 + b[j + 3]!; // fwd.affine
        }
        for (; j < n; j++) {
          const w0 = j * m;
          let s = 0;
          for (let t = t0; t < t1; t++) s += W[w0 + nzIndex[t]!]! * nzValue[t]!;
          z[zo + j] = s + b[j]!; // fwd.affine
        }
      }
    } else {
      const a = ws.as[l - 1]!;
      for (let r = 0; r < size; r++) {
        const ao = r * m;
        const zo = r * n;
        let j = 0;
        for (; j + 3 < n; j += 4) {
          const w0 = j * m;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let k = 0; k < m; k++) {
            const v = a[ao + k]!;
            const w = w0 + k;
            s0 += W[w]! * v;
            s1 += W[w + m]! * v;
            s2 += W[w + 2 * m]! * v;
            s3 += W[w + 3 * m]! * v;
          }
          z[zo + j] = s0 + b[j]!; // fwd.affine
          z[zo + j + 1] = s1 + b[j + 1]!; // fwd.affine
          z[zo + j + 2] = s2 + b[j + 2]!; // fwd.affine
          z[zo + j + 3] = s3 + b[j + 3]!; // fwd.affine
        }
        for (; j < n; j++) {
          const w0 = j * m;
          let s = 0;
          for (let k = 0; k < m; k++) s += W[w0 + k]! * a[ao + k]!;
          z[zo + j] = s + b[j]!; // fwd.affine
        }
      }
    }
    if (l === L && spec.cost === 'cross-entropy')
      softmaxRows(z, ws.as[l]!, size, n); // act.softmax
    else activate(spec.activation, z, ws.as[l]!, size * n); // fwd.act
  }
}

/** Copy the workspace's z^l and a^l for `size` rows into a fresh trace (a^0 is a copy of x). */
export function traceOf(spec: NetworkSpec, x: Float64Array, size: number, ws: Workspace): ForwardTrace {
  const { sizes } = spec;
  const zs: Float64Array[] = [];
  const activations: Float64Array[] = [x.slice(0, size * sizes[0]!)];
  for (let l = 1; l < sizes.length; l++) {
    zs.push(ws.zs[l - 1]!.slice(0, size * sizes[l]!));
    activations.push(ws.as[l]!.slice(0, size * sizes[l]!));
  }
  return { zs, activations };
}

/** The forward pass as a pure function: every z^l and a^l for `size` rows of `x`. */
export function forward(spec: NetworkSpec, params: Params, x: Float64Array, size: number): ForwardTrace {
  const ws = new Workspace(spec, size);
  forwardInto(spec, params, x, size, ws);
  return traceOf(spec, x, size, ws);
}
