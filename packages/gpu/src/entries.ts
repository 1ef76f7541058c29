import {
  type Availability,
  type BackendEntry,
  type BackendOption,
  type BackendOptions,
  registerBackend,
} from '@backprop/core';
import type { OnnxBackendOptions } from './backend.js';
import { runtimeEntry } from './entry.js';
import type { Provider } from './ort.js';
import { probeRuntime } from './probe.js';
import { cudaLibrariesMissing, type NodeProvider, ortNode } from './runtime.js';

/** What to do to enable a provider that failed to start, for the one-line reason. */
const HOW_TO_ENABLE: Record<Provider, string> = {
  cpu: 'reinstall onnxruntime-node 1.29.0 (its native binding failed to load)',
  webgpu:
    'WebGPU needs a Vulkan device usable by Dawn: a GPU driver, or on Debian bookworm libvulkan1 and mesa-vulkan-drivers from bookworm-backports (lavapipe, Mesa 25), and XDG_RUNTIME_DIR set',
  cuda: 'needs an NVIDIA GPU with a CUDA 13 driver, cuDNN 9, and the CUDA provider libraries beside libonnxruntime.so.1 (see `backprop doctor`)',
  wasm: 'WebAssembly is onnxruntime-web: use ort-web-wasm (@backprop/gpu/web)',
};

/**
 * Decide availability by creating a session on `provider` of onnxruntime-node (fallback to the
 * CPU forbidden for GPU providers) and running it; the answer says which provider ran, in which
 * ONNX Runtime, or why none could and how to enable it.
 */
export async function probeProvider(provider: Provider): Promise<Availability> {
  if (provider === 'cuda') {
    // Checked first: creating a CUDA session without the provider library aborts the process.
    const missing = cudaLibrariesMissing();
    if (missing) return { available: false, reason: missing };
  }
  return probeRuntime(ortNode, provider, HOW_TO_ENABLE[provider]);
}

/** The {@link BackendOptions} the ONNX entries take. */
const ONNX_OPTIONS: readonly BackendOption[] = Object.freeze(['mode', 'stepsPerRun', 'intraOpThreads']);

/**
 * A registry entry for the ONNX backend on `provider`. It takes every {@link BackendOptions}
 * (mode, steps per run, intra-op threads); those given to `create` override `options`, the
 * entry's own defaults.
 * @internal the factory of `onnxCpuEntry`, `onnxWebgpuEntry` and `onnxCudaEntry`
 */
export function onnxEntry(
  provider: NodeProvider,
  description: string,
  options: OnnxBackendOptions = {},
): BackendEntry {
  return runtimeEntry({
    runtime: ortNode,
    provider,
    name: `onnx-${provider}`,
    description,
    takes: ONNX_OPTIONS,
    probe: () => probeProvider(provider),
    defaults: options,
  });
}

/** ONNX Runtime on the CPU execution provider, float32. */
export const onnxCpuEntry: BackendEntry = onnxEntry('cpu', 'ONNX Runtime, CPU execution provider (float32)');
/** ONNX Runtime on the WebGPU execution provider (Dawn over Vulkan; lavapipe in CI), float32, parameters resident on the GPU. */
export const onnxWebgpuEntry: BackendEntry = onnxEntry(
  'webgpu',
  'ONNX Runtime, WebGPU execution provider (float32)',
);
/** ONNX Runtime on the CUDA execution provider, float32, many SGD steps per run. */
export const onnxCudaEntry: BackendEntry = onnxEntry(
  'cuda',
  'ONNX Runtime, CUDA execution provider (float32)',
);

/** Register onnx-cpu, onnx-webgpu and onnx-cuda in core's backend registry; calling it again does nothing. */
export function registerOnnxBackends(): void {
  for (const e of [onnxCpuEntry, onnxWebgpuEntry, onnxCudaEntry]) registerBackend(e);
}
