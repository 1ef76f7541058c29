import { type DataSet, makeDataSet, Rng } from '@backprop/data';
import type { Batch, Cost, NetworkSpec } from '../src/index.js';

/** A random batch for `spec`: inputs in [−1, 1] with some exact zeros (to exercise the sparse first layer), one-hot targets. */
export function randomBatch(spec: NetworkSpec, size: number, seed: number): Batch {
  const rng = new Rng(seed);
  const n0 = spec.sizes[0]!;
  const nL = spec.sizes[spec.sizes.length - 1]!;
  const x = new Float64Array(size * n0);
  for (let i = 0; i < x.length; i++) x[i] = rng.nextFloat() < 0.25 ? 0 : 2 * rng.nextFloat() - 1;
  const y = new Float64Array(size * nL);
  for (let r = 0; r < size; r++) y[r * nL + rng.nextInt(nL)] = 1;
  return { size, x, y };
}

/** XOR as a two-class data set: inputs (0,0),(0,1),(1,0),(1,1), label = x1 xor x2. */
export function xorData(): DataSet {
  return makeDataSet({
    name: 'xor',
    count: 4,
    inputSize: 2,
    classes: 2,
    shape: [2],
    features: Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
    featureScale: 1,
    labels: Uint8Array.from([0, 1, 1, 0]),
  });
}

/** `count` points around `classes` well-separated centres in `inputSize` dimensions. */
export function blobData(seed: number, count: number, inputSize: number, classes: number): DataSet {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () =>
    Array.from({ length: inputSize }, () => 4 * rng.nextFloat() - 2),
  );
  const features = new Float64Array(count * inputSize);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.nextInt(classes);
    labels[i] = c;
    for (let k = 0; k < inputSize; k++)
      features[i * inputSize + k] = centres[c]![k]! + 0.3 * rng.nextNormal();
  }
  return makeDataSet({
    name: 'blobs',
    count,
    inputSize,
    classes,
    shape: [inputSize],
    features,
    featureScale: 1,
    labels,
  });
}

export const ALL_COSTS: Cost[] = ['quadratic', 'squared-error', 'cross-entropy'];
