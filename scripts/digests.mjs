#!/usr/bin/env node
// Behaviour digests: SHA-256 of the final parameters and of every per-step cost for a handful
// of training configurations, run through the real CLI (`packages/cli/dist/bin.js`). A refactor
// that must not change behaviour shows the same digests before and after:
//
//   node scripts/digests.mjs              # print the digests as JSON
//   node scripts/digests.mjs --check FILE # compare with a saved digest file (exit 1 on a change)
//
// Each run trains on the first 2,000 MNIST training images with --log-every 1, so the run
// file's step curve is every step's cost. The digests hash the numbers' float64 bytes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages/cli/dist/bin.js');
if (!existsSync(bin)) {
  console.error('digests: build the CLI first (npx -y pnpm@12.4.2 build)');
  process.exit(2);
}
const common = ['--train-count', '2000', '--validation-count', '0', '--log-every', '1', '--quiet'];

/** name → extra flags */
const CONFIGS = {
  'reference b10 sigmoid quadratic': ['--epochs', '2', '--batch-size', '10'],
  'reference b32 sigmoid quadratic': ['--epochs', '2', '--batch-size', '32'],
  'reference b10 relu quadratic': ['--epochs', '2', '--activation', 'relu', '--eta', '0.05'],
  'reference b32 sigmoid cross-entropy': [
    '--epochs',
    '2',
    '--batch-size',
    '32',
    '--cost',
    'cross-entropy',
    '--init',
    'scaled-normal',
    '--eta',
    '0.5',
  ],
  'reference b10 squared-error drop-last': [
    '--epochs',
    '2',
    '--batch-size',
    '30',
    '--cost',
    'squared-error',
    '--drop-last',
  ],
  'reference b10 momentum weight-decay': [
    '--epochs',
    '2',
    '--momentum',
    '0.5',
    '--weight-decay',
    '0.001',
    '--eta',
    '1',
  ],
  'reference b10 momentum checkpointed': [
    '--epochs',
    '2',
    '--momentum',
    '0.5',
    '--weight-decay',
    '0.001',
    '--eta',
    '1',
    '--checkpoint-every',
    '37',
  ],
  'onnx-cpu fast b32': ['--epochs', '2', '--batch-size', '32', '--backend', 'onnx-cpu'],
  'onnx-cpu fast b10': ['--epochs', '2', '--backend', 'onnx-cpu'],
  'onnx-cpu fast b10 checkpointed': ['--epochs', '2', '--backend', 'onnx-cpu', '--checkpoint-every', '50'],
  'reference b10 momentum 20k': [
    '--epochs',
    '2',
    '--train-count',
    '20000',
    '--momentum',
    '0.5',
    '--weight-decay',
    '0.001',
    '--eta',
    '1',
    '--checkpoint-every',
    '500',
  ],
  'onnx-cpu naive b32': [
    '--epochs',
    '2',
    '--batch-size',
    '32',
    '--backend',
    'onnx-cpu',
    '--onnx-mode',
    'naive',
  ],
};

function sha(numbers) {
  const h = createHash('sha256');
  h.update(new Uint8Array(Float64Array.from(numbers).buffer));
  return h.digest('hex').slice(0, 16);
}

function cli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, err });
    });
  });
}

async function digest(name, flags, dir) {
  const out = join(dir, name.replace(/\W+/g, '-'));
  const r = await cli([...common, ...flags, '--out', out]);
  if (r.code !== 0) throw new Error(`${name}: exit ${r.code}\n${r.err}`);
  return read(out);
}

function read(out) {
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  const costs = run.curve.steps.map((p) => p.cost);
  const params = [...model.params.weights.flat(), ...model.params.biases.flat()];
  return { steps: costs.length, costs: sha(costs), params: sha(params) };
}

/** Interrupt a checkpointed run with SIGTERM once its first checkpoint is on disk, resume it, digest the result. */
async function resumed(name, flags, dir) {
  const out = join(dir, name.replace(/\W+/g, '-'));
  const child = spawn(process.execPath, [bin, 'train', ...common, ...flags, '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const poll = setInterval(() => {
    if (existsSync(join(out, 'checkpoint.json'))) {
      clearInterval(poll);
      child.kill('SIGTERM');
    }
  }, 20);
  const code = await new Promise((r) => child.on('close', r));
  clearInterval(poll);
  if (code !== 143) throw new Error(`${name}: the interrupted run exited ${code}, not 143\n${err}`);
  const r = await cli(['--resume', out, '--quiet']);
  if (r.code !== 0) throw new Error(`${name}: resume exited ${r.code}\n${r.err}`);
  return read(out);
}

const dir = mkdtempSync(join(tmpdir(), 'backprop-digests-'));
const result = {};
try {
  for (const [name, flags] of Object.entries(CONFIGS)) {
    result[name] = await digest(name, flags, dir);
    console.error(`${name}: ${JSON.stringify(result[name])}`);
  }
  const name = 'reference b10 momentum 20k, resumed after SIGTERM';
  result[name] = await resumed(name, CONFIGS['reference b10 momentum 20k'], dir);
  console.error(`${name}: ${JSON.stringify(result[name])}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const check = process.argv.indexOf('--check');
if (check > 0) {
  const saved = JSON.parse(readFileSync(process.argv[check + 1], 'utf8'));
  let changed = 0;
  for (const [name, d] of Object.entries(saved)) {
    const now = result[name];
    const same = now && now.costs === d.costs && now.params === d.params && now.steps === d.steps;
    console.log(`${same ? 'same   ' : 'CHANGED'} ${name}`);
    if (!same) changed++;
  }
  process.exit(changed ? 1 : 0);
} else console.log(JSON.stringify(result, null, 2));
