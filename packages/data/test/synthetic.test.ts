import { describe, expect, it } from 'vitest';
import {
  BLOB_MIN_DISTANCE,
  blobs,
  fillTargets,
  labelHistogram,
  makeDataSet,
  meanFeature,
  oneHot,
  slice,
  xor,
} from '../src/index.js';

describe('xor', () => {
  it('is the four points of {0,1}² labelled by exclusive or', () => {
    const d = xor();
    expect(d.count).toBe(4);
    expect(d.classes).toBe(2);
    expect(d.features).toBeInstanceOf(Float64Array);
    for (let i = 0; i < 4; i++) expect(d.labels[i]).toBe(d.features[2 * i]! ^ d.features[2 * i + 1]!);
    const targets = new Float64Array(8);
    fillTargets(d, [0, 1, 2, 3], targets);
    expect([...targets]).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
  });
});

describe('blobs', () => {
  it('is deterministic in its seed and both call forms agree', () => {
    expect(blobs({ seed: 4, count: 50 }).features).toEqual(blobs({ seed: 4, count: 50 }).features);
    expect(blobs(4, { count: 50 }).features).toEqual(blobs({ seed: 4, count: 50 }).features);
    expect(blobs({ seed: 5, count: 50 }).features).not.toEqual(blobs({ seed: 4, count: 50 }).features);
  });

  it('has balanced classes and the requested shape', () => {
    const d = blobs({ seed: 1, count: 100, classes: 4, inputSize: 3 });
    expect([d.count, d.inputSize, d.classes]).toEqual([100, 3, 4]);
    expect(d.shape).toEqual([3]);
    expect(labelHistogram(d)).toEqual([25, 25, 25, 25]);
  });

  it('is separable: every point is nearest its own class mean', () => {
    const d = blobs({ seed: 2, count: 600, classes: 5, inputSize: 4 });
    const n = d.inputSize;
    const means = Array.from({ length: d.classes }, () => new Float64Array(n));
    const counts = labelHistogram(d);
    for (let i = 0; i < d.count; i++)
      for (let k = 0; k < n; k++) means[d.labels[i]!]![k]! += d.features[i * n + k]! / counts[d.labels[i]!]!;
    for (let a = 0; a < d.classes; a++)
      for (let b = a + 1; b < d.classes; b++)
        expect(Math.hypot(...means[a]!.map((v, k) => v - means[b]![k]!))).toBeGreaterThan(
          BLOB_MIN_DISTANCE * 0.9,
        );
    for (let i = 0; i < d.count; i++) {
      const dist = means.map((m) => Math.hypot(...m.map((v, k) => v - d.features[i * n + k]!)));
      expect(dist.indexOf(Math.min(...dist))).toBe(d.labels[i]);
    }
  });

  it('refuses impossible parameters with the reason', () => {
    expect(() => blobs({ seed: 1, classes: 0 })).toThrow(/classes must be an integer ≥ 1/);
    expect(() => blobs({ seed: 1, spread: -1 })).toThrow(/spread/);
    expect(() => blobs({ seed: 1, classes: 50, inputSize: 1 })).toThrow(/cannot place 50 centres/);
  });
});

describe('helpers', () => {
  it('oneHot puts a single 1 at each label', () => {
    expect([...oneHot([2, 0], 3)]).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(/label 3 at 0 is not in \[0, 3\)/);
  });

  it('labelHistogram and meanFeature', () => {
    const d = makeDataSet({
      name: 't',
      count: 3,
      inputSize: 2,
      classes: 3,
      shape: [2],
      features: Uint8Array.of(0, 255, 255, 255, 0, 0),
      featureScale: 1 / 255,
      labels: Uint8Array.of(2, 2, 0),
    });
    expect(labelHistogram(d)).toEqual([1, 0, 2]);
    expect(meanFeature(d)).toBeCloseTo(0.5, 12);
    expect(meanFeature(slice(d, 1, 2))).toBeCloseTo(1, 12);
  });
});
