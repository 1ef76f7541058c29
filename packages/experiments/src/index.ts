/**
 * The document's claims as experiments (docs/experiments.md): each a function returning its
 * result, chart and table, and the `pnpm experiment` program that runs them from a checkout.
 * A private package: research code, not published.
 *
 * @packageDocumentation
 */
export {
  ACTIVATION_CLAIM,
  type ActivationOptions,
  type ActivationResult,
  probeSchedule,
  runActivation,
} from './activation.js';
export { BATCH_SIZE_CLAIM, type BatchSizeOptions, type BatchSizeResult, runBatchSize } from './batch-size.js';
export type { BackendInfo, CommonOptions, ExperimentOutput, ProgressFn, ResultHeader } from './common.js';
export { type Digits, type DigitsOptions, loadDigits } from './data.js';
export {
  COMMON_FLAGS,
  EXPERIMENTS,
  type ExperimentDefinition,
  experimentCommand,
  PROGRAM,
} from './definitions.js';
export { collapseAffine, LINEAR_CLAIM, type LinearOptions, type LinearResult, runLinear } from './linear.js';
export { EXPERIMENT_PROGRAM, main } from './main.js';
export { NOISE_CLAIM, type NoiseOptions, type NoiseResult, runNoise } from './noise.js';
export { writeExperiment } from './output.js';
export {
  RANDOM_LABELS_CLAIM,
  type RandomLabelsOptions,
  type RandomLabelsResult,
  runRandomLabels,
  shuffleLabels,
} from './random-labels.js';
