import { availability, listBackends } from '@backprop/core';
import { registerTfjsBrowserBackends, setWasmPaths } from '@backprop/tfjs/browser';
import wasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';

/**
 * The backends of the page, registered in @backprop/core's registry as the CLI registers its own:
 * `reference` (always there), TF.js's cpu, wasm, webgl and webgpu. Each is probed by really
 * starting it; one the browser lacks is listed with TF.js's reason.
 */
export function registerPageBackends(): void {
  // TF.js's wasm binaries, served by this page's server (Vite gives their URLs).
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasm,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  registerTfjsBrowserBackends();
}

/** One backend as the page lists it. */
export interface BackendStatus {
  readonly name: string;
  readonly dtype: string;
  readonly description: string;
  readonly available: boolean;
  /** Where it runs when available, else why not. */
  readonly detail: string;
}

/** Every registered backend with its availability, probed in turn. */
export async function backendStatuses(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const e of listBackends()) {
    const av = await availability(e);
    out.push({
      name: e.name,
      dtype: e.dtype,
      description: e.description,
      available: av.available,
      detail: av.available ? av.device : av.reason,
    });
  }
  return out;
}
