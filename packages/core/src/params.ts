import { deriveSeed, Rng } from '@backprop/data';
import { ACTIVATIONS } from './activation.js';
import { COSTS } from './cost.js';
import type { Init, NetworkSpec, Params } from './spec.js';

/** The initialisation names, for flags and validation. */
export const INITS: readonly Init[] = Object.freeze(['normal', 'scaled-normal']);

/** Number of weights and biases, Σ n_l (n_{l−1} + 1) (clause `net.shape`): 13,002 for 784-16-16-10. */
export function parameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += sizes[l]! * (sizes[l - 1]! + 1); // net.shape
  return n;
}

/** Throw a RangeError naming the problem when `spec` is not a usable network. */
export function validateSpec(spec: NetworkSpec): void {
  const { sizes } = spec;
  if (!Array.isArray(sizes) || sizes.length < 2)
    throw new RangeError(
      `a network needs at least an input and an output layer, got sizes ${JSON.stringify(sizes)}`,
    );
  for (const n of sizes)
    if (!(Number.isInteger(n) && n >= 1))
      throw new RangeError(`layer sizes must be positive integers, got ${JSON.stringify(sizes)}`);
  if (!ACTIVATIONS.includes(spec.activation))
    throw new RangeError(
      `unknown activation '${spec.activation}'; expected one of ${ACTIVATIONS.join(', ')}`,
    );
  if (!COSTS.includes(spec.cost))
    throw new RangeError(`unknown cost '${spec.cost}'; expected one of ${COSTS.join(', ')}`);
}

/**
 * Initial parameters from a seed, drawn from `Rng(deriveSeed(seed, 'init'))` in network.py's
 * order: every bias b^l ~ N(0, 1) layer by layer, then every weight row-major, w ~ N(0, 1)
 * (`normal`, as network.py) or N(0, 1/n_{l−1}) (`scaled-normal`).
 */
export function initParams(spec: NetworkSpec, seed: number, init: Init = 'normal'): Params {
  validateSpec(spec);
  if (!INITS.includes(init))
    throw new RangeError(`unknown init '${init}'; expected one of ${INITS.join(', ')}`);
  const { sizes } = spec;
  const rng = new Rng(deriveSeed(seed, 'init'));
  const biases: Float64Array[] = [];
  const weights: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const b = new Float64Array(sizes[l]!);
    for (let j = 0; j < b.length; j++) b[j] = rng.nextNormal();
    biases.push(b);
  }
  for (let l = 1; l < sizes.length; l++) {
    const w = new Float64Array(sizes[l]! * sizes[l - 1]!);
    const scale = init === 'scaled-normal' ? 1 / Math.sqrt(sizes[l - 1]!) : 1;
    for (let i = 0; i < w.length; i++) w[i] = rng.nextNormal() * scale;
    weights.push(w);
  }
  return { weights, biases };
}

/** A deep copy of parameters (or gradients). */
export function cloneParams(p: Params): Params {
  return { weights: p.weights.map((w) => w.slice()), biases: p.biases.map((b) => b.slice()) };
}

/** Zeros in the shape of `spec`'s parameters. */
export function zeroParams(spec: NetworkSpec): Params {
  const { sizes } = spec;
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    weights.push(new Float64Array(sizes[l]! * sizes[l - 1]!));
    biases.push(new Float64Array(sizes[l]!));
  }
  return { weights, biases };
}

/** Throw a RangeError naming the layer when `params` do not have the shapes of `spec`. */
export function checkParamShapes(spec: NetworkSpec, params: Params): void {
  const { sizes } = spec;
  const L = sizes.length - 1;
  if (params.weights.length !== L || params.biases.length !== L)
    throw new RangeError(
      `expected ${L} weight matrices and bias vectors, got ${params.weights.length} and ${params.biases.length}`,
    );
  for (let l = 1; l <= L; l++) {
    const w = params.weights[l - 1]!;
    const b = params.biases[l - 1]!;
    if (w.length !== sizes[l]! * sizes[l - 1]!)
      throw new RangeError(
        `W^${l} has ${w.length} entries, expected ${sizes[l]}×${sizes[l - 1]} = ${sizes[l]! * sizes[l - 1]!}`,
      );
    if (b.length !== sizes[l]!) throw new RangeError(`b^${l} has ${b.length} entries, expected ${sizes[l]}`);
  }
}

/** All parameters in one vector: W^1, b^1, W^2, b^2, … (the order finite-difference checks walk). */
export function flattenParams(p: Params): Float64Array {
  let n = 0;
  for (let l = 0; l < p.weights.length; l++) n += p.weights[l]!.length + p.biases[l]!.length;
  const out = new Float64Array(n);
  let o = 0;
  for (let l = 0; l < p.weights.length; l++) {
    out.set(p.weights[l]!, o);
    o += p.weights[l]!.length;
    out.set(p.biases[l]!, o);
    o += p.biases[l]!.length;
  }
  return out;
}

/** The inverse of {@link flattenParams} for `spec`'s shapes. */
export function unflattenParams(spec: NetworkSpec, flat: ArrayLike<number>): Params {
  const p = zeroParams(spec);
  if (flat.length !== parameterCount(spec.sizes))
    throw new RangeError(`expected ${parameterCount(spec.sizes)} parameters, got ${flat.length}`);
  let o = 0;
  for (let l = 0; l < p.weights.length; l++) {
    for (let i = 0; i < p.weights[l]!.length; i++) p.weights[l]![i] = flat[o++]!;
    for (let i = 0; i < p.biases[l]!.length; i++) p.biases[l]![i] = flat[o++]!;
  }
  return p;
}
