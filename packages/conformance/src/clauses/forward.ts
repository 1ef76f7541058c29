import type { Backend, ForwardTrace, NetworkSpec, Params } from '@backprop/core';
import { type CaseShape, describeCase, type NetCase } from '../cases.js';
import { type CheckContext, type Clause, specLink } from '../clause.js';
import type { Comparison } from '../compare.js';
import { netFamilies } from '../families.js';
import { act, expectedParameterCount, softmaxRow } from '../oracle.js';

/** `v` twice, end to end (not by spreading it into arguments: a browser's stack holds far fewer than 2 × 64 × 784). */
function twiceOver(v: Float64Array): Float64Array {
  const out = new Float64Array(2 * v.length);
  out.set(v);
  out.set(v, v.length);
  return out;
}

/** The document's parameter count for 784-16-16-10. */
export const DOCUMENT_PARAMETER_COUNT = 13002;

/** a^0 must be the input itself (to the dtype's rounding). */
function checkInput(cmp: Comparison, trace: ForwardTrace, x: Float64Array, n: number): void {
  const a0 = trace.activations[0]!;
  for (let i = 0; i < n; i++) cmp.near(() => `a⁰[${i}] (the input x)`, a0[i]!, x[i]!, Math.abs(x[i]!));
}

/** fwd.affine for one layer: z^l = W^l a^{l−1} + b^l, from the backend's own W, b and a^{l−1}. */
export function checkAffine(
  cmp: Comparison,
  spec: NetworkSpec,
  p: Params,
  trace: ForwardTrace,
  size: number,
): void {
  const { sizes } = spec;
  for (let l = 1; l < sizes.length; l++) {
    const n = sizes[l]!;
    const k0 = sizes[l - 1]!;
    const W = p.weights[l - 1]!;
    const b = p.biases[l - 1]!;
    const a = trace.activations[l - 1]!;
    const z = trace.zs[l - 1]!;
    for (let r = 0; r < size; r++)
      for (let j = 0; j < n; j++) {
        let s = b[j]!;
        let m = Math.abs(b[j]!);
        for (let k = 0; k < k0; k++) {
          const t = W[j * k0 + k]! * a[r * k0 + k]!;
          s += t;
          m += Math.abs(t);
        }
        cmp.near(() => `z${l}[${r},${j}] = Σ_k w${l}_${j}k a${l - 1}_k + b${l}_${j}`, z[r * n + j]!, s, m); // fwd.affine
      }
  }
}

/** fwd.act: a^l = σ(z^l) element-wise; the output layer is softmax(z^L) under cross-entropy. */
export function checkActivation(cmp: Comparison, spec: NetworkSpec, trace: ForwardTrace, size: number): void {
  const { sizes, activation } = spec;
  const L = sizes.length - 1;
  for (let l = 1; l <= L; l++) {
    const n = sizes[l]!;
    const z = trace.zs[l - 1]!;
    const a = trace.activations[l]!;
    for (let r = 0; r < size; r++) {
      if (l === L && spec.cost === 'cross-entropy') {
        const s = softmaxRow(z, r * n, n);
        for (let j = 0; j < n; j++)
          cmp.near(() => `a${l}[${r},${j}] = softmax(z${l})_${j}`, a[r * n + j]!, s[j]!, s[j]!, 1); // act.softmax
        continue;
      }
      for (let j = 0; j < n; j++) {
        const zj = z[r * n + j]!;
        const e = act(activation, zj);
        // σ is bounded by 1, ReLU and the identity by |z|.
        cmp.near(
          () => `a${l}[${r},${j}] = ${activation}(z${l}[${r},${j}] = ${zj})`,
          a[r * n + j]!,
          e,
          Math.abs(e),
          activation === 'sigmoid' ? 1 : Math.abs(zj),
        ); // fwd.act
      }
    }
  }
}

export const netShape: Clause<NetCase> = {
  id: 'net.shape',
  title: 'parameter count and layer shapes',
  formula: 'W^l is n_l × n_{l−1}, b^l has n_l entries; Σ_l n_l(n_{l−1}+1) parameters (784-16-16-10 → 13,002)',
  section: specLink('net.shape'),
  kind: 'exact',
  needs: ['forward', 'deltas', 'gradients'],
  families: netFamilies({ layers: [1, 4] }),
  describe: describeCase,
  async check(ctx: CheckContext, c: NetCase) {
    const { cmp } = ctx;
    const { sizes } = c.spec;
    const L = sizes.length - 1;
    const m = c.batch.size;
    const b = await ctx.backend(c.spec, c.params);
    const p = await b.getParams();
    cmp.equal(() => 'number of weight matrices', p.weights.length, L);
    cmp.equal(() => 'number of bias vectors', p.biases.length, L);
    let count = 0;
    for (let l = 1; l <= L; l++) {
      cmp.equal(
        () => `entries of W${l} (n_${l} × n_${l - 1} = ${sizes[l]} × ${sizes[l - 1]})`,
        p.weights[l - 1]!.length,
        sizes[l]! * sizes[l - 1]!,
      );
      cmp.equal(() => `entries of b${l} (n_${l} = ${sizes[l]})`, p.biases[l - 1]!.length, sizes[l]!);
      count += p.weights[l - 1]!.length + p.biases[l - 1]!.length;
    }
    cmp.equal(
      () => `parameter count Σ n_l(n_{l−1}+1) of ${sizes.join('-')}`,
      count,
      expectedParameterCount(sizes),
    ); // net.shape
    if (sizes.join('-') === '784-16-16-10')
      cmp.equal(() => 'parameter count of the document network', count, DOCUMENT_PARAMETER_COUNT);
    // A larger batch first: the traces of the next one must still hold exactly its m rows (not
    // the whole of a buffer kept from the larger one).
    const twice = {
      size: 2 * m,
      x: twiceOver(c.batch.x),
      y: twiceOver(c.batch.y),
    };
    await b.backprop(twice);
    const t = await b.backprop(c.batch);
    cmp.equal(() => 'number of z^l in the trace', t.zs.length, L);
    cmp.equal(() => 'number of a^l in the trace (a⁰ … a^L)', t.activations.length, L + 1);
    cmp.equal(() => 'number of δ^l in the trace', t.deltas.length, L);
    for (let l = 0; l <= L; l++)
      cmp.equal(() => `entries of a${l} (batch ${m} × n_${l})`, t.activations[l]!.length, m * sizes[l]!);
    // The trace is the backend's own: overwriting the caller's x afterwards leaves a⁰ as it was
    // (a backend that hands back the caller's buffer breaks every caller that reuses it).
    const x = Float64Array.from(c.batch.x);
    const f = await b.forward(x, m);
    x.fill(Number.NaN);
    cmp.holds(
      () => 'a⁰ of the forward trace is unchanged when the caller overwrites its x afterwards',
      f.activations[0]!.every((v) => !Number.isNaN(v)),
    ); // net.shape
    for (let l = 0; l <= L; l++)
      cmp.equal(
        () => `entries of a${l} from forward (batch ${m} × n_${l})`,
        f.activations[l]!.length,
        m * sizes[l]!,
      );
    for (let l = 1; l <= L; l++) {
      cmp.equal(
        () => `entries of z${l} from forward (batch ${m} × n_${l})`,
        f.zs[l - 1]!.length,
        m * sizes[l]!,
      );
      cmp.equal(() => `entries of z${l} (batch ${m} × n_${l})`, t.zs[l - 1]!.length, m * sizes[l]!);
      cmp.equal(() => `entries of δ${l} (batch ${m} × n_${l})`, t.deltas[l - 1]!.length, m * sizes[l]!);
      cmp.equal(() => `entries of ∂C/∂W${l}`, t.gradients.weights[l - 1]!.length, sizes[l]! * sizes[l - 1]!);
      cmp.equal(() => `entries of ∂C/∂b${l}`, t.gradients.biases[l - 1]!.length, sizes[l]!);
    }
  },
};

export const fwdAffine: Clause<NetCase> = {
  id: 'fwd.affine',
  title: 'weighted sum plus bias',
  formula: 'z^l = W^l a^{l−1} + b^l, a^0 = x',
  section: specLink('fwd.affine'),
  kind: 'identity',
  needs: ['forward'],
  families: netFamilies({ layers: [1, 3] }),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    const p = await b.getParams();
    const t = await b.forward(c.batch.x, c.batch.size);
    checkInput(ctx.cmp, t, c.batch.x, c.batch.size * c.spec.sizes[0]!);
    checkAffine(ctx.cmp, c.spec, p, t, c.batch.size);
  },
};

export const fwdAct: Clause<NetCase> = {
  id: 'fwd.act',
  title: 'activation applied element-wise',
  formula: 'a^l = σ(z^l) element-wise (a^L = softmax(z^L) with cross-entropy)',
  section: specLink('fwd.act'),
  kind: 'identity',
  needs: ['forward'],
  families: netFamilies({ layers: [1, 3] }),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    const t = await b.forward(c.batch.x, c.batch.size);
    checkActivation(ctx.cmp, c.spec, t, c.batch.size);
  },
};

/** W^L ⋯ W^1 and the matching offset, composed in float64 (with the same products of |·| for the rounding bound). */
function collapse(
  sizes: readonly number[],
  p: Params,
): { A: Float64Array; c: Float64Array; absA: Float64Array; absC: Float64Array } {
  let A = p.weights[0]!.slice();
  let c = p.biases[0]!.slice();
  let absA = A.map(Math.abs);
  let absC = c.map(Math.abs);
  const n0 = sizes[0]!;
  for (let l = 2; l < sizes.length; l++) {
    const n = sizes[l]!;
    const k0 = sizes[l - 1]!;
    const W = p.weights[l - 1]!;
    const b = p.biases[l - 1]!;
    const A2 = new Float64Array(n * n0);
    const absA2 = new Float64Array(n * n0);
    const c2 = new Float64Array(n);
    const absC2 = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      c2[j] = b[j]!;
      absC2[j] = Math.abs(b[j]!);
      for (let k = 0; k < k0; k++) {
        const w = W[j * k0 + k]!;
        c2[j] += w * c[k]!;
        absC2[j] += Math.abs(w) * absC[k]!;
        for (let i = 0; i < n0; i++) {
          A2[j * n0 + i] += w * A[k * n0 + i]!;
          absA2[j * n0 + i] += Math.abs(w) * absA[k * n0 + i]!;
        }
      }
    }
    A = A2;
    c = c2;
    absA = absA2;
    absC = absC2;
  }
  return { A, c, absA, absC };
}

/** The original lin.collapse cases: deep identity networks and the inputs to compare. */
const COLLAPSE: CaseShape = {
  activations: ['identity'],
  costs: ['quadratic', 'squared-error'],
  layers: [2, 4],
  batch: [1, 3],
};

export const linCollapse: Clause<NetCase> = {
  id: 'lin.collapse',
  title: 'without a non-linearity every depth is one affine map',
  formula:
    'σ = id ⇒ a^L = (W^L⋯W^1) x + (W^L⋯W^2 b^1 + ⋯ + W^L b^{L−1} + b^L), and the one-layer network with those parameters computes the same outputs',
  section: specLink('lin.collapse'),
  kind: 'identity',
  needs: ['forward'],
  families: netFamilies(COLLAPSE, {
    activations: ['identity'],
    costs: ['quadratic', 'squared-error'],
    minLayers: 2,
  }),
  describe: describeCase,
  async check(ctx, c) {
    const { cmp } = ctx;
    const { sizes } = c.spec;
    const L = sizes.length - 1;
    const n0 = sizes[0]!;
    const nL = sizes[L]!;
    const m = c.batch.size;
    const deep = await ctx.backend(c.spec, c.params);
    const p = await deep.getParams();
    const out = (await deep.forward(c.batch.x, m)).activations[L]!;
    const { A, c: offset, absA, absC } = collapse(sizes, p);
    const expected = new Float64Array(m * nL);
    const bound = new Float64Array(m * nL);
    for (let r = 0; r < m; r++)
      for (let j = 0; j < nL; j++) {
        let s = offset[j]!;
        let b = absC[j]!;
        for (let i = 0; i < n0; i++) {
          s += A[j * n0 + i]! * c.batch.x[r * n0 + i]!;
          b += absA[j * n0 + i]! * Math.abs(c.batch.x[r * n0 + i]!);
        }
        expected[r * nL + j] = s;
        bound[r * nL + j] = b;
        cmp.near(
          () => `a${L}[${r},${j}] of the ${L}-layer identity network = (A x + c)_${j}`,
          out[r * nL + j]!,
          s,
          b,
        ); // lin.collapse
      }
    // The same map as one layer, run by the backend itself.
    const shallowSpec: NetworkSpec = { sizes: [n0, nL], activation: 'identity', cost: c.spec.cost };
    const shallow: Backend = await ctx.backend(shallowSpec, { weights: [A], biases: [offset] });
    const flat = (await shallow.forward(c.batch.x, m)).activations[1]!;
    for (let i = 0; i < m * nL; i++)
      cmp.near(
        () => `output ${i} of the collapsed one-layer network vs the ${L}-layer one`,
        flat[i]!,
        out[i]!,
        2 * bound[i]!,
      ); // lin.collapse
  },
};
