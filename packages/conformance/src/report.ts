import { CLAUSES } from './clauses/index.js';
import { FAMILIES } from './families.js';
import type { ClauseResult, ConformanceReport } from './runner.js';

/** The report formats of `backprop conformance --report`. */
export type ReportFormat = 'table' | 'json' | 'junit' | 'md';
/** The report formats: terminal table, JSON, JUnit XML, Markdown (`--report`). */
export const REPORT_FORMATS: readonly ReportFormat[] = Object.freeze(['table', 'json', 'junit', 'md']);

/** A short number for tables: 0, 2.0e-16, 0.48. */
export function short(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : String(x);
  if (x === 0) return '0';
  return x >= 0.01 && x < 100 ? x.toFixed(2) : x.toExponential(1);
}

const MARK = { pass: '✓', fail: '✗', skip: '–', 'n/a': '○', xfail: '⊘' } as const;

function cell(r: ClauseResult | undefined): string {
  if (!r) return '';
  if (r.status === 'skip') return `${MARK.skip} skip`;
  if (r.status === 'n/a') return `${MARK['n/a']} n/a`;
  if (r.status === 'xfail') return `${MARK.xfail} xfail`;
  const rel = r.status === 'pass' ? '≤' : '>';
  return `${MARK[r.status]} ${String(r.cases).padStart(3)} ${short(r.worst).padStart(7)} ${rel} ${short(r.tolerance)}`;
}

/** The clause ids that appear in any report, in catalogue order. */
function clauseIds(reports: readonly ConformanceReport[]): string[] {
  const seen = new Set(reports.flatMap((r) => r.results.map((x) => x.id)));
  const known = CLAUSES.map((c) => c.id).filter((id) => seen.has(id));
  return [...known, ...[...seen].filter((id) => !known.includes(id))];
}

function header(r: ConformanceReport): string {
  return `${r.backend} (${r.dtype}${r.device ? `, ${r.device}` : ''})`;
}

/** One line per backend: passed, failed, skipped, time; or why it is unavailable. */
function summaryLine(r: ConformanceReport): string {
  const n = (s: string) => r.results.filter((x) => x.status === s).length;
  if (!r.available)
    return `${r.backend}: unavailable${r.required ? ' (REQUIRED: failure)' : ''}: ${r.reason ?? ''}`;
  const na = n('n/a') > 0 ? `, ${n('n/a')} not applicable` : '';
  const xf = n('xfail') > 0 ? `, ${n('xfail')} expected failures` : '';
  return `${r.backend}: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped${na}${xf} in ${(r.durationMs / 1000).toFixed(1)} s (seed ${r.seed}, runs ${r.runs}: random cases per clause and family, and the fixed ones)`;
}

/** Why clauses were not applicable: one line per backend and reason, with the clauses it covers. */
function notApplicable(reports: readonly ConformanceReport[]): string[] {
  const out: string[] = [];
  for (const rep of reports) {
    const byReason = new Map<string, string[]>();
    for (const r of rep.results)
      if (r.status === 'n/a') byReason.set(r.message ?? '', [...(byReason.get(r.message ?? '') ?? []), r.id]);
    for (const [reason, ids] of byReason) out.push(`○ ${ids.join(', ')} on ${rep.backend}: ${reason}`);
  }
  return out;
}

/**
 * The backends' expectations, each with its reason: an expected failure with how it failed, an
 * expected skip, and a stale one (an expected failure that passed, which fails the run).
 */
function expectations(reports: readonly ConformanceReport[]): string[] {
  const out: string[] = [];
  for (const rep of reports)
    for (const r of rep.results) {
      const e = r.expectation;
      if (!e) continue;
      if (r.status === 'xfail') out.push(`${MARK.xfail} ${r.id} on ${rep.backend}: ${r.message ?? ''}`);
      else if (r.stale) out.push(`${MARK.fail} ${r.id} on ${rep.backend}: ${r.message ?? ''}`);
      else
        out.push(
          `${MARK.skip} ${r.id} on ${rep.backend}: ${e.status} expected (${e.reason}); ${r.message ?? r.status}`,
        );
    }
  return out;
}

/** The family a failure was found in, for its line. */
function inFamily(r: ClauseResult): string {
  return r.family ? `, family ${r.family}` : '';
}

/** Every failure with its message and its (shrunk) counterexample. */
function failures(reports: readonly ConformanceReport[]): string[] {
  const out: string[] = [];
  for (const rep of reports)
    for (const r of rep.results)
      if (r.status === 'fail' && !r.stale) {
        out.push(`✗ ${r.id} on ${rep.backend} (${r.section}${inFamily(r)}): ${r.message ?? ''}`);
        if (r.counterexample) {
          const how =
            r.shrinks !== undefined
              ? `counterexample (shrunk in ${r.shrinks} steps; reproduce with --seed ${rep.seed})`
              : 'counterexample';
          out.push(`  ${how}:`, ...r.counterexample.split('\n').map((l) => `    ${l}`));
        }
      }
  return out;
}

/**
 * The terminal table: one row per clause, one column per backend; a cell holds the status, the
 * number of cases, the worst normalised error and the tolerance it is held to.
 */
export function formatTable(reports: readonly ConformanceReport[]): string {
  const ids = clauseIds(reports);
  const heads = ['clause', ...reports.map(header)];
  const rows = ids.map((id) => [id, ...reports.map((rep) => cell(rep.results.find((x) => x.id === id)))]);
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [
    line(heads),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    'cell: status, cases, worst error ≤ tolerance (error = |backend − formula| / (Σ|terms| + (abs/rel)·scale); see docs/spec.md#tolerances)',
    ...reports.map(summaryLine),
  ];
  const na = notApplicable(reports);
  if (na.length > 0) out.push('', ...na);
  const ex = expectations(reports);
  if (ex.length > 0) out.push('', 'expectations:', ...ex);
  const f = failures(reports);
  if (f.length > 0) out.push('', ...f);
  return out.join('\n');
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** JSON for machines: the reports as they are, with non-finite errors as null. */
export function formatJson(reports: readonly ConformanceReport[]): string {
  return `${JSON.stringify(
    {
      format: 'backprop-conformance',
      version: 1,
      generated: new Date().toISOString(),
      passed: reports.every((r) => r.passed),
      reports: reports.map((r) => ({
        ...r,
        results: r.results.map((x) => ({ ...x, worst: finite(x.worst) })),
      })),
    },
    null,
    2,
  )}\n`;
}

function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** JUnit XML for CI systems: a test suite per backend, a test case per clause. */
export function formatJunit(reports: readonly ConformanceReport[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failed = 0;
  let skipped = 0;
  let time = 0;
  for (const rep of reports) {
    const cases: string[] = [];
    let f = 0;
    let s = 0;
    if (!rep.available && rep.required) {
      f++;
      cases.push(
        `    <testcase classname="conformance.${xml(rep.backend)}" name="available" time="0">\n      <failure message="${xml(`required backend ${rep.backend} is unavailable: ${rep.reason ?? ''}`)}"/>\n    </testcase>`,
      );
    }
    for (const r of rep.results) {
      const name = `${r.id} [${rep.backend}] ${r.title}`;
      const open = `    <testcase classname="conformance.${xml(rep.backend)}" name="${xml(name)}" time="${(r.durationMs / 1000).toFixed(3)}">`;
      if (r.status === 'pass')
        cases.push(
          `${open}\n      <system-out>${xml(`${r.cases} cases, worst error ${short(r.worst)} ≤ ${short(r.tolerance)}`)}</system-out>\n    </testcase>`,
        );
      else if (r.status === 'skip' || r.status === 'n/a' || r.status === 'xfail') {
        s++;
        cases.push(`${open}\n      <skipped message="${xml(r.message ?? 'skipped')}"/>\n    </testcase>`);
      } else {
        f++;
        cases.push(
          `${open}\n      <failure message="${xml(r.message ?? 'failed')}">${xml(r.counterexample ?? '')}</failure>\n    </testcase>`,
        );
      }
    }
    const t = rep.durationMs / 1000;
    suites.push(
      `  <testsuite name="conformance ${xml(rep.backend)}" tests="${cases.length}" failures="${f}" errors="0" skipped="${s}" time="${t.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`,
    );
    tests += cases.length;
    failed += f;
    skipped += s;
    time += t;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="backprop conformance" tests="${tests}" failures="${failed}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** Markdown: the same table with links to each clause's section of docs/spec.md, then the failures. */
export function formatMarkdown(reports: readonly ConformanceReport[]): string {
  const ids = clauseIds(reports);
  const out = [
    `| clause | ${reports.map((r) => mdEscape(header(r))).join(' | ')} |`,
    `| --- | ${reports.map(() => '---').join(' | ')} |`,
  ];
  for (const id of ids) {
    const any = reports.flatMap((r) => r.results).find((x) => x.id === id)!;
    const cells = reports.map((rep) =>
      mdEscape(cell(rep.results.find((x) => x.id === id)).replace(/\s+/g, ' ')),
    );
    out.push(`| [\`${id}\`](${any.section}) ${mdEscape(any.title)} | ${cells.join(' | ')} |`);
  }
  out.push('', ...reports.map((r) => `- ${summaryLine(r)}`));
  const na = notApplicable(reports);
  if (na.length > 0) out.push('', ...na.map((l) => `- ${mdEscape(l)}`));
  const ex = expectations(reports);
  if (ex.length > 0) out.push('', 'Expectations:', '', ...ex.map((l) => `- ${mdEscape(l)}`));
  const f = failures(reports);
  if (f.length > 0) out.push('', '```text', ...f, '```');
  return `${out.join('\n')}\n`;
}

/** A report in the given format. */
export function formatReport(format: ReportFormat, reports: readonly ConformanceReport[]): string {
  switch (format) {
    case 'table':
      return `${formatTable(reports)}\n`;
    case 'json':
      return formatJson(reports);
    case 'junit':
      return formatJunit(reports);
    case 'md':
      return formatMarkdown(reports);
  }
}

/**
 * The case families each clause runs, as the Markdown table of docs/spec.md#case-families: per
 * family the random cases drawn with `runs` per clause (default 20) and the fixed ones.
 */
export function formatFamilies(runs = 20): string {
  const ids = FAMILIES.map((f) => f.id);
  const out = [`| clause | ${ids.join(' | ')} |`, `| --- | ${ids.map(() => '---').join(' | ')} |`];
  for (const c of CLAUSES) {
    const cells = ids.map((id) => {
      const f = c.families.find((x) => x.id === id);
      if (!f) return '';
      const random = f.arbitrary ? String(Math.max(1, Math.round(runs * (f.share ?? 1)))) : '';
      let fixed = '';
      try {
        const n = f.cases?.().length ?? 0;
        if (n > 0) fixed = `${n} fixed`;
      } catch {
        fixed = 'fixed';
      }
      return [random, fixed].filter((s) => s).join(' + ');
    });
    out.push(`| [\`${c.id}\`](#${c.id}) | ${cells.join(' | ')} |`);
  }
  return `${out.join('\n')}\n`;
}
