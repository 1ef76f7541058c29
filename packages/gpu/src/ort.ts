// The ONNX Runtime a backend runs on, passed in rather than imported: onnxruntime-node (the
// native runtime, `runtime.ts`) and onnxruntime-web (WebAssembly, `web.ts`) have the same
// JavaScript API, so one OnnxBackend and one set of graphs serve both. Nothing here is Node-only:
// the browser imports this module through `@backprop/gpu/web`.
import type * as common from 'onnxruntime-common';

/**
 * The parts of an ONNX Runtime JavaScript namespace (`import * as ort from 'onnxruntime-node'` or
 * `'onnxruntime-web'`) the backends use. Tensors must be made with the runtime's own `Tensor`
 * class: each runtime checks its inputs against its own copy of onnxruntime-common.
 */
export type Ort = Pick<typeof common, 'Tensor' | 'InferenceSession'>;

/** ONNX Runtime's session options (from onnxruntime-common). */
export type SessionOptions = common.InferenceSession.SessionOptions;

/**
 * The execution providers the backends run on: onnxruntime-node's `cpu`, `webgpu` (Dawn) and
 * `cuda`; onnxruntime-web's `wasm` (and its `webgpu` in a browser).
 */
export type Provider = 'cpu' | 'webgpu' | 'cuda' | 'wasm';

/** An ONNX Runtime as the backends use it: its namespace, what it is, and how it opens a session. */
export interface OnnxRuntime {
  /** The npm package, e.g. `onnxruntime-node`. */
  readonly name: string;
  /** Its version, e.g. `1.29.0`. */
  readonly version: string;
  /** The runtime's namespace: `Tensor` and `InferenceSession`. */
  readonly ort: Ort;
  /** The providers this runtime offers (a backend on another one is refused before any work). */
  readonly providers: readonly Provider[];
  /**
   * Create a session for `model` on `provider` with {@link sessionOptions} and `extra`; `graph`
   * names the session in messages. Rejects with ONNX Runtime's reason when the provider cannot run it.
   */
  createSession(
    model: Uint8Array,
    provider: Provider,
    extra?: Partial<SessionOptions>,
    graph?: string,
  ): Promise<common.InferenceSession>;
}

/** Providers that compute on the CPU, where ONNX Runtime's own CPU kernels are no fallback. */
const CPU_PROVIDERS: ReadonlySet<Provider> = new Set(['cpu', 'wasm']);

/** Session options for `provider`: GPU providers may not fall back to the CPU. */
export function sessionOptions(provider: Provider, extra: Partial<SessionOptions> = {}): SessionOptions {
  return {
    executionProviders: [provider],
    logSeverityLevel: 3,
    // No silent CPU fallback: a node the provider cannot run fails session creation.
    extra: { session: { disable_cpu_ep_fallback: CPU_PROVIDERS.has(provider) ? '0' : '1' } },
    ...extra,
  };
}

/** "onnxruntime-web 1.30.0": the runtime and its version, for listings and messages. */
export function runtimeLabel(runtime: OnnxRuntime): string {
  return `${runtime.name} ${runtime.version}`;
}
