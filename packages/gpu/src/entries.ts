import {
  type Availability,
  type BackendEntry,
  type BackendOption,
  type BackendOptions,
  checkBackendOptions,
  type NetworkSpec,
  type Params,
  registerBackend,
} from '@backprop/core';
import { OnnxBackend, type OnnxBackendOptions } from './backend.js';
import { GraphBuilder } from './onnx/builder.js';
import { createSession, cudaLibrariesMissing, ort, type Provider } from './runtime.js';

/** What to do to enable a provider that failed to start, for the one-line reason. */
const HOW_TO_ENABLE: Record<Provider, string> = {
  cpu: 'reinstall onnxruntime-node 1.29.0 (its native binding failed to load)',
  webgpu:
    'WebGPU needs a Vulkan device usable by Dawn: a GPU driver, or on Debian bookworm libvulkan1 and mesa-vulkan-drivers from bookworm-backports (lavapipe, Mesa 25), and XDG_RUNTIME_DIR set',
  cuda: 'needs an NVIDIA GPU with a CUDA 13 driver, cuDNN 9, and the CUDA provider libraries beside libonnxruntime.so.1 (see `backprop doctor`)',
};

/** A tiny graph (z = Wx + b, σ) run once to prove that a provider really starts. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'float32', [1, 2]);
  const W = g.constant('W', 'float32', [2, 2], [1, 2, 3, 4]);
  const b = g.constant('b', 'float32', [2], [0.5, -0.5]);
  g.output(
    'a',
    g.op('Sigmoid', [g.op('Gemm', [x, W, b], 'probe/z', { transB: 1 })], 'probe/a'),
    'float32',
    [1, 2],
  );
  return g.encode();
}

/**
 * Decide availability by creating a session on `provider` (fallback to the CPU forbidden for
 * GPU providers) and running it; the answer says which provider ran, or why none could.
 */
export async function probeProvider(provider: Provider): Promise<Availability> {
  if (provider === 'cuda') {
    // Checked first: creating a CUDA session without the provider library aborts the process.
    const missing = cudaLibrariesMissing();
    if (missing) return { available: false, reason: missing };
  }
  try {
    const s = await createSession(probeModel(), provider, {}, 'probe');
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]) });
    await s.release();
    const a = out.a!.data as Float32Array;
    const expected = [1 / (1 + Math.exp(-(1 - 2 + 0.5))), 1 / (1 + Math.exp(-(3 - 4 - 0.5)))];
    if (Math.abs(a[0]! - expected[0]!) > 1e-5 || Math.abs(a[1]! - expected[1]!) > 1e-5)
      return {
        available: false,
        reason: `the probe graph ran but computed [${Array.from(a)}] instead of [${expected}]`,
      };
    return { available: true, device: provider };
  } catch (e) {
    let msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
    // ORT prefixes a failed check with its source location and condition; keep the message.
    msg = msg.replace(/^\/onnxruntime_src\/.* was false\. /, '');
    return {
      available: false,
      reason: `cannot create a session on the ${provider} execution provider (${msg}); ${HOW_TO_ENABLE[provider]}`,
    };
  }
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
  provider: Provider,
  description: string,
  options: OnnxBackendOptions = {},
): BackendEntry {
  const name = `onnx-${provider}`;
  const entry: BackendEntry = {
    name,
    dtype: 'float32',
    description,
    options: ONNX_OPTIONS,
    probe: () => probeProvider(provider),
    create: async (spec: NetworkSpec, params: Params, given: BackendOptions = {}) => {
      checkBackendOptions(entry, given);
      const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
      return OnnxBackend.create(name, provider, spec, params, { ...options, ...defined });
    },
  };
  return entry;
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
