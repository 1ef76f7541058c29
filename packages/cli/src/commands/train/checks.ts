import { constants as bufferConstants } from 'node:buffer';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { MAX_LAYER_SIZE, MAX_LAYERS, MAX_PARAMETERS, parameterCount, stepsPerEpoch } from '@backprop/core';
import { defaultMnistDir, inputFileProblem, isGzip, MNIST_FILES } from '@backprop/data';
import { InputError, UsageError } from '../../command.js';
import { formatBytes } from '../../output-files.js';
import type { TrainConfig } from './flags.js';

/**
 * The checks `backprop train` makes before it allocates anything large or takes a step: the
 * network fits what a model file can hold (so that a finished run can be saved), thread counts
 * fit the machine, and an estimate of the memory for the parameters, the workspace and the data
 * fits what the machine has.
 */

/**
 * Characters of a model file's JSON per parameter, at most: a float64 is written in at most 24
 * characters ("-1.2345678901234567e-100") and a comma.
 */
const JSON_CHARS_PER_PARAMETER = 25;

/**
 * The most parameters `backprop train` trains: what a model file may declare
 * ({@link MAX_PARAMETERS}) and what its JSON text can hold, since the text is one string
 * (Node's strings end at `buffer.constants.MAX_STRING_LENGTH`, 2²⁹ − 24 characters).
 */
export const MAX_TRAINABLE_PARAMETERS = Math.min(
  MAX_PARAMETERS,
  Math.floor(bufferConstants.MAX_STRING_LENGTH / JSON_CHARS_PER_PARAMETER),
);

/** `--layers` within what a model file can hold (a usage error naming the limit otherwise). */
export function checkNetworkSize(sizes: readonly number[]): void {
  if (sizes.length > MAX_LAYERS)
    throw new UsageError(
      `--layers lists ${sizes.length} sizes, more than the ${MAX_LAYERS} layers a model file may hold; the trained network could not be saved`,
    );
  const wide = sizes.findIndex((n) => n > MAX_LAYER_SIZE);
  if (wide >= 0)
    throw new UsageError(
      `--layers: layer ${wide} has ${sizes[wide]!.toLocaleString('en-US')} neurons, more than the ${MAX_LAYER_SIZE.toLocaleString('en-US')} a model file may hold`,
    );
  const count = parameterCount(sizes);
  if (count > MAX_TRAINABLE_PARAMETERS)
    throw new UsageError(
      `--layers ${sizes.join(',')} has ${count.toLocaleString('en-US')} parameters, more than the ${MAX_TRAINABLE_PARAMETERS.toLocaleString('en-US')} a model file can hold (its JSON text is one string of at most ${bufferConstants.MAX_STRING_LENGTH.toLocaleString('en-US')} characters); the trained network could not be saved`,
    );
}

/** `--onnx-threads` and `--steps-per-run` that fit this machine and this run. */
export function checkBackendOptions(config: TrainConfig): void {
  const { intraOpThreads, stepsPerRun } = config.backendOptions;
  const cores = availableParallelism();
  if (intraOpThreads !== undefined && intraOpThreads > cores)
    throw new UsageError(
      `--onnx-threads ${intraOpThreads} is more than the ${cores} CPUs this process may use; give 1 to ${cores} (threads beyond the cores only wait for each other)`,
    );
  const s = config.settings;
  const steps = stepsPerEpoch(config.data.trainCount, s.batchSize, s.lastBatch);
  if (stepsPerRun !== undefined && stepsPerRun > Math.max(1, steps))
    throw new UsageError(
      `--steps-per-run ${stepsPerRun} is more than the ${steps} steps of an epoch (${config.data.trainCount} images in mini-batches of ${s.batchSize}); a run of SGD steps never crosses an epoch, so give at most ${steps}`,
    );
}

/** Bytes of the uncompressed contents of an IDX file: its size, or a gzip file's ISIZE trailer. */
function contentBytes(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    if (!isGzip(head) || size < 18) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return tail.readUInt32LE(0); // the size mod 2³²: an estimate for files over 4 GB
  } finally {
    closeSync(fd);
  }
}

/** Bytes the data files hold once loaded (0 for a file that is not there: loading will say so). */
export function dataBytes(dir: string | null): number {
  const d = dir ?? defaultMnistDir();
  let total = 0;
  for (const f of Object.values(MNIST_FILES))
    for (const name of [f, `${f}.gz`]) {
      const path = join(d, name);
      if (inputFileProblem(path) === null) {
        total += contentBytes(path);
        break;
      }
    }
  return total;
}

/** Memory a run needs, about, by part. */
export interface MemoryEstimate {
  /** The parameters and their copies: gradients, velocity, the copies read back, the model file's text. */
  readonly parameters: number;
  /** Activations and errors of a mini-batch and of an evaluation batch; ONNX fast mode's inputs. */
  readonly workspace: number;
  /** The data files as loaded. */
  readonly data: number;
  readonly total: number;
}

/** How the backend holds its numbers, for the estimate: its dtype, and ONNX fast mode's settings. */
export interface BackendShape {
  readonly dtype: 'float64' | 'float32';
  /** Steps unrolled per run in fast mode, or 0 when the backend runs one step at a time. */
  readonly stepsPerRun: number;
}

/** The rows an evaluation forward pass takes at a time (core's `evaluate` default). */
const EVALUATE_ROWS = 1000;

/**
 * The memory of a run, about: float64 parameters on the host (the parameters, their gradients,
 * the initial and read-back copies, and the velocity with momentum) plus the model file's
 * text and its parse when it is saved; per neuron, z, a and δ of a mini-batch and z and a of an
 * evaluation batch; in ONNX fast mode, the K unrolled mini-batches' inputs and targets; the data.
 */
export function estimateMemory(config: TrainConfig, backend: BackendShape, data: number): MemoryEstimate {
  const s = config.settings;
  const { sizes } = s.spec;
  const P = parameterCount(sizes);
  const S = sizes.reduce((a, n) => a + n, 0);
  const word = backend.dtype === 'float64' ? 8 : 4;
  const copies = 4 + (s.momentum > 0 ? 1 : 0);
  const device = backend.dtype === 'float32' ? 3 * 4 * P : 0; // parameters, velocity, gradients as float32
  const parameters = 8 * P * copies + device + (JSON_CHARS_PER_PARAMETER + 16) * P;
  const B = s.batchSize;
  const K = backend.stepsPerRun;
  const n0 = sizes[0]!;
  const nL = sizes[sizes.length - 1]!;
  const workspace =
    3 * word * B * S * Math.max(1, K) +
    2 * word * EVALUATE_ROWS * S +
    (K > 0 ? K * B * (4 * (n0 + nL) + 4) : 0);
  return { parameters, workspace, data, total: parameters + workspace + data };
}

/** Memory this process may use: BACKPROP_MAX_MEMORY if set, else what the machine (or its cgroup) has available. */
export function availableMemory(env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  const given = env.BACKPROP_MAX_MEMORY;
  if (given !== undefined && given !== '') {
    const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(given.trim());
    if (!m)
      throw new UsageError(
        `BACKPROP_MAX_MEMORY must be a number of bytes, optionally with K, M, G or T (e.g. 8G); got '${given}'`,
      );
    const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[
      m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
    ];
    return { bytes: Number(m[1]) * scale, source: `BACKPROP_MAX_MEMORY=${given}` };
  }
  const constrained = process.constrainedMemory?.() ?? 0;
  if (constrained > 0 && constrained < totalmem())
    return { bytes: Math.min(constrained, freemem()), source: 'the memory limit of this process (cgroup)' };
  return { bytes: freemem(), source: `available on this machine (of ${formatBytes(totalmem())})` };
}

/** Refuse a run whose {@link estimateMemory} exceeds {@link availableMemory}, saying what takes the room. */
export function checkMemory(
  config: TrainConfig,
  estimate: MemoryEstimate,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const { bytes, source } = availableMemory(env);
  if (estimate.total <= bytes) return;
  const s = config.settings;
  const K = config.backendOptions.stepsPerRun;
  throw new InputError(
    `this run needs about ${formatBytes(estimate.total)} of memory (parameters and their copies ${formatBytes(estimate.parameters)}, ` +
      `workspace ${formatBytes(estimate.workspace)} for mini-batches of ${s.batchSize}${K ? ` × ${K} steps per run` : ''} over ${s.spec.sizes
        .reduce((a, n) => a + n, 0)
        .toLocaleString(
          'en-US',
        )} neurons, data ${formatBytes(estimate.data)}), more than the ${formatBytes(bytes)} ${source}: ` +
      'use a smaller network or --batch-size, or free memory',
  );
}
