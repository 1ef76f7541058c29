import { fillInputs, makeDataSet, Rng } from '@backprop/data';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend, genericTrainEpoch, initParams } from '../src/index.js';
import { indexNonZeros, indexRows, SparseRows } from '../src/sparse-input.js';

/** The non-zero entries of each row, as [column, value] pairs, by scanning every entry. */
function scan(x: Float64Array, m: number, cols: number): [number, number][][] {
  return Array.from({ length: m }, (_, r) =>
    Array.from(x.subarray(r * cols, (r + 1) * cols), (v, k): [number, number] => [k, v]).filter(
      ([, v]) => v !== 0,
    ),
  );
}

/** The rows of `rows` as [column, value] pairs. */
function entries(rows: SparseRows, m: number): [number, number][][] {
  return Array.from({ length: m }, (_, r) =>
    Array.from({ length: rows.start[r + 1]! - rows.start[r]! }, (_, i): [number, number] => {
      const t = rows.start[r]! + i;
      return [rows.index[t]!, rows.value[t]!];
    }),
  );
}

describe('the sparse input rows', () => {
  it('indexNonZeros keeps every non-zero entry in column order, and no zero (nor −0)', () => {
    const rng = new Rng(1);
    for (const cols of [1, 3, 8, 17, 40])
      for (const m of [1, 2, 17, 33]) {
        const x = Float64Array.from({ length: m * cols }, () => {
          const u = rng.nextFloat();
          return u < 0.3 ? 0 : u < 0.4 ? -0 : 2 * rng.nextFloat() - 1;
        });
        x[0] = 0; // a row may be empty
        const rows = indexNonZeros(x, m, new SparseRows(m + 2, cols));
        expect(rows.start[0]).toBe(0);
        expect(entries(rows, m)).toEqual(scan(x, m, cols));
      }
    const empty = indexNonZeros(new Float64Array(6), 2, new SparseRows(2, 3));
    expect(Array.from(empty.start.subarray(0, 3))).toEqual([0, 0, 0]);
  });

  it('indexRows gives what fillInputs + indexNonZeros give, for byte and float64 features', () => {
    const rng = new Rng(2);
    const count = 40;
    const byteFeatures = Uint8Array.from({ length: count * 20 }, () =>
      rng.nextFloat() < 0.6 ? 0 : rng.nextInt(256),
    );
    const floatFeatures = Float64Array.from({ length: count * 20 }, () =>
      rng.nextFloat() < 0.5 ? 0 : rng.nextFloat() - 0.5,
    );
    for (const [features, featureScale] of [
      [byteFeatures, 1 / 255],
      [floatFeatures, 1],
    ] as const) {
      const data = makeDataSet({
        name: 'rows',
        count,
        inputSize: 20,
        classes: 3,
        shape: [20],
        features,
        featureScale,
        labels: new Uint8Array(count),
      });
      for (const indices of [[0], [39, 3, 3, 17], Array.from({ length: 33 }, (_, i) => (7 * i) % count)]) {
        const x = new Float64Array(indices.length * 20);
        fillInputs(data, indices, x);
        const want = indexNonZeros(x, indices.length, new SparseRows(indices.length, 20));
        // Twice: the second call reads the data set's index of non-zero columns built by the first.
        for (const _ of [1, 2]) {
          const got = indexRows(data, indices, new SparseRows(indices.length, 20));
          expect(entries(got, indices.length)).toEqual(entries(want, indices.length));
        }
      }
    }
  });

  it('the epoch loop indexes float64 features too, and a slice of a data set by its own rows', async () => {
    const spec = { sizes: [20, 13, 9, 4], activation: 'sigmoid', cost: 'quadratic' } as const;
    const rng = new Rng(3);
    const count = 40;
    const features = new Float64Array(count * 20).map(() =>
      rng.nextFloat() < 0.5 ? 0 : rng.nextFloat() - 0.5,
    );
    const labels = Uint8Array.from({ length: count }, () => rng.nextInt(4));
    const whole = makeDataSet({
      name: 'f64',
      count,
      inputSize: 20,
      classes: 4,
      shape: [20],
      features,
      featureScale: 1,
      labels,
    });
    const part = makeDataSet({
      name: 'f64[10:40]',
      count: 30,
      inputSize: 20,
      classes: 4,
      shape: [20],
      features: features.subarray(200),
      featureScale: 1,
      labels: labels.subarray(10),
    });
    for (const data of [whole, part]) {
      const fast = createReferenceBackend(spec, initParams(spec, 5));
      const plain = createReferenceBackend(spec, initParams(spec, 5));
      const options = { eta: 1, batchSize: 6, seed: 9 };
      const a = await fast.trainEpoch(data, options);
      const b = await genericTrainEpoch(plain, data, options);
      expect(
        a.costs.every((c, i) => Object.is(c, b.costs[i])) && a.costs.length === b.costs.length,
        data.name,
      ).toBe(true);
    }
  });
});
