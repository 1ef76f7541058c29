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
 * The non-zero inputs of every example of a data set, found once: example i's are the columns
 * `columns[offsets[i] .. offsets[i+1]−1]`, in increasing order. MNIST images are 81% zeros, so
 * scanning all 784 pixels of every example on every epoch cost as much as the first layer's
 * products; this index is 2 bytes per non-zero pixel (15 MB for 50,000 MNIST images).
 */
interface NonZeroColumns {
  readonly offsets: Int32Array;
  readonly columns: Uint16Array | Int32Array;
}

const nonZeroCache = new WeakMap<DataSet, NonZeroColumns | null>();

/** The data set's {@link NonZeroColumns}, built on first use (null for sets too large to index). */
function nonZeroColumns(data: DataSet): NonZeroColumns | null {
  let index = nonZeroCache.get(data);
  if (index !== undefined) return index;
  const n0 = data.inputSize;
  const f = data.features;
  const scale = data.featureScale;
  const total = data.count * n0;
  index = null;
  if (total <= 0x7fffffff) {
    // Two passes (count, then fill) so the index takes no more memory than it needs, with the
    // same test as indexNonZeros: the value the network sees, feature × scale, is non-zero.
    let nnz = 0;
    for (let i = 0; i < total; i++) if (f[i]! * scale !== 0) nnz++;
    const offsets = new Int32Array(data.count + 1);
    const columns = n0 > 0x10000 ? new Int32Array(nnz) : new Uint16Array(nnz);
    let t = 0;
    for (let r = 0; r < data.count; r++) {
      offsets[r] = t;
      const o = r * n0;
      for (let k = 0; k < n0; k++) if (f[o + k]! * scale !== 0) columns[t++] = k;
    }
    offsets[data.count] = t;
    index = { offsets, columns };
  }
  nonZeroCache.set(data, index);
  return index;
}

/**
 * {@link indexNonZeros} straight from a data set's stored features, for the examples `indices`:
 * the same entries and values `fillInputs` + `indexNonZeros` would give (feature × featureScale),
 * read through the data set's index of non-zero columns instead of scanning every input.
 * Used by the reference's own epoch loop.
 */
export function indexRows(data: DataSet, indices: ArrayLike<number>, ws: Workspace): void {
  const { nzStart, nzIndex, nzValue } = ws;
  const n0 = data.inputSize;
  const f = data.features;
  const scale = data.featureScale;
  const nz = nonZeroColumns(data);
  let t = 0;
  for (let r = 0; r < indices.length; r++) {
    nzStart[r] = t;
    const i = indices[r]!;
    const o = i * n0;
    if (nz) {
      const { offsets, columns } = nz;
      for (let s = offsets[i]!, e = offsets[i + 1]!; s < e; s++) {
        const k = columns[s]!;
        nzIndex[t] = k;
        nzValue[t] = f[o + k]! * scale;
        t++;
      }
    } else
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
  /** The rows' non-zero inputs are already in `ws` (see `indexRows`); `x` is not read. */
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
      // Sparse rows: z_j = Σ over the row's non-zero inputs k of w_jk x_k, eight neurons j at a
      // time, so each (k, x_k) is loaded once for eight rows of W and eight independent sums
      // hide the latency of the additions. Each sum keeps its k order (bit-identical results).
      const { nzStart, nzIndex, nzValue } = ws;
      for (let r = 0; r < size; r++) {
        const t0 = nzStart[r]!;
        const t1 = nzStart[r + 1]!;
        const zo = r * n;
        let j = 0;
        for (; j + 7 < n; j += 8) {
          const w0 = j * m;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let s4 = 0;
          let s5 = 0;
          let s6 = 0;
          let s7 = 0;
          for (let t = t0; t < t1; t++) {
            const k = w0 + nzIndex[t]!;
            const v = nzValue[t]!;
            s0 += W[k]! * v;
            s1 += W[k + m]! * v;
            s2 += W[k + 2 * m]! * v;
            s3 += W[k + 3 * m]! * v;
            s4 += W[k + 4 * m]! * v;
            s5 += W[k + 5 * m]! * v;
            s6 += W[k + 6 * m]! * v;
            s7 += W[k + 7 * m]! * v;
          }
          z[zo + j] = s0 + b[j]!; // fwd.affine
          z[zo + j + 1] = s1 + b[j + 1]!; // fwd.affine
          z[zo + j + 2] = s2 + b[j + 2]!; // fwd.affine
          z[zo + j + 3] = s3 + b[j + 3]!; // fwd.affine
          z[zo + j + 4] = s4 + b[j + 4]!; // fwd.affine
          z[zo + j + 5] = s5 + b[j + 5]!; // fwd.affine
          z[zo + j + 6] = s6 + b[j + 6]!; // fwd.affine
          z[zo + j + 7] = s7 + b[j + 7]!; // fwd.affine
        }
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
        for (; j + 7 < n; j += 8) {
          const w0 = j * m;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let s4 = 0;
          let s5 = 0;
          let s6 = 0;
          let s7 = 0;
          for (let k = 0; k < m; k++) {
            const v = a[ao + k]!;
            const w = w0 + k;
            s0 += W[w]! * v;
            s1 += W[w + m]! * v;
            s2 += W[w + 2 * m]! * v;
            s3 += W[w + 3 * m]! * v;
            s4 += W[w + 4 * m]! * v;
            s5 += W[w + 5 * m]! * v;
            s6 += W[w + 6 * m]! * v;
            s7 += W[w + 7 * m]! * v;
          }
          z[zo + j] = s0 + b[j]!; // fwd.affine
          z[zo + j + 1] = s1 + b[j + 1]!; // fwd.affine
          z[zo + j + 2] = s2 + b[j + 2]!; // fwd.affine
          z[zo + j + 3] = s3 + b[j + 3]!; // fwd.affine
          z[zo + j + 4] = s4 + b[j + 4]!; // fwd.affine
          z[zo + j + 5] = s5 + b[j + 5]!; // fwd.affine
          z[zo + j + 6] = s6 + b[j + 6]!; // fwd.affine
          z[zo + j + 7] = s7 + b[j + 7]!; // fwd.affine
        }
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
