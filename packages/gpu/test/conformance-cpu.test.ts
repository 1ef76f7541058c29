// Every clause of docs/spec.md on onnx-cpu, float32 tolerances (skipped with the reason when the
// backend is unavailable, failed when it is named in BACKPROP_REQUIRE_BACKENDS).
import { describeConformance } from '@backprop/conformance/vitest';
import { onnxCpuEntry } from '../src/index.js';

describeConformance(onnxCpuEntry);
