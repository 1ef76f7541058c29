/**
 * A labelled classification data set, kept compact: features are bytes (MNIST pixels,
 * scaled by 1/255 when a batch is made) or floats (synthetic sets), one row per example.
 */
export interface DataSet {
  /** Human-readable name, e.g. "mnist/train". */
  readonly name: string;
  /** Number of examples. */
  readonly count: number;
  /** Features per example (784 for MNIST). */
  readonly inputSize: number;
  /** Number of classes; targets are one-hot vectors of this length. */
  readonly classes: number;
  /** Image shape when the features are an image ([28, 28] for MNIST), else [inputSize]. */
  readonly shape: readonly number[];
  /** Row-major features, `count × inputSize`. */
  readonly features: Uint8Array | Float64Array;
  /** Multiply a stored feature by this to get its value (1/255 for bytes, 1 for floats). */
  readonly featureScale: number;
  /** One label per example, in [0, classes). */
  readonly labels: Uint8Array;
}

/** Build a data set from features and labels, checking that their sizes agree. */
export function makeDataSet(d: DataSet): DataSet {
  if (d.features.length !== d.count * d.inputSize)
    throw new RangeError(
      `${d.name}: ${d.features.length} feature values for ${d.count} examples of ${d.inputSize}`,
    );
  if (d.labels.length !== d.count)
    throw new RangeError(`${d.name}: ${d.labels.length} labels for ${d.count} examples`);
  for (let i = 0; i < d.labels.length; i++)
    if (d.labels[i]! >= d.classes)
      throw new RangeError(
        `${d.name}: label ${d.labels[i]} at example ${i} is not below ${d.classes} classes`,
      );
  return Object.freeze({ ...d });
}

/** Examples `start..end-1` as a data set sharing the same memory (no copy). */
export function slice(d: DataSet, start: number, end: number, name = `${d.name}[${start}:${end}]`): DataSet {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= d.count))
    throw new RangeError(`${d.name}: slice ${start}:${end} is outside 0:${d.count}`);
  return makeDataSet({
    ...d,
    name,
    count: end - start,
    features: d.features.subarray(start * d.inputSize, end * d.inputSize),
    labels: d.labels.subarray(start, end),
  });
}

/** Copy the examples `indices` as rows of float features into `out` (`indices.length × inputSize`). */
export function fillInputs(d: DataSet, indices: ArrayLike<number>, out: Float64Array | Float32Array): void {
  const n = d.inputSize;
  const s = d.featureScale;
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r]! * n;
    const dst = r * n;
    for (let k = 0; k < n; k++) out[dst + k] = d.features[src + k]! * s;
  }
}

/** Write one-hot targets for the examples `indices` into `out` (`indices.length × classes`). */
export function fillTargets(d: DataSet, indices: ArrayLike<number>, out: Float64Array | Float32Array): void {
  out.fill(0, 0, indices.length * d.classes);
  for (let r = 0; r < indices.length; r++) out[r * d.classes + d.labels[indices[r]!]!] = 1;
}

/** One-hot targets for `labels`: a `labels.length × classes` matrix with a 1 at each label's column. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array {
  if (!(Number.isInteger(classes) && classes > 0))
    throw new RangeError(`oneHot: classes must be a positive integer, got ${classes}`);
  const out = new Float64Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < classes))
      throw new RangeError(`oneHot: label ${y} at ${i} is not in [0, ${classes})`);
    out[i * classes + y] = 1;
  }
  return out;
}
