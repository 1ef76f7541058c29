import {
  asEntry,
  availability,
  type BackendEntry,
  type ConformanceReport,
  engineEntry,
  FAMILIES,
  formatReport,
  formatTable,
  getBackend,
  listBackends,
  loadEntry,
  MUTANTS,
  REPORT_FORMATS,
  type ReportFormat,
  requiredBackends,
  runConformance,
  runMutants,
  selectClauses,
} from '@backprop/conformance';
import { writeFileAtomic } from '@backprop/core';
import { inputFileProblem } from '@backprop/data';
import { missingNote, registerBackends } from '../backends.js';
import { paint } from '../colour.js';
import { type Command, UsageError } from '../command.js';
import { choice, helpText, integer, parseFlags, text, texts, toggle } from '../flags.js';
import { claimOutputs } from '../output-files.js';
import { TaskProgress } from '../progress.js';

/** The flags of `backprop conformance`. */
const FLAGS = {
  backend: texts({
    section: 'What to check',
    placeholder: 'NAME',
    help: 'a registered backend; repeat for several (default: every registered one, unless --engine or --load is given)',
  }),
  engine: texts({
    section: 'What to check',
    placeholder: '"CMD"',
    help: 'an engine of your own: a program speaking the engine protocol on its stdin and stdout (docs/protocol.md), e.g. --engine "python3 my_net.py"; repeatable',
  }),
  load: texts({
    section: 'What to check',
    placeholder: 'FILE',
    help: 'a JavaScript module whose default export is a BackendEntry or a factory (spec, params) => Backend; repeatable',
  }),
  require: texts({
    section: 'What to check',
    placeholder: 'NAME',
    help: 'fail (exit 1) if NAME is unavailable; repeatable. BACKPROP_REQUIRE_BACKENDS (comma-separated) in the environment adds to these',
  }),
  clause: texts({
    section: 'What to check',
    placeholder: 'ID',
    help: "only this clause, or a prefix such as 'act' or 'cost'; repeatable",
  }),
  family: texts({
    section: 'What to check',
    placeholder: 'ID',
    help: 'only this case family (small, wide, batch, deep, saturated, mnist, fixture; see docs/spec.md#case-families); repeatable. Default: all',
  }),
  seed: integer({
    section: 'Cases',
    placeholder: 'S',
    help: 'fast-check seed: the same seed gives the same cases',
    default: 1,
    min: 0,
  }),
  runs: integer({
    section: 'Cases',
    help: 'random cases per clause and family (fewer for the larger families), plus the fixed cases',
    default: 20,
  }),
  report: choice<ReportFormat, ReportFormat>(REPORT_FORMATS, {
    section: 'Report',
    placeholder: 'FORMAT',
    help: 'the report',
    meanings: { junit: 'JUnit XML for CI', md: 'Markdown' },
    default: 'table',
  }),
  out: text({
    section: 'Report',
    placeholder: 'FILE',
    help: 'write the report there (the table is still printed); without it the report goes to standard output',
  }),
  list: toggle({
    section: 'Other modes',
    help: 'list the backends (and any --engine or --load target): name, dtype, description, engine version, availability and the reason if unavailable',
  }),
  mutants: toggle({
    section: 'Other modes',
    help: 'run the deliberately wrong backends instead and print the mutation score (each mutant against the clause it targets)',
  }),
  matrix: toggle({ section: 'Other modes', help: 'with --mutants: each mutant against every clause' }),
} as const;

const HELP = helpText(
  {
    usage: `backprop conformance [--backend NAME ... | --engine "CMD ARGS" ... | --load FILE ...] [--seed S] [--runs N]
                     [--report table|json|junit|md] [--out FILE]`,
    description: `Hold backends to the formulas of docs/spec.md, clause by clause (net.shape, fwd.*, act.*, cost.*,
chain.*, bp1–bp4, grad.mean, sgd.*, lin.collapse). Each clause recomputes its formula in float64
from the quantities the backend itself reports (z, a, δ, gradients, parameters before and after a
step) on random small cases from fast-check and on the 784-16-16-10 network with a real MNIST
batch. A failure is shrunk to a minimal counterexample, which is printed.`,
    after: {
      'Exit status of this command': `  0 when every clause passes on every available backend; 1 on any failure, or when a backend
  that was named (--backend, --require, --engine, --load, BACKPROP_REQUIRE_BACKENDS) is
  unavailable: it is reported with its reason, never counted as passed. Without --backend every
  registered backend is checked and those unavailable here are listed as skipped. A clause
  needing what a backend lacks (its capabilities) is "n/a": not applicable, never passed. A backend's
  expectations (known failures it declares, each with its reason) are shown: an expected failure
  is "xfail" and does not fail the run; one that passes is stale and does.`,
      Examples: `  backprop conformance
  backprop conformance --backend reference --backend onnx-cpu --report junit --out conformance.xml
  BACKPROP_REQUIRE_BACKENDS=onnx-cuda backprop conformance --backend onnx-cuda
  backprop conformance --clause bp2 --runs 200 --seed 42
  backprop conformance --backend onnx-cpu --family wide --family saturated
  backprop conformance --engine "python3 my_net.py" --require my-net
  backprop conformance --load ./my-backend.mjs`,
    },
  },
  FLAGS,
);

async function listCommand(outside: readonly BackendEntry[]): Promise<number> {
  const rows: string[][] = [];
  for (const e of [...listBackends(), ...outside]) {
    const av = await availability(e);
    rows.push([
      e.name,
      e.dtype,
      e.description,
      av.available ? (av.version ?? '') : '',
      av.available ? `available (${av.device})` : `unavailable: ${av.reason}`,
    ]);
  }
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
  for (const r of rows)
    console.log(
      `${r
        .slice(0, 4)
        .map((c, i) => c.padEnd(w[i]!))
        .join('  ')}  ${r[4]}`,
    );
  return 0;
}

async function mutantsCommand(matrix: boolean, seed: number, runs: number): Promise<number> {
  const r = await runMutants({ matrix, seed, runs });
  const w = Math.max(...MUTANTS.map((m) => m.name.length));
  const t = Math.max(...MUTANTS.map((m) => m.target.length));
  console.log(
    `${'mutant'.padEnd(w)}  ${'target'.padEnd(t)}  result    ${matrix ? 'killed by' : 'what is wrong'}`,
  );
  for (const o of r.outcomes) {
    const status = o.targetKilled ? 'killed  ' : o.killedBy.length > 0 ? 'killed* ' : 'SURVIVED';
    console.log(
      `${o.mutant.name.padEnd(w)}  ${o.mutant.target.padEnd(t)}  ${status}  ${matrix ? o.killedBy.join(', ') : o.mutant.description}`,
    );
  }
  console.log(
    `\nmutation score: ${r.killed}/${r.total} (${(100 * r.score).toFixed(0)}%)${matrix && r.idleClauses.length > 0 ? `; clauses that killed none: ${r.idleClauses.join(', ')}` : ''}`,
  );
  return r.outcomes.every((o) => o.targetKilled) ? 0 : 1;
}

/** `backprop conformance`. */
export const command: Command = {
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values } = parseFlags(argv, FLAGS);
    const { seed, runs, report: format } = values;
    let clauses: string[] | undefined;
    try {
      clauses = values.clause.length > 0 ? selectClauses(values.clause).map((c) => c.id) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const families = values.family.length > 0 ? values.family : undefined;
    for (const f of families ?? [])
      if (!FAMILIES.some((x) => x.id === f))
        throw new UsageError(
          `--family: no case family '${f}'; families: ${FAMILIES.map((x) => x.id).join(', ')}`,
        );
    const notes = await registerBackends();
    if (values.mutants) return mutantsCommand(values.matrix, seed, runs);

    // Outside engines and loaded modules, each under its own name (checked before any work).
    const outside: BackendEntry[] = [];
    for (const cmd of values.engine) {
      try {
        outside.push(await engineEntry(cmd));
      } catch (e) {
        throw new UsageError(`--engine ${JSON.stringify(cmd)}: ${(e as Error).message}`);
      }
    }
    for (const file of values.load) {
      // A module is imported: a FIFO or a device there would block the import for ever.
      const problem = inputFileProblem(file);
      if (problem !== null)
        throw new UsageError(
          `--load ${file}: cannot load it: ${problem.startsWith('is ') ? `it ${problem}` : problem}`,
        );
      try {
        outside.push(await asEntry(await loadEntry(file)));
      } catch (e) {
        throw new UsageError(`--load ${file}: ${(e as Error).message}`);
      }
    }
    if (values.list) {
      for (const note of notes.values()) console.error(`note: backends not registered: ${note}`);
      return listCommand(outside);
    }
    const byName = new Map(outside.map((e) => [e.name, e]));
    const required = [...new Set([...values.require, ...requiredBackends()])];
    const known = new Set([...listBackends().map((e) => e.name), ...byName.keys()]);
    const explicit = [...values.backend, ...byName.keys()];
    const names = explicit.length > 0 ? explicit : [...known];
    for (const n of required) if (!names.includes(n)) names.push(n);
    for (const n of names)
      if (!known.has(n))
        throw new UsageError(
          `unknown backend '${n}'; registered: ${[...known].join(', ')}${await missingNote()}`,
        );

    // The report file is claimed before the suite runs: a location that cannot be written fails now, not after it.
    const claims = values.out ? claimOutputs([{ path: values.out, flag: '--out', what: 'report' }]) : null;
    const reports: ConformanceReport[] = [];
    const total = selectClauses(clauses).length;
    const c = paint(process.stderr);
    // On a terminal a bar per backend with the clause being checked; elsewhere a line per backend.
    const progress = new TaskProgress();
    try {
      for (const name of names) {
        const entry = byName.get(name) ?? getBackend(name);
        const label = `conformance ${name} (${entry.dtype})`;
        if (progress.live) progress.report(label, 0, total, 'starting');
        else process.stderr.write(`conformance: ${name} (${entry.dtype}) …\n`);
        let done = 0;
        const report = await runConformance(entry, {
          seed,
          runs,
          ...(clauses ? { clauses } : {}),
          ...(families ? { families } : {}),
          // A backend named with --backend, --require, --engine or --load must run: unavailable is a failure.
          required: explicit.includes(name) || required.includes(name),
          onResult: (r) => {
            done++;
            if (r.status === 'fail') progress.line(`  ${c.red('✗')} ${r.id}: ${r.message}`);
            if (progress.live) progress.report(label, done, total, r.id);
          },
        });
        progress.end();
        if (!report.available)
          console.error(
            `${report.required ? c.red('conformance:') : 'conformance:'} ${name} is unavailable: ${report.reason ?? 'no reason given'}${report.required ? ' (it was named, so this is a failure: exit 1)' : ''}`,
          );
        reports.push(report);
      }
    } finally {
      progress.end();
      claims?.release();
    }
    const text = formatReport(format, reports);
    if (values.out) {
      writeFileAtomic(values.out, text);
      console.log(formatTable(reports));
      console.log(`\n${format} report written to ${values.out}`);
    } else process.stdout.write(text);
    return reports.every((r) => r.passed) ? 0 : 1;
  },
};
