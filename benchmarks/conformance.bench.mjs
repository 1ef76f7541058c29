// Wall time of the conformance suite per backend: `backprop conformance --backend NAME
// --report json` as a child process (start-up, provider start, every clause on every case
// family with 20 random cases per clause and family share, plus the fixed cases), with the
// pass/fail counts from its report. `--bin` times another build of the CLI in the same run
// (e.g. main's, for a before/after), interleaved with this one.
//
//   node benchmarks/conformance.bench.mjs [--backends reference,onnx-cpu,onnx-webgpu] [--reps 1]
//        [--out-dir runs/bench]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
const bin = join(root, 'packages/cli/dist/bin.js');

/**
 * Time `backprop conformance --backend NAME --report json --out FILE` once, with the CLI at
 * `cli` (default: this checkout's): `{ backend, code, seconds, passed, failed, skipped, reason }`
 * (counts from the JSON report).
 */
export function timeConformance(backend, outDir, cli = bin) {
  const file = join(outDir, `conformance-${backend}${cli === bin ? '' : '-other'}.json`);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [cli, 'conformance', '--backend', backend, '--report', 'json', '--out', file],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')).reports.find((x) => x.backend === backend);
  } catch {
    throw new Error(
      `conformance --backend ${backend} exited with ${r.status} and wrote no report:\n${r.stderr || r.stdout}`,
    );
  }
  const count = (status) => report.results?.filter((c) => c.status === status).length ?? 0;
  return {
    backend,
    code: r.status,
    seconds,
    available: report.available,
    reason: report.available ? undefined : report.reason,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMain('conformance.bench', async () => {
    const values = parseBenchArgs('conformance.bench', {
      backends: { type: 'string', default: 'reference,onnx-cpu,onnx-webgpu' },
      reps: { type: 'string', default: '1' },
      'out-dir': { type: 'string', default: 'runs/bench' },
      bin: { type: 'string' },
    });
    const reps = positiveInt(values, 'reps');
    const outDir = resolve(values['out-dir']);
    const env = environment();
    console.log(`node ${env.node}, ${env.cpu}, load average ${formatLoad(env.loadBefore)}`);
    const results = [];
    const builds = [['this', bin], ...(values.bin ? [['other', resolve(values.bin)]] : [])];
    for (const backend of list(values.backends)) {
      const runs = new Map(builds.map(([name]) => [name, []]));
      for (let i = 0; i < reps; i++) {
        // Interleaved, the first build alternating, so that both see the same load.
        const order = i % 2 === 0 ? builds : [...builds].reverse();
        for (const [name, cli] of order) runs.get(name).push(timeConformance(backend, outDir, cli));
      }
      for (const [name, cli] of builds) {
        const rs = runs.get(name);
        results.push({
          ...rs.at(-1),
          build: name,
          cli,
          runs: rs.map((r) => r.seconds),
          seconds: median(rs.map((r) => r.seconds)),
        });
      }
    }
    console.log(
      table(
        ['backend', 'build', 'seconds (median)', 'runs', 'passed', 'failed', 'skipped', 'exit'],
        results.map((r) => [
          r.backend,
          r.build,
          r.seconds.toFixed(1),
          r.runs.map((s) => s.toFixed(1)).join(' '),
          r.passed,
          r.failed,
          r.skipped,
          r.available ? r.code : `unavailable: ${r.reason}`,
        ]),
      ),
    );
    env.loadAfter = loadavg();
    const file = writeJson(values['out-dir'], 'conformance.json', { ...env, results });
    console.log(`load average after ${formatLoad(env.loadAfter)}; wrote ${file}`);
  });
