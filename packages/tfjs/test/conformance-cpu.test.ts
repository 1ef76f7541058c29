// Every clause on TF.js's cpu backend, float32 tolerances (skipped with the reason when it cannot
// start, failed when BACKPROP_REQUIRE_BACKENDS names tfjs-cpu).
import { describeConformance } from '@backprop/conformance/vitest';
import { tfjsCpuEntry } from '../src/index.js';

describeConformance(tfjsCpuEntry);
