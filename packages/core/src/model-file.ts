import { readFileSync } from 'node:fs';
import { ACTIVATIONS } from './activation.js';
import { writeFileAtomic } from './atomic.js';
import { COSTS } from './cost.js';
import { parameterCount } from './params.js';
import type { Activation, Cost, NetworkSpec, Params } from './spec.js';

/** The `format` tag of a model file. */
export const MODEL_FORMAT = 'backprop-model';
/** The model file version this code writes and reads. */
export const MODEL_VERSION = 1;

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

/**
 * Why `sizes` cannot be a network this code loads (too few layers, a size that is not a
 * positive integer, a layer above {@link MAX_LAYER_SIZE}, more than {@link MAX_PARAMETERS}
 * parameters), or null when it can. `field` names the array in the message.
 */
export function sizesProblem(sizes: unknown, field: string): string | null {
  if (!Array.isArray(sizes) || sizes.length < 2)
    return `${field} must list at least two positive integers, got ${JSON.stringify(sizes)?.slice(0, 80)}`;
  if (sizes.length > MAX_LAYERS)
    return `${field} lists ${sizes.length} layers, more than the ${MAX_LAYERS} a network may have`;
  for (let i = 0; i < sizes.length; i++) {
    const n = sizes[i];
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1))
      return `${field} must list at least two positive integers, got ${JSON.stringify(n)} at ${field}[${i}]`;
    if (n > MAX_LAYER_SIZE)
      return `${field}[${i}] is ${n}, more than the ${MAX_LAYER_SIZE.toLocaleString('en-US')} neurons a layer may have`;
  }
  const count = parameterCount(sizes as number[]);
  if (count > MAX_PARAMETERS)
    return `${field} ${sizes.join('-')} declare ${count.toLocaleString('en-US')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en-US')} a file may hold`;
  return null;
}

/** Where a model came from: free-form, with these fields filled by `backprop train`. */
export interface ModelProvenance {
  readonly createdAt?: string;
  readonly init?: string;
  readonly seed?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly eta?: number;
  readonly backend?: string;
  readonly data?: string;
  readonly testAccuracy?: number;
  readonly runFile?: string;
  readonly [key: string]: unknown;
}

/** A network and its parameters, as saved and loaded. */
export interface Model {
  readonly spec: NetworkSpec;
  readonly params: Params;
  readonly provenance: ModelProvenance;
}

/**
 * The JSON of a model file, version 1: `spec`, `parameterCount`, `params.weights[l-1]` (W^l
 * row-major, n_l × n_{l−1}) and `params.biases[l-1]` as plain number arrays (JSON numbers
 * round-trip float64 exactly), and `provenance`.
 */
export interface ModelFileJson {
  readonly format: typeof MODEL_FORMAT;
  readonly version: typeof MODEL_VERSION;
  readonly spec: { readonly sizes: number[]; readonly activation: Activation; readonly cost: Cost };
  readonly parameterCount: number;
  readonly params: { readonly weights: number[][]; readonly biases: number[][] };
  readonly provenance: ModelProvenance;
}

/** A model file that cannot be used; the message names the file, the field and what was expected. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** The JSON text of a model file. */
export function serializeModel(model: Model): string {
  const { spec, params } = model;
  const json: ModelFileJson = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: { sizes: [...spec.sizes], activation: spec.activation, cost: spec.cost },
    parameterCount: parameterCount(spec.sizes),
    params: {
      weights: params.weights.map((w) => Array.from(w)),
      biases: params.biases.map((b) => Array.from(b)),
    },
    provenance: model.provenance,
  };
  return `${JSON.stringify(json)}\n`;
}

/** Save a model file atomically (a reader never sees half a file). Refuses non-finite parameters. */
export function saveModel(path: string, model: Model): void {
  const model2 = parseModel(JSON.parse(serializeModel(model)), path); // the same checks as loading
  writeFileAtomic(path, serializeModel(model2));
}

/** Load and validate a model file: format, version, spec, every shape, every value finite. */
export function loadModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelFileError(`cannot read model file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(
      `${path} is not JSON (${(e as Error).message}); is it a model file written by 'backprop train'?`,
    );
  }
  return parseModel(json, path);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberArray(v: unknown, where: string, length: number, fail: (m: string) => never): Float64Array {
  if (!Array.isArray(v)) fail(`${where} must be an array of ${length} numbers`);
  if (v.length !== length) fail(`${where} has ${v.length} entries, expected ${length}`);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      fail(
        `${where}[${i}] is ${typeof x === 'number' ? String(x) : JSON.stringify(x)}, expected a finite number`,
      );
    out[i] = x;
  }
  return out;
}

/** Validate the parsed JSON of a model file (`source` names it in errors). */
export function parseModel(json: unknown, source = 'model'): Model {
  const fail = (m: string): never => {
    throw new ModelFileError(`${source}: ${m}`);
  };
  if (!isObject(json)) return fail('expected a JSON object');
  if (json.format !== MODEL_FORMAT)
    fail(`format is ${JSON.stringify(json.format)}, expected "${MODEL_FORMAT}"`);
  if (json.version !== MODEL_VERSION)
    fail(
      `version ${JSON.stringify(json.version)} is not supported; this build reads version ${MODEL_VERSION}`,
    );
  const s = json.spec;
  if (!isObject(s)) return fail('spec is missing');
  const sizes = s.sizes;
  const problem = sizesProblem(sizes, 'spec.sizes');
  if (problem !== null) fail(problem);
  if (!ACTIVATIONS.includes(s.activation as Activation))
    fail(`spec.activation is ${JSON.stringify(s.activation)}, expected one of ${ACTIVATIONS.join(', ')}`);
  if (!COSTS.includes(s.cost as Cost))
    fail(`spec.cost is ${JSON.stringify(s.cost)}, expected one of ${COSTS.join(', ')}`);
  const spec: NetworkSpec = {
    sizes: [...(sizes as number[])],
    activation: s.activation as Activation,
    cost: s.cost as Cost,
  };
  if (json.parameterCount !== undefined && json.parameterCount !== parameterCount(spec.sizes))
    fail(
      `parameterCount is ${JSON.stringify(json.parameterCount)}, but sizes ${spec.sizes.join('-')} have ${parameterCount(spec.sizes)}`,
    );
  const p = json.params;
  if (!isObject(p)) return fail('params is missing');
  const L = spec.sizes.length - 1;
  if (!Array.isArray(p.weights) || p.weights.length !== L)
    fail(
      `params.weights must hold ${L} matrices (one per layer after the input), got ${Array.isArray(p.weights) ? p.weights.length : typeof p.weights}`,
    );
  if (!Array.isArray(p.biases) || p.biases.length !== L)
    fail(
      `params.biases must hold ${L} vectors, got ${Array.isArray(p.biases) ? p.biases.length : typeof p.biases}`,
    );
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 1; l <= L; l++) {
    const n = spec.sizes[l]!;
    const m = spec.sizes[l - 1]!;
    weights.push(
      numberArray(
        (p.weights as unknown[])[l - 1],
        `params.weights[${l - 1}] (W^${l}, ${n}×${m})`,
        n * m,
        fail,
      ),
    );
    biases.push(numberArray((p.biases as unknown[])[l - 1], `params.biases[${l - 1}] (b^${l})`, n, fail));
  }
  const provenance = json.provenance === undefined ? {} : json.provenance;
  if (!isObject(provenance)) fail('provenance must be an object');
  return { spec, params: { weights, biases }, provenance: provenance as ModelProvenance };
}
