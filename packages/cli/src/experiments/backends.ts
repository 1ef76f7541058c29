import { availability, getBackend, listBackends } from '@backprop/conformance';
import { type Backend, createReferenceBackend, type NetworkSpec, type Params } from '@backprop/core';

let onnxRegistered: Promise<void> | undefined;

/** Register the ONNX Runtime backends when @backprop/gpu can be loaded here; otherwise keep going without them. */
function registerOnnx(): Promise<void> {
  onnxRegistered ??= (async () => {
    try {
      const gpu = await import('@backprop/gpu');
      gpu.registerOnnxBackends();
    } catch {
      // onnxruntime-node missing or broken: only the reference backend is offered.
    }
  })();
  return onnxRegistered;
}

/** The names `--backend` accepts here (registered backends; 'reference' always). */
export async function backendNames(): Promise<string[]> {
  await registerOnnx();
  const names = listBackends().map((e) => e.name);
  return names.includes('reference') ? names : ['reference', ...names];
}

/**
 * A backend by registry name holding `params`. 'reference' is the float64 core backend (taken
 * from the registry when it is registered there). Any other name must be registered and
 * available; if it is not, the error says why and which names exist.
 */
export async function createBackend(name: string, spec: NetworkSpec, params: Params): Promise<Backend> {
  await registerOnnx();
  const known = listBackends().map((e) => e.name);
  if (name === 'reference' && !known.includes('reference')) return createReferenceBackend(spec, params);
  if (!known.includes(name))
    throw new Error(
      `unknown backend '${name}'; available names: ${['reference', ...known.filter((n) => n !== 'reference')].join(', ')}`,
    );
  const entry = getBackend(name);
  const a = await availability(entry);
  if (!a.available)
    throw new Error(
      `backend '${name}' cannot run here: ${a.reason}. Use --backend reference, or see 'backprop doctor'.`,
    );
  return entry.create(spec, params);
}

/** What a result records about the backend that produced it. */
export interface BackendInfo {
  readonly name: string;
  readonly dtype: string;
  readonly device: string;
}

/** The {@link BackendInfo} of `backend`. */
export function backendInfo(backend: Backend): BackendInfo {
  return { name: backend.name, dtype: backend.dtype, device: backend.device };
}
