#!/usr/bin/env node
// The mutants against the suite's original cases and against all its cases: for each mutant of
// @backprop/conformance, whether its target clause kills it with only the original families
// (small, fixture) and with every family, and, with --old DIST, whether an older build of the
// suite (its runner, clauses and cases: e.g. main before the case families,
// `git worktree add /tmp/old 143fc17 && (cd /tmp/old && pnpm install && pnpm build)`) kills it
// with any clause. Prints a Markdown table (docs/conformance.md has one).
//
//   node scripts/mutant-table.mjs [--old /tmp/old/packages/conformance/dist/index.js] [--runs 20]
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { old: { type: 'string' }, runs: { type: 'string', default: '20' } },
});
const runs = Number(values.runs);
const C = await import(new URL('../packages/conformance/dist/index.js', import.meta.url).href);
const old = values.old ? await import(values.old) : undefined;

const mark = (killed) => (killed ? 'killed' : '**survives**');
const rows = [];
for (const m of C.MUTANTS) {
  const entry = C.mutantEntry(m);
  const target = async (families) =>
    (await C.runConformance(entry, { clauses: [m.target], runs, ...(families ? { families } : {}) }))
      .results[0].status === 'fail';
  const before = old
    ? (await old.runConformance(entry, { runs })).results.some((r) => r.status === 'fail')
    : undefined;
  const originalCases = await target(C.ORIGINAL_FAMILIES);
  const all = await target();
  rows.push(
    `| \`${m.name}\` | ${m.kind} | \`${m.target}\` | ${old ? `${mark(before)} | ` : ''}${mark(originalCases)} | ${mark(all)} | ${m.family ? `\`${m.family}\`` : ''} |`,
  );
  process.stderr.write('.');
}
process.stderr.write('\n');
console.log(
  `| mutant | kind | target | ${old ? 'old suite, any clause | ' : ''}original cases | all families | reached by |`,
);
console.log(`| --- | --- | --- | ${old ? '--- | ' : ''}--- | --- | --- |`);
for (const r of rows) console.log(r);
