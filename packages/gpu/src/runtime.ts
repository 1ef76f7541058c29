// onnxruntime-node: the native ONNX Runtime for onnx-cpu, onnx-webgpu and onnx-cuda, with what
// only Node has (the binding's folder, CUDA provider libraries, Dawn's runtime directory, the
// placement check). The runtime-neutral parts are in `ort.ts`; onnxruntime-web is in `web.ts`.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type OnnxRuntime, type Provider, type SessionOptions, sessionOptions } from './ort.js';
import { placementSettings, profilingOptions, watchPlacement } from './placement.js';

/** The execution providers of onnxruntime-node that the backends run on. */
export type NodeProvider = Extract<Provider, 'cpu' | 'webgpu' | 'cuda'>;

export { ort };

const require = createRequire(import.meta.url);

/** Version of the onnxruntime-node package in use. */
export function ortVersion(): string {
  return ort.env.versions?.node ?? (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** The folder holding `onnxruntime_binding.node` and `libonnxruntime.so.1` (where provider libraries must go). */
export function bindingDir(): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Shared libraries beside the binding (provider libraries appear here when installed). */
export function bindingLibraries(): string[] {
  const dir = bindingDir();
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Where the CUDA provider libraries come from: the one CUDA build of ORT 1.29.0 on npm (see DESIGN.md). */
export const CUDA_PROVIDER_SOURCE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (Plugins/Linux/x64/)';
const CUDA_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

/** One line saying why CUDA cannot start before trying (a missing provider library aborts the process otherwise), or undefined. */
export function cudaLibrariesMissing(): string | undefined {
  const dir = bindingDir();
  const missing = CUDA_LIBRARIES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(' and ')} not found beside libonnxruntime.so.1 in ${dir}; ` +
    `to enable onnx-cuda copy libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so from the npm package ` +
    `${CUDA_PROVIDER_SOURCE} into that folder (ONNX Runtime ${ortVersion()} built for CUDA 13 + cuDNN 9; an NVIDIA driver for CUDA 13 is needed)`
  );
}

/**
 * Dawn (the WebGPU implementation inside ONNX Runtime) needs XDG_RUNTIME_DIR; when it is not
 * set, use a private folder under /tmp rather than fail.
 * @internal sessions call it; nothing else needs to
 */
export function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = `/tmp/xdg-runtime-${uid}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

/**
 * Create a session on `provider` (fallback to the CPU forbidden for GPU providers). When the
 * environment asks for it (`BACKPROP_VERIFY_PLACEMENT`, `BACKPROP_PLACEMENT_LOG`; see
 * `placement.ts`), the session's first run also checks that every node ran on `provider`;
 * `graph` names the session in that check.
 */
export async function createSession(
  model: Uint8Array,
  provider: NodeProvider,
  extra: Partial<SessionOptions> = {},
  graph = 'graph',
): Promise<ort.InferenceSession> {
  if (provider === 'webgpu') ensureRuntimeDir();
  if (provider === 'cuda') {
    const missing = cudaLibrariesMissing();
    if (missing) throw new Error(missing);
  }
  const placement = placementSettings();
  if (!placement) return ort.InferenceSession.create(model, sessionOptions(provider, extra));
  const profile = profilingOptions();
  try {
    const session = await ort.InferenceSession.create(
      model,
      sessionOptions(provider, { ...extra, ...profile.options }),
    );
    return watchPlacement(session, provider, graph, profile.dir, placement);
  } catch (e) {
    rmSync(profile.dir, { recursive: true, force: true });
    throw e;
  }
}

/** onnxruntime-node as the backends' runtime: the default of onnx-cpu, onnx-webgpu and onnx-cuda. */
export const ortNode: OnnxRuntime = Object.freeze({
  name: 'onnxruntime-node',
  version: ortVersion(),
  ort,
  providers: Object.freeze(['cpu', 'webgpu', 'cuda'] as const),
  async createSession(
    model: Uint8Array,
    provider: Provider,
    extra?: Partial<SessionOptions>,
    graph?: string,
  ) {
    if (provider === 'wasm')
      throw new RangeError(
        'onnxruntime-node has no wasm execution provider (that is onnxruntime-web: ortWeb from @backprop/gpu/web)',
      );
    return createSession(model, provider, extra, graph);
  },
});
