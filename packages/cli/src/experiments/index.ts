import { serializeModel } from '@backprop/core';
import { choiceFlag, integerFlag, type Options, positiveFlag, UsageError } from '../args.js';
import { runActivation } from './activation.js';
import { runBatchSize } from './batch-size.js';
import type { CommonOptions, ExperimentOutput } from './common.js';
import { runLinear } from './linear.js';
import { runNoise } from './noise.js';
import { runRandomLabels } from './random-labels.js';

export {
  ACTIVATION_CLAIM,
  type ActivationOptions,
  type ActivationResult,
  runActivation,
} from './activation.js';
export { BATCH_SIZE_CLAIM, type BatchSizeOptions, type BatchSizeResult, runBatchSize } from './batch-size.js';
export type { CommonOptions, ExperimentOutput, ResultHeader } from './common.js';
export { loadDigits } from './data.js';
export { collapseAffine, LINEAR_CLAIM, type LinearOptions, type LinearResult, runLinear } from './linear.js';
export { NOISE_CLAIM, type NoiseOptions, type NoiseResult, runNoise } from './noise.js';
export { writeExperiment } from './output.js';
export {
  RANDOM_LABELS_CLAIM,
  type RandomLabelsOptions,
  type RandomLabelsResult,
  runRandomLabels,
  shuffleLabels,
} from './random-labels.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A flag of one experiment: its parseArgs option and the line of help. */
interface Flag {
  readonly name: string;
  readonly help: string;
}

/** An experiment as the `experiment` command runs it. */
export interface ExperimentDefinition {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly Flag[];
  /** Turn the parsed flags into options and run. */
  run(values: Values, common: CommonOptions): Promise<ExperimentOutput>;
}

const int = (v: Values, name: string, fallback: number, min = 1) =>
  integerFlag(name, v[name] as string | undefined, fallback, min);
const pos = (v: Values, name: string, fallback: number) =>
  positiveFlag(name, v[name] as string | undefined, fallback);

/** Parse "784-16-16-10,784-16-16-16-16-10" into layer sizes. */
function shapesFlag(value: string | undefined, fallback: number[][]): number[][] {
  if (value === undefined) return fallback;
  const shapes = value.split(',').map((s) => s.trim().split('-').map(Number));
  for (const s of shapes)
    if (
      s.length < 2 ||
      s[0] !== 784 ||
      s[s.length - 1] !== 10 ||
      !s.every((n) => Number.isInteger(n) && n >= 1)
    )
      throw new UsageError(
        `--shapes takes comma-separated layer sizes from 784 to 10, e.g. 784-16-16-10,784-32-10; got '${value}'`,
      );
  return shapes;
}

/** Parse "1,10,32" into batch sizes. */
function sizesFlag(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n >= 1))
    throw new UsageError(`--sizes takes comma-separated positive integers, e.g. 1,10,32; got '${value}'`);
  return sizes;
}

/** The experiments, in the order the document raises them. */
export const EXPERIMENTS: readonly ExperimentDefinition[] = [
  {
    name: 'noise',
    summary: 'show a trained network uniform noise and real digits; compare its confidence and answers',
    flags: [
      { name: 'model', help: 'MODEL.json to test instead of training one (from backprop train)' },
      { name: 'epochs', help: 'epochs of training when no model is given (default 5)' },
      { name: 'train-count', help: 'training examples used (default 50000)' },
      { name: 'batch-size', help: 'mini-batch size (default 10)' },
      { name: 'eta', help: 'learning rate η (default 3)' },
      { name: 'samples', help: 'noise images, and test digits, shown (default 10000)' },
    ],
    async run(v, common) {
      let model: Awaited<ReturnType<typeof runNoise>>['model'] | undefined;
      if (typeof v.model === 'string') model = (await import('@backprop/core')).loadModel(v.model);
      const out = await runNoise({
        ...common,
        model,
        epochs: int(v, 'epochs', 5, 0),
        trainCount: int(v, 'train-count', 50000),
        batchSize: int(v, 'batch-size', 10),
        eta: pos(v, 'eta', 3),
        samples: int(v, 'samples', 10000),
      });
      const extra: Record<string, string> = model ? {} : { 'noise-model.json': serializeModel(out.model) };
      return { ...out, extra };
    },
  },
  {
    name: 'random-labels',
    summary: 'train on true labels and on shuffled labels; compare the cost per step',
    flags: [
      { name: 'epochs', help: 'epochs (default 30)' },
      { name: 'train-count', help: 'training examples (default 10000)' },
      { name: 'test-count', help: 'test examples scored each epoch (default 10000)' },
      { name: 'batch-size', help: 'mini-batch size (default 10)' },
      { name: 'eta', help: 'learning rate η (default 3)' },
      { name: 'window', help: 'steps averaged per point of the cost curve (default 50)' },
    ],
    run: (v, common) =>
      runRandomLabels({
        ...common,
        epochs: int(v, 'epochs', 30),
        trainCount: int(v, 'train-count', 10000),
        testCount: int(v, 'test-count', 10000),
        batchSize: int(v, 'batch-size', 10),
        eta: pos(v, 'eta', 3),
        window: int(v, 'window', 50),
      }),
  },
  {
    name: 'batch-size',
    summary: 'batch sizes 1-256 at the same number of examples seen: time, accuracy, gradient error',
    flags: [
      { name: 'sizes', help: 'comma-separated batch sizes (default 1,10,32,64,128,256)' },
      { name: 'epochs', help: 'epochs for every batch size: the budget (default 3)' },
      { name: 'train-count', help: 'training examples (default 50000)' },
      { name: 'validation-count', help: 'validation examples scored each epoch (default 10000)' },
      { name: 'test-count', help: 'test examples (default 10000)' },
      { name: 'eta', help: 'learning rate η, the same for every batch size (default 3)' },
      { name: 'gradient-samples', help: 'mini-batches per size for the gradient error (default 200)' },
      { name: 'gradient-count', help: 'examples in the full gradient ∇C (default 10000)' },
    ],
    run: (v, common) =>
      runBatchSize({
        ...common,
        sizes: sizesFlag(v.sizes as string | undefined, [1, 10, 32, 64, 128, 256]),
        epochs: int(v, 'epochs', 3),
        trainCount: int(v, 'train-count', 50000),
        validationCount: int(v, 'validation-count', 10000),
        testCount: int(v, 'test-count', 10000),
        eta: pos(v, 'eta', 3),
        gradientSamples: int(v, 'gradient-samples', 200),
        gradientCount: int(v, 'gradient-count', 10000),
      }),
  },
  {
    name: 'activation',
    summary: 'sigmoid against ReLU on 784-16-16-10 and a deeper net: |∂C/∂W^l| per layer, accuracy',
    flags: [
      { name: 'shapes', help: 'networks compared (default 784-16-16-10,784-16-16-16-16-10)' },
      { name: 'epochs', help: 'epochs (default 5)' },
      { name: 'train-count', help: 'training examples (default 50000)' },
      { name: 'validation-count', help: 'validation examples scored at each probe (default 2000)' },
      { name: 'test-count', help: 'test examples (default 10000)' },
      { name: 'batch-size', help: 'mini-batch size (default 10)' },
      {
        name: 'cost',
        help: 'cross-entropy (softmax output, default) or quadratic (activation at the output too)',
      },
      { name: 'eta-sigmoid', help: 'η of the sigmoid networks (default 0.5)' },
      { name: 'eta-relu', help: 'η of the ReLU networks (default 0.1)' },
      { name: 'probe-count', help: 'training examples in the fixed gradient batch (default 1000)' },
      { name: 'probes', help: 'measurements per run, evenly spaced, plus as many early ones (default 30)' },
    ],
    run: (v, common) =>
      runActivation({
        ...common,
        shapes: shapesFlag(v.shapes as string | undefined, [
          [784, 16, 16, 10],
          [784, 16, 16, 16, 16, 10],
        ]),
        epochs: int(v, 'epochs', 5),
        trainCount: int(v, 'train-count', 50000),
        validationCount: int(v, 'validation-count', 2000),
        testCount: int(v, 'test-count', 10000),
        batchSize: int(v, 'batch-size', 10),
        cost: choiceFlag(
          'cost',
          v.cost as string | undefined,
          ['cross-entropy', 'quadratic'] as const,
          'cross-entropy',
        ),
        etaSigmoid: pos(v, 'eta-sigmoid', 0.5),
        etaRelu: pos(v, 'eta-relu', 0.1),
        probeCount: int(v, 'probe-count', 1000),
        probes: int(v, 'probes', 30),
      }),
  },
  {
    name: 'linear',
    summary:
      'identity activation against sigmoid; collapse the deep identity net into one affine map (lin.collapse)',
    flags: [
      { name: 'epochs', help: 'epochs (default 5)' },
      { name: 'train-count', help: 'training examples (default 50000)' },
      { name: 'validation-count', help: 'validation examples scored each epoch (default 10000)' },
      { name: 'test-count', help: 'test examples (default 10000)' },
      { name: 'batch-size', help: 'mini-batch size (default 10)' },
      { name: 'eta-identity', help: 'η of the identity networks (default 0.01)' },
      { name: 'eta-sigmoid', help: 'η of the sigmoid network (default 3)' },
      { name: 'scatter-count', help: 'test examples in the deep-vs-collapsed scatter (default 200)' },
      { name: 'ridge', help: 'ridge λ of the least-squares affine map (default 1e-6)' },
    ],
    run: (v, common) =>
      runLinear({
        ...common,
        epochs: int(v, 'epochs', 5),
        trainCount: int(v, 'train-count', 50000),
        validationCount: int(v, 'validation-count', 10000),
        testCount: int(v, 'test-count', 10000),
        batchSize: int(v, 'batch-size', 10),
        etaIdentity: pos(v, 'eta-identity', 0.01),
        etaSigmoid: pos(v, 'eta-sigmoid', 3),
        scatterCount: int(v, 'scatter-count', 200, 0),
        ridge: pos(v, 'ridge', 1e-6),
      }),
  },
];

/** The parseArgs options of one experiment, common flags included. */
export function experimentOptions(def: ExperimentDefinition): Options {
  const options: Options = {
    'out-dir': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    'data-dir': { type: 'string' },
    quiet: { type: 'boolean' },
  };
  for (const f of def.flags) options[f.name] = { type: 'string' };
  return options;
}
