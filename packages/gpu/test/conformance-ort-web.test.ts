// Every clause of docs/spec.md on ort-web-wasm: our graphs on onnxruntime-web's WebAssembly backend,
// float32 tolerances (skipped with the reason when unavailable, failed when required).
import { describeConformance } from '@backprop/conformance/vitest';
import { ortWebWasmEntry } from '../src/web.js';

describeConformance(ortWebWasmEntry);
