// Running a trained model on ONNX Runtime: train (or load) a model with core, export it to an
// .onnx file with @backprop/gpu, and run that file with onnxruntime-node directly, as any
// ONNX Runtime user would, on the MNIST test images.
//   node examples/onnx-inference.mjs [MODEL.json]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, DOCUMENT_SPEC, initParams, loadModel, train } from '@backprop/core';
import { fillInputs, loadMnist, slice } from '@backprop/data';
import { writeOnnx } from '@backprop/gpu';
import * as ort from 'onnxruntime-node';

const mnist = loadMnist();
let model;
if (process.argv[2]) {
  model = loadModel(process.argv[2]); // e.g. a model.json from `backprop train` or examples/mnist.mjs
} else {
  const spec = DOCUMENT_SPEC;
  const backend = createReferenceBackend(spec, initParams(spec, 1));
  await train(backend, slice(mnist.train, 0, 20000), { epochs: 1, batchSize: 10, eta: 3, seed: 1 });
  model = { spec, params: await backend.getParams() };
}

// The .onnx file: opset 17, parameters as float32 initializers; input `input` (batch × 784,
// pixels / 255), outputs `output` (a^L) and `label` (its argmax).
const path = join(mkdtempSync(join(tmpdir(), 'backprop-onnx-')), 'mnist.onnx');
writeOnnx(path, model.spec, model.params);
console.log(`wrote ${path} (${model.spec.sizes.join('-')})`);

// From here on only onnxruntime-node: open the file and run the whole test set as one batch.
const test = mnist.test;
const x = new Float64Array(test.count * 784);
fillInputs(
  test,
  Uint32Array.from({ length: test.count }, (_, i) => i),
  x,
); // pixels / 255
const session = await ort.InferenceSession.create(path);
console.log(`session inputs [${session.inputNames}], outputs [${session.outputNames}]`);
const t0 = performance.now();
const { label } = await session.run({
  input: new ort.Tensor('float32', Float32Array.from(x), [test.count, 784]),
});
const ms = performance.now() - t0;
await session.release();

let correct = 0;
for (let i = 0; i < test.count; i++) if (Number(label.data[i]) === test.labels[i]) correct++;

// The same images through the float64 reference: the labels must agree (float32 may differ
// only where the reference's top two outputs are within rounding of each other).
const ref = await createReferenceBackend(model.spec, model.params).forward(x, test.count);
const aL = ref.activations[model.spec.sizes.length - 1];
let agree = 0;
for (let i = 0; i < test.count; i++) {
  let best = 0;
  for (let j = 1; j < 10; j++) if (aL[i * 10 + j] > aL[i * 10 + best]) best = j;
  if (best === Number(label.data[i])) agree++;
}
console.log(
  `ONNX Runtime: ${((100 * correct) / test.count).toFixed(2)}% of ${test.count} test images in ${ms.toFixed(0)} ms; ` +
    `labels agree with the float64 reference on ${agree}/${test.count}`,
);
if (agree < test.count - 5 || correct / test.count < 0.8) {
  console.error('onnx-inference: the exported model does not reproduce the reference');
  process.exit(1);
}
