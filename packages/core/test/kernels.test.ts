import { type DataSet, makeDataSet, Rng } from '@backprop/data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Activation,
  activations,
  type Cost,
  createReferenceBackend,
  flattenParams,
  genericTrainEpoch,
  initParams,
  type NetworkSpec,
  type Params,
  sgdStep,
} from '../src/index.js';
import {
  activateRows,
  affine,
  columnSums,
  DenseRows,
  meanAndStep,
  outputError,
  type Rows,
  scale,
  times,
  timesPrime,
  transposeTimes,
} from '../src/kernels.js';
import { indexNonZeros, SparseRows } from '../src/sparse-input.js';
import { ALL_COSTS } from './helpers.js';

// The kernels are unrolled (eight and four neurons at a time, four columns of Δ W at a time) and
// skip zero inputs, for speed. Every sum must still add the same terms in the same order as the
// textbook loops below, so the results are equal bit for bit, not just close. Widths cover
// every path of the unrolling (below, at, just above multiples of 4 and 8, and above 16), and
// batch sizes 1, 2 and above 16.
const WIDTHS = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const BATCHES = [1, 2, 17, 33];

/** True when every entry is the same float64 (Object.is: +0 and −0 differ, NaN equals NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** `count` values in [−1, 1), a fraction `zeros` of them exactly 0 (some −0). */
function values(rng: Rng, count: number, zeros = 0): Float64Array {
  return Float64Array.from({ length: count }, () => {
    const u = rng.nextFloat();
    if (u < zeros) return u < zeros / 4 ? -0 : 0;
    return 2 * rng.nextFloat() - 1;
  });
}

/** An m × cols matrix holding `x` (with `spare` unused rows after it, as a workspace has). */
function dense(x: Float64Array, cols: number, spare = 1): DenseRows {
  const rows = new DenseRows(x.length / cols + spare, cols);
  rows.values.set(x);
  rows.values.fill(Number.NaN, x.length); // rows past m must not be read
  return rows;
}

/** The same m rows as their non-zero entries. */
function sparse(x: Float64Array, cols: number): SparseRows {
  return indexNonZeros(x, x.length / cols, new SparseRows(x.length / cols + 1, cols));
}

/** Both representations of m rows of `x`. */
function bothRows(x: Float64Array, cols: number): [string, Rows][] {
  return [
    ['dense', dense(x, cols)],
    ['sparse', sparse(x, cols)],
  ];
}

// The textbook loops: one sum per entry, terms in index order, zeros included.

function textbookAffine(
  a: Float64Array,
  W: Float64Array,
  b: Float64Array,
  m: number,
  nj: number,
  nk: number,
) {
  const z = new Float64Array(m * nj);
  for (let r = 0; r < m; r++)
    for (let j = 0; j < nj; j++) {
      let s = 0;
      for (let k = 0; k < nk; k++) s += W[j * nk + k]! * a[r * nk + k]!;
      z[r * nj + j] = s + b[j]!;
    }
  return z;
}

function textbookTimes(d: Float64Array, W: Float64Array, m: number, nj: number, nk: number) {
  const p = new Float64Array(m * nk);
  for (let r = 0; r < m; r++)
    for (let k = 0; k < nk; k++) {
      let s = 0;
      for (let j = 0; j < nj; j++) s += d[r * nj + j]! * W[j * nk + k]!;
      p[r * nk + k] = s;
    }
  return p;
}

function textbookTransposeTimes(d: Float64Array, a: Float64Array, m: number, nj: number, nk: number) {
  const g = new Float64Array(nj * nk);
  for (let j = 0; j < nj; j++)
    for (let k = 0; k < nk; k++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += d[r * nj + j]! * a[r * nk + k]!;
      g[j * nk + k] = s;
    }
  return g;
}

function textbookColumnSums(d: Float64Array, m: number, nj: number) {
  const g = new Float64Array(nj);
  for (let j = 0; j < nj; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += d[r * nj + j]!;
    g[j] = s;
  }
  return g;
}

/** Every (nj, nk, m) of the grid, with its own seeded values. */
function forEachShape(body: (nj: number, nk: number, m: number, rng: Rng) => void): void {
  let seed = 1;
  for (const nj of WIDTHS) for (const nk of WIDTHS) for (const m of BATCHES) body(nj, nk, m, new Rng(seed++));
}

describe('kernels equal the textbook loops bit for bit', () => {
  it('affine: Z = A Wᵀ + 1 bᵀ, dense and sparse A', () => {
    forEachShape((nj, nk, m, rng) => {
      const a = values(rng, m * nk, 0.4);
      const W = values(rng, nj * nk);
      const b = values(rng, nj);
      const want = textbookAffine(a, W, b, m, nj, nk);
      for (const [kind, A] of bothRows(a, nk)) {
        const Z = affine(new DenseRows(m + 1, nj), A, W, b, m);
        expect(sameBits(Z.values.subarray(0, m * nj), want), `${kind} ${m}×${nk} → ${nj}`).toBe(true);
      }
    });
  });

  it('times: P = Δ W (bp2 before ⊙σ′)', () => {
    forEachShape((nj, nk, m, rng) => {
      const d = values(rng, m * nj, 0.1);
      const W = values(rng, nj * nk);
      const P = times(new DenseRows(m + 1, nk), dense(d, nj), W, m);
      expect(sameBits(P.values.subarray(0, m * nk), textbookTimes(d, W, m, nj, nk)), `${m}×${nj} · W`).toBe(
        true,
      );
    });
  });

  it('transposeTimes: G = Δᵀ A (bp4), dense and sparse A, overwriting what G held', () => {
    forEachShape((nj, nk, m, rng) => {
      const d = values(rng, m * nj, 0.1);
      const a = values(rng, m * nk, 0.4);
      const want = textbookTransposeTimes(d, a, m, nj, nk);
      for (const [kind, A] of bothRows(a, nk)) {
        const G = values(rng, nj * nk); // stale values from a previous batch
        expect(transposeTimes(G, dense(d, nj), A, m)).toBe(G);
        expect(sameBits(G, want), `${kind} Δᵀ A, ${m} rows, ${nj} × ${nk}`).toBe(true);
      }
    });
  });

  it('columnSums: g = 1ᵀ Δ (bp3), overwriting what g held', () => {
    for (const nj of WIDTHS)
      for (const m of BATCHES) {
        const rng = new Rng(nj * 100 + m);
        const d = values(rng, m * nj, 0.2);
        const g = values(rng, nj);
        expect(sameBits(columnSums(g, dense(d, nj), m), textbookColumnSums(d, m, nj)), `${m} × ${nj}`).toBe(
          true,
        );
      }
  });

  it('on arbitrary finite doubles too (fast-check): zeros, −0, tiny and huge values', () => {
    const entry = fc.oneof(
      fc.constant(0),
      fc.constant(-0),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }),
    );
    const shape = fc.record({
      nj: fc.constantFrom(...WIDTHS),
      nk: fc.constantFrom(...WIDTHS),
      m: fc.constantFrom(...BATCHES),
    });
    fc.assert(
      fc.property(
        shape.chain(({ nj, nk, m }) =>
          fc.record({
            nj: fc.constant(nj),
            nk: fc.constant(nk),
            m: fc.constant(m),
            a: fc.array(entry, { minLength: m * nk, maxLength: m * nk }),
            d: fc.array(entry, { minLength: m * nj, maxLength: m * nj }),
            W: fc.array(entry, { minLength: nj * nk, maxLength: nj * nk }),
            b: fc.array(entry, { minLength: nj, maxLength: nj }),
          }),
        ),
        ({ nj, nk, m, ...v }) => {
          const [a, d, W, b] = [v.a, v.d, v.W, v.b].map((x) => Float64Array.from(x)) as Float64Array[];
          for (const [, A] of bothRows(a!, nk)) {
            const Z = affine(new DenseRows(m, nj), A, W!, b!, m);
            if (!sameBits(Z.values, textbookAffine(a!, W!, b!, m, nj, nk))) return false;
            const G = transposeTimes(new Float64Array(nj * nk), dense(d!, nj), A, m);
            if (!sameBits(G, textbookTransposeTimes(d!, a!, m, nj, nk))) return false;
          }
          const P = times(new DenseRows(m, nk), dense(d!, nj), W!, m);
          return sameBits(P.values, textbookTimes(d!, W!, m, nj, nk));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('activateRows, timesPrime and outputError: σ, ⊙σ′ and ∇_A C ⊙ σ′ entry by entry', () => {
    const rng = new Rng(7);
    for (const act of ['sigmoid', 'relu', 'identity'] as Activation[])
      for (const cols of [1, 10, 17])
        for (const m of BATCHES) {
          const z = values(rng, m * cols, 0.1).map((v) => 8 * v);
          const Z = dense(z, cols);
          const A = activateRows(new DenseRows(m + 1, cols), act, Z, m);
          const a = A.values.subarray(0, m * cols);
          expect(sameBits(a, z.map(activations[act].f)), `σ = ${act}`).toBe(true);
          const x = values(rng, m * cols);
          const prime = (i: number) =>
            act === 'sigmoid' ? a[i]! * (1 - a[i]!) : activations[act].prime(z[i]!);
          const X = timesPrime(dense(x, cols), act, Z, A, m);
          const want = x.map((v, i) =>
            act === 'relu' && !(z[i]! > 0) ? 0 : act === 'relu' ? v : v * prime(i),
          );
          expect(sameBits(X.values.subarray(0, m * cols), want), `⊙ ${act}′`).toBe(true);
          const y = values(rng, m * cols);
          for (const cost of ALL_COSTS as Cost[]) {
            const D = outputError(new DenseRows(m + 1, cols), cost, act, A, Z, y, m);
            const grad = (i: number) => (cost === 'squared-error' ? 2 * (a[i]! - y[i]!) : a[i]! - y[i]!);
            const bp1 = a.map((_, i) =>
              cost === 'cross-entropy'
                ? grad(i)
                : act === 'relu'
                  ? z[i]! > 0
                    ? grad(i)
                    : 0
                  : grad(i) * prime(i),
            );
            expect(sameBits(D.values.subarray(0, m * cols), bp1), `bp1 ${cost} ${act}`).toBe(true);
          }
        }
    const z = Float64Array.from([1, 2, 3, -1, 0, 1]);
    const A = activateRows(new DenseRows(2, 3), 'softmax', dense(z, 3), 2);
    for (const r of [0, 1]) {
      const e = [0, 1, 2].map((j) => Math.exp(z[3 * r + j]! - Math.max(...z.subarray(3 * r, 3 * r + 3))));
      const sum = e[0]! + e[1]! + e[2]!;
      expect(
        sameBits(
          A.values.subarray(3 * r, 3 * r + 3),
          e.map((v) => v / sum),
        ),
      ).toBe(true);
    }
  });

  it('scale and meanAndStep: grad.mean, and grad.mean fused with the plain SGD step', () => {
    const spec: NetworkSpec = { sizes: [33, 17, 5], activation: 'sigmoid', cost: 'quadratic' };
    const rng = new Rng(11);
    const grads = (): Params => {
      const p = initParams(spec, 3);
      for (const g of [...p.weights, ...p.biases]) g.set(values(rng, g.length, 0.1));
      return p;
    };
    for (const m of BATCHES) {
      const g = grads();
      const want = flattenParams(g).map((v) => v * (1 / m));
      expect(sameBits(flattenParams(scale(g, 1 / m)), want), `1/${m}`).toBe(true);
      const fusedParams = initParams(spec, 4);
      const plainParams = initParams(spec, 4);
      const fusedGrads = grads();
      const plainGrads: Params = {
        weights: fusedGrads.weights.map((w) => w.slice()),
        biases: fusedGrads.biases.map((w) => w.slice()),
      };
      meanAndStep(fusedParams, fusedGrads, 1 / m, 2.5);
      sgdStep(plainParams, scale(plainGrads, 1 / m), { eta: 2.5 });
      expect(sameBits(flattenParams(fusedParams), flattenParams(plainParams)), `θ, batch ${m}`).toBe(true);
      expect(sameBits(flattenParams(fusedGrads), flattenParams(plainGrads)), `g, batch ${m}`).toBe(true);
    }
  });
});

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

// Widths that take every path of the unrolled loops: 8-blocks, 4-blocks and single neurons.
const SPECS: NetworkSpec[] = [
  { sizes: [20, 13, 9, 4], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [11, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [7, 3, 5], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [40, 33, 17, 9], activation: 'relu', cost: 'cross-entropy' },
];

describe('the reference epoch loop', () => {
  it('(indexed inputs, grad.mean and the plain SGD step fused) equals genericTrainEpoch bit for bit', async () => {
    for (const [i, spec] of SPECS.entries()) {
      const data = byteData(30 + i, 53, spec.sizes[0]!, spec.sizes.at(-1)!, 0.7);
      const params = initParams(spec, 40 + i, spec.activation === 'relu' ? 'scaled-normal' : 'normal');
      const fast = createReferenceBackend(spec, params);
      const plain = createReferenceBackend(spec, params);
      for (const [e, batchSize] of [5, 8, 17, 53].entries()) {
        // Plain SGD: the fused grad.mean + sgd.step path. A second epoch reuses the data set's
        // index of non-zero inputs built by the first.
        const options = { eta: spec.activation === 'relu' ? 0.1 : 2.5, batchSize, seed: 50 + e };
        const a = await fast.trainEpoch(data, options);
        const b = await genericTrainEpoch(plain, data, options);
        expect(sameBits(a.costs, b.costs), `costs of ${spec.sizes}, batch ${batchSize}`).toBe(true);
        expect(sameBits(flattenParams(await fast.getParams()), flattenParams(await plain.getParams()))).toBe(
          true,
        );
      }
    }
  });
});
