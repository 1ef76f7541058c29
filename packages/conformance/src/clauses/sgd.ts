import type { Backend, Batch, Params, SgdOptions } from '@backprop/core';
import { describeCase, type NetCase } from '../cases.js';
import { type Clause, specLink } from '../clause.js';
import { type Comparison, fmt } from '../compare.js';
import { NOT_MNIST, netFamilies } from '../families.js';

/** Each parameter's update, θ′ = θ + Δ, with Δ and its rounding bound from the formula of a clause. */
type Update = (
  kind: 'weights' | 'biases',
  theta: number,
  grad: number,
  index: { readonly layer: number; readonly i: number },
) => { readonly delta: number; readonly size: number; readonly formula: string };

/** θ′ = θ + Δ for every weight and bias, Δ from `update`; the rounding bound is |θ| + size(Δ). */
function checkUpdate(
  cmp: Comparison,
  before: Params,
  grad: Params,
  after: Params,
  update: Update,
  what: string,
): void {
  for (const kind of ['weights', 'biases'] as const)
    for (let l = 1; l <= before[kind].length; l++) {
      const t0 = before[kind][l - 1]!;
      const g = grad[kind][l - 1]!;
      const t1 = after[kind][l - 1]!;
      const name = kind === 'weights' ? 'W' : 'b';
      for (let i = 0; i < t0.length; i++) {
        const u = update(kind, t0[i]!, g[i]!, { layer: l, i });
        cmp.near(
          () => `${name}${l}[${i}] ${what}: ${u.formula} with θ = ${t0[i]}, ∂C/∂θ = ${g[i]}`,
          t1[i]!,
          t0[i]! + u.delta,
          Math.abs(t0[i]!) + u.size,
        );
      }
    }
}

/** sgd.step: Δ = −η ∂C/∂θ. */
const plain =
  (eta: number): Update =>
  (_kind, _theta, g) => ({ delta: -eta * g, size: eta * Math.abs(g), formula: `θ − η ∂C/∂θ (η = ${eta})` });

/**
 * Another mini-batch of the same shape: the rows in reverse order with their inputs halved
 * (exact in float32), so that a second step has a different gradient.
 */
export function otherBatch(batch: Batch, n0: number, nL: number): Batch {
  const m = batch.size;
  const x = new Float64Array(m * n0);
  const y = new Float64Array(m * nL);
  for (let r = 0; r < m; r++) {
    const s = m - 1 - r;
    for (let k = 0; k < n0; k++) x[r * n0 + k] = batch.x[s * n0 + k]! / 2;
    for (let j = 0; j < nL; j++) y[r * nL + j] = batch.y[s * nL + j]!;
  }
  return { size: m, x, y };
}

/**
 * One step on `batch` checked against `update`, from the backend's own gradient at its parameters
 * before it. When the cost before the step is not finite (training diverged: a deep identity
 * network with a large step overflows float32 within a few steps), the step must report that
 * too, and there is nothing more to compare: undefined.
 */
async function checkStep(
  cmp: Comparison,
  b: Backend,
  batch: Batch,
  sgd: SgdOptions,
  update: Update,
  what: string,
): Promise<{ before: Params; after: Params; grad: Params } | undefined> {
  const before = await b.getParams();
  const t = await b.backprop(batch);
  const cost = await b.step(batch, sgd);
  if (!Number.isFinite(t.cost)) {
    cmp.holds(
      () => `the ${what} reports cost ${cost} where its batch's cost before it is ${t.cost}`,
      !Number.isFinite(cost),
    );
    return undefined;
  }
  const after = await b.getParams();
  cmp.near(
    () => `cost returned by the ${what} vs the cost of its batch before it`,
    cost,
    t.cost,
    Math.abs(t.cost),
  );
  checkUpdate(cmp, before, t.gradients, after, update, `after the ${what}`);
  return { before, after, grad: t.gradients };
}

export const sgdStep: Clause<NetCase> = {
  id: 'sgd.step',
  title: 'one SGD step moves against the gradient',
  formula:
    'θ′ = θ − η ∇C_batch(θ), and the step reports C_batch(θ); a second step does the same from θ′ on another batch',
  section: specLink('sgd.step'),
  kind: 'identity',
  needs: ['gradients', 'step'],
  families: netFamilies({}),
  describe: describeCase,
  async check(ctx, c) {
    const b = await ctx.backend(c.spec, c.params);
    const { sizes } = c.spec;
    if (!(await checkStep(ctx.cmp, b, c.batch, { eta: c.eta }, plain(c.eta), 'step'))) return;
    // The next step starts from θ′ and uses the gradient there, on its own batch (not one remembered from before).
    const next = otherBatch(c.batch, sizes[0]!, sizes[sizes.length - 1]!);
    await checkStep(
      ctx.cmp,
      b,
      next,
      { eta: c.eta },
      plain(c.eta),
      'second step (its batch’s rows reversed, inputs halved)',
    );
  },
};

export const sgdDescent: Clause<NetCase> = {
  id: 'sgd.descent',
  title: 'a small enough step lowers the cost',
  formula:
    'C(θ − η∇C) = C(θ) − η‖∇C‖² + O(η²): for some small η, C drops and (C − C′)/(η‖∇C‖²) is within 0.5 of 1',
  section: specLink('sgd.descent'),
  kind: 'descent',
  needs: ['gradients', 'step'],
  families: netFamilies({}, {}, NOT_MNIST), // up to 60 steps a case: the fixture has MNIST
  describe: describeCase,
  async check(ctx, c) {
    const { cmp, tol } = ctx;
    const b = await ctx.backend(c.spec, c.params);
    const theta = await b.getParams();
    const t = await b.backprop(c.batch);
    let g2 = 0;
    for (const kind of ['weights', 'biases'] as const)
      for (const g of t.gradients[kind]) for (const v of g) g2 += v * v;
    const floor = tol.abs * Math.max(1, Math.abs(t.cost));
    let best = Number.POSITIVE_INFINITY;
    let tried = 0;
    let settled = -1; // rung of the first success; a few smaller steps follow to report how close to first order it gets
    for (let k = 0; k <= 60 && (settled < 0 || k <= settled + 3); k++) {
      const eta = 2 ** -k;
      const predicted = eta * g2; // first-order drop η‖∇C‖²
      if (!(predicted >= floor)) break; // below the cost's rounding noise: no evidence either way
      tried++;
      await b.setParams(theta);
      await b.step(c.batch, { eta });
      const after = (await b.backprop(c.batch)).cost;
      const e = Math.abs((t.cost - after) / predicted - 1);
      if (after < t.cost) best = Math.min(best, e);
      else best = Math.min(best, Math.max(e, 1)); // the cost rose or stayed: no descent at this η
      if (after < t.cost && e <= tol.rel && settled < 0) settled = k;
    }
    if (settled >= 0)
      cmp.error(() => 'descent', best); // sgd.descent
    else if (tried > 0)
      cmp.error(
        () =>
          `no step η = 2⁻ᵏ with a predicted drop above ${fmt(floor)} lowered the cost C = ${fmt(t.cost)} as C(θ) − η‖∇C‖² predicts (‖∇C‖² = ${fmt(g2)}); best |r − 1|`,
        best,
      );
    // tried = 0: the gradient is zero (or below noise); the case says nothing and counts as vacuous.
  },
};

/** The momentum of a case, from its seed: μ ∈ {¼, ½, 0.9}. */
export function momentumOf(c: NetCase): number {
  return [0.25, 0.5, 0.9][c.seed % 3]!;
}

/** The weight decay of a case, from its seed: λ ∈ {2⁻⁴, 2⁻², 0.01}. */
export function weightDecayOf(c: NetCase): number {
  return [2 ** -4, 2 ** -2, 0.01][c.seed % 3]!;
}

/** Steps with momentum checked per sgd.momentum (three of them, then once more after setParams). */
const MOMENTUM_STEPS = 3;

export const sgdMomentum: Clause<NetCase> = {
  id: 'sgd.momentum',
  title: 'SGD with momentum (extension)',
  formula:
    'v ← μv − η∇C(θ), θ ← θ + v, with v = 0 at the start and again after setParams; so θ_{i+1} − θ_i = μ(θ_i − θ_{i−1}) − η∇C(θ_i)',
  section: specLink('sgd.momentum'),
  kind: 'identity',
  needs: ['gradients', 'step', 'momentum'],
  extension: true,
  families: netFamilies({}),
  describe: (c) => `${describeCase(c)}\n  momentum μ = ${momentumOf(c)}`,
  async check(ctx, c) {
    const { cmp } = ctx;
    const { sizes } = c.spec;
    const mu = momentumOf(c);
    const eta = c.eta;
    const sgd = { eta, momentum: mu };
    const b = await ctx.backend(c.spec, c.params);
    const other = otherBatch(c.batch, sizes[0]!, sizes[sizes.length - 1]!);
    const batches = [c.batch, other, c.batch];
    let prev: Params | undefined; // θ_{i−1}; v_i = θ_i − θ_{i−1} is the backend's own velocity
    let first: { before: Params; grad: Params } | undefined;
    for (let i = 0; i < MOMENTUM_STEPS; i++) {
      const last = prev;
      const r = await checkStep(
        cmp,
        b,
        batches[i]!,
        sgd,
        (kind, theta, g, at) => {
          const v = last ? theta - last[kind][at.layer - 1]![at.i]! : 0; // v before the step (0 at the start)
          const vSize = last ? Math.abs(theta) + Math.abs(last[kind][at.layer - 1]![at.i]!) : 0;
          return {
            delta: mu * v - eta * g, // sgd.momentum: v ← μv − η∇C, θ ← θ + v
            size: mu * vSize + eta * Math.abs(g),
            formula: `θ + μ v − η ∂C/∂θ (μ = ${mu}, η = ${eta}, v = ${v})`,
          };
        },
        `momentum step ${i + 1}`,
      );
      if (!r) break; // diverged: nothing more to compare
      prev = r.before;
      first ??= r;
    }
    if (!first) return;
    // setParams starts again from v = 0: the same first step as the first time.
    await b.setParams(first.before);
    const t = await b.backprop(c.batch);
    await b.step(c.batch, sgd);
    checkUpdate(
      cmp,
      first.before,
      t.gradients,
      await b.getParams(),
      plain(eta),
      'first momentum step after setParams (v must be 0 again)',
    );
  },
};

export const sgdWeightDecay: Clause<NetCase> = {
  id: 'sgd.weight-decay',
  title: 'SGD with L2 weight decay on the weights only (extension)',
  formula: 'W′ = W − η(∇_W C + λW), b′ = b − η∇_b C: the biases are not decayed',
  section: specLink('sgd.weight-decay'),
  kind: 'identity',
  needs: ['gradients', 'step', 'weight-decay'],
  extension: true,
  families: netFamilies({}),
  describe: (c) => `${describeCase(c)}\n  weight decay λ = ${weightDecayOf(c)}`,
  async check(ctx, c) {
    const lambda = weightDecayOf(c);
    const eta = c.eta;
    const b = await ctx.backend(c.spec, c.params);
    const decay: Update = (kind, theta, g) =>
      kind === 'weights'
        ? {
            delta: -eta * (g + lambda * theta), // sgd.weight-decay: ∇C + λW
            size: eta * (Math.abs(g) + lambda * Math.abs(theta)),
            formula: `W − η(∂C/∂W + λW) (η = ${eta}, λ = ${lambda})`,
          }
        : { delta: -eta * g, size: eta * Math.abs(g), formula: `b − η ∂C/∂b, no decay (η = ${eta})` };
    await checkStep(ctx.cmp, b, c.batch, { eta, weightDecay: lambda }, decay, 'step with weight decay');
  },
};
