import type { Cost } from '@backprop/core';
import { describeCase, type NetCase, rowBatch } from '../cases.js';
import { type CheckContext, type Clause, specLink } from '../clause.js';
import { netFamilies } from '../families.js';
import { exampleCost } from '../oracle.js';

/** cost.*: the reported batch cost is the mean of C_x recomputed from the backend's own a^L (z^L for cross-entropy). */
async function checkCost(ctx: CheckContext, c: NetCase): Promise<void> {
  const { sizes, cost } = c.spec;
  const L = sizes.length - 1;
  const n = sizes[L]!;
  const m = c.batch.size;
  const b = await ctx.backend(c.spec, c.params);
  const t = await b.backprop(c.batch);
  let sum = 0;
  let magnitude = 0;
  for (let r = 0; r < m; r++) {
    const term = exampleCost(cost, t.activations[L]!, c.batch.y, t.zs[L - 1]!, r * n, n);
    sum += term.value;
    magnitude += term.magnitude;
  }
  ctx.cmp.near(() => `batch cost (1/${m}) Σ_x C_x (${cost})`, t.cost, sum / m, magnitude / m); // cost.*
}

function costClause(
  cost: Cost,
  id: string,
  title: string,
  formula: string,
  extension = false,
): Clause<NetCase> {
  return {
    id,
    title,
    formula,
    section: specLink(id),
    kind: 'identity',
    needs: ['forward', 'gradients'], // a^L (z^L for cross-entropy) and the batch cost
    extension,
    families: netFamilies({ costs: [cost] }, { costs: [cost] }),
    describe: describeCase,
    check: checkCost,
  };
}

export const costQuadratic = costClause(
  'quadratic',
  'cost.quadratic',
  'quadratic cost (Nielsen)',
  'C_x = ½ Σ_j (a^L_j − y_j)², C = (1/m) Σ_x C_x',
);

export const costSquaredError = costClause(
  'squared-error',
  'cost.squared-error',
  'squared error (the video)',
  'C_x = Σ_j (a^L_j − y_j)², C = (1/m) Σ_x C_x',
);

export const costCrossEntropy = costClause(
  'cross-entropy',
  'cost.cross-entropy',
  'cross-entropy on a softmax output (extension)',
  'C_x = −Σ_j y_j ln a^L_j with a^L = softmax(z^L), C = (1/m) Σ_x C_x',
  true,
);

export const costMean: Clause<NetCase> = {
  id: 'cost.mean',
  title: 'the cost of a batch is the mean of its examples’ costs',
  formula: 'C(batch) = (1/m) Σ_x C(x), each C(x) as the backend reports it for x alone',
  section: specLink('cost.mean'),
  kind: 'identity',
  needs: ['gradients'],
  families: netFamilies({ batch: [2, 4] }, { minBatch: 2 }),
  describe: describeCase,
  async check(ctx, c) {
    const { sizes } = c.spec;
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    const m = c.batch.size;
    const b = await ctx.backend(c.spec, c.params);
    const whole = (await b.backprop(c.batch)).cost;
    let sum = 0;
    let magnitude = 0;
    for (let r = 0; r < m; r++) {
      const one = (await b.backprop(rowBatch(c.batch, r, n0, nL))).cost;
      sum += one;
      magnitude += Math.abs(one);
    }
    // A cross-entropy is a difference of logarithms: its rounding is absolute (about ε·|z|), hence the unit scale.
    const scale = magnitude / m + (c.spec.cost === 'cross-entropy' ? 1 : 0);
    ctx.cmp.near(
      () => `batch cost vs the mean of the ${m} single-example costs`,
      whole,
      sum / m,
      magnitude / m,
      scale,
    ); // cost.mean
  },
};
