import type { Activation, Batch, Cost, NetworkSpec, Params } from '@backprop/core';
import * as fc from 'fast-check';

/**
 * One case of a clause: a network, its parameters and a mini-batch. Random cases are built from
 * values on a grid of 1/64 scaled by powers of two (exact in float32, so every dtype receives the
 * same numbers and a shrunk counterexample reads cleanly); MNIST cases carry real images.
 */
export interface NetCase {
  readonly spec: NetworkSpec;
  readonly params: Params;
  readonly batch: Batch;
  /** Learning rate for the SGD clauses. */
  readonly eta: number;
  /** Seed for choices a check makes within the case (which gradient components to difference). */
  readonly seed: number;
  /** Set on fixed cases and MNIST cases, e.g. the MNIST batch; printed instead of the numbers. */
  readonly label?: string;
}

/** The space random cases are drawn from. */
export interface CaseShape {
  readonly activations?: readonly Activation[];
  readonly costs?: readonly Cost[];
  /** Number of weight layers L (sizes has L + 1 entries). */
  readonly layers?: readonly [number, number];
  /** Neurons per layer (input and hidden). */
  readonly width?: readonly [number, number];
  /** Widths drawn from this instead of `width` (input, hidden and output layers). */
  readonly widths?: fc.Arbitrary<number>;
  /** Neurons in the output layer (at least 2 with cross-entropy). */
  readonly outputs?: readonly [number, number];
  /** Examples per mini-batch. */
  readonly batch?: readonly [number, number];
  /** Batch sizes drawn from this instead of `batch`. */
  readonly batches?: fc.Arbitrary<number>;
  /** Whole networks (layer sizes) drawn, half of the time, instead of random ones. */
  readonly shapes?: readonly (readonly number[])[];
  /**
   * Weights in [−2, 2]·2^−⌈log₂ √fan-in⌉ instead of [−2, 2], so that the z^l of wide and deep
   * networks stay where σ′ is not negligible (still on the float32-exact grid).
   */
  readonly fanIn?: boolean;
  /** Every parameter multiplied by 2^k, k drawn from this range: pre-activations far into the tails. */
  readonly amplify?: readonly [number, number];
}

/** Values k/denominator in [lo, hi]; shrinks towards 0. */
export function grid(lo: number, hi: number, denominator = 64): fc.Arbitrary<number> {
  return fc
    .integer({ min: Math.ceil(lo * denominator), max: Math.floor(hi * denominator) })
    .map((k) => k / denominator);
}

const ALL_ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'identity'];
const ALL_COSTS: readonly Cost[] = ['quadratic', 'squared-error', 'cross-entropy'];

/** A fixed-length array of grid values as a Float64Array, each times `factor` (a power of two). */
function values(
  length: number,
  lo: number,
  hi: number,
  denominator = 64,
  factor = 1,
): fc.Arbitrary<Float64Array> {
  return fc
    .array(grid(lo, hi, denominator), { minLength: length, maxLength: length })
    .map((a) => Float64Array.from(a, (v) => v * factor));
}

/** 2^−⌈log₂ √n⌉: the power of two nearest below 1/√n (exact scaling). */
export function fanInScale(n: number): number {
  return 2 ** -Math.ceil(Math.log2(Math.sqrt(n)));
}

/** How {@link paramsArb} scales the grid values. */
export interface ParamScale {
  /** Weights scaled by {@link fanInScale} of the layer's fan-in. */
  readonly fanIn?: boolean;
  /** Every parameter times this power of two. */
  readonly factor?: number;
}

/** Parameters for `sizes`: weights and biases in [−2, 2] (scaled as `scale` says). */
export function paramsArb(sizes: readonly number[], scale: ParamScale = {}): fc.Arbitrary<Params> {
  const weights: fc.Arbitrary<Float64Array>[] = [];
  const biases: fc.Arbitrary<Float64Array>[] = [];
  const f = scale.factor ?? 1;
  for (let l = 1; l < sizes.length; l++) {
    const w = scale.fanIn ? fanInScale(sizes[l - 1]!) : 1;
    weights.push(values(sizes[l]! * sizes[l - 1]!, -2, 2, 64, f * w));
    biases.push(values(sizes[l]!, -2, 2, 64, f));
  }
  return fc
    .record({ weights: fc.tuple(...weights), biases: fc.tuple(...biases) })
    .map((p) => ({ weights: [...p.weights], biases: [...p.biases] }));
}

/**
 * Targets for `size` rows of `n` outputs: one-hot rows for cross-entropy (a distribution is
 * required), otherwise any values in [0, 1] on a grid of 1/8.
 */
export function targetsArb(cost: Cost, size: number, n: number): fc.Arbitrary<Float64Array> {
  if (cost !== 'cross-entropy') return values(size * n, 0, 1, 8);
  return fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: size, maxLength: size }).map((labels) => {
    const y = new Float64Array(size * n);
    labels.forEach((c, r) => {
      y[r * n + c] = 1;
    });
    return y;
  });
}

/**
 * Random cases: a network, parameters in [−2, 2] (scaled as the shape says), a batch with inputs
 * in [−1, 1]. The defaults are the small networks of the `small` family: 1–3 layers of 1–5
 * neurons, 1–4 outputs, batches of 1–4.
 */
export function netCases(shape: CaseShape = {}): fc.Arbitrary<NetCase> {
  const activations = shape.activations ?? ALL_ACTIVATIONS;
  const costs = shape.costs ?? ALL_COSTS;
  const [lMin, lMax] = shape.layers ?? [1, 3];
  const [wMin, wMax] = shape.width ?? [1, 5];
  const [bMin, bMax] = shape.batch ?? [1, 4];
  // Only the draws a shape asks for: the small family's cases stay exactly what they always were.
  const amplify = shape.amplify
    ? { amplify: fc.integer({ min: shape.amplify[0], max: shape.amplify[1] }) }
    : { amplify: fc.constant(0) };
  const head = fc
    .record({
      L: fc.integer({ min: lMin, max: lMax }),
      activation: fc.constantFrom(...activations),
      cost: fc.constantFrom(...costs),
      size: shape.batches ?? fc.integer({ min: bMin, max: bMax }),
      eta: fc.integer({ min: 0, max: 6 }).map((k) => 2 ** -k),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      ...amplify,
    })
    .chain((h) => {
      const minOut = h.cost === 'cross-entropy' ? 2 : 1;
      const [oMin, oMax] = shape.outputs ?? [minOut, 4];
      const width = shape.widths ?? fc.integer({ min: wMin, max: wMax });
      const out = shape.widths
        ? shape.widths.filter((n) => n >= minOut)
        : fc.integer({ min: Math.max(oMin, minOut), max: oMax });
      const random = fc
        .record({ inner: fc.array(width, { minLength: h.L, maxLength: h.L }), out })
        .map(({ inner, out }) => [...inner, out]);
      const fixed = (shape.shapes ?? []).filter(
        (s) => s.length - 1 >= lMin && s.length - 1 <= lMax && s[s.length - 1]! >= minOut,
      );
      const sizes =
        fixed.length > 0 ? fc.oneof(random, fc.constantFrom(...fixed.map((s) => [...s]))) : random;
      return sizes.map((s) => ({ ...h, sizes: s }));
    });
  return head.chain((h) => {
    const spec: NetworkSpec = { sizes: h.sizes, activation: h.activation, cost: h.cost };
    const n0 = h.sizes[0]!;
    const nL = h.sizes[h.sizes.length - 1]!;
    return fc
      .record({
        params: paramsArb(h.sizes, { fanIn: shape.fanIn ?? false, factor: 2 ** h.amplify }),
        x: values(h.size * n0, -1, 1),
        y: targetsArb(h.cost, h.size, nL),
      })
      .map(({ params, x, y }) => ({ spec, params, batch: { size: h.size, x, y }, eta: h.eta, seed: h.seed }));
  });
}

function row(a: Float64Array, r: number, n: number): string {
  return `[${Array.from(a.subarray(r * n, (r + 1) * n), (v) => String(Number(v.toPrecision(6)))).join(', ')}]`;
}

function matrix(a: Float64Array, rows: number, cols: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) out.push(row(a, r, cols));
  return `[${out.join(', ')}]`;
}

/** A case in a form a person can re-enter: the network, every parameter, the batch. */
export function describeCase(c: NetCase): string {
  if (c.label) return c.label;
  const { sizes, activation, cost } = c.spec;
  const lines = [
    `network ${sizes.join('-')}, ${activation}, ${cost}; batch of ${c.batch.size}; η = ${c.eta}; seed ${c.seed}`,
  ];
  for (let l = 1; l < sizes.length; l++) {
    lines.push(
      `  W${l} = ${matrix(c.params.weights[l - 1]!, sizes[l]!, sizes[l - 1]!)}  b${l} = ${row(c.params.biases[l - 1]!, 0, sizes[l]!)}`,
    );
  }
  lines.push(`  x = ${matrix(c.batch.x, c.batch.size, sizes[0]!)}`);
  lines.push(`  y = ${matrix(c.batch.y, c.batch.size, sizes[sizes.length - 1]!)}`);
  return lines.join('\n');
}

/** Row `r` of a batch as a batch of one. */
export function rowBatch(batch: Batch, r: number, n0: number, nL: number): Batch {
  return { size: 1, x: batch.x.slice(r * n0, (r + 1) * n0), y: batch.y.slice(r * nL, (r + 1) * nL) };
}
