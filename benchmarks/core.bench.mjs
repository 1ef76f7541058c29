// Seconds per epoch of the float64 reference backend: the document's 784-16-16-10 network
// (sigmoid, quadratic cost) on the 50,000 MNIST training images, at mini-batches of 10 and 32.
// One warm-up epoch, then the median of the measured epochs. A benchmark, not a test.
//
//   node benchmarks/core.bench.mjs [--epochs 3] [--batch-sizes 10,32] [--json FILE]
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createReferenceBackend, DOCUMENT_SPEC, epochSeed, initParams } from '../packages/core/dist/index.js';
import { loadMnist, splitMnist } from '../packages/data/dist/index.js';
import { parseBenchArgs } from './common.mjs';

/** Seconds per epoch for each batch size: `{ batchSize, epochs: [s...], median, min, stepsPerSecond }`. */
export async function benchCore({
  epochs = 3,
  batchSizes = [10, 32],
  spec = DOCUMENT_SPEC,
  log = console.log,
} = {}) {
  const { train } = splitMnist(loadMnist());
  const results = [];
  for (const batchSize of batchSizes) {
    const backend = createReferenceBackend(spec, initParams(spec, 1));
    const options = (e) => ({ eta: 3, batchSize, seed: epochSeed(1, e) });
    await backend.trainEpoch(train, options(0)); // warm-up: let V8 optimise the loops
    const seconds = [];
    for (let e = 1; e <= epochs; e++) {
      const t = performance.now();
      await backend.trainEpoch(train, options(e));
      seconds.push((performance.now() - t) / 1000);
    }
    const sorted = [...seconds].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const steps = Math.ceil(train.count / batchSize);
    const min = sorted[0];
    results.push({ batchSize, epochs: seconds, median, min, stepsPerSecond: steps / median });
    log(
      `reference ${spec.sizes.join('-')} batch ${String(batchSize).padStart(3)}: ${median.toFixed(3)} s/epoch median, ${min.toFixed(3)} min (${epochs} epochs: ` +
        `${seconds.map((s) => s.toFixed(3)).join(', ')}), ${Math.round(steps / median)} steps/s, ${((1e6 * median) / train.count).toFixed(1)} µs/example`,
    );
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Lenient like its siblings: `pnpm bench` hands every benchmark the same arguments.
  const values = parseBenchArgs('core.bench', {
    epochs: { type: 'string', default: '3' },
    'batch-sizes': { type: 'string', default: '10,32' },
    json: { type: 'string' },
  });
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
  const results = await benchCore({
    epochs: Number(values.epochs),
    batchSizes: values['batch-sizes'].split(',').map(Number),
  });
  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, results }, null, 2)}\n`,
    );
}
