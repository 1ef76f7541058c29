/**
 * @backprop/tfjs/browser — TensorFlow.js in a web page: the four backends a browser can have,
 * `tfjs-cpu`, `tfjs-wasm`, `tfjs-webgl` and `tfjs-webgpu` (`@tensorflow/tfjs-backend-webgpu`),
 * each a backprop backend that the conformance suite can judge. A backend the browser lacks (no
 * WebGPU adapter, no WebGL) is reported unavailable with TF.js's reason. The wasm backend loads
 * its `.wasm` binaries from where {@link setWasmPaths} says (a bundler gives their URLs).
 *
 * @example
 * ```ts
 * import { registerTfjsBrowserBackends, setWasmPaths } from '@backprop/tfjs/browser';
 * import wasm from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url'; // Vite
 * setWasmPaths({ 'tfjs-backend-wasm.wasm': wasm });
 * registerTfjsBrowserBackends(); // then openBackend('tfjs-webgpu', spec, params), runConformance(...)
 * ```
 */
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' where navigator.gpu exists
import { type BackendEntry, type ClauseExpectation, registerBackend } from '@backprop/core';
import { tfjsCpuEntry, tfjsEntry, tfjsWasmEntry } from './index.js';

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export * from './index.js';

/**
 * A defect of TF.js's WebGL gradients, found by the suite in Chromium (SwiftShader) and
 * reproduced with TF.js alone (docs/web.md): the composed softmax/cross-entropy gradient comes out
 * wrong or NaN. sgd.momentum and sgd.weight-decay step with those gradients and fail with sgd.step.
 */
const WEBGL_GRADIENTS: ClauseExpectation = {
  status: 'xfail',
  reason:
    'TF.js 4.22 webgl gets softmax/cross-entropy gradients wrong: a 1-1-2 sigmoid/cross-entropy net, all ' +
    'parameters 0, x=[[0]], y=[[1,0]]: tf.grads gives ∂C/∂W² = [[0],[0.5]] on webgl, [[−0.25],[0.25]] on cpu (docs/web.md)',
};

/** TF.js's WebGL backend (bundled with `@tensorflow/tfjs`; a page with WebGL 2 or 1), with its known defect. */
export const tfjsWebglEntry: BackendEntry = {
  ...tfjsEntry('webgl'),
  expectations: Object.fromEntries(
    ['chain.fd', 'bp4', 'grad.mean', 'sgd.step', 'sgd.momentum', 'sgd.weight-decay'].map((id) => [
      id,
      WEBGL_GRADIENTS,
    ]),
  ),
};
/** TF.js's WebGPU backend (`@tensorflow/tfjs-backend-webgpu`; a page whose browser offers a WebGPU adapter). */
export const tfjsWebgpuEntry: BackendEntry = tfjsEntry('webgpu');

/** The four browser backends, in the order a page lists them. */
export const TFJS_BROWSER_ENTRIES: readonly BackendEntry[] = Object.freeze([
  tfjsCpuEntry,
  tfjsWasmEntry,
  tfjsWebglEntry,
  tfjsWebgpuEntry,
]);

/** Register the four browser backends with the registry; calling it again does nothing. */
export function registerTfjsBrowserBackends(): void {
  for (const e of TFJS_BROWSER_ENTRIES) registerBackend(e);
}
