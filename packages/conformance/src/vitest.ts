/**
 * `@backprop/conformance/vitest`: the suite as vitest tests, one per clause, titled with the clause
 * id and the backend's name.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import { selectClauses } from './clauses/index.js';
import { type BackendEntry, listBackends, requiredBackends } from './registry.js';
import { type ConformanceOptions, ConformanceSession, resolveTarget, type TargetInfo } from './runner.js';

/** Options of {@link describeConformance}. */
export interface DescribeConformanceOptions extends ConformanceOptions {
  /** Per-test timeout; default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Define one vitest test per clause for `entry`, titled `<clause id> [<backend>] <title>`. When the
 * backend is unavailable each test is skipped with the reason, unless the backend is required
 * (`options.required`, or named in BACKPROP_REQUIRE_BACKENDS): then each test fails. A clause
 * needing what the backend lacks (its capabilities) is skipped as "not applicable: …".
 */
export function describeConformance(entry: BackendEntry, options: DescribeConformanceOptions = {}): void {
  const required = options.required ?? requiredBackends().includes(entry.name);
  describe(`conformance: ${entry.name} (${entry.dtype})`, () => {
    let info: TargetInfo | undefined;
    let session: ConformanceSession | undefined;
    beforeAll(async () => {
      info = await resolveTarget(entry);
      session = new ConformanceSession(info, options);
    }, options.timeoutMs ?? 120_000);
    afterAll(async () => {
      await session?.dispose();
    });
    for (const clause of selectClauses(options.clauses)) {
      test(
        `${clause.id} [${entry.name}] ${clause.title}`,
        async (ctx) => {
          if (!info || !session) throw new Error(`the conformance session for ${entry.name} did not start`);
          if (!info.available) {
            if (required) throw new Error(`required backend '${entry.name}' is unavailable: ${info.reason}`);
            ctx.skip(`${entry.name} unavailable: ${info.reason}`);
          }
          const r = await session.run(clause);
          // n/a: "not applicable: …"; xfail: "expected failure (why): how it failed"
          if (r.status === 'skip' || r.status === 'n/a' || r.status === 'xfail') ctx.skip(r.message);
          if (r.status === 'fail')
            throw new Error(
              `${clause.id} fails on ${entry.name} (${clause.section}${r.family ? `, family ${r.family}` : ''}): ${r.message}${r.counterexample ? `\ncounterexample:\n${r.counterexample}` : ''}`,
            );
        },
        options.timeoutMs ?? 120_000,
      );
    }
  });
}

/** Options of {@link describeBackends}. */
export interface DescribeBackendsOptions extends DescribeConformanceOptions {
  /** The backends (default: every registered one, `listBackends()`, after the caller registered them). */
  readonly entries?: readonly BackendEntry[];
  /** Backends that must be there and run (default: BACKPROP_REQUIRE_BACKENDS). */
  readonly require?: readonly string[];
  /** Why some backends may be missing from the registry (e.g. a package that failed to load), for the failure message. */
  readonly missing?: string;
}

/**
 * One suite over every backend, as TF.js's `describeWithFlags` runs one test file over each
 * registered backend: {@link describeConformance} for each entry, each skipped with its reason
 * when unavailable unless required. A required backend that is not even registered fails with a
 * test of its own, naming the registered ones.
 */
export function describeBackends(options: DescribeBackendsOptions = {}): void {
  const entries = options.entries ?? listBackends();
  const require = options.require ?? requiredBackends();
  const names = new Set(entries.map((e) => e.name));
  for (const name of require.filter((n) => !names.has(n)))
    test(`conformance: required backend ${name} is registered`, () => {
      throw new Error(
        `required backend '${name}' is not registered; registered: ${[...names].join(', ')}${options.missing ? ` (${options.missing})` : ''}`,
      );
    });
  for (const entry of entries)
    describeConformance(entry, {
      ...options,
      ...(options.required === undefined ? { required: require.includes(entry.name) } : {}),
    });
}
