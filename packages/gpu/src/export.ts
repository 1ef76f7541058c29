import { writeFileSync } from 'node:fs';
import type { NetworkSpec, Params } from '@backprop/core';
import { inferenceGraph } from './onnx/graphs.js';

/**
 * The trained network as a self-contained ONNX inference model (opset 17, parameters stored
 * as float32 initializers): input `input` (batch × n_0, features scaled as in training, i.e.
 * pixels / 255) → `output` (a^L) and `label` (the argmax). Any ONNX runtime can run it.
 */
export function exportOnnx(spec: NetworkSpec, params: Params): Uint8Array {
  return inferenceGraph(spec, params).encode(
    `backprop ${spec.sizes.join('-')} ${spec.activation} ${spec.cost}`,
  );
}

/** Write {@link exportOnnx}'s model to `path`. */
export function writeOnnx(path: string, spec: NetworkSpec, params: Params): void {
  writeFileSync(path, exportOnnx(spec, params));
}
