export * from './activation.js';
export { makeDirectory, writeFileAtomic, writeFileAtomicAsync } from './atomic.js';
export * from './backend.js';
export { type BackpropOptions, backprop, backpropInto, backpropTrace } from './backprop.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  CheckpointError,
  CheckpointWriter,
  parseCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
export * from './cost.js';
export { batchOf, epochStart, genericTrainEpoch, runEpoch, stepsToPause } from './epoch.js';
export { type EvaluateOptions, type Evaluation, evaluate } from './evaluate.js';
export { type ForwardOptions, forward, forwardInto, traceOf } from './forward.js';
export {
  decodeFloats,
  encodeFloats,
  is,
  JsonFields,
  type JsonFormat,
  type JsonObject,
  type NumberRule,
  type OpenedJson,
  openJson,
  readJson,
} from './json-file.js';
export { DenseRows, type Rows } from './kernels.js';
export {
  loadModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  type Model,
  ModelFileError,
  type ModelFileJson,
  type ModelProvenance,
  modelProvenance,
  parseModel,
  saveModel,
  serializeModel,
} from './model-file.js';
export { MAX_LAYER_SIZE, MAX_LAYERS, MAX_PARAMETERS } from './network-fields.js';
export * from './params.js';
export { createReferenceBackend, ReferenceBackend } from './reference.js';
export {
  type Availability,
  availability,
  BACKEND_OPTIONS,
  type BackendEntry,
  type BackendOption,
  BackendOptionError,
  type BackendOptions,
  BackendUnavailableError,
  type ClauseExpectation,
  checkBackendOptions,
  getBackend,
  listBackends,
  openBackend,
  referenceEntry,
  registerBackend,
  UnknownBackendError,
} from './registry.js';
export {
  RUN_FORMAT,
  RUN_VERSION,
  type RunConfig,
  type RunData,
  type RunEnvironment,
  type RunFile,
  RunFileError,
  type RunFinal,
  type RunSettings,
  type RunStatus,
  readRunFile,
  runEnvironment,
  validateRunFile,
  writeRunFile,
} from './run-file.js';
export { sgdStep, validateSgd } from './sgd.js';
export { indexNonZeros, SparseRows } from './sparse-input.js';
export * from './spec.js';
export {
  DivergenceError,
  type EpochPoint,
  epochSeed,
  type Score,
  type StepEvent,
  type StepPoint,
  type StepPosition,
  stepsPerEpoch,
  TrainingStopped,
  type TrainOptions,
  type TrainResult,
  type TrainState,
  train,
  type VelocityAccess,
} from './train.js';
export { Workspace } from './workspace.js';
