export * from './activation.js';
export { writeFileAtomic } from './atomic.js';
export * from './backend.js';
export { backprop, backpropInto, backpropTrace } from './backprop.js';
export * from './cost.js';
export { genericTrainEpoch } from './epoch.js';
export { type EvaluateOptions, type Evaluation, evaluate } from './evaluate.js';
export { forward, forwardInto, indexNonZeros, traceOf } from './forward.js';
export {
  loadModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  type Model,
  ModelFileError,
  type ModelFileJson,
  type ModelProvenance,
  parseModel,
  saveModel,
  serializeModel,
} from './model-file.js';
export * from './params.js';
export { createReferenceBackend, ReferenceBackend } from './reference.js';
export {
  RUN_FORMAT,
  RUN_VERSION,
  type RunConfig,
  type RunData,
  type RunEnvironment,
  type RunFile,
  RunFileError,
  type RunFinal,
  readRunFile,
  runEnvironment,
  validateRunFile,
  writeRunFile,
} from './run-file.js';
export { sgdStep, validateSgd } from './sgd.js';
export * from './spec.js';
export {
  DivergenceError,
  type EpochPoint,
  epochSeed,
  type Score,
  type StepEvent,
  type StepPoint,
  stepsPerEpoch,
  type TrainOptions,
  type TrainResult,
  train,
} from './train.js';
export { Workspace } from './workspace.js';
