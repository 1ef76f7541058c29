#!/usr/bin/env node
// The mutation score of the last full `pnpm mutation` run (reports/mutation/mutation.json), with
// the mutants that `pnpm mutation:survivors` reran (reports/mutation/survivors.json, if present)
// taking their new status, and the mutants still alive listed one a line (file:line:col mutator
// → replacement). Mutants on lines stryker.config.mjs now leaves out count as OutOfScope.
// Equivalent mutants are not subtracted here: docs/conformance.md lists them.
import { existsSync, readFileSync } from 'node:fs';
import config from '../stryker.config.mjs';

/** Whether line `line` of `file` is in the scope stryker.config.mjs mutates now (ranges `file:a-b`). */
const scope = config.mutate.map((r) => /^(.*):(\d+)-(\d+)$/.exec(r)).filter(Boolean);
const inScope = (file, line) => scope.some(([, f, a, b]) => f === file && line >= +a && line <= +b);

const dir = new URL('../reports/mutation/', import.meta.url);
const read = (f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
const full = read('mutation.json');
const key = (file, m) =>
  `${file}:${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`;
const rerun = new Map();
if (existsSync(new URL('survivors.json', dir)))
  for (const [file, f] of Object.entries(read('survivors.json').files))
    for (const m of f.mutants) rerun.set(key(file, m), m.status);

const count = {};
const alive = [];
for (const [file, f] of Object.entries(full.files))
  for (const m of f.mutants) {
    if (!inScope(file, m.location.start.line)) {
      count.OutOfScope = (count.OutOfScope ?? 0) + 1;
      continue;
    }
    const status = rerun.get(key(file, m)) ?? m.status;
    count[status] = (count[status] ?? 0) + 1;
    if (status === 'Survived' || status === 'NoCoverage')
      alive.push(
        `${file}:${m.location.start.line}:${m.location.start.column} ${status} ${m.mutatorName} → ${m.replacement}`,
      );
  }
const detected = (count.Killed ?? 0) + (count.Timeout ?? 0);
const valid = detected + (count.Survived ?? 0) + (count.NoCoverage ?? 0);
console.log(JSON.stringify(count));
console.log(
  `rerun: ${rerun.size} mutants; score ${detected}/${valid} = ${((100 * detected) / valid).toFixed(1)}%`,
);
for (const a of alive) console.log(a);
