// What checkpoints cost: `backprop train --backend onnx-cpu` with and without
// `--checkpoint-every 500`, side by side. Since train() has one epoch path, a checkpointed run
// keeps ONNX fast mode (32 steps per session.run), ending a group at each checkpoint step; the
// cost left is the checkpoints themselves (parameters read back, JSON, fsync, rename: 10 per
// epoch at batch 10) and the shorter groups before them. The target: a ratio ≤ 1.15.
//
//   node benchmarks/checkpoint.bench.mjs [--backend onnx-cpu] [--every 500] [--epochs 3]
//        [--reps 3] [--train-count 50000] [--onnx-threads T] [--bin packages/cli/dist/bin.js]
//        [--out-dir runs/bench]
//
// --bin runs another build of the CLI (e.g. a checkout of an older commit) for a before/after.
//
// Each round runs both variants as child processes (the first one alternating from round to
// round), the document's network with the CLI's defaults (batch 10, η = 3), no validation set.
// Epoch times are the run files' `epochSeconds` (SGD steps and checkpoints; evaluation
// excluded), leaving out epoch 1 (session creation, the resident float32 copy of the data set).
// The ratio divides the median epoch time with checkpoints by the median without, both over
// every round; the per-round ratios show the spread, and the ratio of the fastest epochs is
// given too (the least disturbed by other load on a shared machine).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  environment,
  formatLoad,
  median,
  parseBenchArgs,
  positiveInt,
  runMain,
  table,
  writeJson,
} from './common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The target of issue 12: checkpoints may cost at most this much epoch time. */
export const TARGET_RATIO = 1.15;

/**
 * Run `backprop train ARGS --out DIR/NAME.json` and return the epoch seconds of its run file
 * (all epochs, in order) and the wall seconds of the whole process.
 */
export function trainEpochSeconds(args, outDir, name, bin = join(root, 'packages/cli/dist/bin.js')) {
  const out = join(outDir, `checkpoint-bench-${name}.json`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'train', ...args, '--quiet', '--out', out], {
    cwd: root,
    encoding: 'utf8',
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`backprop train ${args.join(' ')} exited with ${r.status}:\n${r.stderr || r.stdout}`);
  const run = JSON.parse(readFileSync(out, 'utf8'));
  for (const f of [out, out.replace(/\.json$/, '.model.json')]) rmSync(f, { force: true });
  return { epochSeconds: run.curve.epochs.map((e) => e.epochSeconds), wall };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('checkpoint.bench', async () => {
    const values = parseBenchArgs('checkpoint.bench', {
      backend: { type: 'string', default: 'onnx-cpu' },
      every: { type: 'string', default: '500' },
      epochs: { type: 'string', default: '3' },
      reps: { type: 'string', default: '3' },
      'train-count': { type: 'string', default: '50000' },
      bin: { type: 'string', default: join(root, 'packages/cli/dist/bin.js') },
      'out-dir': { type: 'string', default: 'runs/bench' },
      'onnx-threads': { type: 'string' },
    });
    const every = positiveInt(values, 'every');
    const epochs = positiveInt(values, 'epochs');
    const reps = positiveInt(values, 'reps');
    const trainCount = positiveInt(values, 'train-count');
    if (epochs < 2)
      throw new RangeError('--epochs must be at least 2: epoch 1 is the warm-up and is left out');
    const outDir = resolve(values['out-dir']);
    const env = environment();
    console.log(`node ${env.node}, ${env.cpu}, load average ${formatLoad(env.loadBefore)}`);
    const common = [
      '--backend',
      values.backend,
      '--epochs',
      String(epochs),
      '--train-count',
      String(trainCount),
      '--validation-count',
      '0',
      ...(values['onnx-threads'] ? ['--onnx-threads', String(positiveInt(values, 'onnx-threads'))] : []),
    ];
    const variants = {
      plain: common,
      checkpointed: [...common, '--checkpoint-every', String(every)],
    };
    const names = Object.keys(variants);
    /** name → epoch seconds (epoch 1 left out) of every round, and per round */
    const times = { plain: [], checkpointed: [] };
    const rounds = [];
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      const round = {};
      for (const name of order) {
        const t = trainEpochSeconds(variants[name], outDir, name, resolve(values.bin));
        round[name] = { epochSeconds: t.epochSeconds, wall: t.wall };
        times[name].push(...t.epochSeconds.slice(1));
      }
      round.ratio =
        median(round.checkpointed.epochSeconds.slice(1)) / median(round.plain.epochSeconds.slice(1));
      rounds.push(round);
      console.log(
        `round ${r + 1}: ${order.join(' then ')}; ratio ${round.ratio.toFixed(3)} (epoch s without: ${round.plain.epochSeconds.map((s) => s.toFixed(2)).join(' ')}; with: ${round.checkpointed.epochSeconds.map((s) => s.toFixed(2)).join(' ')})`,
      );
    }
    const med = { plain: median(times.plain), checkpointed: median(times.checkpointed) };
    const ratio = med.checkpointed / med.plain;
    const best = { plain: Math.min(...times.plain), checkpointed: Math.min(...times.checkpointed) };
    const bestRatio = best.checkpointed / best.plain;
    console.log(
      table(
        ['run', 'median s/epoch', 'fastest', 'epochs timed', 'the timed epochs, s'],
        names.map((n) => [
          `${values.backend}${n === 'checkpointed' ? ` --checkpoint-every ${every}` : ''}`,
          med[n].toFixed(3),
          best[n].toFixed(3),
          times[n].length,
          times[n].map((s) => s.toFixed(2)).join(' '),
        ]),
      ),
    );
    const within = ratio <= TARGET_RATIO;
    console.log(
      `epoch-time ratio with/without checkpoints: ${ratio.toFixed(3)} (medians; per round ${rounds.map((r) => r.ratio.toFixed(3)).join(' ')}; fastest epochs ${bestRatio.toFixed(3)}); ` +
        `${within ? 'within' : 'NOT within'} the target ≤ ${TARGET_RATIO}`,
    );
    env.loadAfter = loadavg();
    const file = writeJson(values['out-dir'], 'checkpoint.json', {
      ...env,
      backend: values.backend,
      onnxThreads: values['onnx-threads'] ?? null,
      every,
      epochs,
      trainCount,
      target: TARGET_RATIO,
      bin: values.bin,
      ratio,
      bestRatio,
      within,
      medians: med,
      fastest: best,
      rounds,
    });
    console.log(`load average after ${formatLoad(env.loadAfter)}; wrote ${file}`);
  });
