/**
 * `@backprop/gpu/web` — our ONNX graphs on onnxruntime-web: `ort-web-wasm` (WebAssembly, in Node and
 * in a browser) and an `ort-web-webgpu` entry for a browser page. The same {@link OnnxBackend} and
 * graphs as `@backprop/gpu`, given onnxruntime-web as its runtime ({@link ortWeb}). Nothing this
 * entry imports is Node-only (no `node:*` modules, no onnxruntime-node), so a bundler can put it
 * in a page.
 *
 * In Node, onnxruntime-web resolves its `.wasm` files beside its own module, in
 * `node_modules/onnxruntime-web/dist`: nothing is fetched from the network.
 *
 * @module
 */
import { type Availability, type BackendEntry, type BackendOption, registerBackend } from '@backprop/core';
import * as ort from 'onnxruntime-web';
import type { OnnxBackendOptions } from './backend.js';
import { runtimeEntry } from './entry.js';
import { type OnnxRuntime, type Ort, type Provider, sessionOptions } from './ort.js';
import { probeRuntime } from './probe.js';

export { OnnxBackend, type OnnxBackendOptions, type TrainMode } from './backend.js';
export { type RuntimeEntrySpec, runtimeEntry } from './entry.js';
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
  type OnnxRuntime,
  type Ort,
  type Provider,
  runtimeLabel,
  type SessionOptions,
  sessionOptions,
} from './ort.js';
export { probeRuntime } from './probe.js';

/** The onnxruntime-web backends: its WebAssembly CPU kernels, and WebGPU (a browser's `navigator.gpu`). */
export type WebProvider = 'wasm' | 'webgpu';

/** onnxruntime-web as the backends' runtime (`env.wasm` settings, such as `numThreads`, are onnxruntime-web's own). */
export const ortWeb: OnnxRuntime = Object.freeze({
  name: 'onnxruntime-web',
  version: ort.env.versions.web ?? ort.env.versions.common ?? 'unknown',
  ort: ort as Ort,
  providers: Object.freeze(['wasm', 'webgpu'] as const),
  createSession: (model: Uint8Array, provider: Provider, extra = {}) =>
    ort.InferenceSession.create(model, sessionOptions(provider, extra)),
});

/** What to do when a provider of onnxruntime-web failed to start, for the one-line reason. */
const HOW_TO_ENABLE: Record<WebProvider, string> = {
  wasm: `its .wasm files load from node_modules/onnxruntime-web/dist in Node unless ort.env.wasm.wasmPaths names another folder, and a page must serve them; reinstall onnxruntime-web ${ortWeb.version} if they are missing`,
  webgpu:
    "onnxruntime-web's WebGPU backend needs a browser with WebGPU (navigator.gpu); in Node use onnx-webgpu (onnxruntime-node's Dawn)",
};

/**
 * Decide availability by creating a session on onnxruntime-web's `provider` and running the
 * probe graph; the answer names the runtime and its version, or says why it cannot start.
 */
export function probeOrtWeb(provider: WebProvider): Promise<Availability> {
  return probeRuntime(ortWeb, provider, HOW_TO_ENABLE[provider]);
}

/**
 * The options the onnxruntime-web entries take: `mode` and `stepsPerRun`. Not `intraOpThreads`:
 * onnxruntime-web's threads are one setting for the whole page or process (`ort.env.wasm.numThreads`).
 */
const WEB_OPTIONS: readonly BackendOption[] = Object.freeze(['mode', 'stepsPerRun']);

/**
 * A registry entry for our graphs on onnxruntime-web's `provider`, named `ort-web-<provider>`;
 * the `options` given to `create` override the entry's own defaults `options`.
 */
export function ortWebEntry(provider: WebProvider, options: OnnxBackendOptions = {}): BackendEntry {
  return runtimeEntry({
    runtime: ortWeb,
    provider,
    name: `ort-web-${provider}`,
    description: `onnxruntime-web ${ortWeb.version}, ${provider} backend, our ONNX graphs (float32)`,
    takes: WEB_OPTIONS,
    probe: () => probeOrtWeb(provider),
    defaults: options,
  });
}

/** Our graphs on onnxruntime-web's WebAssembly backend (float32), in Node or a browser. */
export const ortWebWasmEntry: BackendEntry = ortWebEntry('wasm');

/**
 * Our graphs on onnxruntime-web's WebGPU backend, for a browser page (not registered by
 * {@link registerOrtWebBackends}: in Node there is no `navigator.gpu`, and its probe says so).
 */
export const ortWebWebgpuEntry: BackendEntry = ortWebEntry('webgpu');

/** Register ort-web-wasm in core's backend registry; calling it again does nothing. */
export function registerOrtWebBackends(): void {
  registerBackend(ortWebWasmEntry);
}
