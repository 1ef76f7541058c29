import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Activation,
  activations,
  backprop,
  backpropInto,
  type Cost,
  costGradient,
  flattenParams,
  forward,
  indexNonZeros,
  initParams,
  type NetworkSpec,
  type Params,
  unflattenParams,
  Workspace,
} from '../src/index.js';
import { scale } from '../src/kernels.js';
import { ALL_COSTS, randomBatch } from './helpers.js';

const ACTS: Activation[] = ['sigmoid', 'relu', 'identity'];

const arbCase = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
  activation: fc.constantFrom(...ACTS),
  cost: fc.constantFrom(...ALL_COSTS),
  init: fc.constantFrom('normal' as const, 'scaled-normal' as const),
  size: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

/** |a − b| ≤ tol · (1 + |a| + |b|) for every entry. */
function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(a) + Math.abs(e))))
      expect.fail(`${what}[${i}]: ${a} vs ${e}`);
  }
}

describe('chain.fd: every gradient component agrees with a central finite difference', () => {
  it('on small random networks over shapes, activations, costs and batch sizes', () => {
    fc.assert(
      fc.property(arbCase, ({ sizes, activation, cost, init, size, seed }) => {
        const spec: NetworkSpec = { sizes, activation, cost };
        const params = initParams(spec, seed, init);
        const batch = randomBatch(spec, size, seed + 1);
        const trace = backprop(spec, params, batch);
        // ReLU has a kink at 0: a finite difference across it measures neither side.
        if (activation === 'relu' && trace.zs.some((z) => z.some((v) => Math.abs(v) < 1e-3))) return;
        const flat = flattenParams(params);
        const grad = flattenParams(trace.gradients);
        const h = 1e-5;
        const fd = new Float64Array(flat.length);
        for (let i = 0; i < flat.length; i++) {
          const plus = flat.slice();
          plus[i]! += h;
          const minus = flat.slice();
          minus[i]! -= h;
          const cPlus = backprop(spec, unflattenParams(spec, plus), batch).cost;
          const cMinus = backprop(spec, unflattenParams(spec, minus), batch).cost;
          fd[i] = (cPlus - cMinus) / (2 * h);
        }
        expectClose(grad, fd, 1e-6, `${sizes.join('-')} ${activation} ${cost} m=${size}`);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe('bp1–bp4 and grad.mean hold on the reported quantities', () => {
  it('for random networks', () => {
    fc.assert(
      fc.property(arbCase, ({ sizes, activation, cost, init, size, seed }) => {
        const spec: NetworkSpec = { sizes, activation, cost };
        const params = initParams(spec, seed, init);
        const batch = randomBatch(spec, size, seed + 7);
        const t = backprop(spec, params, batch);
        const L = sizes.length - 1;
        const prime = activations[activation].prime;
        const nL = sizes[L]!;
        // bp1: δ^L = ∇_a C ⊙ σ′(z^L); for cross-entropy with softmax, δ^L = a^L − y.
        const want1 = new Float64Array(size * nL);
        for (let r = 0; r < size; r++) {
          const a = t.activations[L]!.subarray(r * nL, (r + 1) * nL);
          const y = batch.y.subarray(r * nL, (r + 1) * nL);
          const g = costGradient(cost, a, y, new Float64Array(nL));
          for (let j = 0; j < nL; j++)
            want1[r * nL + j] =
              cost === 'cross-entropy' ? a[j]! - y[j]! : g[j]! * prime(t.zs[L - 1]![r * nL + j]!);
        }
        expectClose(t.deltas[L - 1]!, want1, 1e-12, 'bp1');
        for (let l = L; l >= 1; l--) {
          const n = sizes[l]!;
          const k0 = sizes[l - 1]!;
          const d = t.deltas[l - 1]!;
          const aPrev = t.activations[l - 1]!;
          // bp3 and bp4, averaged over the batch (grad.mean)
          const gb = new Float64Array(n);
          const gw = new Float64Array(n * k0);
          for (let r = 0; r < size; r++)
            for (let j = 0; j < n; j++) {
              gb[j]! += d[r * n + j]! / size;
              for (let k = 0; k < k0; k++) gw[j * k0 + k]! += (d[r * n + j]! * aPrev[r * k0 + k]!) / size;
            }
          expectClose(t.gradients.biases[l - 1]!, gb, 1e-12, `bp3 l=${l}`);
          expectClose(t.gradients.weights[l - 1]!, gw, 1e-12, `bp4 l=${l}`);
          if (l > 1) {
            // bp2: δ^{l−1} = ((W^l)ᵀ δ^l) ⊙ σ′(z^{l−1})
            const W = params.weights[l - 1]!;
            const want = new Float64Array(size * k0);
            for (let r = 0; r < size; r++)
              for (let k = 0; k < k0; k++) {
                let s = 0;
                for (let j = 0; j < n; j++) s += W[j * k0 + k]! * d[r * n + j]!;
                want[r * k0 + k] = s * prime(t.zs[l - 2]![r * k0 + k]!);
              }
            expectClose(t.deltas[l - 2]!, want, 1e-12, `bp2 l=${l - 1}`);
          }
        }
        // grad.mean: the batch gradient is the mean of the per-example gradients.
        const n0 = sizes[0]!;
        const mean = new Float64Array(flattenParams(t.gradients).length);
        for (let r = 0; r < size; r++) {
          const one = backprop(spec, params, {
            size: 1,
            x: batch.x.slice(r * n0, (r + 1) * n0),
            y: batch.y.slice(r * nL, (r + 1) * nL),
          });
          const g = flattenParams(one.gradients);
          for (let i = 0; i < g.length; i++) mean[i]! += g[i]! / size;
        }
        expectClose(flattenParams(t.gradients), mean, 1e-12, 'grad.mean');
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('forward pass', () => {
  it('fwd.affine and fwd.act: z^l = W^l a^{l−1} + b^l, a^l = σ(z^l), row by row', () => {
    const spec: NetworkSpec = { sizes: [3, 2, 2], activation: 'sigmoid', cost: 'quadratic' };
    const params = {
      weights: [Float64Array.from([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), Float64Array.from([1, -1, 0.5, 2])],
      biases: [Float64Array.from([0.05, -0.05]), Float64Array.from([0.2, -0.3])],
    };
    const x = Float64Array.from([1, 0, 2, 0, 0, 0]);
    const t = forward(spec, params, x, 2);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const z1 = [0.1 * 1 + 0.3 * 2 + 0.05, 0.4 * 1 + -0.6 * 2 - 0.05, 0.05, -0.05];
    expectClose(t.zs[0]!, z1, 1e-15, 'z1');
    const a1 = z1.map(s);
    expectClose(t.activations[1]!, a1, 1e-15, 'a1');
    const z2 = [0, 1].flatMap((r) => [
      a1[2 * r]! - a1[2 * r + 1]! + 0.2,
      0.5 * a1[2 * r]! + 2 * a1[2 * r + 1]! - 0.3,
    ]);
    expectClose(t.zs[1]!, z2, 1e-15, 'z2');
    expectClose(t.activations[2]!, z2.map(s), 1e-15, 'a2');
    expect(Array.from(t.activations[0]!)).toEqual(Array.from(x));
  });
  it('lin.collapse: with the identity activation a deep network is one affine map', () => {
    const spec: NetworkSpec = { sizes: [4, 6, 5, 3], activation: 'identity', cost: 'quadratic' };
    const p = initParams(spec, 11);
    // The collapsed map: A = W3 W2 W1, c = W3 (W2 b1 + b2) + b3, found by probing with e_k and 0.
    const probe = (x: number[]) => forward(spec, p, Float64Array.from(x), 1).activations[3]!;
    const c = probe([0, 0, 0, 0]);
    const cols = [0, 1, 2, 3].map((k) => {
      const e = [0, 0, 0, 0];
      e[k] = 1;
      return probe(e).map((v, j) => v - c[j]!);
    });
    const x = [0.3, -1.2, 2.5, 0.7];
    const affine = c.map((cj, j) => cj + cols.reduce((s, col, k) => s + col[j]! * x[k]!, 0));
    expectClose(probe(x), affine, 1e-12, 'collapsed');
  });
});

describe('chain.scalar: the one-neuron-per-layer chain worked by hand', () => {
  // The video's chain x → a1 → a2 → a3 with one neuron per layer and C0 = (a3 − y)²
  // (squared-error). By the chain rule, for the last layer L = 3:
  //   ∂C0/∂w3 = a2 σ′(z3) 2(a3 − y),   ∂C0/∂b3 = σ′(z3) 2(a3 − y),   ∂C0/∂a2 = w3 σ′(z3) 2(a3 − y)
  // and the same pattern repeats one layer down with ∂C0/∂a2 in place of 2(a3 − y).
  const w = [0.8, -1.5, 2.0];
  const b = [0.1, 0.4, -0.3];
  const x = 0.6;
  const y = 1;
  const spec: NetworkSpec = { sizes: [1, 1, 1, 1], activation: 'sigmoid', cost: 'squared-error' as Cost };
  const params = { weights: w.map((v) => Float64Array.of(v)), biases: b.map((v) => Float64Array.of(v)) };
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  const sp = (v: number) => s(v) * (1 - s(v));
  const z1 = w[0]! * x + b[0]!;
  const a1 = s(z1);
  const z2 = w[1]! * a1 + b[1]!;
  const a2 = s(z2);
  const z3 = w[2]! * a2 + b[2]!;
  const a3 = s(z3);
  const dC_da3 = 2 * (a3 - y);
  const dC_dw3 = a2 * sp(z3) * dC_da3;
  const dC_db3 = sp(z3) * dC_da3;
  const dC_da2 = w[2]! * sp(z3) * dC_da3;
  const dC_dw2 = a1 * sp(z2) * dC_da2;
  const dC_db2 = sp(z2) * dC_da2;
  const dC_da1 = w[1]! * sp(z2) * dC_da2;
  const dC_dw1 = x * sp(z1) * dC_da1;
  const dC_db1 = sp(z1) * dC_da1;
  const t = backprop(spec, params, { size: 1, x: Float64Array.of(x), y: Float64Array.of(y) });

  it('reproduces the hand-computed forward pass and cost', () => {
    expect(t.activations.map((a) => a[0])).toEqual([x, a1, a2, a3]);
    expect(t.cost).toBeCloseTo((a3 - y) ** 2, 15);
  });
  it('∂C0/∂w^L = a^{L−1} σ′(z^L) ∂C0/∂a^L and ∂C0/∂b^L = σ′(z^L) ∂C0/∂a^L', () => {
    expect(t.gradients.weights[2]![0]).toBeCloseTo(dC_dw3, 15);
    expect(t.gradients.biases[2]![0]).toBeCloseTo(dC_db3, 15);
  });
  it('∂C0/∂a^{L−1} = w^L σ′(z^L) ∂C0/∂a^L carries the chain back to every layer', () => {
    expect(t.deltas[1]![0]! / sp(z2)).toBeCloseTo(dC_da2, 14);
    expect(t.gradients.weights[1]![0]).toBeCloseTo(dC_dw2, 15);
    expect(t.gradients.biases[1]![0]).toBeCloseTo(dC_db2, 15);
    expect(t.gradients.weights[0]![0]).toBeCloseTo(dC_dw1, 15);
    expect(t.gradients.biases[0]![0]).toBeCloseTo(dC_db1, 15);
  });
});

// The kernels the equations call are unrolled and skip zero inputs (test/kernels.test.ts holds
// each to its textbook loop); composed into the whole pass they must still give the textbook
// network's numbers bit for bit.

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

// Widths that take every path of the unrolled loops: 8-blocks, 4-blocks and single neurons.
const SPECS: NetworkSpec[] = [
  { sizes: [20, 13, 9, 4], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [11, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [7, 3, 5], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [40, 33, 17, 9], activation: 'sigmoid', cost: 'quadratic' },
  { sizes: [5, 1, 8], activation: 'sigmoid', cost: 'quadratic' },
];

describe('forward and backprop as a whole', () => {
  it('equal the textbook loops bit for bit', () => {
    for (const [i, spec] of SPECS.entries()) {
      const p = initParams(spec, 10 + i);
      for (const m of [1, 2, 3, 8, 17, 33]) {
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

  it("backpropInto's options: indexed inputs give the same pass, mean: false the sums", () => {
    for (const cost of ALL_COSTS) {
      const spec: NetworkSpec = { sizes: [20, 13, 9, 4], activation: 'relu', cost };
      const p = initParams(spec, 5, 'scaled-normal');
      const batch = randomBatch(spec, 17, 6);
      const ws = new Workspace(spec, 33); // larger than the batch, as after a bigger one
      const cost0 = backpropInto(spec, p, batch, ws);
      const want = flattenParams(ws.gradients);
      // Indexed: the rows' non-zero entries are already in ws.input, and x is not read.
      indexNonZeros(batch.x, batch.size, ws.input);
      const unread = { ...batch, x: new Float64Array(0) };
      expect(backpropInto(spec, p, unread, ws, { inputs: 'indexed' })).toBe(cost0);
      expect(sameBits(flattenParams(ws.gradients), want), `indexed, ${cost}`).toBe(true);
      // Sums: grad.mean left to the caller, whose 1/m then gives the same bits.
      expect(backpropInto(spec, p, batch, ws, { mean: false })).toBe(cost0);
      expect(sameBits(flattenParams(ws.gradients), want)).toBe(false);
      expect(sameBits(flattenParams(scale(ws.gradients, 1 / batch.size)), want), `sums, ${cost}`).toBe(true);
    }
  });
});
