import { availability, listBackends, registerBackend } from '@backprop/core';
import { ortWebWasmEntry, ortWebWebgpuEntry } from '@backprop/gpu/web';
import { registerTfjsBrowserBackends, setWasmPaths } from '@backprop/tfjs/browser';
import wasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';
import { env as ortEnv } from 'onnxruntime-web';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';

/**
 * The backends of the page, registered in @backprop/core's registry as the CLI registers its own:
 * `reference` (always there), TF.js's cpu, wasm, webgl and webgpu, and our ONNX graphs on
 * onnxruntime-web's wasm and WebGPU backends (`@backprop/gpu/web`). Each is probed by really
 * starting it; one the browser lacks is listed with the engine's reason.
 */
export function registerPageBackends(): void {
  // TF.js's wasm binaries, served by this page's server (Vite gives their URLs).
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasm,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  registerTfjsBrowserBackends();
  // onnxruntime-web's browser bundle carries its JavaScript; its .wasm (the JSEP build, which has
  // both the wasm and the WebGPU backends) is served by this page's server. One thread: the page
  // is not cross-origin isolated, so there is no SharedArrayBuffer for more.
  ortEnv.wasm.wasmPaths = { wasm: ortWasm };
  ortEnv.wasm.numThreads = 1;
  registerBackend(ortWebWasmEntry);
  registerBackend(ortWebWebgpuEntry);
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
