import {
  type Backend,
  DivergenceError,
  evaluate,
  type Model,
  type TrainOptions,
  type TrainResult,
  train,
} from '@backprop/core';
import type { DataSet } from '@backprop/data';
import type { TopLevelSpec } from 'vega-lite';

/** Reports that `done` of `total` units of the work called `label` are finished (`TaskProgress.report` of the CLI). */
export type ProgressFn = (label: string, done: number, total: number) => void;

/** Options every experiment takes. */
export interface CommonOptions {
  /** Seeds initialisation, shuffles and any random draw of the experiment. */
  readonly seed: number;
  /** Registry name of the backend that trains and evaluates ('reference' by default). */
  readonly backend: string;
  /** A directory of MNIST-format IDX files; the bundled MNIST by default. */
  readonly dataDir?: string;
  readonly progress?: ProgressFn;
}

/** What a result records about the backend that produced it. */
export interface BackendInfo {
  readonly name: string;
  readonly dtype: string;
  readonly device: string;
}

/** The {@link BackendInfo} of `backend`. */
export function backendInfo(backend: Backend): BackendInfo {
  return { name: backend.name, dtype: backend.dtype, device: backend.device };
}

/** The part of every result that says what ran. */
export interface ResultHeader {
  readonly experiment: string;
  /** The document's claim, in one sentence. */
  readonly claim: string;
  readonly createdAt: string;
  readonly backend: BackendInfo;
  readonly data: {
    readonly source: string;
    readonly train: number;
    readonly validation: number;
    readonly test: number;
  };
  /** Seconds the experiment took, end to end. */
  readonly seconds: number;
}

/** What a result's `config` keeps of an experiment's options: all but how it reports progress, where the data is, and `X`. */
export type Settings<O extends CommonOptions, X extends keyof O = never> = Omit<
  O,
  'progress' | 'dataDir' | X
>;

/** The {@link Settings} of `options`, leaving out `leave` too. */
export function settingsOf<O extends CommonOptions, X extends keyof O = never>(
  options: O,
  ...leave: X[]
): Settings<O, X> {
  const { progress: _progress, dataDir: _dataDir, ...rest } = options;
  for (const key of leave) delete (rest as Partial<O>)[key];
  return rest as Settings<O, X>;
}

/** The {@link ResultHeader} of `experiment`, started at `t0` (a `performance.now()`), on `backend`, with `data`. */
export function resultHeader(
  experiment: string,
  claim: string,
  backend: BackendInfo,
  data: ResultHeader['data'],
  t0: number,
): ResultHeader {
  return {
    experiment,
    claim,
    createdAt: new Date().toISOString(),
    backend,
    data,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** What an experiment hands to the command: a result for JSON, a chart, lines for the terminal. */
export interface ExperimentOutput<R extends ResultHeader = ResultHeader> {
  readonly result: R;
  /** A Vega-Lite chart of the result. */
  readonly chart: TopLevelSpec;
  /** A short table for the terminal. */
  readonly table: string[];
  /** Extra files to write beside the result (name → contents). */
  readonly extra?: Record<string, string>;
}

/** Options of {@link trainWithProgress}: `train`'s, and what the experiment calls this run. */
export interface ExperimentTrainOptions extends Omit<TrainOptions, 'onStep'> {
  /** The run, in progress lines and in the message when it diverges. */
  readonly label: string;
  /** The flag that set `eta`, for the message when training diverges (default --eta). */
  readonly etaFlag?: string;
  readonly progress?: ProgressFn | undefined;
}

/**
 * Core's `train` (mini-batch SGD, the epochs on the backend's own path) with per-step progress
 * under `label` (a test set is scored after every epoch). A run whose cost becomes NaN or
 * infinite stops with the step, η and the flag to lower.
 */
export async function trainWithProgress(
  backend: Backend,
  data: DataSet,
  options: ExperimentTrainOptions,
): Promise<TrainResult> {
  const { progress, label, etaFlag = '--eta', ...rest } = options;
  const totalSteps = options.epochs * Math.ceil(data.count / options.batchSize);
  try {
    return await train(backend, data, {
      ...rest,
      testEachEpoch: options.test !== undefined,
      ...(progress ? { onStep: (e) => progress(label, e.step, totalSteps) } : {}),
    });
  } catch (e) {
    if (!(e instanceof DivergenceError)) throw e;
    throw new Error(
      `${label}: the cost became ${e.cost} at step ${e.step} with η = ${e.eta}; training diverged. Try a smaller ${etaFlag}, e.g. ${etaFlag} ${e.eta / 10}.`,
    );
  }
}

/** Accuracy of `backend` on `data`, as a number. */
export async function accuracy(backend: Backend, data: DataSet): Promise<number> {
  return (await evaluate(backend, data)).accuracy;
}

/** A model as the experiments save it: the spec, the parameters and how it was made. */
export async function modelOf(backend: Backend, provenance: Model['provenance']): Promise<Model> {
  return { spec: backend.spec, params: await backend.getParams(), provenance };
}

/** Pad cells into a plain-text table (first row is the header). */
export function textTable(rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
  );
}

/** A number for a table: integers as is, others with 4 significant digits. */
function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toPrecision(4);
}
