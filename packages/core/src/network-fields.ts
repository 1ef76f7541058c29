import { ACTIVATIONS } from './activation.js';
import { COSTS } from './cost.js';
import { encodeFloats, type JsonFields } from './json-file.js';
import { parameterCount } from './params.js';
import type { NetworkSpec, Params } from './spec.js';

/**
 * A network as the files hold it: the spec (sizes bounded before anything is allocated) and the
 * parameters, as JSON numbers (model files, version-1 checkpoints) or as base64 of float64
 * (checkpoints from version 2). Model, run and checkpoint files all read them through here.
 */

/**
 * The largest layer a model, run or checkpoint file may declare. Sizes are checked against
 * these bounds before anything is allocated, so a corrupt or hostile file cannot make a
 * loader reserve gigabytes.
 */
export const MAX_LAYER_SIZE = 100_000;
/** The most layers (input included) a file may declare. */
export const MAX_LAYERS = 1000;
/** The most parameters a model file may declare (800 MB as float64). */
export const MAX_PARAMETERS = 100_000_000;

/** How a file holds parameter arrays: JSON numbers, or base64 of little-endian float64. */
export type ParamsEncoding = 'numbers' | 'base64';

/**
 * `value` as layer sizes a loader may allocate: at least two positive integers, at most
 * {@link MAX_LAYERS} of them, none above {@link MAX_LAYER_SIZE}, at most {@link MAX_PARAMETERS}
 * parameters in all.
 */
export function sizesField(f: JsonFields, value: unknown, field: string): number[] {
  if (!Array.isArray(value) || value.length < 2)
    return f.fail(field, 'at least two positive integers', value);
  if (value.length > MAX_LAYERS)
    f.problem(`${field} lists ${value.length} layers, more than the ${MAX_LAYERS} a network may have`);
  for (let i = 0; i < value.length; i++) {
    const n = value[i];
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1))
      f.fail(`${field}[${i}]`, 'a positive integer', n);
    if ((n as number) > MAX_LAYER_SIZE)
      f.problem(
        `${field}[${i}] is ${n}, more than the ${MAX_LAYER_SIZE.toLocaleString('en-US')} neurons a layer may have`,
      );
  }
  const sizes = value as number[];
  const count = parameterCount(sizes);
  if (count > MAX_PARAMETERS)
    f.problem(
      `${field} ${sizes.join('-')} declare ${count.toLocaleString('en-US')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en-US')} a file may hold`,
    );
  return [...sizes];
}

/** `value` as a {@link NetworkSpec}: bounded sizes, a known activation and cost. */
export function specField(f: JsonFields, value: unknown, field: string): NetworkSpec {
  const s = f.object(value, field);
  return {
    sizes: sizesField(f, s.sizes, `${field}.sizes`),
    activation: f.oneOf(s, 'activation', field, ACTIVATIONS),
    cost: f.oneOf(s, 'cost', field, COSTS),
  };
}

/**
 * `value` as the parameters of a network of `sizes`: `weights[l-1]` W^l (n_l × n_{l−1},
 * row-major) and `biases[l-1]` b^l, every value finite; each array as `encoding` says.
 */
export function paramsField(
  f: JsonFields,
  value: unknown,
  field: string,
  sizes: readonly number[],
  encoding: ParamsEncoding,
): Params {
  const p = f.object(value, field);
  const L = sizes.length - 1;
  const list = (key: string, what: string): readonly unknown[] => {
    const v = p[key];
    if (!Array.isArray(v) || v.length !== L)
      f.fail(`${field}.${key}`, `${L} ${what}`, v, Array.isArray(v) ? `${v.length}` : describeType(v));
    return v as unknown[];
  };
  const weights = list('weights', 'matrices (one per layer after the input)');
  const biases = list('biases', 'vectors (one per layer after the input)');
  const read = (v: unknown, where: string, length: number) =>
    encoding === 'base64' ? f.base64Floats(v, where, length) : f.floats(v, where, length);
  const out: Params = { weights: [], biases: [] };
  for (let l = 1; l <= L; l++) {
    const n = sizes[l]!;
    const m = sizes[l - 1]!;
    out.weights.push(read(weights[l - 1], `${field}.weights[${l - 1}] (W^${l}, ${n}×${m})`, n * m));
    out.biases.push(read(biases[l - 1], `${field}.biases[${l - 1}] (b^${l})`, n));
  }
  return out;
}

/** Parameters as a file writes them in `encoding` (non-finite numbers become null as JSON numbers). */
export function paramsJson(params: Params, encoding: ParamsEncoding) {
  const arrays = (list: readonly Float64Array[]) =>
    list.map((a) => (encoding === 'base64' ? encodeFloats(a) : Array.from(a)));
  return { weights: arrays(params.weights), biases: arrays(params.biases) };
}

function describeType(v: unknown): string {
  return v === undefined ? 'missing' : v === null ? 'null' : typeof v;
}
