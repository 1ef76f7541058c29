#!/usr/bin/env node
// Runs the built `backprop` CLI (packages/cli/dist/bin.js) on bad inputs, each in a fresh
// temporary directory of real files (FIFOs, dangling links, link loops, truncated JSON, a
// directory where a file should be, /proc), and writes what a user sees: the exit code and
// the first line printed. Every case runs under a timeout: one that does not end is listed as
// HANG and the script exits 1. It also exits 1 when a case prints a stack trace or exits with
// a code outside the table (0, 1, 2).
//
//   pnpm build && node scripts/bad-inputs.mjs            # writes docs/bad-inputs.md
//   node scripts/bad-inputs.mjs --print                  # prints the table only
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages/cli/dist/bin.js');
const experimentBin = join(root, 'packages/experiments/dist/bin.js');
const fixtures = join(root, 'packages/cli/test/fixtures');
const TIMEOUT_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'backprop-bad-inputs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function run(args, { env = {}, program = bin } = {}) {
  const environment = { ...process.env, NO_COLOR: '1', BACKPROP_DEBUG: '', ...env };
  delete environment.FORCE_COLOR;
  const r = spawnSync(process.execPath, [program, ...args], {
    cwd: dir,
    timeout: TIMEOUT_MS,
    encoding: 'utf8',
    env: environment,
  });
  return {
    code: r.error?.code === 'ETIMEDOUT' || r.signal ? null : r.status,
    out: `${r.stderr}\n${r.stdout}`,
  };
}

// Fixtures: a small trained model and its run file, by the real CLI.
const model = join(dir, 'good', 'model.json');
const made = run([
  'train',
  '--layers',
  '784,10',
  '--epochs',
  '1',
  '--train-count',
  '2000',
  '--validation-count',
  '0',
  '--out',
  'good',
  '--quiet',
]);
if (made.code !== 0) throw new Error(`could not train the fixture model:\n${made.out}`);
const spawnFifo = (path) =>
  spawnSync('mkfifo', [path]).status === 0 ||
  (() => {
    throw new Error(`mkfifo ${path}`);
  })();
const fifo = join(dir, 'pipe.json');
spawnFifo(fifo);
const fifoPng = join(dir, 'pipe.png');
spawnFifo(fifoPng);
mkdirSync(join(dir, 'fifo-data'));
for (const f of [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
])
  spawnFifo(join(dir, 'fifo-data', f));
symlinkSync('nowhere.json', join(dir, 'dangling.json'));
symlinkSync('loop-b.json', join(dir, 'loop-a.json'));
symlinkSync('loop-a.json', join(dir, 'loop-b.json'));
writeFileSync(join(dir, 'truncated.json'), '{"format": "backprop-model", "version": 1, "spec": {');
writeFileSync(join(dir, 'not-a-png.png'), 'GIF89a this is not a PNG');
writeFileSync(join(dir, 'a-file'), 'something\n');
mkdirSync(join(dir, 'a-directory'));
mkdirSync(join(dir, 'empty-data'));
// A PNG of one colour: no digit.
const { PNG } = (await import('node:module')).createRequire(join(root, 'packages/cli/package.json'))('pngjs');
const blank = new PNG({ width: 40, height: 40 });
blank.data.fill(255);
writeFileSync(join(dir, 'blank.png'), PNG.sync.write(blank));
const digit = join(fixtures, 'drawn-7.png');
const tiny = ['--epochs', '1', '--train-count', '1000', '--validation-count', '0', '--quiet'];
const thousandLayers = ['784', ...Array(1001).fill('1'), '10'].join(',');

/** [what the user typed, argv, options]. `{}` in a label is the temporary directory. */
const CASES = [
  // train: flags
  ['train --epochs 0', ['train', '--epochs', '0']],
  ['train --eta -1', ['train', '--eta', '-1']],
  ['train --eta NaN', ['train', '--eta', 'NaN']],
  ['train --batch-size 0', ['train', '--batch-size', '0']],
  ['train --epoch 3 (mistyped flag)', ['train', '--epoch', '3']],
  ['train --activation tanh', ['train', '--activation', 'tanh']],
  ['train --backend no-such-backend', ['train', '--backend', 'no-such-backend']],
  ['train --resume model.json --eta 1', ['train', '--resume', model, '--eta', '1']],
  // train: checks before the first step
  ['train --layers 784,1000000000,10', ['train', '--layers', '784,1000000000,10']],
  ['train --layers 784,1,…(1,001 layers of 1),10', ['train', '--layers', thousandLayers]],
  [
    'train --onnx-threads 100000 --backend onnx-cpu',
    ['train', '--backend', 'onnx-cpu', '--onnx-threads', '100000'],
  ],
  [
    'train --steps-per-run 1000000000 --backend onnx-cpu',
    ['train', '--backend', 'onnx-cpu', '--steps-per-run', '1000000000'],
  ],
  ['BACKPROP_MAX_MEMORY=1M train', ['train', ...tiny], { env: { BACKPROP_MAX_MEMORY: '1M' } }],
  ['train --batch-size 5000 --train-count 1000', ['train', '--batch-size', '5000', ...tiny]],
  // train: outputs
  ['train --out /proc/x', ['train', ...tiny, '--out', '/proc/x']],
  ['train --out a-file (an existing file)', ['train', ...tiny, '--out', 'a-file']],
  ['train --run a-directory', ['train', ...tiny, '--run', 'a-directory']],
  ['train --out good (an earlier run, no --force)', ['train', ...tiny, '--out', 'good']],
  ['train --out a-file/sub/run.json', ['train', ...tiny, '--out', 'a-file/sub/run.json']],
  // train: inputs that are not regular files
  ['train --data-dir fifo-data (four FIFOs)', ['train', ...tiny, '--data-dir', 'fifo-data']],
  ['train --data-dir empty-data', ['train', ...tiny, '--data-dir', 'empty-data']],
  ['train --data-dir no/such/dir', ['train', ...tiny, '--data-dir', 'no/such/dir']],
  ['train --resume pipe.json (a FIFO)', ['train', '--resume', 'pipe.json']],
  ['train --resume dangling.json (a dangling link)', ['train', '--resume', 'dangling.json']],
  ['train --resume loop-a.json (a link loop)', ['train', '--resume', 'loop-a.json']],
  ['train --resume truncated.json', ['train', '--resume', 'truncated.json']],
  // train: the work fails
  [
    'train --eta 1e6 --fail-on-stall (sigmoid)',
    ['train', ...tiny, '--eta', '1e6', '--fail-on-stall', '--out', 'stalled'],
  ],
  ['train --backend onnx-cuda (no CUDA here)', ['train', ...tiny, '--backend', 'onnx-cuda', '--out', 'cuda']],
  // predict
  ['predict', ['predict']],
  ['predict MODEL', ['predict', model]],
  ['predict MODEL pipe.png (a FIFO)', ['predict', model, 'pipe.png']],
  ['predict MODEL not-a-png.png', ['predict', model, 'not-a-png.png']],
  ['predict MODEL blank.png (one colour)', ['predict', model, 'blank.png']],
  ['predict MODEL digit.png --index 3', ['predict', model, digit, '--index', '3']],
  ['predict MODEL --index 99999', ['predict', model, '--index', '99999']],
  ['predict a-directory digit.png', ['predict', 'a-directory', digit]],
  ['predict truncated.json digit.png', ['predict', 'truncated.json', digit]],
  ['predict dangling.json digit.png', ['predict', 'dangling.json', digit]],
  // evaluate
  ['evaluate', ['evaluate']],
  ['evaluate pipe.json (a FIFO)', ['evaluate', 'pipe.json']],
  ['evaluate MODEL --split nope', ['evaluate', model, '--split', 'nope']],
  ['evaluate MODEL --data-dir no/such/dir', ['evaluate', model, '--data-dir', 'no/such/dir']],
  // compare, weights, export
  ['compare', ['compare']],
  ['compare pipe.json (a FIFO)', ['compare', 'pipe.json']],
  ['compare truncated.json', ['compare', 'truncated.json']],
  ['compare RUN --out chart.gif', ['compare', join(dir, 'good', 'run.json'), '--out', 'chart.gif']],
  [
    'compare RUN --out /proc/x/chart.svg',
    ['compare', join(dir, 'good', 'run.json'), '--out', '/proc/x/chart.svg'],
  ],
  ['weights MODEL --zoom 1000', ['weights', model, '--zoom', '1000']],
  ['weights MODEL --layer 9', ['weights', model, '--layer', '9']],
  ['weights loop-a.json', ['weights', 'loop-a.json']],
  ['export pipe.json (a FIFO)', ['export', 'pipe.json']],
  ['export MODEL --out model.txt', ['export', model, '--out', 'model.txt']],
  // conformance, data, the program
  [
    'conformance --backend onnx-cuda (no CUDA here)',
    ['conformance', '--backend', 'onnx-cuda', '--clause', 'bp1', '--runs', '2'],
  ],
  ['conformance --load pipe.json (a FIFO)', ['conformance', '--load', 'pipe.json']],
  ['conformance --seed abc', ['conformance', '--seed', 'abc']],
  ['data show 999999', ['data', 'show', '999999']],
  ['data shwo 1 (mistyped subcommand)', ['data', 'shwo', '1']],
  ['data info --data-dir fifo-data', ['data', 'info', '--data-dir', 'fifo-data']],
  ['traim (mistyped command)', ['traim']],
  ['--epochs 3 (no command)', ['--epochs', '3']],
  ['help nosuch', ['help', 'nosuch']],
  [
    'pnpm experiment noise --data-dir fifo-data',
    ['noise', '--data-dir', 'fifo-data'],
    { program: experimentBin },
  ],
];

const firstLine = (out) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '') ?? '';
const rows = [];
let bad = 0;
for (const [label, args, options] of CASES) {
  const { code, out } = run(args, options);
  const line = firstLine(out).replaceAll(dir, '{tmp}').replaceAll(root, '{repo}');
  const stack = /^\s+at .+[:(]/m.test(out) || /\b(TypeError|RangeError|ReferenceError)\b/.test(out);
  const ok = code !== null && [0, 1, 2].includes(code) && !stack;
  if (!ok) bad++;
  rows.push([label, code === null ? 'HANG' : String(code), `${line}${stack ? ' (STACK TRACE)' : ''}`]);
  process.stderr.write(`${code === null ? 'HANG' : code}\t${label}\n`);
}

const cell = (s) => s.replaceAll('|', '\\|');
const table = [
  '| input | exit | first line printed |',
  '|---|---|---|',
  ...rows.map(
    ([a, b, c]) =>
      `| \`${/^([A-Z_]+=|pnpm )/.test(a) ? '' : 'backprop '}${cell(a).replace(/^([A-Z_]+=\S+) /, '$1 backprop ')}\` | ${b} | ${cell(c)} |`,
  ),
].join('\n');
const doc = `# Bad inputs and what the CLI says

Generated by \`node scripts/bad-inputs.mjs\` (after \`pnpm build\`) from the real CLI on real files
in a temporary directory \`{tmp}\`: FIFOs, dangling links, link loops, truncated JSON, a directory
where a file should be, \`/proc\`. Each case ran under a ${TIMEOUT_MS / 1000} s timeout (HANG if it had not
ended). Exit codes follow the one table (README, \`--help\`): 0 success, 1 the work failed, 2 usage
or bad input. \`MODEL\` is a model trained by the script, \`digit.png\` the drawn 7 of
packages/cli/test/fixtures, \`RUN\` its run file. ${CASES.length} cases, ${bad} outside the table.

${table}
`;
if (process.argv.includes('--print')) console.log(table);
else {
  writeFileSync(join(root, 'docs/bad-inputs.md'), doc);
  console.error(`wrote docs/bad-inputs.md (${CASES.length} cases, ${bad} outside the table)`);
}
process.exitCode = bad > 0 ? 1 : 0;
