import { type DataSet, makeDataSet, Rng } from '@backprop/data';
import { describe, expect, it } from 'vitest';
import {
  backprop,
  createReferenceBackend,
  flattenParams,
  genericTrainEpoch,
  initParams,
  type NetworkSpec,
  type Params,
} from '../src/index.js';
import { randomBatch } from './helpers.js';

// The reference's loops are blocked (eight and four neurons at a time, four bp2 columns at a
// time) and skip zero inputs, for speed. Every sum must still add the same terms in the same
// order as the textbook loops below, so the results are equal bit for bit, not just close.

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Forward and backprop for one batch, written as plainly as possible (sigmoid, quadratic cost). */
function textbook(spec: NetworkSpec, p: Params, x: Float64Array, y: Float64Array, m: number) {
  const { sizes } = spec;
  const L = sizes.length - 1;
  const zs: Float64Array[] = [];
  const as: Float64Array[] = [x];
  for (let l = 1; l <= L; l++) {
    const [n, k0] = [sizes[l]!, sizes[l - 1]!];
    const z = new Float64Array(m * n);
    const a = new Float64Array(m * n);
    for (let r = 0; r < m; r++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < k0; k++) {
          const v = as[l - 1]![r * k0 + k]!;
          if (v !== 0) s += p.weights[l - 1]![j * k0 + k]! * v; // a zero input adds exactly nothing
        }
        z[r * n + j] = s + p.biases[l - 1]![j]!;
        a[r * n + j] = sigmoid(z[r * n + j]!);
      }
    zs.push(z);
    as.push(a);
  }
  const deltas: Float64Array[] = new Array(L);
  const nL = sizes[L]!;
  const dL = new Float64Array(m * nL);
  for (let i = 0; i < m * nL; i++) {
    const a = as[L]![i]!;
    dL[i] = (a - y[i]!) * (a * (1 - a)); // quadratic cost: ∇_a C = a − y
  }
  deltas[L - 1] = dL;
  for (let l = L; l >= 2; l--) {
    const [n, k0] = [sizes[l]!, sizes[l - 1]!];
    const d = new Float64Array(m * k0);
    for (let r = 0; r < m; r++)
      for (let k = 0; k < k0; k++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += deltas[l - 1]![r * n + j]! * p.weights[l - 1]![j * k0 + k]!;
        const a = as[l - 1]![r * k0 + k]!;
        d[r * k0 + k] = s * (a * (1 - a));
      }
    deltas[l - 2] = d;
  }
  const gW: Float64Array[] = [];
  const gB: Float64Array[] = [];
  for (let l = 1; l <= L; l++) {
    const [n, k0] = [sizes[l]!, sizes[l - 1]!];
    const w = new Float64Array(n * k0);
    const b = new Float64Array(n);
    for (let r = 0; r < m; r++)
      for (let j = 0; j < n; j++) {
        const dj = deltas[l - 1]![r * n + j]!;
        b[j] = b[j]! + dj;
        for (let k = 0; k < k0; k++) {
          const v = as[l - 1]![r * k0 + k]!;
          if (v !== 0) w[j * k0 + k] = w[j * k0 + k]! + dj * v;
        }
      }
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * (1 / m);
    for (let i = 0; i < b.length; i++) b[i] = b[i]! * (1 / m);
    gW.push(w);
    gB.push(b);
  }
  return { zs, as: as.slice(1), deltas, gW, gB };
}

/** True when every entry is the same float64 (Object.is: +0 and −0 differ, NaN equals NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A byte data set like MNIST: `zeros` of the features are 0, the rest random bytes. */
function byteData(seed: number, count: number, inputSize: number, classes: number, zeros: number): DataSet {
  const rng = new Rng(seed);
  const features = new Uint8Array(count * inputSize);
  for (let i = 0; i < features.length; i++) features[i] = rng.nextFloat() < zeros ? 0 : 1 + rng.nextInt(255);
  return makeDataSet({
    name: 'bytes',
    count,
    inputSize,
    classes,
    shape: [inputSize],
    features,
    featureScale: 1 / 255,
    labels: Uint8Array.from({ length: count }, () => rng.nextInt(classes)),
  });
}

// Widths that take every path of the blocked loops: 8-blocks, 4-blocks and single neurons.
const SPECS: NetworkSpec[] = [
  { sizes: [20, 13, 9, 4], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [11, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [7, 3, 5], activation: 'sigmoid', cost: 'quadratic' },
];

describe('reference kernels', () => {
  it('forward and backprop equal the textbook loops bit for bit', () => {
    for (const [i, spec] of SPECS.entries()) {
      const p = initParams(spec, 10 + i);
      for (const m of [1, 3, 8]) {
        const batch = randomBatch(spec, m, 20 + i + m);
        const got = backprop(spec, p, batch);
        const want = textbook(spec, p, batch.x, batch.y, m);
        for (let l = 0; l < spec.sizes.length - 1; l++) {
          expect(sameBits(got.zs[l]!, want.zs[l]!), `z${l + 1} of ${spec.sizes}, batch ${m}`).toBe(true);
          expect(sameBits(got.activations[l + 1]!, want.as[l]!), `a${l + 1}`).toBe(true);
          expect(sameBits(got.deltas[l]!, want.deltas[l]!), `δ${l + 1}`).toBe(true);
          expect(sameBits(got.gradients.weights[l]!, want.gW[l]!), `∂C/∂W${l + 1}`).toBe(true);
          expect(sameBits(got.gradients.biases[l]!, want.gB[l]!), `∂C/∂b${l + 1}`).toBe(true);
        }
      }
    }
  });

  it('the epoch loop (indexed inputs, mean and plain SGD step fused) equals genericTrainEpoch bit for bit', async () => {
    for (const [i, spec] of SPECS.entries()) {
      const data = byteData(30 + i, 53, spec.sizes[0]!, spec.sizes.at(-1)!, 0.7);
      const params = initParams(spec, 40 + i);
      const fast = createReferenceBackend(spec, params);
      const plain = createReferenceBackend(spec, params);
      for (const [e, batchSize] of [5, 8, 53].entries()) {
        // Plain SGD: the fused grad.mean + sgd.step path. A second epoch reuses the data set's
        // index of non-zero inputs built by the first.
        const options = { eta: 2.5, batchSize, seed: 50 + e };
        const a = await fast.trainEpoch(data, options);
        const b = await genericTrainEpoch(plain, data, options);
        expect(sameBits(a.costs, b.costs), `costs of ${spec.sizes}, batch ${batchSize}`).toBe(true);
        expect(sameBits(flattenParams(await fast.getParams()), flattenParams(await plain.getParams()))).toBe(
          true,
        );
      }
    }
  });

  it('indexes float64 features too, and a slice of a data set by its own rows', async () => {
    const spec = SPECS[0]!;
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
      expect(sameBits(a.costs, b.costs), data.name).toBe(true);
    }
  });
});
