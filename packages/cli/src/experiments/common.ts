import { type Backend, evaluate, type Model, train } from '@backprop/core';
import type { DataSet } from '@backprop/data';
import type { TopLevelSpec } from 'vega-lite';
import type { ProgressFn } from './progress.js';

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

/** The part of every result that says what ran. */
export interface ResultHeader {
  readonly experiment: string;
  /** The document's claim, in one sentence. */
  readonly claim: string;
  readonly createdAt: string;
  readonly backend: { readonly name: string; readonly dtype: string; readonly device: string };
  readonly data: {
    readonly source: string;
    readonly train: number;
    readonly validation: number;
    readonly test: number;
  };
  /** Seconds the experiment took, end to end. */
  readonly seconds: number;
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

/** Mini-batch SGD with per-step progress; returns the epoch points of `train`. */
export async function trainWithProgress(
  backend: Backend,
  data: DataSet,
  options: {
    epochs: number;
    batchSize: number;
    eta: number;
    seed: number;
    label: string;
    validation?: DataSet;
    test?: DataSet;
    logEvery?: number;
    progress?: ProgressFn;
  },
) {
  const { progress, label, ...rest } = options;
  const totalSteps = options.epochs * Math.ceil(data.count / options.batchSize);
  return train(backend, data, {
    ...rest,
    testEachEpoch: options.test !== undefined,
    onStep: progress ? (e) => progress(label, e.step, totalSteps) : undefined,
  });
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
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toPrecision(4);
}
