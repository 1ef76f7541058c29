import { type DataSet, makeDataSet } from './dataset.js';
import { Rng } from './rng.js';

/**
 * XOR, the smallest problem a network without a hidden layer cannot solve: the four points
 * of {0,1}², labelled 1 where exactly one input is 1 (2 classes, so targets are one-hot of length 2).
 */
export function xor(): DataSet {
  return makeDataSet({
    name: 'xor',
    count: 4,
    inputSize: 2,
    classes: 2,
    shape: Object.freeze([2]),
    features: Float64Array.of(0, 0, 0, 1, 1, 0, 1, 1),
    featureScale: 1,
    labels: Uint8Array.of(0, 1, 1, 0),
  });
}

/** Parameters of {@link blobs}. */
export interface BlobsOptions {
  /** Seed of the {@link Rng} that places the centres and draws the points. */
  readonly seed: number;
  /** Number of examples (default 200). */
  readonly count?: number;
  /** Number of classes, one blob each (default 3). */
  readonly classes?: number;
  /** Features per example (default 2). */
  readonly inputSize?: number;
  /** Standard deviation of each blob along every axis (default 0.05). */
  readonly spread?: number;
}

/**
 * Minimum distance between two blob centres. Centres lie in [0.1, 0.9]^inputSize; with the
 * default spread 0.05 a point would have to stray 5 standard deviations to reach the
 * half-way plane, so the classes are separable in practice.
 */
export const BLOB_MIN_DISTANCE = 0.5;

/**
 * Gaussian blobs: `classes` centres drawn uniformly in [0.1, 0.9]^inputSize, at least
 * {@link BLOB_MIN_DISTANCE} apart, and `count` points around them (`centre + spread·N(0, I)`).
 * Example `i` belongs to class `i mod classes`, so every class is equally represented and
 * so is every prefix. Deterministic: the same options give the same set.
 *
 * Also callable as `blobs(seed, { count, ... })`.
 */
export function blobs(options: BlobsOptions): DataSet;
export function blobs(seed: number, options?: Omit<BlobsOptions, 'seed'>): DataSet;
export function blobs(a: BlobsOptions | number, b: Omit<BlobsOptions, 'seed'> = {}): DataSet {
  const o: BlobsOptions = typeof a === 'number' ? { ...b, seed: a } : a;
  const { seed, count = 200, classes = 3, inputSize = 2, spread = 0.05 } = o;
  for (const [name, v] of [
    ['count', count],
    ['classes', classes],
    ['inputSize', inputSize],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`blobs: ${name} must be an integer ≥ 1, got ${v}`);
  if (classes > 256) throw new RangeError(`blobs: at most 256 classes (labels are bytes), got ${classes}`);
  if (!(spread >= 0 && Number.isFinite(spread)))
    throw new RangeError(`blobs: spread must be a finite number ≥ 0, got ${spread}`);
  const rng = new Rng(seed);
  const centres: Float64Array[] = [];
  for (let tries = 0; centres.length < classes; tries++) {
    if (tries > 10000)
      throw new RangeError(
        `blobs: cannot place ${classes} centres ${BLOB_MIN_DISTANCE} apart in ${inputSize} dimensions; use fewer classes or a larger inputSize`,
      );
    const c = new Float64Array(inputSize);
    for (let k = 0; k < inputSize; k++) c[k] = 0.1 + 0.8 * rng.nextFloat();
    if (centres.every((other) => distance(c, other) >= BLOB_MIN_DISTANCE)) centres.push(c);
  }
  const features = new Float64Array(count * inputSize);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels[i] = label;
    const centre = centres[label]!;
    for (let k = 0; k < inputSize; k++) features[i * inputSize + k] = centre[k]! + spread * rng.nextNormal();
  }
  return makeDataSet({
    name: `blobs(seed ${seed})`,
    count,
    inputSize,
    classes,
    shape: Object.freeze([inputSize]),
    features,
    featureScale: 1,
    labels,
  });
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s);
}
