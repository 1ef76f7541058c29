// The arithmetic of one epoch and the floor it implies on this machine: FLOPs per epoch of
// 784-16-16-10 training on the 50,000 MNIST training images (dense, and visiting only the
// non-zero pixels in the first layer, with MNIST's measured zero fraction), and the rate of
// scalar float64 multiply-adds that V8 reaches in tight loops over Float64Array.
//
//   node benchmarks/floor.bench.mjs [--batch-sizes 10,32,256] [--out-dir runs/bench]
//
// FLOPs count a multiply and an add as two; exp (σ) is counted separately, not as FLOPs.
// Per example:  forward   2 Σ_l n_l n_{l−1} + Σ_l n_l  (z = W a + b)
//               backward  2 Σ_l n_l n_{l−1}            (bp4: δ aᵀ)
//                       + 2 Σ_{l≥2} n_l n_{l−1}        (bp2: Wᵀ δ, not needed below layer 2)
//                       + Σ_l n_l                       (bp3: Σ δ)
//                       + 4 Σ_l n_l                     (bp1/bp2: ∇C and σ′ = a(1−a) products)
// Per mini-batch: grad.mean (one multiply per parameter) and sgd.step (two per parameter).
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { DOCUMENT_SPEC } from '../packages/core/dist/index.js';
import { loadMnist, splitMnist } from '../packages/data/dist/index.js';
import {
  environment,
  formatLoad,
  list,
  median,
  parseBenchArgs,
  runMain,
  table,
  writeJson,
} from './common.mjs';

/** FLOPs of one epoch: `{ perExample: { forward, backward }, perBatch, epoch }` for `count` examples. */
export function epochFlops(sizes, count, batchSize, nonZeroFraction = 1) {
  const L = sizes.length - 1;
  let weights = 0;
  let neurons = 0;
  let bp2 = 0;
  for (let l = 1; l <= L; l++) {
    // Layer 1's products visit only the non-zero inputs when nonZeroFraction < 1.
    const w = sizes[l] * sizes[l - 1] * (l === 1 ? nonZeroFraction : 1);
    weights += w;
    neurons += sizes[l];
    if (l >= 2) bp2 += 2 * w;
  }
  const forward = 2 * weights + neurons;
  const backward = 2 * weights + bp2 + neurons + 4 * neurons;
  let params = 0;
  for (let l = 1; l <= L; l++) params += sizes[l] * (sizes[l - 1] + 1);
  const perBatch = 3 * params;
  const batches = Math.ceil(count / batchSize);
  return {
    perExample: { forward, backward },
    perBatch,
    epoch: count * (forward + backward) + batches * perBatch,
  };
}

/** Fraction of zero pixels in a data set's stored features. */
export function zeroFraction(data) {
  let zeros = 0;
  const f = data.features;
  for (let i = 0; i < f.length; i++) if (f[i] === 0) zeros++;
  return zeros / f.length;
}

/**
 * FLOP/s of two tight float64 loops, the median of `reps` timings (each ~0.2 s):
 * - `registers`: 8 independent multiply-add chains, no memory traffic (V8's arithmetic ceiling:
 *   it emits scalar mulsd/addsd, no SIMD, no FMA);
 * - `kernel`: the reference's inner loop, four rows of W against one 784-vector held in L1
 *   (s_i += W[k + i·784] · x[k]), which adds five loads per four multiply-adds.
 * - `gather`: the same four rows through a list of non-zero input indices, as the reference's
 *   first layer does on MNIST.
 */
export function scalarRates(reps = 5) {
  const m = 784;
  const W = new Float64Array(4 * m).map((_, i) => Math.sin(i) * 1e-3);
  const x = new Float64Array(m).map((_, i) => Math.cos(i) * 1e-3);
  const nzIndex = new Int32Array(150).map((_, i) => (i * 5) % m);
  const nzValue = new Float64Array(150).map((_, i) => 1 / (i + 1));
  let sink = 0;
  const registers = (n) => {
    let a0 = 1,
      a1 = 1,
      a2 = 1,
      a3 = 1,
      a4 = 1,
      a5 = 1,
      a6 = 1,
      a7 = 1; // prettier-ignore
    const c = 0.9999999;
    const d = 1e-9;
    for (let i = 0; i < n; i++) {
      a0 = a0 * c + d;
      a1 = a1 * c + d;
      a2 = a2 * c + d;
      a3 = a3 * c + d;
      a4 = a4 * c + d;
      a5 = a5 * c + d;
      a6 = a6 * c + d;
      a7 = a7 * c + d;
    }
    sink += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    return 16 * n;
  };
  const kernel = (n) => {
    for (let r = 0; r < n; r++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0; // prettier-ignore
      for (let k = 0; k < m; k++) {
        const v = x[k];
        s0 += W[k] * v;
        s1 += W[k + m] * v;
        s2 += W[k + 2 * m] * v;
        s3 += W[k + 3 * m] * v;
      }
      sink += s0 + s1 + s2 + s3;
    }
    return 8 * m * n;
  };
  const gather = (n) => {
    for (let r = 0; r < n; r++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0; // prettier-ignore
      for (let t = 0; t < nzIndex.length; t++) {
        const k = nzIndex[t];
        const v = nzValue[t];
        s0 += W[k] * v;
        s1 += W[k + m] * v;
        s2 += W[k + 2 * m] * v;
        s3 += W[k + 3 * m] * v;
      }
      sink += s0 + s1 + s2 + s3;
    }
    return 8 * nzIndex.length * n;
  };
  const rate = (fn, n) => {
    fn(n); // warm-up: optimise
    const rs = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      const flops = fn(n);
      rs.push(flops / ((performance.now() - t) / 1000));
    }
    return median(rs);
  };
  const out = { registers: rate(registers, 2e7), kernel: rate(kernel, 6e4), gather: rate(gather, 3e5) };
  if (sink === 42) console.log(''); // keep the loops' results alive
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('floor.bench', async () => {
    const values = parseBenchArgs('floor.bench', {
      'batch-sizes': { type: 'string', default: '10,32,256' },
      'out-dir': { type: 'string', default: 'runs/bench' },
    });
    const env = environment();
    console.log(`node ${env.node}, ${env.cpu}, load average ${formatLoad(env.loadBefore)}`);
    const mnist = loadMnist();
    const { train } = splitMnist(mnist);
    const zeros = {
      train50k: zeroFraction(train),
      train60k: zeroFraction(mnist.train),
      test: zeroFraction(mnist.test),
    };
    const nz = 1 - zeros.train50k;
    console.log(
      `MNIST zero pixels: ${(100 * zeros.train50k).toFixed(2)}% of the 50,000 training images ` +
        `(${(100 * zeros.train60k).toFixed(2)}% of all 60,000, ${(100 * zeros.test).toFixed(2)}% of the test images); ` +
        `${(784 * nz).toFixed(1)} non-zero pixels per image on average`,
    );
    const rates = scalarRates();
    console.log(
      `scalar float64 in V8: ${(rates.registers / 1e9).toFixed(2)} GFLOP/s in registers, ` +
        `${(rates.kernel / 1e9).toFixed(2)} GFLOP/s in the dense 4-row kernel, ${(rates.gather / 1e9).toFixed(2)} GFLOP/s in the sparse (gather) kernel`,
    );
    const sizes = DOCUMENT_SPEC.sizes;
    const rows = [];
    for (const b of list(values['batch-sizes']).map(Number)) {
      const dense = epochFlops(sizes, train.count, b);
      const sparse = epochFlops(sizes, train.count, b, nz);
      rows.push({
        batchSize: b,
        dense,
        sparse,
        // The floor: dense FLOPs at the dense kernel's rate; with sparse layer 1, its share at
        // the gather kernel's rate and the rest at the dense rate.
        floorDense: dense.epoch / rates.kernel,
        floorSparse:
          (train.count * 4 * sizes[1] * sizes[0] * nz) / rates.gather +
          (sparse.epoch - train.count * 4 * sizes[1] * sizes[0] * nz) / rates.kernel,
      });
    }
    console.log(
      table(
        [
          'batch',
          'dense GFLOP/epoch',
          'sparse-input GFLOP/epoch',
          'update share',
          'floor dense s',
          'floor sparse s',
        ],
        rows.map((r) => [
          r.batchSize,
          (r.dense.epoch / 1e9).toFixed(3),
          (r.sparse.epoch / 1e9).toFixed(3),
          `${((100 * Math.ceil(train.count / r.batchSize) * r.sparse.perBatch) / r.sparse.epoch).toFixed(1)}%`,
          r.floorDense.toFixed(3),
          r.floorSparse.toFixed(3),
        ]),
      ),
    );
    const d = rows[0]?.dense.perExample;
    const s = rows[0]?.sparse.perExample;
    if (d && s)
      console.log(
        `per example: forward ${d.forward} FLOPs dense / ${Math.round(s.forward)} sparse, backward ${d.backward} / ${Math.round(s.backward)}`,
      );
    env.loadAfter = loadavg();
    const file = writeJson(values['out-dir'], 'floor.json', { ...env, sizes, zeros, rates, rows });
    console.log(`load average after ${formatLoad(env.loadAfter)}; wrote ${file}`);
  });
