// Per-epoch test accuracy of the reference backend over several seeds, with Nielsen's settings
// (sigmoid, quadratic cost, N(0,1) init, η = 3.0, batch 10, 50,000 training images), for the
// comparison with network.py in docs/training.md (see benchmarks/network_py.py for the other side).
//
//   node benchmarks/core-seeds.mjs --sizes 784,30,10 --epochs 15 --seeds 1,2,3,4,5
import { parseArgs } from 'node:util';
import { createReferenceBackend, initParams, train } from '../packages/core/dist/index.js';
import { loadMnist, splitMnist } from '../packages/data/dist/index.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '784,30,10' },
    epochs: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '1' },
    eta: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '10' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const { train: trainSet, test } = splitMnist(loadMnist());
for (const seed of values.seeds.split(',').map(Number)) {
  const spec = { sizes, activation: 'sigmoid', cost: 'quadratic' };
  const backend = createReferenceBackend(spec, initParams(spec, seed, 'normal'));
  const result = await train(backend, trainSet, {
    epochs: Number(values.epochs),
    batchSize: Number(values['batch-size']),
    eta: Number(values.eta),
    seed,
    test,
    onEpoch: (e) =>
      console.log(
        `reference ${values.sizes} seed ${seed} epoch ${e.epoch}: ${(100 * e.test.accuracy).toFixed(2)}% ${e.epochSeconds.toFixed(1)} s`,
      ),
  });
  console.log(
    `reference ${values.sizes} seed ${seed} per-epoch test accuracy: ${result.epochs.map((e) => (100 * e.test.accuracy).toFixed(2)).join(' ')}`,
  );
}
