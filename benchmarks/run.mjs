// `pnpm bench`: run every benchmarks/*.bench.mjs in turn (each in its own process, so one
// benchmark's JIT state and memory do not colour the next). Arguments are passed to each.
// Benchmarks are not tests: they print figures and never fail on them.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BACKPROP_BENCH; // e.g. BACKPROP_BENCH=core runs core.bench.mjs only
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => !only || only.split(',').includes(f.replace(/\.bench\.mjs$/, '')))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n# ${file}`);
  const r = spawnSync(process.execPath, [join(here, file), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
