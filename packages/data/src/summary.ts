import type { DataSet } from './dataset.js';

/** How many examples of each class `d` holds (`counts[c]` for class c). */
export function labelHistogram(d: DataSet): number[] {
  const counts = new Array<number>(d.classes).fill(0);
  for (let i = 0; i < d.count; i++) counts[d.labels[i]!]!++;
  return counts;
}

/**
 * The mean feature value over all examples and features, after scaling (for MNIST the mean
 * pixel intensity in [0, 1], about 0.1307 on the training file). NaN for an empty set.
 */
export function meanFeature(d: DataSet): number {
  let sum = 0;
  const f = d.features;
  const n = d.count * d.inputSize;
  for (let i = 0; i < n; i++) sum += f[i]!;
  return (sum / n) * d.featureScale;
}
