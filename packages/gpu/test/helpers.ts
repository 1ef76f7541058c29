import { requiredBackends } from '@backprop/conformance';
import { availability, type BackendEntry, type Params } from '@backprop/core';
import { type DataSet, makeDataSet, Rng } from '@backprop/data';

/** Whether `entry` runs here; unavailable and required (BACKPROP_REQUIRE_BACKENDS) is an error, not a skip. */
export async function usable(entry: BackendEntry): Promise<{ run: boolean; reason: string }> {
  const a = await availability(entry);
  if (a.available) return { run: true, reason: '' };
  if (requiredBackends().includes(entry.name))
    throw new Error(`${entry.name} is required (BACKPROP_REQUIRE_BACKENDS) but unavailable: ${a.reason}`);
  return { run: false, reason: a.reason };
}

/** Largest |a − b| over the largest |b| (a relative error that ignores tiny components). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / Math.max(s, 1e-30);
}

export function maxRelParams(a: Params, b: Params): number {
  let e = 0;
  for (let i = 0; i < a.weights.length; i++)
    e = Math.max(e, relErr(a.weights[i]!, b.weights[i]!), relErr(a.biases[i]!, b.biases[i]!));
  return e;
}

/** A small MNIST-shaped data set of bytes whose class shows as a bright column, so training makes progress. */
export function stripes(count: number, seed: number): DataSet {
  const rng = new Rng(seed);
  const labels = Uint8Array.from({ length: count }, () => rng.nextInt(10));
  const features = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < 784; k++)
      if (k % 28 === labels[i]! * 2 || rng.nextFloat() < 0.05) features[i * 784 + k] = 200 + rng.nextInt(56);
  return makeDataSet({
    name: 'stripes',
    count,
    inputSize: 784,
    classes: 10,
    shape: [28, 28],
    features,
    featureScale: 1 / 255,
    labels,
  });
}
