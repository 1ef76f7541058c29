export { OnnxBackend, type OnnxBackendOptions, type TrainMode } from './backend.js';
export {
  onnxCpuEntry,
  onnxCudaEntry,
  onnxEntry,
  onnxWebgpuEntry,
  probeProvider,
  registerOnnxBackends,
} from './entries.js';
export { type RuntimeEntrySpec, runtimeEntry } from './entry.js';
export { exportOnnx, writeOnnx } from './export.js';
export {
  type AttrValue,
  type Dim,
  decodeModel,
  type ElemType,
  GraphBuilder,
  IR_VERSION,
  OPSET,
} from './onnx/builder.js';
export {
  debugGraph,
  forwardGraph,
  inferenceGraph,
  readbackGraph,
  stepGraph,
  stepsGraph,
  uploadGraph,
} from './onnx/graphs.js';
export {
  type BackpropValues,
  backpropNodes,
  type ForwardValues,
  forwardNodes,
  type ParamNames,
  type SgdFeatures,
  type SgdInputs,
  sgdNodes,
} from './onnx/network.js';
export {
  type OnnxRuntime,
  type Ort,
  type Provider,
  runtimeLabel,
  type SessionOptions,
  sessionOptions,
} from './ort.js';
export {
  EP_NAMES,
  nodeProviders,
  type PlacedProvider,
  type Placement,
  PlacementError,
  placementOf,
  placementSettings,
  profilingOptions,
  watchPlacement,
} from './placement.js';
export { ortMessage, probeRuntime } from './probe.js';
export {
  bindingDir,
  bindingLibraries,
  CUDA_PROVIDER_SOURCE,
  createSession,
  cudaLibrariesMissing,
  ensureRuntimeDir,
  type NodeProvider,
  ortNode,
  ortVersion,
} from './runtime.js';
