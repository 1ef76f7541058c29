// Engines side by side: one epoch of the document's network (784-16-16-10, sigmoid, quadratic
// cost, η = 3) at batch 32 on the 50,000 MNIST training images, on every engine under the suite,
// in one process, round-robin. Every engine starts from the same initial parameters (seed 1) and
// visits the same mini-batches (round r: the shuffle seed epochSeed(1, r); checked: each epoch's
// batches must equal the reference's, or the benchmark stops). The table gives the median seconds
// per epoch and the ratio to onnx-cpu fast measured in the same rounds, and each engine's suite
// time from its conformance report (docs/engines/NAME.json, written by `pnpm docs:engines`).
//
//   node benchmarks/engines.bench.mjs [--engines LIST] [--reps 3] [--batch-size 32]
//        [--reports docs/engines] [--out-dir runs/bench]
//
// Engines (ids for --engines; all by default but the torch-float32:own-loop rows):
//   reference               float64 TypeScript (@backprop/core), its own epoch loop
//   onnx-cpu:fast           onnxruntime-node, 32 unrolled steps per session.run, data set resident
//   onnx-cpu:naive          onnxruntime-node, one session.run per mini-batch
//   ort-web-wasm            the same graphs on onnxruntime-web's WebAssembly backend, fast mode
//   tfjs-cpu, tfjs-wasm     TensorFlow.js 4.22 (core's shared epoch loop over TF.js's own step)
//   torch-float32#1, #2     PyTorch float32 through the engine protocol, torch.set_num_threads(1|2);
//                           core's shared loop over the engine's `step` (one request per mini-batch),
//                           which gives every engine the same mini-batches
//   numpy                   the NumPy example engine (float64) through the protocol, the same way
//   torch-float32#1:in-process, torch-float32#2:in-process, numpy:in-process
//                           the same network classes (torch_engine.TorchNetwork, numpy_network.Network)
//                           stepping over the same mini-batches in their own Python process, without
//                           the protocol (benchmarks/engine_loop.py; its step loop is what is timed,
//                           not Python's start): how much of an epoch is the engine, how much the transport
//   torch-float32:own-loop  (information, not by default) PyTorch's own `train_epoch` loop: the
//                           training set goes to the engine once (`load_data`, in the warm-up) and
//                           the engine shuffles with torch.randperm, so its mini-batches differ
//                           (not checked)
//   torch-float32:own-loop:v1  (information, not by default) the same over plain protocol 1 (the
//                           host uses no extension): the whole training set in every train_epoch
//
// Each engine does one untimed warm-up epoch first (sessions, JIT, the engine's start); its time
// is the `warm-up s` column. Flags this benchmark does not know (`pnpm bench` passes its arguments
// to every benchmark) are ignored with a note. Writes OUT_DIR/engines.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createReferenceBackend,
  DOCUMENT_SPEC,
  epochSeed,
  genericTrainEpoch,
  initParams,
} from '../packages/core/dist/index.js';
import { epochBatches, loadMnist, splitMnist } from '../packages/data/dist/index.js';
import {
  environment,
  formatLoad,
  list,
  median,
  parseBenchArgs,
  positiveInt,
  runMain,
  table,
  writeJson,
} from './common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The engines this benchmark knows: id, the conformance report holding its suite time, and how to open it. */
export const ENGINES = [
  { id: 'reference', report: 'reference' },
  { id: 'onnx-cpu:fast', report: 'onnx-cpu' },
  { id: 'onnx-cpu:naive', report: 'onnx-cpu' },
  { id: 'ort-web-wasm', report: 'ort-web-wasm' },
  { id: 'tfjs-cpu', report: 'tfjs-cpu' },
  { id: 'tfjs-wasm', report: 'tfjs-wasm' },
  { id: 'torch-float32#1', report: 'torch-float32' },
  { id: 'torch-float32#2', report: 'torch-float32' },
  { id: 'numpy', report: 'numpy-network' },
  { id: 'torch-float32#1:in-process', report: 'torch-float32' },
  { id: 'torch-float32#2:in-process', report: 'torch-float32' },
  { id: 'numpy:in-process', report: 'numpy-network' },
  { id: 'torch-float32:own-loop', report: 'torch-float32', extra: true },
  { id: 'torch-float32:own-loop:v1', report: 'torch-float32', extra: true },
];
/** The engines run when --engines is not given. */
export const DEFAULT_ENGINES = ENGINES.filter((e) => !e.extra).map((e) => e.id);
/** The engine every ratio is taken against. */
export const BASELINE = 'onnx-cpu:fast';

/** A Python that imports `modules` (the protocol package's own search), or `{ skip: reason }`. */
async function python(modules) {
  const { findPython } = await import('../packages/protocol/dist/index.js');
  const py = await findPython(modules);
  return py.found ? { python: py.python } : { skip: py.reason };
}

/**
 * Engine `id` starting from `params`: `{ epoch, dtype, version, dispose }`, where `epoch(data,
 * options)` trains one epoch and returns `{ batches, costs }` (or `{ batches, seconds, meanCost }`
 * when the time is measured elsewhere); or `{ skip: reason }` when the engine cannot run here.
 * The epoch is the backend's own `trainEpoch` where it visits core's mini-batches, core's shared
 * loop over `step` for the protocol engines, and benchmarks/engine_loop.py for the in-process rows.
 */
async function openEngine(id, spec, params, work) {
  if (id.endsWith(':in-process')) return openInProcess(id, spec, params, work);
  const entryOf = async () => {
    if (id.startsWith('onnx-cpu')) return (await import('../packages/gpu/dist/index.js')).onnxCpuEntry;
    if (id === 'ort-web-wasm') return (await import('../packages/gpu/dist/web.js')).ortWebWasmEntry;
    if (id.startsWith('tfjs-')) {
      const tfjs = await import('../packages/tfjs/dist/index.js');
      return id === 'tfjs-cpu' ? tfjs.tfjsCpuEntry : tfjs.tfjsWasmEntry;
    }
    if (id.startsWith('torch-float32')) {
      const { torchEntry } = await import('../packages/torch/dist/index.js');
      return torchEntry('float32', {
        threads: id.includes('#2') ? 2 : 1,
        ...(id.endsWith(':v1') ? { extensions: [] } : {}),
      });
    }
    if (id === 'numpy') {
      const { engineEntry } = await import('../packages/conformance/dist/index.js');
      const py = await python(['numpy']);
      if (py.skip) return py;
      return engineEntry([py.python, join(root, 'packages/protocol/python/examples/numpy_network.py')]);
    }
    throw new RangeError(`--engines: unknown '${id}'; known: ${ENGINES.map((e) => e.id).join(', ')}`);
  };
  if (id === 'reference') {
    const b = createReferenceBackend(spec, params);
    return { epoch: (d, o) => b.trainEpoch(d, o), dtype: b.dtype, version: '', dispose: () => b.dispose() };
  }
  const entry = await entryOf();
  if (entry.skip) return entry;
  const av = await entry.probe();
  if (!av.available) return { skip: av.reason };
  const options =
    id === 'onnx-cpu:naive' ? { mode: 'naive' } : id.startsWith('onnx-cpu') ? { mode: 'fast' } : {};
  const b = await entry.create(spec, params, options);
  const protocol = id === 'numpy' || (id.startsWith('torch-float32') && !id.includes(':own-loop'));
  return {
    epoch: protocol ? (d, o) => genericTrainEpoch(b, d, o) : (d, o) => b.trainEpoch(d, o),
    dtype: b.dtype,
    version: av.version ?? '',
    dispose: () => b.dispose(),
  };
}

/** An in-process row: benchmarks/engine_loop.py over the data, orders and parameters written to `work()`. */
async function openInProcess(id, spec, params, work) {
  const torch = id.startsWith('torch');
  const py = await python(torch ? ['torch', 'numpy'] : ['numpy']);
  if (py.skip) return py;
  const dir = work();
  const file = join(dir, `params-${id.replace(/[^a-z0-9]+/gi, '-')}.json`);
  const state = {
    sizes: spec.sizes,
    weights: params.weights.map((w) => [...w]),
    biases: params.biases.map((b) => [...b]),
  };
  let written = false;
  const script = join(root, 'benchmarks/engine_loop.py');
  const argv = torch
    ? ['--engine', 'torch', '--dtype', 'float32', '--threads', id.includes('#2') ? '2' : '1']
    : ['--engine', 'numpy'];
  return {
    dtype: torch ? 'float32' : 'float64',
    version: '',
    dispose: async () => {},
    epoch: async (data, options) => {
      if (!written) {
        writeFileSync(
          file,
          JSON.stringify({
            ...state,
            eta: options.eta,
            batch_size: options.batchSize,
            scale: data.featureScale,
          }),
        );
        written = true;
      }
      const batches = epochBatches(data.count, options.batchSize, options.seed, options.lastBatch);
      const order = new Uint32Array(data.count);
      let k = 0;
      for (const B of batches) order.set(B, (k += B.length) - B.length);
      writeFileSync(join(dir, `order-${options.seed}.u32`), order);
      const r = spawnSync(
        py.python,
        [script, ...argv, '--dir', dir, '--round', String(options.seed), '--params', file],
        {
          encoding: 'utf8',
          timeout: 10 * 60_000,
        },
      );
      if (r.status !== 0)
        throw new Error(`${id}: engine_loop.py exited with ${r.status ?? r.signal}: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      return { batches, seconds: out.seconds, meanCost: out.mean_cost };
    },
  };
}

const sameBatches = (a, b) =>
  a.length === b.length && a.every((B, i) => B.length === b[i].length && B.every((k, j) => k === b[i][j]));

/** Each engine's suite time in seconds from its conformance report in `dir` (undefined where none). */
export function suiteTimes(dir) {
  const out = new Map();
  for (const e of ENGINES) {
    const file = join(dir, `${e.report}.json`);
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8')).reports?.find((x) => x.backend === e.report);
    if (r?.available) out.set(e.id, r.durationMs / 1000);
  }
  return out;
}

/**
 * Time every engine: one warm-up epoch each, then `reps` rounds of one epoch each, round-robin
 * with the first engine rotating from round to round. Returns one row per engine.
 */
export async function benchEngines({
  engines = DEFAULT_ENGINES,
  reps = 3,
  batchSize = 32,
  eta = 3,
  spec = DOCUMENT_SPEC,
  reports = join(root, 'docs/engines'),
  log = console.log,
} = {}) {
  const { train } = splitMnist(loadMnist());
  const params = initParams(spec, 1);
  const suite = suiteTimes(reports);
  const options = (r) => ({ eta, batchSize, seed: epochSeed(1, r) });
  let dir;
  const work = () => {
    if (!dir) {
      // The data for the in-process rows: the training images as bytes, and their labels.
      dir = mkdtempSync(join(tmpdir(), 'backprop-engines-bench-'));
      writeFileSync(join(dir, 'images.u8'), train.features.subarray(0, train.count * train.inputSize));
      writeFileSync(join(dir, 'labels.u8'), train.labels.subarray(0, train.count));
    }
    return dir;
  };
  const rows = [];
  const open = [];
  const firstBatches = new Map(); // round → the first engine's mini-batches, which every engine must visit
  const check = (c, round, batches) => {
    if (c.id.includes(':own-loop')) return;
    const first = firstBatches.get(round);
    if (!first) firstBatches.set(round, batches);
    else if (!sameBatches(batches, first))
      throw new Error(`${c.id} visited other mini-batches than the first engine in round ${round}`);
  };
  /** One epoch of `c`: its seconds (the step loop's own where it measures it) and its mean step cost. */
  const epoch = async (c, r) => {
    const t = performance.now();
    const res = await c.epoch(train, options(r));
    const wall = (performance.now() - t) / 1000;
    check(c, r, res.batches);
    const meanCost = res.meanCost ?? res.costs.reduce((s, x) => s + x, 0) / res.costs.length;
    return { seconds: res.seconds ?? wall, meanCost };
  };
  try {
    for (const id of engines) {
      const c = await openEngine(id, spec, params, work);
      if (c.skip) {
        log(`  ${id}: skipped (${c.skip})`);
        rows.push({ engine: id, skipped: c.skip });
        continue;
      }
      const row = { id, ...c, seconds: [], costs: [] };
      row.cold = (await epoch(row, 0)).seconds; // warm-up
      open.push(row);
      log(`  ${id}: warm-up ${row.cold.toFixed(2)} s`);
    }
    for (let r = 1; r <= reps; r++) {
      for (let i = 0; i < open.length; i++) {
        const c = open[(i + r - 1) % open.length];
        const e = await epoch(c, r);
        c.seconds.push(e.seconds);
        c.costs.push(e.meanCost);
      }
      log(`  round ${r}/${reps} done (load ${formatLoad(loadavg())})`);
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  const base = open.find((c) => c.id === BASELINE);
  const baseMedian = base ? median(base.seconds) : undefined;
  for (const c of open) {
    const med = median(c.seconds);
    rows.push({
      engine: c.id,
      version: c.version,
      dtype: c.dtype,
      median: med,
      min: Math.min(...c.seconds),
      ratio: baseMedian ? med / baseMedian : null,
      // The median of the rounds' own ratios: steadier when the load changes from round to round.
      roundRatio: base ? median(c.seconds.map((x, r) => x / base.seconds[r])) : null,
      cold: c.cold,
      seconds: c.seconds,
      meanCost: c.costs[c.costs.length - 1],
      suiteSeconds: suite.get(c.id) ?? null,
    });
    await c.dispose();
  }
  return rows;
}

/** The rows as a fixed-width table. */
export function formatTable(rows) {
  const head = [
    'engine',
    'dtype',
    'median s/epoch',
    'min',
    `ratio to ${BASELINE}`,
    'median of round ratios',
    'warm-up s',
    'mean cost, last epoch',
    'suite s',
    'epochs (s)',
  ];
  const body = rows.map((r) =>
    r.skipped
      ? [r.engine, '', 'skipped', '', '', '', '', '', '', r.skipped.slice(0, 70)]
      : [
          r.engine,
          r.dtype,
          r.median.toFixed(2),
          r.min.toFixed(2),
          r.ratio === null ? '—' : r.ratio.toFixed(1),
          r.roundRatio === null ? '—' : r.roundRatio.toFixed(1),
          r.cold.toFixed(2),
          r.meanCost.toFixed(4),
          r.suiteSeconds === null ? '—' : r.suiteSeconds.toFixed(1),
          r.seconds.map((s) => s.toFixed(2)).join(' '),
        ],
  );
  return table(head, body, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('engines.bench', async () => {
    const values = parseBenchArgs('engines.bench', {
      engines: { type: 'string', default: DEFAULT_ENGINES.join(',') },
      reps: { type: 'string', default: '3' },
      'batch-size': { type: 'string', default: '32' },
      reports: { type: 'string', default: 'docs/engines' },
      'out-dir': { type: 'string', default: 'runs/bench' },
    });
    const engines = list(values.engines);
    for (const id of engines)
      if (!ENGINES.some((e) => e.id === id))
        throw new RangeError(`--engines: unknown '${id}'; known: ${ENGINES.map((e) => e.id).join(', ')}`);
    const env = environment();
    const reps = positiveInt(values, 'reps');
    const batchSize = positiveInt(values, 'batch-size');
    console.log(`node ${env.node}, ${env.cpu}, load average ${formatLoad(env.loadBefore)}`);
    console.log(
      `${DOCUMENT_SPEC.sizes.join('-')} sigmoid/quadratic, η = 3, batch ${batchSize}, 50,000 MNIST images per epoch; same initial parameters and mini-batches; ${reps} rounds after a warm-up`,
    );
    const rows = await benchEngines({ engines, reps, batchSize, reports: resolve(values.reports) });
    console.log(formatTable(rows));
    env.loadAfter = loadavg();
    const file = writeJson(values['out-dir'], 'engines.json', {
      ...env,
      spec: DOCUMENT_SPEC,
      batchSize,
      baseline: BASELINE,
      rows,
    });
    console.log(`load average after ${formatLoad(env.loadAfter)}; wrote ${file}`);
  });
