// Every clause on TF.js's wasm backend, float32 tolerances (skipped with the reason when it cannot
// start, failed when BACKPROP_REQUIRE_BACKENDS names tfjs-wasm).
import { describeConformance } from '@backprop/conformance/vitest';
import { tfjsWasmEntry } from '../src/index.js';

describeConformance(tfjsWasmEntry);
