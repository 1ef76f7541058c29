// One conformance suite over every registered backend, as TF.js's describeWithFlags runs one test
// file over each of its backends: reference, onnx-cpu, onnx-webgpu, onnx-cuda, tfjs-cpu, tfjs-wasm,
// torch and torch-float32, registered as the CLI registers them. Each clause is one test titled
// `<clause id> [<backend>] <title>`; an unavailable backend is skipped with its reason, unless
// BACKPROP_REQUIRE_BACKENDS names it (CI requires all but onnx-cuda): then it fails, as does a
// required backend that is not even registered.
import { describeBackends } from '@backprop/conformance/vitest';
import { registerBackends } from '../src/backends.js';

const notes = await registerBackends();
describeBackends({
  ...(notes.size > 0 ? { missing: `not registered: ${[...notes.values()].join('; ')}` } : {}),
  timeoutMs: 300_000,
});
