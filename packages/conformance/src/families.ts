import { type Activation, type Cost, initParams, type NetworkSpec } from '@backprop/core';
import { type DataSet, fillInputs, fillTargets } from '@backprop/data';
import * as fc from 'fast-check';
import { type CaseShape, fanInScale, type NetCase, netCases } from './cases.js';
import { mnistFixture, mnistTrain } from './fixture.js';

/**
 * The case families. `small` and `fixture` are the suite's original cases; the others reach
 * where real kernels, ports and adapters break (docs/spec.md#case-families).
 */
export type FamilyId = 'small' | 'wide' | 'batch' | 'deep' | 'saturated' | 'mnist' | 'fixture';

/** What a family is and where it reaches, for reports and docs/spec.md. */
export interface FamilyInfo {
  readonly id: FamilyId;
  readonly title: string;
  /** Where it reaches that the others do not. */
  readonly reaches: string;
  /** One of the suite's original families (the "old cases"). */
  readonly original: boolean;
}

/** Every family, in the order a clause runs them. */
export const FAMILIES: readonly FamilyInfo[] = Object.freeze([
  {
    id: 'small',
    title: 'small random networks',
    reaches: '1–3 layers of 1–5 neurons (1–4 outputs), batches of 1–4, every activation and cost',
    original: true,
  },
  {
    id: 'wide',
    title: 'wide layers',
    reaches:
      'widths 1–40, favouring non-multiples of 4 and 8 and layers wider than 16 (11-9-3, 3-30-2 among them): unrolled kernels’ tails, fixed lane counts',
    original: false,
  },
  {
    id: 'batch',
    title: 'large and odd batches',
    reaches:
      'batches of 1–64 (15, 16, 17, 31, 32, 33, 63, 64 favoured); for epochs, data sets of 17–80 examples that the batch size need not divide: rows staged in blocks, reductions over the batch, grouped steps',
    original: false,
  },
  {
    id: 'deep',
    title: 'deep networks',
    reaches: '4–7 weight layers of 1–9 neurons: backward passes and buffers of a fixed depth',
    original: false,
  },
  {
    id: 'saturated',
    title: 'saturated and overflowing pre-activations',
    reaches:
      'parameters up to 2⁹ times larger: sigmoid far into both tails (σ rounds to 0 and 1), logits of 100 and 800, exponentials that overflow in the forward pass (e^z past 709 in float64, 88 in float32)',
    original: false,
  },
  {
    id: 'mnist',
    title: 'real MNIST rows',
    reaches:
      '784-30-10, 784-16-16-10 and 784-10 on batches of 1–64 real training images (81% zero pixels); epochs over 20–80 of them',
    original: false,
  },
  {
    id: 'fixture',
    title: 'the document’s network on MNIST',
    reaches:
      '784-16-16-10 sigmoid quadratic, initParams seed 1, the first 10 training images (20 for an epoch)',
    original: true,
  },
]);

/** The ids of the suite's original families (`small`, `fixture`): the "old cases". */
export const ORIGINAL_FAMILIES: readonly FamilyId[] = Object.freeze(
  FAMILIES.filter((f) => f.original).map((f) => f.id),
);

/**
 * The cases of one family for one clause: random ones (fast-check, shrunk within the family on
 * failure) and fixed ones, run after them.
 */
export interface CaseFamily<C> {
  readonly id: FamilyId;
  /** Random cases. */
  arbitrary?(mnistTrain?: DataSet): fc.Arbitrary<C>;
  /** Fixed cases. */
  cases?(mnistTrain?: DataSet): readonly C[];
  /** Random cases drawn, as a fraction of the runner's `runs` (at least one); default 1. */
  readonly share?: number;
}

/** Widths 1–40, one draw in three from the widths where lane counts go wrong. */
export const WIDE_WIDTHS: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom(9, 11, 12, 13, 15, 17, 20, 23, 25, 30, 31, 33, 39, 40), weight: 1 },
);

/** Batch sizes 1–64, one draw in two from the sizes around blocks of 16 and 32. */
export const BATCH_SIZES: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.constantFrom(15, 16, 17, 31, 32, 33, 63, 64),
);

/** Fixed shapes of the wide family. */
export const WIDE_SHAPES: readonly (readonly number[])[] = Object.freeze([
  [11, 9, 3],
  [3, 30, 2],
  [17, 33, 5],
]);

/**
 * The wide family's fixed shapes, one case each whatever the random draws: every path of an
 * unrolled kernel (blocks of 8 and of 4 after them, tails of 1–3) in every layer and product.
 */
export const WIDE_FIXED: readonly (readonly number[])[] = Object.freeze([
  [11, 9, 3],
  [3, 30, 2],
  [17, 33, 5],
  [7, 13, 15, 6],
]);

/** Values k/64 in [−1, 1], reproducible (a small LCG), for the fixed cases. */
function gridValues(n: number, seed: number, factor = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((((s >>> 8) % 129) - 64) / 64) * factor;
  }
  return out;
}

/** One fixed case per {@link WIDE_FIXED} shape that fits the clause, activations and costs in turn. */
export function wideCases(needs: CaseNeeds = {}): NetCase[] {
  const acts = needs.activations ?? (['sigmoid', 'relu', 'identity'] as const);
  const costs = needs.costs ?? (['quadratic', 'squared-error', 'cross-entropy'] as const);
  const m = Math.max(3, needs.minBatch ?? 1);
  return WIDE_FIXED.filter((s) => s.length - 1 >= (needs.minLayers ?? 1)).map((sizes, i) => {
    const spec: NetworkSpec = {
      sizes: [...sizes],
      activation: acts[i % acts.length]!,
      cost: costs[i % costs.length]!,
    };
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 1; l < sizes.length; l++) {
      weights.push(gridValues(sizes[l]! * sizes[l - 1]!, 17 * i + l, 2 * fanInScale(sizes[l - 1]!)));
      biases.push(gridValues(sizes[l]!, 31 * i + l));
    }
    const y = new Float64Array(m * nL);
    for (let r = 0; r < m; r++)
      if (spec.cost === 'cross-entropy') y[r * nL + ((r * 7 + i) % nL)] = 1;
      else for (let j = 0; j < nL; j++) y[r * nL + j] = ((r + j + i) % 9) / 8;
    return {
      spec,
      params: { weights, biases },
      batch: { size: m, x: gridValues(m * n0, 97 + i), y },
      eta: 2 ** -2,
      seed: i,
      label: `wide: ${sizes.join('-')} ${spec.activation} ${spec.cost}, batch of ${m}, fixed grid values (seed ${i})`,
    };
  });
}

/** What a clause requires of every case (each family keeps to it). */
export interface CaseNeeds {
  readonly activations?: readonly Activation[];
  readonly costs?: readonly Cost[];
  /** Fewest weight layers (2 for bp2 and lin.collapse). */
  readonly minLayers?: number;
  /** Fewest examples in a batch (2 for the means over a batch). */
  readonly minBatch?: number;
}

const ALL: readonly FamilyId[] = FAMILIES.map((f) => f.id);
/** Every family but `mnist`, for clauses that evaluate a case many times (the `fixture` keeps them on MNIST). */
export const NOT_MNIST: readonly FamilyId[] = ALL.filter((id) => id !== 'mnist');

/**
 * The families of a clause over {@link NetCase}s: `small` is exactly `small` (the clause's
 * original random cases); the others are derived from what the clause needs.
 */
export function netFamilies(
  small: CaseShape,
  needs: CaseNeeds = {},
  ids: readonly FamilyId[] = ALL,
): CaseFamily<NetCase>[] {
  const minL = needs.minLayers ?? 1;
  const minB = needs.minBatch ?? 1;
  const keep = { activations: needs.activations, costs: needs.costs };
  const def = (shape: CaseShape): CaseShape =>
    Object.fromEntries(Object.entries({ ...keep, ...shape }).filter(([, v]) => v !== undefined)) as CaseShape;
  const out: CaseFamily<NetCase>[] = [];
  for (const id of ids)
    switch (id) {
      case 'small':
        out.push({ id, arbitrary: () => netCases(small) });
        break;
      case 'wide':
        out.push({
          id,
          share: 0.5,
          arbitrary: () =>
            netCases(
              def({
                layers: [minL, Math.max(2, minL)],
                widths: WIDE_WIDTHS,
                batch: [minB, Math.max(minB, 6)],
                shapes: WIDE_SHAPES,
                fanIn: true,
              }),
            ),
          cases: () => wideCases(needs),
        });
        break;
      case 'batch':
        out.push({
          id,
          share: 0.5,
          arbitrary: () =>
            netCases(
              def({
                layers: [minL, Math.max(2, minL)],
                width: [1, 8],
                outputs: [1, 8],
                batches: BATCH_SIZES.filter((m) => m >= minB),
                fanIn: true,
              }),
            ),
        });
        break;
      case 'deep':
        out.push({
          id,
          share: 0.5,
          arbitrary: () =>
            netCases(
              def({
                layers: [Math.max(4, minL), 7],
                width: [1, 9],
                batch: [minB, Math.max(minB, 5)],
                fanIn: true,
              }),
            ),
        });
        break;
      case 'saturated':
        out.push({
          id,
          share: 0.5,
          arbitrary: () =>
            netCases(
              def({
                activations: needs.activations ?? ['sigmoid'],
                layers: [minL, Math.max(2, minL)],
                batch: [minB, Math.max(minB, 4)],
                amplify: [4, 9],
              }),
            ),
          cases: () => saturatedCases(needs),
        });
        break;
      case 'mnist':
        out.push({ id, share: 0.25, arbitrary: (train) => mnistCases(needs, train) });
        break;
      case 'fixture': {
        const f = fixtureFits(needs);
        if (f) out.push({ id, cases: (train) => [mnistFixture(train).net] });
        break;
      }
    }
  return out;
}

/** The document network's fixture fits a clause that allows sigmoid, the quadratic cost and 3 layers. */
function fixtureFits(needs: CaseNeeds): boolean {
  return (
    (needs.activations ?? ['sigmoid']).includes('sigmoid') &&
    (needs.costs ?? ['quadratic']).includes('quadratic') &&
    (needs.minLayers ?? 1) <= 3
  );
}

/** The networks of the mnist family. */
const MNIST_SHAPES: readonly (readonly number[])[] = Object.freeze([
  [784, 30, 10],
  [784, 16, 16, 10],
  [784, 10],
]);

/**
 * Random batches of real MNIST training images on 784-wide networks with initParams
 * (scaled-normal) weights, from `fetched` (a browser's images) or `loadMnist().train`.
 */
export function mnistCases(needs: CaseNeeds = {}, fetched?: DataSet): fc.Arbitrary<NetCase> {
  const train = mnistTrain(fetched);
  const shapes = MNIST_SHAPES.filter((s) => s.length - 1 >= (needs.minLayers ?? 1));
  const activations = needs.activations ?? (['sigmoid', 'relu'] as const);
  const costs = needs.costs ?? (['quadratic', 'squared-error', 'cross-entropy'] as const);
  return fc
    .record({
      sizes: fc.constantFrom(...shapes),
      activation: fc.constantFrom(...activations),
      cost: fc.constantFrom(...costs),
      size: BATCH_SIZES.filter((m) => m >= (needs.minBatch ?? 1) && m <= train.count),
      start: fc.integer({ min: 0, max: Math.max(0, train.count - 64) }),
      seed: fc.integer({ min: 1, max: 1000 }),
      eta: fc.integer({ min: 0, max: 4 }).map((k) => 2 ** -k),
    })
    .map((h) => {
      const spec: NetworkSpec = { sizes: [...h.sizes], activation: h.activation, cost: h.cost };
      const indices = Array.from({ length: h.size }, (_, i) => h.start + i);
      const x = new Float64Array(h.size * 784);
      const y = new Float64Array(h.size * 10);
      fillInputs(train, indices, x);
      fillTargets(train, indices, y);
      return {
        spec,
        params: initParams(spec, h.seed, 'scaled-normal'),
        batch: { size: h.size, x, y },
        eta: h.eta,
        seed: h.seed,
        label: `MNIST rows train[${h.start}..${h.start + h.size - 1}] on ${h.sizes.join('-')} ${h.activation} ${h.cost}, initParams seed ${h.seed} (scaled-normal), η = ${h.eta}`,
      };
    });
}

/** A one-example batch: inputs and one-hot (or given) targets. */
function batchOf(x: number[][], y: number[][]) {
  return { size: x.length, x: Float64Array.from(x.flat()), y: Float64Array.from(y.flat()) };
}

/**
 * Fixed saturated cases: logits of 100 and 800 under softmax (a^L_j underflows to exactly 0, and
 * a softmax without the maximum subtracted overflows), and sigmoid layers at z = ±100 and ±800
 * (σ is exactly 0 or 1, e^{−z} overflows).
 */
export function saturatedCases(needs: CaseNeeds = {}): NetCase[] {
  const cases: NetCase[] = [];
  const acts = needs.activations ?? ['sigmoid', 'relu', 'identity'];
  const costs = needs.costs ?? ['quadratic', 'squared-error', 'cross-entropy'];
  const minL = needs.minLayers ?? 1;
  const minB = needs.minBatch ?? 1;
  const add = (c: NetCase) => {
    if (
      acts.includes(c.spec.activation) &&
      costs.includes(c.spec.cost) &&
      c.spec.sizes.length - 1 >= minL &&
      c.batch.size >= minB
    )
      cases.push(c);
  };
  for (const activation of ['sigmoid', 'relu', 'identity'] as const) {
    // Rows whose logits differ by 1000: a softmax (or ln Σ e^z) that takes its maximum over the
    // wrong row's entries overflows or underflows on one of them.
    add({
      spec: { sizes: [2, 2], activation, cost: 'cross-entropy' },
      params: { weights: [Float64Array.of(1000, 0, 0, 1000)], biases: [new Float64Array(2)] },
      batch: batchOf(
        [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
        [
          [1, 0],
          [0, 1],
          [1, 0],
        ],
      ),
      eta: 2 ** -10,
      seed: 1000,
      label: `saturated: rows of logits (0, 0), (1000, 0), (0, 1000) under softmax, ${activation}, cross-entropy`,
    });
    // One layer of logits: W = 0, b = (800, 100, 0, −800); targets on the smallest logit (C_x = 1600) and on 100 (C_x = 700).
    add({
      spec: { sizes: [2, 4], activation, cost: 'cross-entropy' },
      params: { weights: [new Float64Array(8)], biases: [Float64Array.of(800, 100, 0, -800)] },
      batch: batchOf(
        [
          [0.5, -0.5],
          [1, 0.25],
        ],
        [
          [0, 0, 0, 1],
          [0, 1, 0, 0],
        ],
      ),
      eta: 2 ** -4,
      seed: 800,
      label: `saturated: logits (800, 100, 0, −800) under softmax, ${activation}, cross-entropy; targets on −800 and on 100`,
    });
    // Logits of 100 through a hidden layer: z¹ = 0 and a² = softmax(W² a¹ + b²), b² = (100, 0, −100).
    add({
      spec: { sizes: [1, 2, 3], activation, cost: 'cross-entropy' },
      params: {
        weights: [Float64Array.of(0, 0), Float64Array.of(1, -1, 0.5, 0.5, -1, 1)],
        biases: [Float64Array.of(0.25, 0.5), Float64Array.of(100, 0, -100)],
      },
      batch: batchOf(
        [[1], [-1]],
        [
          [0, 0, 1],
          [1, 0, 0],
        ],
      ),
      eta: 2 ** -6,
      seed: 100,
      label: `saturated: logits (100, 0, −100) after a hidden ${activation} layer, cross-entropy; targets on −100 and on 100`,
    });
  }
  for (const cost of ['quadratic', 'squared-error', 'cross-entropy'] as const) {
    // Sigmoid far into both tails: z¹ = (800, −800, 100, −100), then an output layer of weights ±1.
    add({
      spec: { sizes: [2, 4, 2], activation: 'sigmoid', cost },
      params: {
        weights: [new Float64Array(8), Float64Array.of(1, -1, 1, -1, -1, 1, -1, 1)],
        biases: [Float64Array.of(800, -800, 100, -100), Float64Array.of(0.5, -0.5)],
      },
      batch: batchOf([[0.25, -0.75]], [cost === 'cross-entropy' ? [0, 1] : [0.25, 1]]),
      eta: 2 ** -2,
      seed: 7,
      label: `saturated: sigmoid layer at z¹ = (800, −800, 100, −100), then 4-2 (${cost})`,
    });
    // A forward pass whose exponentials overflow through the products: W¹ = ±512, x = ±1, so |z¹| = 1024 and 1536.
    add({
      spec: { sizes: [3, 2, 2], activation: 'sigmoid', cost },
      params: {
        weights: [Float64Array.of(512, 512, 512, -512, -512, 512), Float64Array.of(300, -300, -300, 300)],
        biases: [Float64Array.of(0, -512), Float64Array.of(-150, 150)],
      },
      batch: batchOf(
        [
          [1, 1, 1],
          [-1, 1, -1],
        ],
        cost === 'cross-entropy'
          ? [
              [1, 0],
              [0, 1],
            ]
          : [
              [1, 0],
              [0.5, 0.5],
            ],
      ),
      eta: 2 ** -3,
      seed: 1536,
      label: `saturated: 3-2-2 sigmoid with W¹ = ±512 (|z¹| up to 1536, e^{|z|} overflows), then logits ±150 (${cost})`,
    });
  }
  return cases;
}
