// Core as a library: build a network, train it on XOR, evaluate it, save it and load it back.
//   node examples/xor.mjs [OUT_DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createReferenceBackend,
  evaluate,
  initParams,
  loadModel,
  parameterCount,
  saveModel,
  train,
} from '@backprop/core';
import { xor } from '@backprop/data';

// XOR: the four points of {0,1}², class 1 where exactly one input is 1. No network without a
// hidden layer can separate it; one hidden layer of four sigmoid neurons can.
const data = xor();
const spec = { sizes: [2, 4, 2], activation: 'sigmoid', cost: 'quadratic' };
const params = initParams(spec, 7); // N(0,1) weights and biases, seeded
const backend = createReferenceBackend(spec, params); // float64, the formulas in plain TypeScript
console.log(`network ${spec.sizes.join('-')}: ${parameterCount(spec.sizes)} parameters`);

const before = await evaluate(backend, data);
// Full-batch gradient descent: each epoch is one step on all four points.
const result = await train(backend, data, { epochs: 2000, batchSize: 4, eta: 4, seed: 1, logEvery: 500 });
const after = await evaluate(backend, data);
for (const p of result.steps) console.log(`  step ${String(p.step).padStart(4)}  cost ${p.cost.toFixed(5)}`);
console.log(
  `accuracy ${before.accuracy * 100}% before training, ${after.accuracy * 100}% after; cost ${after.cost.toFixed(5)}`,
);

// What the network answers for each point: a^L, the output activations.
const x = Float64Array.from(data.features);
const { activations } = await backend.forward(x, 4);
const out = activations[2];
for (let i = 0; i < 4; i++)
  console.log(
    `  xor(${x[2 * i]}, ${x[2 * i + 1]}) = ${data.labels[i]}   a² = [${out[2 * i].toFixed(3)}, ${out[2 * i + 1].toFixed(3)}]`,
  );

// Save the model (JSON; written atomically) and load it back: the same parameters, bit for bit.
const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'backprop-xor-'));
const path = join(dir, 'xor.model.json');
saveModel(path, { spec, params: await backend.getParams(), provenance: { example: 'xor', seed: 7 } });
const loaded = loadModel(path);
const reloaded = await evaluate(createReferenceBackend(loaded.spec, loaded.params), data);
console.log(`saved ${path}; reloaded accuracy ${reloaded.accuracy * 100}%`);
await backend.dispose();

if (after.accuracy !== 1 || reloaded.accuracy !== 1) {
  console.error('xor: expected 100% accuracy after training');
  process.exit(1);
}
