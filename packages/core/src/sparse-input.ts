import type { DataSet } from '@backprop/data';

/**
 * Rows of inputs held as their non-zero entries: row r's are the columns
 * `index[start[r] .. start[r+1]−1]`, in increasing order, with values `value[…]`. MNIST images are
 * about 81% zeros, and a zero input adds exactly nothing to Z^1 or to ∂C/∂W^1, so the first
 * layer's kernels visit only these entries; each sum keeps its order, so the result is the dense
 * result bit for bit (for finite weights).
 */
export class SparseRows {
  /** Tells the kernels which representation they are handed. */
  readonly kind = 'sparse' as const;
  /** Columns of a row, n_0. */
  readonly cols: number;
  /** Where each row's entries begin; `start[m]` ends the last of m rows. */
  readonly start: Int32Array;
  /** The column of each non-zero entry. */
  readonly index: Int32Array;
  /** The value of each non-zero entry. */
  readonly value: Float64Array;

  /** Room for `capacity` rows of `cols` inputs, however dense. */
  constructor(capacity: number, cols: number) {
    this.cols = cols;
    this.start = new Int32Array(capacity + 1);
    this.index = new Int32Array(capacity * cols);
    this.value = new Float64Array(capacity * cols);
  }
}

/** Fill `rows` with the non-zero entries of the first `m` rows of the dense matrix `x`. */
export function indexNonZeros(x: Float64Array, m: number, rows: SparseRows): SparseRows {
  const { start, index, value, cols } = rows;
  let t = 0;
  for (let r = 0; r < m; r++) {
    start[r] = t;
    const o = r * cols;
    for (let k = 0; k < cols; k++) {
      const v = x[o + k]!;
      if (v !== 0) {
        index[t] = k;
        value[t] = v;
        t++;
      }
    }
  }
  start[m] = t;
  return rows;
}

/**
 * The non-zero inputs of every example of a data set, found once: example i's are the columns
 * `columns[offsets[i] .. offsets[i+1]−1]`, in increasing order. Scanning all 784 pixels of every
 * example on every epoch cost as much as the first layer's products; this index is 2 bytes per
 * non-zero pixel (15 MB for 50,000 MNIST images).
 */
interface NonZeroColumns {
  readonly offsets: Int32Array;
  readonly columns: Uint16Array | Int32Array;
}

const nonZeroCache = new WeakMap<DataSet, NonZeroColumns | null>();

/** The data set's {@link NonZeroColumns}, built on first use (null for sets too large to index). */
function nonZeroColumns(data: DataSet): NonZeroColumns | null {
  let found = nonZeroCache.get(data);
  if (found !== undefined) return found;
  const n0 = data.inputSize;
  const f = data.features;
  const scale = data.featureScale;
  const total = data.count * n0;
  found = null;
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
    found = { offsets, columns };
  }
  nonZeroCache.set(data, found);
  return found;
}

/**
 * {@link indexNonZeros} straight from a data set's stored features, for the examples `indices`:
 * the same entries and values `fillInputs` + `indexNonZeros` would give (feature × featureScale),
 * read through the data set's index of non-zero columns instead of scanning every input.
 * Used by the reference's own epoch loop.
 */
export function indexRows(data: DataSet, indices: ArrayLike<number>, rows: SparseRows): SparseRows {
  const { start, index, value } = rows;
  const n0 = data.inputSize;
  const f = data.features;
  const scale = data.featureScale;
  const nz = nonZeroColumns(data);
  let t = 0;
  for (let r = 0; r < indices.length; r++) {
    start[r] = t;
    const i = indices[r]!;
    const o = i * n0;
    if (nz) {
      const { offsets, columns } = nz;
      for (let s = offsets[i]!, e = offsets[i + 1]!; s < e; s++) {
        const k = columns[s]!;
        index[t] = k;
        value[t] = f[o + k]! * scale;
        t++;
      }
    } else
      for (let k = 0; k < n0; k++) {
        const v = f[o + k]! * scale;
        if (v !== 0) {
          index[t] = k;
          value[t] = v;
          t++;
        }
      }
  }
  start[indices.length] = t;
  return rows;
}
