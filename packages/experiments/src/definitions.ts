import {
  backendEntry,
  type Command,
  choice,
  type FlagTable,
  type FlagValues,
  helpText,
  integer,
  number,
  POSITIVE,
  parseFlags,
  TaskProgress,
  text,
  toggle,
  UsageError,
} from '@backprop/cli/kit';
import { loadModel, serializeModel } from '@backprop/core';
import { runActivation } from './activation.js';
import { runBatchSize } from './batch-size.js';
import type { CommonOptions, ExperimentOutput } from './common.js';
import { runLinear } from './linear.js';
import { runNoise } from './noise.js';
import { writeExperiment } from './output.js';
import { runRandomLabels } from './random-labels.js';

/** Where results go unless --out-dir says otherwise. */
export const DEFAULT_OUT_DIR = 'runs/experiments';

/** The flags every experiment takes. */
export const COMMON_FLAGS = {
  'out-dir': text({
    section: 'Common flags',
    placeholder: 'DIR',
    help: 'where the files go',
    default: DEFAULT_OUT_DIR,
  }),
  seed: integer({
    section: 'Common flags',
    help: 'seeds initialisation, shuffles and random draws',
    default: 1,
    min: 0,
  }),
  backend: text({
    section: 'Common flags',
    placeholder: 'NAME',
    help: "the backend that trains and evaluates: any registered one (reference, onnx-cpu, onnx-webgpu, onnx-cuda, tfjs-cpu, torch, …; see 'backprop conformance --list')",
    default: 'reference',
  }),
  'data-dir': text({
    section: 'Common flags',
    placeholder: 'DIR',
    help: 'MNIST-format IDX files to use instead of the bundled MNIST',
  }),
  quiet: toggle({ section: 'Common flags', help: 'no progress output' }),
} as const;

/** "784-16-16-10,784-16-16-16-16-10" as layer sizes, each from 784 inputs to 10 classes. */
function parseShapes(raw: string): number[][] {
  const shapes = raw.split(',').map((s) => s.trim().split('-').map(Number));
  for (const s of shapes)
    if (
      s.length < 2 ||
      s[0] !== 784 ||
      s[s.length - 1] !== 10 ||
      !s.every((n) => Number.isInteger(n) && n >= 1)
    )
      throw new UsageError(
        `--shapes takes comma-separated layer sizes from 784 to 10, e.g. 784-16-16-10,784-32-10; got '${raw}'`,
      );
  return shapes;
}

/** "1,10,32" as batch sizes. */
function parseSizes(raw: string): number[] {
  const sizes = raw.split(',').map((s) => Number(s.trim()));
  if (!sizes.every((n) => Number.isInteger(n) && n >= 1))
    throw new UsageError(`--sizes takes comma-separated positive integers, e.g. 1,10,32; got '${raw}'`);
  return sizes;
}

/** An experiment's own integer flag (at least `min`). */
const int = (help: string, dflt: number, min = 1) => integer({ section: 'Flags', help, default: dflt, min });
/** An experiment's own positive number flag (a learning rate, say). */
const positive = (help: string, dflt: number) =>
  number({ section: 'Flags', help, default: dflt, check: POSITIVE });

/** The flags of `noise`. */
const NOISE_FLAGS = {
  model: text({
    section: 'Flags',
    placeholder: 'FILE',
    help: 'MODEL.json to test instead of training one (from backprop train)',
  }),
  epochs: int('epochs of training when no model is given', 5, 0),
  'train-count': int('training examples used', 50000),
  'batch-size': int('mini-batch size', 10),
  eta: positive('learning rate η', 3),
  samples: int('noise images, and test digits, shown', 10000),
} as const;

/** The flags of `random-labels`. */
const RANDOM_LABELS_FLAGS = {
  epochs: int('epochs', 30),
  'train-count': int('training examples', 10000),
  'test-count': int('test examples scored each epoch', 10000),
  'batch-size': int('mini-batch size', 10),
  eta: positive('learning rate η', 3),
  window: int('steps averaged per point of the cost curve', 50),
} as const;

/** The flags of `batch-size`. */
const BATCH_SIZE_FLAGS = {
  sizes: text({
    section: 'Flags',
    placeholder: 'B,B,...',
    help: 'comma-separated batch sizes',
    default: [1, 10, 32, 64, 128, 256],
    parse: parseSizes,
  }),
  epochs: int('epochs for every batch size: the budget', 3),
  'train-count': int('training examples', 50000),
  'validation-count': int('validation examples scored each epoch', 10000),
  'test-count': int('test examples', 10000),
  eta: positive('learning rate η, the same for every batch size', 3),
  'gradient-samples': int('mini-batches per size for the gradient error', 200),
  'gradient-count': int('examples in the full gradient ∇C', 10000),
} as const;

/** The flags of `activation`. */
const ACTIVATION_FLAGS = {
  shapes: text({
    section: 'Flags',
    placeholder: 'N-N-...,...',
    help: 'the networks compared',
    default: [
      [784, 16, 16, 10],
      [784, 16, 16, 16, 16, 10],
    ],
    defaultText: '784-16-16-10,784-16-16-16-16-10',
    parse: parseShapes,
  }),
  epochs: int('epochs', 5),
  'train-count': int('training examples', 50000),
  'validation-count': int('validation examples scored at each probe', 2000),
  'test-count': int('test examples', 10000),
  'batch-size': int('mini-batch size', 10),
  cost: choice(['cross-entropy', 'quadratic'] as const, {
    section: 'Flags',
    help: 'the cost',
    meanings: { 'cross-entropy': 'softmax output', quadratic: 'the activation at the output too' },
    default: 'cross-entropy',
  }),
  'eta-sigmoid': positive('η of the sigmoid networks', 0.5),
  'eta-relu': positive('η of the ReLU networks', 0.1),
  'probe-count': int('training examples in the fixed gradient batch', 1000),
  probes: int('measurements per run, evenly spaced, plus as many early ones', 30),
} as const;

/** The flags of `linear`. */
const LINEAR_FLAGS = {
  epochs: int('epochs', 5),
  'train-count': int('training examples', 50000),
  'validation-count': int('validation examples scored each epoch', 10000),
  'test-count': int('test examples', 10000),
  'batch-size': int('mini-batch size', 10),
  'eta-identity': positive('η of the identity networks', 0.01),
  'eta-sigmoid': positive('η of the sigmoid network', 3),
  'scatter-count': int('test examples in the deep-vs-collapsed scatter', 200, 0),
  ridge: positive('ridge λ of the least-squares affine map', 1e-6),
} as const;

/** An experiment as `pnpm experiment NAME` runs it: its flags, and how they become its options. */
export interface ExperimentDefinition<F extends FlagTable = FlagTable> {
  readonly name: string;
  readonly summary: string;
  /** Its own flags (the common ones are added). */
  readonly flags: F;
  /** Run with the parsed flags. */
  run(values: FlagValues<F>, common: CommonOptions): Promise<ExperimentOutput>;
}

function define<F extends FlagTable>(def: ExperimentDefinition<F>): ExperimentDefinition {
  return def as unknown as ExperimentDefinition;
}

/** The experiments, in the order the document raises them. */
export const EXPERIMENTS: readonly ExperimentDefinition[] = [
  define({
    name: 'noise',
    summary: 'show a trained network uniform noise and real digits; compare its confidence and answers',
    flags: NOISE_FLAGS,
    async run(v, common) {
      const model = v.model === undefined ? undefined : loadModel(v.model);
      const out = await runNoise({
        ...common,
        model,
        epochs: v.epochs,
        trainCount: v['train-count'],
        batchSize: v['batch-size'],
        eta: v.eta,
        samples: v.samples,
      });
      const extra: Record<string, string> = model ? {} : { 'noise-model.json': serializeModel(out.model) };
      return { ...out, extra };
    },
  }),
  define({
    name: 'random-labels',
    summary: 'train on true labels and on shuffled labels; compare the cost per step',
    flags: RANDOM_LABELS_FLAGS,
    run: (v, common) =>
      runRandomLabels({
        ...common,
        epochs: v.epochs,
        trainCount: v['train-count'],
        testCount: v['test-count'],
        batchSize: v['batch-size'],
        eta: v.eta,
        window: v.window,
      }),
  }),
  define({
    name: 'batch-size',
    summary: 'batch sizes 1-256 at the same number of examples seen: time, accuracy, gradient error',
    flags: BATCH_SIZE_FLAGS,
    run: (v, common) =>
      runBatchSize({
        ...common,
        sizes: v.sizes,
        epochs: v.epochs,
        trainCount: v['train-count'],
        validationCount: v['validation-count'],
        testCount: v['test-count'],
        eta: v.eta,
        gradientSamples: v['gradient-samples'],
        gradientCount: v['gradient-count'],
      }),
  }),
  define({
    name: 'activation',
    summary: 'sigmoid against ReLU on 784-16-16-10 and a deeper net: |∂C/∂W^l| per layer, accuracy',
    flags: ACTIVATION_FLAGS,
    run: (v, common) =>
      runActivation({
        ...common,
        shapes: v.shapes,
        epochs: v.epochs,
        trainCount: v['train-count'],
        validationCount: v['validation-count'],
        testCount: v['test-count'],
        batchSize: v['batch-size'],
        cost: v.cost,
        etaSigmoid: v['eta-sigmoid'],
        etaRelu: v['eta-relu'],
        probeCount: v['probe-count'],
        probes: v.probes,
      }),
  }),
  define({
    name: 'linear',
    summary:
      'identity activation against sigmoid; collapse the deep identity net into one affine map (lin.collapse)',
    flags: LINEAR_FLAGS,
    run: (v, common) =>
      runLinear({
        ...common,
        epochs: v.epochs,
        trainCount: v['train-count'],
        validationCount: v['validation-count'],
        testCount: v['test-count'],
        batchSize: v['batch-size'],
        etaIdentity: v['eta-identity'],
        etaSigmoid: v['eta-sigmoid'],
        scatterCount: v['scatter-count'],
        ridge: v.ridge,
      }),
  }),
];

/** The program's name as a user types it (in messages and in each result's `command`). */
export const PROGRAM = 'pnpm experiment';

/**
 * Experiment `def` as a command of the `pnpm experiment` program: its flags and the common ones,
 * its --help made from them; running it writes OUT_DIR/NAME.json, .svg and .png and prints its table.
 */
export function experimentCommand(def: ExperimentDefinition): Command {
  const flags = { ...COMMON_FLAGS, ...def.flags } as const;
  return {
    summary: def.summary,
    flags,
    help: helpText(
      {
        usage: `${PROGRAM} ${def.name} [flags]: ${def.summary}`,
        description: `Writes OUT_DIR/${def.name}.json (the result, with the command that made it), ${def.name}.svg and
${def.name}.png (the chart), prints a table, and shows progress on stderr. See docs/experiments.md.`,
      },
      flags,
    ),
    async run(argv) {
      const { values, positionals } = parseFlags(argv, flags, { positionals: true });
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const common = values as FlagValues<typeof COMMON_FLAGS>;
      await backendEntry(common.backend); // an unknown name is a usage error, before any work
      const progress = new TaskProgress({ quiet: common.quiet });
      let out: ExperimentOutput;
      try {
        out = await def.run(values, {
          seed: common.seed,
          backend: common.backend,
          dataDir: common['data-dir'],
          progress: (label, done, total) => progress.report(label, done, total),
        });
      } finally {
        progress.end();
      }
      const result = { command: [PROGRAM, def.name, ...argv].join(' '), ...out.result };
      const files = await writeExperiment(common['out-dir'], def.name, result, out.chart, out.extra ?? {});
      console.log(out.table.join('\n'));
      console.log(
        `\n${def.name}: ${out.result.seconds.toFixed(1)} s on ${out.result.backend.name} (${out.result.backend.device})`,
      );
      console.log(`wrote ${[files.json, files.svg, files.png, ...files.extra].join(', ')}`);
      return 0;
    },
  };
}
