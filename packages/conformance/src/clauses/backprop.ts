import type { BackpropTrace, NetworkSpec } from '@backprop/core';
import { describeCase, type NetCase, rowBatch } from '../cases.js';
import { type Clause, specLink } from '../clause.js';
import type { Comparison } from '../compare.js';
import { netFamilies } from '../families.js';
import { actPrime, costGradFactor } from '../oracle.js';

/** bp1: δ^L = ∇_a C ⊙ σ′(z^L), from the backend's own a^L, z^L and the target y (δ^L = a^L − y for softmax + cross-entropy). */
export function checkBp1(
  cmp: Comparison,
  spec: NetworkSpec,
  t: BackpropTrace,
  y: Float64Array,
  m: number,
): void {
  const { sizes, activation, cost } = spec;
  const L = sizes.length - 1;
  const n = sizes[L]!;
  const a = t.activations[L]!;
  const z = t.zs[L - 1]!;
  const d = t.deltas[L - 1]!;
  const c = costGradFactor(cost);
  for (let i = 0; i < m * n; i++) {
    const size = c * (Math.abs(a[i]!) + Math.abs(y[i]!));
    if (cost === 'cross-entropy') {
      cmp.near(
        () => `δ${L}[${Math.floor(i / n)},${i % n}] = a − y (softmax with cross-entropy)`,
        d[i]!,
        a[i]! - y[i]!,
        size,
      ); // bp1
      continue;
    }
    const s = actPrime(activation, z[i]!);
    const label = () =>
      `δ${L}[${Math.floor(i / n)},${i % n}] = ${c === 2 ? '2(a − y)' : '(a − y)'} σ′(z${L} = ${z[i]})`;
    cmp.near(label, d[i]!, c * (a[i]! - y[i]!) * s, size * s, size); // bp1
  }
}

/** bp2: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l) for l < L, from the backend's own W, δ^{l+1} and z^l. */
export function checkBp2(
  cmp: Comparison,
  spec: NetworkSpec,
  weights: Float64Array[],
  t: BackpropTrace,
  m: number,
): void {
  const { sizes, activation } = spec;
  const L = sizes.length - 1;
  for (let l = L - 1; l >= 1; l--) {
    const n = sizes[l]!;
    const next = sizes[l + 1]!;
    const W = weights[l]!; // W^{l+1}, next × n
    const dNext = t.deltas[l]!;
    const d = t.deltas[l - 1]!;
    const z = t.zs[l - 1]!;
    for (let r = 0; r < m; r++)
      for (let k = 0; k < n; k++) {
        let s = 0;
        let size = 0;
        for (let j = 0; j < next; j++) {
          const term = W[j * n + k]! * dNext[r * next + j]!; // (W^{l+1})ᵀ δ^{l+1}
          s += term;
          size += Math.abs(term);
        }
        const p = actPrime(activation, z[r * n + k]!);
        cmp.near(
          () => `δ${l}[${r},${k}] = (W${l + 1}ᵀ δ${l + 1})_${k} σ′(z${l}[${r},${k}] = ${z[r * n + k]})`,
          d[r * n + k]!,
          s * p,
          size * p,
          size,
        ); // bp2
      }
  }
}

/** bp3: ∂C/∂b^l_j = (1/m) Σ_x δ^l_{x,j} (∂C_x/∂b^l_j = δ^l_j, averaged as the cost is). */
export function checkBp3(cmp: Comparison, spec: NetworkSpec, t: BackpropTrace, m: number): void {
  const { sizes } = spec;
  for (let l = 1; l < sizes.length; l++) {
    const n = sizes[l]!;
    const d = t.deltas[l - 1]!;
    const g = t.gradients.biases[l - 1]!;
    for (let j = 0; j < n; j++) {
      let s = 0;
      let size = 0;
      for (let r = 0; r < m; r++) {
        s += d[r * n + j]!;
        size += Math.abs(d[r * n + j]!);
      }
      cmp.near(() => `∂C/∂b${l}_${j} = (1/${m}) Σ_x δ${l}_x,${j}`, g[j]!, s / m, size / m); // bp3
    }
  }
}

/** bp4: ∂C/∂w^l_jk = (1/m) Σ_x a^{l−1}_{x,k} δ^l_{x,j}. */
export function checkBp4(cmp: Comparison, spec: NetworkSpec, t: BackpropTrace, m: number): void {
  const { sizes } = spec;
  for (let l = 1; l < sizes.length; l++) {
    const n = sizes[l]!;
    const k0 = sizes[l - 1]!;
    const d = t.deltas[l - 1]!;
    const a = t.activations[l - 1]!;
    const g = t.gradients.weights[l - 1]!;
    for (let j = 0; j < n; j++)
      for (let k = 0; k < k0; k++) {
        let s = 0;
        let size = 0;
        for (let r = 0; r < m; r++) {
          const term = a[r * k0 + k]! * d[r * n + j]!; // a^{l−1}_k δ^l_j
          s += term;
          size += Math.abs(term);
        }
        cmp.near(
          () => `∂C/∂w${l}_${j},${k} = (1/${m}) Σ_x a${l - 1}_x,${k} δ${l}_x,${j}`,
          g[j * k0 + k]!,
          s / m,
          size / m,
        ); // bp4
      }
  }
}

export const bp1: Clause<NetCase> = {
  id: 'bp1',
  title: 'BP1: the output layer’s error',
  formula:
    'δ^L = ∇_a C ⊙ σ′(z^L); ∇_a C = a − y (quadratic), 2(a − y) (squared error); δ^L = a − y (softmax + cross-entropy)',
  section: specLink('bp1'),
  kind: 'identity',
  needs: ['forward', 'deltas'],
  families: netFamilies({}),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    checkBp1(ctx.cmp, c.spec, await b.backprop(c.batch), c.batch.y, c.batch.size);
  },
};

export const bp2: Clause<NetCase> = {
  id: 'bp2',
  title: 'BP2: the error of a layer from the next',
  formula: 'δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)',
  section: specLink('bp2'),
  kind: 'identity',
  needs: ['forward', 'deltas'],
  families: netFamilies({ layers: [2, 4] }, { minLayers: 2 }),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    const p = await b.getParams();
    checkBp2(ctx.cmp, c.spec, p.weights, await b.backprop(c.batch), c.batch.size);
  },
};

export const bp3: Clause<NetCase> = {
  id: 'bp3',
  title: 'BP3: the bias gradient is the error',
  formula: '∂C_x/∂b^l_j = δ^l_j; over a batch ∂C/∂b^l_j = (1/m) Σ_x δ^l_{x,j}',
  section: specLink('bp3'),
  kind: 'identity',
  needs: ['deltas', 'gradients'],
  families: netFamilies({}),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    checkBp3(ctx.cmp, c.spec, await b.backprop(c.batch), c.batch.size);
  },
};

export const bp4: Clause<NetCase> = {
  id: 'bp4',
  title: 'BP4: the weight gradient is activation in × error out',
  formula: '∂C_x/∂w^l_jk = a^{l−1}_k δ^l_j; over a batch ∂C/∂w^l_jk = (1/m) Σ_x a^{l−1}_{x,k} δ^l_{x,j}',
  section: specLink('bp4'),
  kind: 'identity',
  needs: ['forward', 'deltas', 'gradients'],
  families: netFamilies({}),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    checkBp4(ctx.cmp, c.spec, await b.backprop(c.batch), c.batch.size);
  },
};

export const gradMean: Clause<NetCase> = {
  id: 'grad.mean',
  title: 'the batch gradient is the mean of the per-example gradients',
  formula: '∇C(batch) = (1/m) Σ_x ∇C_x, each ∇C_x as the backend reports it for x alone',
  section: specLink('grad.mean'),
  kind: 'identity',
  needs: ['gradients'],
  families: netFamilies({ batch: [2, 4] }, { minBatch: 2 }),
  describe: describeCase,
  async check(ctx, c) {
    const { cmp } = ctx;
    const { sizes } = c.spec;
    const L = sizes.length - 1;
    const n0 = sizes[0]!;
    const nL = sizes[L]!;
    const m = c.batch.size;
    const b = await ctx.backend(c.spec, c.params);
    const whole = (await b.backprop(c.batch)).gradients;
    const singles = [];
    for (let r = 0; r < m; r++) singles.push((await b.backprop(rowBatch(c.batch, r, n0, nL))).gradients);
    for (const kind of ['weights', 'biases'] as const)
      for (let l = 1; l <= L; l++) {
        const g = whole[kind][l - 1]!;
        // Each example's gradient rounds relative to its own layer's largest entry (cancellation in bp2).
        let layerMax = 0;
        for (const s of singles) for (const v of s[kind][l - 1]!) layerMax = Math.max(layerMax, Math.abs(v));
        for (let i = 0; i < g.length; i++) {
          let sum = 0;
          let size = 0;
          for (const s of singles) {
            sum += s[kind][l - 1]![i]!;
            size += Math.abs(s[kind][l - 1]![i]!);
          }
          const name = kind === 'weights' ? `∂C/∂W${l}[${i}]` : `∂C/∂b${l}[${i}]`;
          cmp.near(
            () => `${name} of the batch vs the mean of the ${m} per-example gradients`,
            g[i]!,
            sum / m,
            size / m,
            layerMax,
          ); // grad.mean
        }
      }
  },
};
