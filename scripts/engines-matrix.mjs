#!/usr/bin/env node
// docs/engines.md, generated: engines × clauses from `backprop conformance --report json` reports.
//
//   node scripts/engines-matrix.mjs --run     run the suite on every engine below, one at a time,
//                                              writing docs/engines/<engine>.json and runs.json, then
//                                              write docs/engines.md from them (`pnpm docs:engines`)
//   node scripts/engines-matrix.mjs           write docs/engines.md from the reports already there
//   node scripts/engines-matrix.mjs --check   exit 1 if docs/engines.md is not what the reports give
//   --only NAME[,NAME]                        with --run: rerun these engines only, keep the others
//
// The matrix is never typed by hand: every cell, version, time, expectation and reason comes from
// the reports. The generator reads what a report carries and shows what it finds: statuses it
// does not know are shown as they are, and expectations (xfail/skip with reasons), where the
// runner reports them, are listed with their reasons. Run `pnpm build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reportsDir = join(root, 'docs', 'engines');
const mdPath = join(root, 'docs', 'engines.md');
const runsPath = join(reportsDir, 'runs.json');
const cli = join(root, 'packages', 'cli', 'dist', 'bin.js');
const numpyEngine = 'packages/protocol/python/examples/numpy_network.py';

/** The engines of the matrix, in its column order, and how `backprop conformance` reaches each. */
const ENGINES = [
  { name: 'reference', args: ['--backend', 'reference'] },
  { name: 'onnx-cpu', args: ['--backend', 'onnx-cpu'] },
  { name: 'onnx-webgpu', args: ['--backend', 'onnx-webgpu'] },
  { name: 'ort-web-wasm', args: ['--backend', 'ort-web-wasm'] },
  { name: 'tfjs-cpu', args: ['--backend', 'tfjs-cpu'] },
  { name: 'tfjs-wasm', args: ['--backend', 'tfjs-wasm'] },
  { name: 'torch', args: ['--backend', 'torch'] },
  { name: 'torch-float32', args: ['--backend', 'torch-float32'] },
  { name: 'numpy-network', python: true, args: ['--engine', `PYTHON ${numpyEngine}`] },
  { name: 'my-network', args: ['--load', 'examples/my-network.mjs'] },
];

function fail(message) {
  console.error(`engines-matrix: ${message}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const value = (f) => {
  const i = argv.indexOf(f);
  return i >= 0 ? argv[i + 1] : undefined;
};
for (const a of argv)
  if (a.startsWith('--') && !['--run', '--check', '--only'].includes(a))
    fail(`unknown flag ${a}; usage: node scripts/engines-matrix.mjs [--run [--only NAME,…] | --check]`);

/** A Python that imports NumPy (the protocol package's own search), for the NumPy engine. */
async function numpyPython() {
  const { findPython } = await import(join(root, 'packages', 'protocol', 'dist', 'index.js'));
  const found = await findPython(['numpy']);
  if (!found.found) fail(`no Python with NumPy for the NumPy engine: ${found.reason}`);
  return found.python;
}

async function runAll() {
  if (!existsSync(cli)) fail(`${relative(root, cli)} is missing: run \`pnpm build\` first`);
  mkdirSync(reportsDir, { recursive: true });
  const only = value('--only')?.split(',');
  for (const n of only ?? [])
    if (!ENGINES.some((e) => e.name === n))
      fail(`--only: no engine '${n}'; the engines are ${ENGINES.map((e) => e.name).join(', ')}`);
  const previous = existsSync(runsPath) ? JSON.parse(readFileSync(runsPath, 'utf8')).runs : [];
  const python = ENGINES.some((e) => e.python && (!only || only.includes(e.name))) ? await numpyPython() : '';
  const runs = [];
  for (const e of ENGINES) {
    if (only && !only.includes(e.name)) {
      const kept = previous.find((r) => r.engine === e.name);
      if (kept) runs.push(kept);
      continue;
    }
    const args = e.args.map((a) => a.replace('PYTHON', python));
    const file = join(reportsDir, `${e.name}.json`);
    const load = loadavg().map((x) => Number(x.toFixed(2)));
    const shown = ['backprop', 'conformance', ...args.map((a) => (a.includes(' ') ? `"${a}"` : a))];
    process.stderr.write(`engines-matrix: ${shown.join(' ')} (load ${load.join(' ')}) …\n`);
    const r = spawnSync(process.execPath, [cli, 'conformance', ...args, '--report', 'json', '--out', file], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 30 * 60_000,
    });
    if (!existsSync(file) || r.error)
      fail(`${e.name}: no report (${r.error?.message ?? `exit ${r.status}`})`);
    runs.push({
      engine: e.name,
      command: shown.join(' ').replace(python, 'python3'),
      exit: r.status,
      loadBefore: load,
    });
  }
  const meta = {
    generatedBy: 'scripts/engines-matrix.mjs --run',
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}`,
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(),
    runs,
  };
  writeFileSync(runsPath, `${JSON.stringify(meta, null, 2)}\n`);
}

// ── reading the reports ──────────────────────────────────────────────────────────────────────

function readReports() {
  if (!existsSync(runsPath)) fail(`${relative(root, runsPath)} is missing: run with --run first`);
  const meta = JSON.parse(readFileSync(runsPath, 'utf8'));
  const engines = [];
  for (const run of meta.runs) {
    const file = join(reportsDir, `${run.engine}.json`);
    if (!existsSync(file)) fail(`${relative(root, file)} is missing: run with --run --only ${run.engine}`);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    if (json.format !== 'backprop-conformance')
      fail(`${relative(root, file)} is not a backprop conformance report`);
    const report = json.reports.find((r) => r.backend === run.engine) ?? json.reports[0];
    if (!report) fail(`${relative(root, file)} holds no report`);
    engines.push({ run, report, file: relative(root, file) });
  }
  return { meta, engines };
}

/** Expectations a report or its results carry, whatever their exact shape: {clause, status, reason}. */
function expectationsOf(report) {
  const out = [];
  const add = (clause, e) => {
    if (e === undefined || e === null) return;
    if (typeof e === 'string') out.push({ clause, status: 'expected', reason: e });
    else
      out.push({
        clause: e.clause ?? e.id ?? clause ?? '*',
        status: e.status ?? e.expect ?? e.kind ?? e.type ?? 'expected',
        reason: e.reason ?? e.message ?? e.why ?? '',
        ...((e.outcome ?? e.result) ? { outcome: e.outcome ?? e.result } : {}),
      });
  };
  const all = report.expectations;
  if (Array.isArray(all)) for (const e of all) add(undefined, e);
  else if (all && typeof all === 'object') for (const [clause, e] of Object.entries(all)) add(clause, e);
  for (const r of report.results ?? []) {
    const e = r.expectation ?? r.expected;
    if (e !== undefined && !out.some((x) => x.clause === r.id)) add(r.id, e);
  }
  return out;
}

// ── the page ─────────────────────────────────────────────────────────────────────────────────

const MARK = { pass: '✓', fail: '✗', skip: '–', 'n/a': '○', xfail: '✗ (xfail)', xpass: '✓ (xpass)' };

function short(x) {
  if (x === null || x === undefined) return '∞';
  if (x === 0) return '0';
  return x >= 0.01 && x < 100 ? x.toFixed(2) : x.toExponential(1);
}

function seconds(ms) {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function cell(r) {
  if (!r) return '';
  const mark = MARK[r.status] ?? r.status;
  if (r.status === 'pass' || r.status === 'fail' || r.status === 'xfail' || r.status === 'xpass')
    return `${mark} ${short(r.worst)}`;
  return mark;
}

function counts(report) {
  const by = new Map();
  for (const r of report.results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  const names = { pass: 'passed', fail: 'failed', 'n/a': 'n/a', skip: 'skipped' };
  const known = Object.keys(names).filter((s) => by.has(s));
  return [...known, ...[...by.keys()].filter((s) => !(s in names))]
    .map((s) => `${by.get(s)} ${names[s] ?? s}`)
    .join(', ');
}

const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function render({ meta, engines }) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(
    '# Engines × clauses',
    '',
    '<!-- Generated by scripts/engines-matrix.mjs from the reports in docs/engines/ (`pnpm docs:engines`). Do not edit by hand. -->',
    '',
    'Every engine below was held to every clause of [spec.md](spec.md) by `backprop conformance`',
    '(default seed 1, 20 random cases per clause and case family, fewer for the larger families,',
    'plus the fixed cases; [spec.md](spec.md#case-families)), one engine at a time, and',
    'its JSON report kept in [engines/](engines/). This page is generated from those reports by',
    '`scripts/engines-matrix.mjs`; `pnpm docs:engines` reruns the suite on every engine and regenerates',
    'it, and `node scripts/engines-matrix.mjs --check` (run in CI) fails when the page and the reports',
    'disagree. How to put an engine of your own under the suite: [protocol.md](protocol.md) (any',
    'program, over stdio) and [backends.md](backends.md) (a JavaScript module, `--load`).',
    '',
    `Run on ${meta.date} at commit ${meta.commit}, Node ${meta.node}, ${meta.cpus}; the load average`,
    '(1, 5, 15 min) before each run is in the table: the machine is shared, so suite times are',
    'indicative (engines side by side at equal load: [performance.md](performance.md#engines-side-by-side)).',
    '',
    '## Engines',
    '',
    '| engine | dtype | version | device | suite time | result | run as | load before |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const { run, report } of engines) {
    const result = report.available
      ? counts(report)
      : `unavailable${report.required ? ' (required: failure)' : ''}: ${report.reason ?? ''}`;
    push(
      `| ${esc(report.backend)} | ${report.dtype} | ${esc(report.version ?? '—')} | ${esc(report.device ?? '—')} | ${seconds(report.durationMs)} | ${esc(result)} | \`${esc(run.command)}\` | ${run.loadBefore?.join(' ') ?? '—'} |`,
    );
  }
  push('', 'Descriptions, as each engine gives it:', '');
  for (const { report } of engines) push(`- **${report.backend}**: ${report.description}`);

  // Clauses in the order the reports give them (the catalogue's order).
  const ids = [];
  const about = new Map();
  for (const { report } of engines)
    for (const r of report.results) {
      if (!ids.includes(r.id)) ids.push(r.id);
      if (!about.has(r.id)) about.set(r.id, r);
    }
  const tolerances = (id) => {
    const byDtype = new Map();
    for (const { report } of engines) {
      const r = report.results.find((x) => x.id === id);
      if (r && !byDtype.has(r.dtype)) byDtype.set(r.dtype, r.tolerance);
    }
    return ['float64', 'float32']
      .filter((d) => byDtype.has(d))
      .map((d) => short(byDtype.get(d)))
      .join(' / ');
  };
  push(
    '',
    '## Clauses',
    '',
    "A cell is the status and the worst normalised error over every case, held to the clause's",
    'tolerance for the engine\'s dtype (column "tolerance": float64 / float32; see',
    '[spec.md#tolerances](spec.md#tolerances)). ✓ pass, ✗ fail, ○ not applicable (the engine lacks',
    'what the clause needs; reasons below), – skipped; any other status is shown as the report gives it.',
    '',
    `| clause | tolerance | ${engines.map(({ report }) => `${esc(report.backend)}<br>${report.dtype}`).join(' | ')} |`,
    `| --- | --- | ${engines.map(() => '---').join(' | ')} |`,
  );
  for (const id of ids) {
    const a = about.get(id);
    push(
      `| [${id}](spec.md#${id})${a.extension ? ' (ext.)' : ''} | ${tolerances(id)} | ${engines
        .map(({ report }) => cell(report.results.find((x) => x.id === id)))
        .join(' | ')} |`,
    );
  }

  push('', '## Expectations', '');
  const expectations = engines.flatMap(({ report }) =>
    expectationsOf(report).map((e) => ({ ...e, backend: report.backend })),
  );
  if (expectations.length === 0) push('None: no report declares an expected failure or skip.');
  else {
    push('Declared per engine (xfail or skip, each with its reason), as the reports carry them:', '');
    push('| engine | clause | expectation | reason | outcome |', '| --- | --- | --- | --- | --- |');
    for (const e of expectations)
      push(
        `| ${esc(e.backend)} | ${esc(e.clause)} | ${esc(e.status)} | ${esc(e.reason)} | ${esc(e.outcome ?? '')} |`,
      );
  }

  push('', '## Not applicable and skipped', '');
  let any = false;
  for (const { report } of engines) {
    const byReason = new Map();
    for (const r of report.results)
      if (r.status !== 'pass' && r.status !== 'fail') {
        // "not applicable: …" says its status itself; other statuses are named before the reason.
        const msg = r.message ?? '';
        const reason = msg.startsWith('not applicable') ? msg : `${r.status}: ${msg}`;
        byReason.set(reason, [...(byReason.get(reason) ?? []), r.id]);
      }
    for (const [reason, list] of byReason) {
      any = true;
      push(`- **${report.backend}**, ${list.join(', ')}: ${esc(reason)}`);
    }
  }
  if (!any) push('None.');

  push('', '## Failures', '');
  any = false;
  for (const { report } of engines) {
    if (!report.available && report.required) {
      any = true;
      push(`- **${report.backend}** is required but unavailable: ${esc(report.reason ?? '')}`);
    }
    for (const r of report.results)
      if (r.status === 'fail') {
        any = true;
        push(`- **${report.backend}**, [${r.id}](spec.md#${r.id}): ${esc(r.message ?? '')}`);
        if (r.counterexample)
          push('', '  ```', ...r.counterexample.split('\n').map((l) => `  ${l}`), '  ```', '');
      }
  }
  if (!any) push('None: every clause that applies passes on every engine.');
  push('');
  return lines.join('\n');
}

/**
 * The generator on a made-up report with what the runner may carry later (an `xfail` status, an
 * expectation list, per-result expectations, a failure): each must reach the page. Run by --check.
 */
function selfTest() {
  const result = (id, status, extra = {}) => ({
    id,
    status,
    dtype: 'float32',
    tolerance: 1e-5,
    worst: status === 'pass' ? 1e-8 : 0.5,
    extension: false,
    ...extra,
  });
  const report = {
    backend: 'made-up',
    dtype: 'float32',
    description: 'a made-up engine',
    available: true,
    device: 'cpu',
    version: 'made-up 0.0.1',
    durationMs: 1234,
    expectations: [{ clause: 'bp2', status: 'xfail', reason: 'known upstream defect #1' }],
    results: [
      result('bp1', 'pass'),
      result('bp2', 'xfail', { message: 'fails as expected' }),
      result('bp3', 'skip', {
        message: 'skipped: flaky on this engine',
        expectation: { status: 'skip', reason: 'flaky' },
      }),
      result('bp4', 'fail', { message: 'off by a factor m', counterexample: 'sizes [1, 1]' }),
    ],
  };
  const page = render({
    meta: { date: 'D', commit: 'C', node: 'N', cpus: 'P', runs: [] },
    engines: [{ run: { command: 'backprop conformance --load made-up.mjs', loadBefore: [1, 2, 3] }, report }],
  });
  const want = [
    '| made-up | float32 | made-up 0.0.1 | cpu | 1.2 s | 1 passed, 1 failed, 1 skipped, 1 xfail |',
    '| made-up | bp2 | xfail | known upstream defect #1 |',
    '| made-up | bp3 | skip | flaky |',
    '✗ (xfail) 0.50',
    '- **made-up**, bp3: skip: skipped: flaky on this engine',
    '- **made-up**, bp2: xfail: fails as expected',
    '- **made-up**, [bp4](spec.md#bp4): off by a factor m',
    '  sizes [1, 1]',
  ];
  const missing = want.filter((w) => !page.includes(w));
  if (missing.length > 0)
    fail(`self-test: the page of a made-up report lacks:\n  ${missing.join('\n  ')}\n--- page ---\n${page}`);
}

if (flag('--run')) await runAll();
const page = render(readReports());
if (flag('--check')) {
  selfTest();
  const current = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  if (current !== page) {
    console.error(
      'engines-matrix: docs/engines.md is not what the reports in docs/engines/ give; run `node scripts/engines-matrix.mjs` (or `pnpm docs:engines` to rerun the suite)',
    );
    process.exit(1);
  }
  console.log('engines-matrix: docs/engines.md matches the reports');
} else {
  writeFileSync(mdPath, page);
  console.log(`engines-matrix: wrote ${relative(root, mdPath)} from ${readReports().engines.length} reports`);
}
