// The GPU kit's helpers, bundled into the kit as tools.mjs (run by the kit's own Node):
//   init      --seed S [--layers 784,16,16,10] --out FILE   the initial parameters of `backprop train --seed S` (a model file)
//   orders    --seed S --count N --epochs E --out FILE      each epoch's shuffle of `backprop train --seed S` (backprop-orders JSON)
//   check-runs RUN.json ...                                  validate run files (readRunFile); exit 1 if one is bad
//   speed-table RUN.json ... [--out FILE.md]                 seconds per epoch side by side, grouped by batch size
//   placement LOG.jsonl [--provider cuda]                    where the nodes ran, from BACKPROP_PLACEMENT_LOG
//   probe PROVIDER                                           start one execution provider for real (what doctor does for all)
// Everything here calls the project's own code (initParams, epochSeed, Rng, readRunFile), so the
// PyTorch runs start from exactly what the CLI would.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { epochSeed, initParams, readRunFile, serializeModel } from '@backprop/core';
import { Rng } from '@backprop/data';
import { probeProvider } from '@backprop/gpu';

const EP = { cpu: 'CPUExecutionProvider', webgpu: 'WebGpuExecutionProvider', cuda: 'CUDAExecutionProvider' };

function fail(message) {
  console.error(`tools: ${message}`);
  process.exit(2);
}

function intOf(values, name, min = 0) {
  const v = values[name];
  if (v === undefined) fail(`--${name} is required`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${v}`);
  return n;
}

function init(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { seed: { type: 'string' }, layers: { type: 'string' }, out: { type: 'string' } },
  });
  const seed = intOf(values, 'seed');
  const sizes = (values.layers ?? '784,16,16,10').split(',').map(Number);
  if (!values.out) fail('--out is required');
  const spec = { sizes, activation: 'sigmoid', cost: 'quadratic' };
  const params = initParams(spec, seed, 'normal');
  writeFileSync(
    values.out,
    serializeModel({
      spec,
      params,
      provenance: { init: 'normal', seed, epochs: 0, note: 'initial parameters of backprop train --seed' },
    }),
  );
}

function orders(argv) {
  const opts = {
    seed: { type: 'string' },
    count: { type: 'string' },
    epochs: { type: 'string' },
    out: { type: 'string' },
  };
  const { values } = parseArgs({ args: argv, options: opts });
  const seed = intOf(values, 'seed');
  const count = intOf(values, 'count', 1);
  const epochs = intOf(values, 'epochs', 1);
  if (!values.out) fail('--out is required');
  // sgd.epoch: epoch e visits new Rng(epochSeed(seed, e)).permutation(count), in consecutive batches.
  const list = [];
  for (let e = 1; e <= epochs; e++) list.push(Array.from(new Rng(epochSeed(seed, e)).permutation(count)));
  writeFileSync(
    values.out,
    `${JSON.stringify({ format: 'backprop-orders', version: 1, seed, count, epochs, orders: list })}\n`,
  );
}

function checkRuns(argv) {
  let bad = 0;
  for (const f of argv) {
    try {
      const r = readRunFile(f);
      console.log(
        `ok   ${f}: ${r.name} (${r.backend.name}, ${r.backend.device}), test ${(100 * (r.final?.test.accuracy ?? Number.NaN)).toFixed(2)}%`,
      );
    } catch (e) {
      bad++;
      console.log(`BAD  ${f}: ${e.message}`);
    }
  }
  return bad === 0 ? 0 : 1;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function speedTable(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, title: { type: 'string' } },
    allowPositionals: true,
  });
  const rows = [];
  for (const f of positionals) {
    let r;
    try {
      r = readRunFile(f);
    } catch (e) {
      console.error(`tools: skipped ${f}: ${e.message}`);
      continue;
    }
    const eps = r.curve.epochs.map((e) => e.epochSeconds);
    if (eps.length === 0) continue;
    const steady = eps.length > 1 ? median(eps.slice(1)) : eps[0];
    const steps = Math.ceil(r.config.data.trainCount / r.config.batchSize);
    rows.push({
      name: r.name,
      device: r.backend.device,
      batch: r.config.batchSize,
      first: eps[0],
      steady,
      steadyEpochs: Math.max(1, eps.length - 1),
      perStep: (steady / steps) * 1e6,
      acc: r.final?.test.accuracy ?? Number.NaN,
      torchGraph: /^pytorch-graph/.test(r.backend.name),
    });
  }
  const lines = [];
  if (values.title) lines.push(`${values.title}`, '');
  lines.push(
    '| batch | run | device | first epoch s | s/epoch (median of later epochs) | µs/step | × fastest PyTorch | test acc |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const b of [...new Set(rows.map((r) => r.batch))].sort((a, b) => a - b)) {
    const group = rows.filter((r) => r.batch === b);
    const torch = group.filter((r) => r.name.startsWith('pytorch'));
    const base = torch.length > 0 ? Math.min(...torch.map((r) => r.steady)) : Number.NaN;
    for (const r of group)
      lines.push(
        `| ${b} | ${r.name} | ${r.device} | ${r.first.toFixed(3)} | ${r.steady.toFixed(3)}${r.steadyEpochs === 1 && r.steady === r.first ? ' (1 epoch)' : ''} | ${r.perStep.toFixed(1)} | ${Number.isFinite(base) ? (r.steady / base).toFixed(2) : '–'} | ${(100 * r.acc).toFixed(2)}% |`,
      );
  }
  const text = `${lines.join('\n')}\n`;
  if (values.out) writeFileSync(values.out, text);
  process.stdout.write(text);
  return rows.length > 0 ? 0 : 1;
}

function placement(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { provider: { type: 'string' } },
    allowPositionals: true,
  });
  const provider = values.provider ?? 'cuda';
  if (!(provider in EP)) fail(`--provider must be one of ${Object.keys(EP).join(', ')}`);
  const file = positionals[0];
  if (!file) fail('placement LOG.jsonl');
  let lines;
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch (e) {
    console.log(`placement: no log (${e.message})`);
    return 1;
  }
  const mine = lines.filter((l) => l.provider === provider);
  const nodes = mine.reduce((s, l) => s + l.nodes, 0);
  const bad = mine.filter((l) => !l.ok);
  const graphs = [...new Set(mine.map((l) => l.graph.replace(/\+.*$/, '')))].sort();
  if (mine.length === 0) {
    console.log(`placement: no ${EP[provider]} session was checked`);
    return 1;
  }
  if (bad.length === 0) {
    console.log(
      `placement: every node ran on ${EP[provider]}: ${mine.length} sessions, ${nodes} nodes (graphs: ${graphs.join(', ')})`,
    );
    return 0;
  }
  console.log(
    `placement: ${bad.length} of ${mine.length} sessions had nodes off ${EP[provider]}: ${bad
      .slice(0, 5)
      .map((l) => `${l.graph}: ${l.elsewhere.slice(0, 3).join(', ')}`)
      .join('; ')}`,
  );
  return 1;
}

async function probe(argv) {
  const provider = argv[0];
  if (!(provider in EP)) fail(`probe PROVIDER: one of ${Object.keys(EP).join(', ')}`);
  const a = await probeProvider(provider);
  console.log(
    a.available ? `onnx-${provider} available (${a.device})` : `onnx-${provider} unavailable: ${a.reason}`,
  );
  return a.available ? 0 : 1;
}

const [cmd, ...rest] = process.argv.slice(2);
const commands = { init, orders, 'check-runs': checkRuns, 'speed-table': speedTable, placement, probe };
if (!(cmd in commands)) fail(`unknown command '${cmd ?? ''}'; one of ${Object.keys(commands).join(', ')}`);
process.exitCode = (await commands[cmd](rest)) ?? 0;
