// Every clause of docs/spec.md on onnx-webgpu (lavapipe in CI), float32 tolerances, GPU session
// with CPU fallback forbidden (skipped with the reason when unavailable, failed when required).
import { describeConformance } from '@backprop/conformance/vitest';
import { onnxWebgpuEntry } from '../src/index.js';

describeConformance(onnxWebgpuEntry);
