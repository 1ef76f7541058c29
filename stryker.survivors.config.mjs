// @ts-check
/**
 * `pnpm mutation:survivors`: StrykerJS over the mutants that a full `pnpm mutation` run left alive
 * (Survived or NoCoverage in reports/mutation/mutation.json), and nothing else, with the suite
 * as it is now. Use it after adding cases or clauses: a full run takes ~40 minutes on two cores,
 * this one minutes. Stryker's own incremental mode cannot do this, since it sees changes in the
 * test file only, never in the suite's sources (packages/conformance/src), and would carry the
 * old survivors over. Results: reports/mutation/survivors.{json,html};
 * `node scripts/mutation-score.mjs` merges them into the full run's score.
 */
import { readFileSync } from 'node:fs';
import base from './stryker.config.mjs';

const full = JSON.parse(readFileSync(new URL('reports/mutation/mutation.json', import.meta.url), 'utf8'));
/** One mutation range per surviving mutant: `file:line:col-line:col`, columns 0-based as Stryker's ranges take them. */
const scope = base.mutate.map((r) => /^(.*):(\d+)-(\d+)$/.exec(r)).filter((r) => r !== null);
const inScope = (file, line) => scope.some(([, f, a, b]) => f === file && line >= +a && line <= +b);
const mutate = Object.entries(full.files).flatMap(([file, f]) =>
  f.mutants
    .filter(
      (m) => (m.status === 'Survived' || m.status === 'NoCoverage') && inScope(file, m.location.start.line),
    )
    .map(
      ({ location: { start, end } }) =>
        `${file}:${start.line}:${start.column - 1}-${end.line}:${end.column - 1}`,
    ),
);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate,
  incremental: false,
  jsonReporter: { fileName: 'reports/mutation/survivors.json' },
  htmlReporter: { fileName: 'reports/mutation/survivors.html' },
};
