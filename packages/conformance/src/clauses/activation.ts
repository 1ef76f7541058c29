import type { Activation, NetworkSpec, Params } from '@backprop/core';
import * as fc from 'fast-check';
import { describeCase, grid, type NetCase } from '../cases.js';
import { type CheckContext, type Clause, specLink } from '../clause.js';
import { type CaseFamily, netFamilies } from '../families.js';
import { act, actPrime, softmaxRow } from '../oracle.js';

/**
 * An activation probe: the network 1-n-1 with W¹ = 0 and b¹ = t, so z¹ = t exactly whatever the
 * input, and W² = ⅛, b² = 1, quadratic cost, target 0. Then a¹ = σ(t) shows σ, and
 * δ¹_j = w²_j δ² σ′(t_j) shows σ′ as the backend applies it (δ² ≠ 0 because z² ≥ 1 − … > 0 and a² > 0).
 */
export interface ProbeCase {
  readonly activation: Activation;
  readonly t: readonly number[];
}

function probe(c: ProbeCase): { spec: NetworkSpec; params: Params } {
  const n = c.t.length;
  return {
    spec: { sizes: [1, n, 1], activation: c.activation, cost: 'quadratic' },
    params: {
      weights: [new Float64Array(n), new Float64Array(n).fill(0.125)],
      biases: [Float64Array.from(c.t), Float64Array.of(1)],
    },
  };
}

async function checkProbe(ctx: CheckContext, c: ProbeCase): Promise<void> {
  const { cmp } = ctx;
  const { spec, params } = probe(c);
  const b = await ctx.backend(spec, params);
  const p = await b.getParams();
  const trace = await b.backprop({ size: 1, x: Float64Array.of(0.5), y: Float64Array.of(0) });
  const z = trace.zs[0]!;
  const a = trace.activations[1]!;
  const d1 = trace.deltas[0]!;
  const d2 = trace.deltas[1]![0]!;
  cmp.holds(() => `δ² = ${d2}: the probe needs a non-zero output error`, d2 !== 0 && Number.isFinite(d2));
  const w2 = p.weights[1]!;
  for (let j = 0; j < c.t.length; j++) {
    const t = z[j]!;
    const f = act(c.activation, t);
    const scale = c.activation === 'sigmoid' ? 1 : Math.abs(t);
    cmp.near(() => `${c.activation}(${t}) as a¹_${j}`, a[j]!, f, Math.abs(f), scale);
    if (c.activation === 'sigmoid')
      cmp.holds(() => `σ(${t}) = ${a[j]} lies outside [0, 1]`, a[j]! >= 0 && a[j]! <= 1);
    if (c.activation === 'relu') cmp.holds(() => `ReLU(${t}) = ${a[j]} is negative`, a[j]! >= 0);
    const g = w2[j]! * d2; // ∂C/∂a¹_j
    const fp = actPrime(c.activation, t);
    cmp.near(
      () =>
        `${c.activation}′(${t}) seen through δ¹_${j} = w²_${j} δ² σ′(z¹_${j}) (implied σ′ = ${d1[j]! / g})`,
      d1[j]!,
      g * fp,
      Math.abs(g * fp),
      Math.abs(g),
    );
  }
}

/** Probe families: `small` (the original ranges), `wide` (9–40 probes at once) and `saturated` (far tails, fixed and random). */
function probeFamilies(
  activation: Activation,
  small: fc.Arbitrary<number>,
  far: fc.Arbitrary<number>,
  fixed: readonly (readonly number[])[],
): CaseFamily<ProbeCase>[] {
  const probes = (t: fc.Arbitrary<number>, min: number, max: number) =>
    fc.array(t, { minLength: min, maxLength: max }).map((t) => ({ activation, t }));
  return [
    { id: 'small', arbitrary: () => probes(small, 1, 8) },
    { id: 'wide', share: 0.5, arbitrary: () => probes(small, 9, 40) },
    {
      id: 'saturated',
      share: 0.5,
      arbitrary: () =>
        probes(
          fc.oneof(
            far,
            far.map((v) => -v),
          ),
          1,
          8,
        ),
      cases: () => fixed.map((t) => ({ activation, t })),
    },
  ];
}

/** Where σ's exponential overflows or underflows: float32 (88, 89, 104), float64 (709, 710, 745), and beyond. */
const SIGMOID_TAILS: readonly (readonly number[])[] = Object.freeze([
  [88, -88, 89, -89, 100, -100, 104, -104],
  [709, -709, 710, -710, 745, -745, 800, -800],
  [1000, -1000, 2000, -2000],
]);

function describeProbe(c: ProbeCase): string {
  return `${c.activation} probe 1-${c.t.length}-1 with z¹ = t = [${c.t.join(', ')}]`;
}

export const actSigmoid: Clause<ProbeCase> = {
  id: 'act.sigmoid',
  title: 'the logistic sigmoid and its derivative',
  formula: 'σ(x) = 1/(1+e^{−x}) ∈ [0, 1], σ′(x) = σ(x)(1−σ(x))',
  section: specLink('act.sigmoid'),
  kind: 'identity',
  needs: ['forward', 'deltas'],
  families: probeFamilies(
    'sigmoid',
    fc.oneof(grid(-40, 40, 16), grid(-4, 4, 64)),
    grid(40, 2000, 4),
    SIGMOID_TAILS,
  ),
  describe: describeProbe,
  check: checkProbe,
};

export const actRelu: Clause<ProbeCase> = {
  id: 'act.relu',
  title: 'the rectified linear unit and its derivative',
  formula: 'ReLU(x) = max(0, x), ReLU′(x) = 1 for x > 0 and 0 for x ≤ 0',
  section: specLink('act.relu'),
  kind: 'identity',
  needs: ['forward', 'deltas'],
  families: probeFamilies('relu', fc.oneof(grid(-8, 8, 16), fc.constant(0)), grid(8, 4096, 4), [
    [800, -800, 0, 2 ** -20, -(2 ** -20), 4096, -4096],
  ]),
  describe: describeProbe,
  check: checkProbe,
};

export const actSoftmax: Clause<NetCase> = {
  id: 'act.softmax',
  title: 'softmax output layer (extension)',
  formula:
    'a^L_j = e^{z^L_j} / Σ_k e^{z^L_k}: a^L_j ≥ 0 (0 only where e^{z_j − max z} underflows), Σ_j a^L_j = 1',
  section: specLink('act.softmax'),
  kind: 'identity',
  needs: ['forward'],
  extension: true,
  families: netFamilies(
    { costs: ['cross-entropy'], layers: [1, 3], outputs: [2, 6] },
    { costs: ['cross-entropy'] },
  ),
  describe: describeCase,
  async check(ctx, c) {
    const { cmp } = ctx;
    const { sizes } = c.spec;
    const L = sizes.length - 1;
    const n = sizes[L]!;
    const b = await ctx.backend(c.spec, c.params);
    const t = await b.forward(c.batch.x, c.batch.size);
    const z = t.zs[L - 1]!;
    const a = t.activations[L]!;
    for (let r = 0; r < c.batch.size; r++) {
      const s = softmaxRow(z, r * n, n);
      let sum = 0;
      for (let j = 0; j < n; j++) {
        // ≥ 0, not > 0: e^{−t} rounds to 0 once a logit gap t passes about 745 (float64) or 88–104
        // (float32), so a correct softmax has exact zeros (docs/spec.md#tolerances).
        cmp.holds(
          () => `softmax output a${L}[${r},${j}] = ${a[r * n + j]} is negative (or not a number)`,
          a[r * n + j]! >= 0,
        );
        cmp.near(() => `a${L}[${r},${j}] = softmax(z${L}[${r}])_${j}`, a[r * n + j]!, s[j]!, s[j]!, 1); // act.softmax
        sum += a[r * n + j]!;
      }
      cmp.near(() => `Σ_j a${L}[${r},j]`, sum, 1, n); // act.softmax: a distribution
    }
  },
};
