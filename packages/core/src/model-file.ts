import { writeFileAtomic } from './atomic.js';
import { type JsonFormat, openJson, readJson } from './json-file.js';
import { paramsField, paramsJson, specField } from './network-fields.js';
import { parameterCount } from './params.js';
import type { RunFile } from './run-file.js';
import type { Activation, Cost, NetworkSpec, Params } from './spec.js';

/** The `format` tag of a model file. */
export const MODEL_FORMAT = 'backprop-model';
/** The model file version this code writes and reads. */
export const MODEL_VERSION = 1;

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

/**
 * The provenance of the model a run trained, derived from its run file: when, the run's settings
 * (the spec is the model's own), the backend, the data, the test accuracy, and `runFile`, the run
 * file as the model file refers to it. `backprop train` and the web app both write it.
 *
 * @example
 * ```ts
 * const provenance = modelProvenance(run, run.final!.test.accuracy, 'run.json');
 * // { createdAt, init, epochs, batchSize, eta, momentum, …, backend: 'reference (float64, js)', data, testAccuracy, runFile: 'run.json' }
 * ```
 */
export function modelProvenance(
  run: Pick<RunFile, 'config' | 'backend'>,
  testAccuracy: number,
  runFile: string,
  createdAt: Date = new Date(),
): ModelProvenance {
  const { spec: _spec, parameterCount: _count, data, ...settings } = run.config;
  const b = run.backend;
  return {
    createdAt: createdAt.toISOString(),
    ...settings,
    backend: `${b.name} (${b.dtype}, ${b.device})`,
    data: data.source,
    testAccuracy,
    runFile,
  };
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

const MODEL_FILE: JsonFormat = {
  format: MODEL_FORMAT,
  versions: [MODEL_VERSION],
  what: 'model file',
  writtenBy: "'backprop train'",
  error: ModelFileError,
};

/** The JSON value of a model file (parameters as plain numbers: people read these files). */
function modelJson(model: Model): ModelFileJson {
  const { spec, params } = model;
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: { sizes: [...spec.sizes], activation: spec.activation, cost: spec.cost },
    parameterCount: parameterCount(spec.sizes),
    params: paramsJson(params, 'numbers') as ModelFileJson['params'],
    provenance: model.provenance,
  };
}

/** The JSON text of a model file. */
export function serializeModel(model: Model): string {
  return `${JSON.stringify(modelJson(model))}\n`;
}

/** Save a model file atomically (a reader never sees half a file). Refuses non-finite parameters. */
export function saveModel(path: string, model: Model): void {
  const text = serializeModel(model);
  parseModel(JSON.parse(text), path); // the same checks as loading, on exactly what is written
  writeFileAtomic(path, text);
}

/** Load and validate a model file: format, version, spec, every shape, every value finite. */
export function loadModel(path: string): Model {
  return parseModel(readJson(path, MODEL_FILE), path);
}

/** Validate the parsed JSON of a model file (`source` names it in errors). */
export function parseModel(json: unknown, source = 'model'): Model {
  const { root, fields: f } = openJson(json, source, MODEL_FILE);
  const spec = specField(f, root.spec, 'spec');
  const count = parameterCount(spec.sizes);
  if (root.parameterCount !== undefined && root.parameterCount !== count)
    f.fail(
      'parameterCount',
      `${count} (the parameters of sizes ${spec.sizes.join('-')})`,
      root.parameterCount,
    );
  const params = paramsField(f, root.params, 'params', spec.sizes, 'numbers');
  const provenance = root.provenance === undefined ? {} : f.object(root.provenance, 'provenance');
  return { spec, params, provenance: provenance as ModelProvenance };
}
