// Peak resident memory of `backprop train`: the default run (the document's network on MNIST,
// 30 epochs, reference backend) and, for information, the ONNX backends for a few epochs.
// Each run is a child process; its peak RSS is its own getrusage maxRSS, written at exit by
// the preloaded peak-rss.mjs (exact, not sampled). /proc/PID/status is also sampled every
// 100 ms, and the RSS at the end of every epoch (when the epoch's line is printed) is reported,
// to show whether memory grows with the epochs.
//
//   node benchmarks/memory.bench.mjs [--runs default,onnx-cpu,onnx-cpu:naive] [--onnx-epochs 3]
//        [--out-dir runs/bench]
//
// Runs (ids for --runs):
//   default         backprop train (no flags: reference, 30 epochs)
//   onnx-cpu        backprop train --backend onnx-cpu --epochs N (fast mode, the default)
//   onnx-webgpu     backprop train --backend onnx-webgpu --epochs 1 --train-count 2000 (lavapipe)
// Every run writes its run and model files under OUT_DIR/memory-*/, not under runs/<date>.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  environment,
  formatLoad,
  list,
  parseBenchArgs,
  positiveInt,
  runMain,
  table,
  writeJson,
} from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const bin = join(root, 'packages/cli/dist/bin.js');

/** The train invocations this benchmark knows. */
export const RUNS = {
  default: () => [],
  'onnx-cpu': (o) => ['--backend', 'onnx-cpu', '--epochs', String(o.onnxEpochs)],
  'onnx-webgpu': () => ['--backend', 'onnx-webgpu', '--epochs', '1', '--train-count', '2000'],
};

function vmKiB(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // the process has gone
  }
}

/**
 * Run `backprop train ARGS` as a child and measure it: `{ args, code, seconds, peakMiB,
 * epochs: [{ epoch, rssMiB, t }], samples }`.
 */
export function measureTrain(args, outDir) {
  const peakFile = join(outDir, `peak-${process.pid}-${Date.now()}.json`);
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(join(here, 'peak-rss.mjs')).href, bin, 'train', ...args],
      {
        cwd: root,
        env: { ...process.env, BACKPROP_PEAK_RSS_FILE: peakFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const samples = [];
    const epochs = [];
    const sample = () => {
      const rss = vmKiB(child.pid, 'VmRSS');
      if (rss !== undefined) samples.push({ t: (performance.now() - t0) / 1000, rssMiB: rss / 1024 });
      return rss;
    };
    const timer = setInterval(sample, 100);
    let out = '';
    let err = '';
    let partial = ''; // a line split across chunks
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const m = line.match(/^epoch\s+(\d+)\/\d+/);
        if (!m) continue;
        const rss = sample();
        if (rss !== undefined)
          epochs.push({ epoch: Number(m[1]), rssMiB: rss / 1024, t: (performance.now() - t0) / 1000 });
      }
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      let usage;
      try {
        usage = JSON.parse(readFileSync(peakFile, 'utf8'));
        rmSync(peakFile);
      } catch {
        return fail(
          new Error(
            `train ${args.join(' ')} exited with ${code} and left no peak-RSS record:\n${err || out}`,
          ),
        );
      }
      if (code !== 0) return fail(new Error(`train ${args.join(' ')} exited with ${code}:\n${err || out}`));
      done({ args, code, seconds, peakMiB: usage.maxRSS / 1024, epochs, samples });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('memory.bench', async () => {
    const values = parseBenchArgs('memory.bench', {
      runs: { type: 'string', default: 'default,onnx-cpu' },
      'onnx-epochs': { type: 'string', default: '3' },
      'out-dir': { type: 'string', default: 'runs/bench' },
    });
    const runs = list(values.runs);
    for (const r of runs)
      if (!(r in RUNS))
        throw new RangeError(`--runs: unknown '${r}'; known: ${Object.keys(RUNS).join(', ')}`);
    const options = { onnxEpochs: positiveInt(values, 'onnx-epochs') };
    const env = environment();
    console.log(`node ${env.node}, ${env.cpu}, load average ${formatLoad(env.loadBefore)}`);
    const results = [];
    for (const id of runs) {
      const outDir = resolve(values['out-dir'], `memory-${id}`);
      // Not --quiet: the per-epoch lines mark where each epoch ends.
      const args = [...RUNS[id](options), '--out', outDir];
      const r = await measureTrain(args, resolve(values['out-dir']));
      const first = r.epochs[0]?.rssMiB;
      const last = r.epochs.at(-1)?.rssMiB;
      results.push({ id, ...r });
      console.log(
        `${id}: backprop train ${r.args.join(' ')}: peak RSS ${r.peakMiB.toFixed(1)} MiB, ${r.seconds.toFixed(1)} s; ` +
          `RSS after epoch 1 ${first?.toFixed(1)} MiB, after epoch ${r.epochs.length} ${last?.toFixed(1)} MiB`,
      );
    }
    console.log(
      table(
        [
          'run',
          'peak RSS MiB',
          'epochs',
          'RSS after first epoch MiB',
          'after last MiB',
          'seconds',
          'target ≤ 300 MB',
        ],
        results.map((r) => [
          r.id,
          r.peakMiB.toFixed(1),
          r.epochs.length,
          r.epochs[0]?.rssMiB.toFixed(1) ?? '—',
          r.epochs.at(-1)?.rssMiB.toFixed(1) ?? '—',
          r.seconds.toFixed(1),
          r.id === 'default' ? ((r.peakMiB * 1024 * 1024) / 1e6 <= 300 ? 'met' : 'MISSED') : '(info)',
        ]),
      ),
    );
    env.loadAfter = loadavg();
    const file = writeJson(values['out-dir'], 'memory.json', {
      ...env,
      note: 'peakMiB = getrusage maxRSS of the train process (KiB / 1024); 300 MB target = 286.1 MiB',
      results,
    });
    console.log(`load average after ${formatLoad(env.loadAfter)}; wrote ${file}`);
  });
