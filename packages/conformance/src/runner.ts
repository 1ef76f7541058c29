import {
  CAPABILITY_MEANING,
  type Capability,
  type ClauseExpectation,
  capabilitiesOf,
  type Dtype,
} from '@backprop/core';
import type { DataSet } from '@backprop/data';
import * as fc from 'fast-check';
import type { CheckContext, Clause } from './clause.js';
import { CLAUSES, selectClauses } from './clauses/index.js';
import { ClauseFailure, Comparison } from './compare.js';
import { type CaseFamily, FAMILIES } from './families.js';
import { type BackendFactory, BackendPool } from './pool.js';
import { availability, type BackendEntry, requiredBackends } from './registry.js';
import type { CheckKind } from './tolerance.js';
import { toleranceFor } from './tolerance.js';

/** Default fast-check seed: runs are reproducible unless a seed is given. */
export const DEFAULT_SEED = 1;
/** Default number of random cases per clause (plus the MNIST fixture where the clause applies). */
export const DEFAULT_RUNS = 20;

/**
 * `pass`: every case within tolerance; `fail`: a value out of tolerance (or the backend threw), or
 * a stale expectation (an expected failure that passed); `skip`: unavailable backend, skipped by an
 * expectation, or nothing to compare; `n/a`: the clause needs something the backend does not have
 * (its message says what: "not applicable: …"); `xfail`: failed, as the backend's expectations say
 * it does (the message says why it is expected and how it failed). Only `fail` fails a report.
 */
export type ClauseStatus = 'pass' | 'fail' | 'skip' | 'n/a' | 'xfail';

/** The outcome of one clause on one backend. */
export interface ClauseResult {
  readonly id: string;
  readonly title: string;
  readonly formula: string;
  readonly section: string;
  readonly kind: CheckKind;
  readonly extension: boolean;
  readonly backend: string;
  readonly dtype: Dtype;
  readonly status: ClauseStatus;
  /** Cases that compared at least one value (random cases and fixed ones). */
  readonly cases: number;
  /** Cases run per family (docs/spec.md#case-families), in the order run. */
  readonly families?: Readonly<Record<string, number>>;
  /** The family of the failing case. */
  readonly family?: string;
  /** The backend's expectation for this clause, when it has one. */
  readonly expectation?: ClauseExpectation;
  /** An `xfail` expectation whose clause passed: the expectation is out of date (status `fail`). */
  readonly stale?: boolean;
  /** Cases that had nothing to compare (e.g. a zero gradient for sgd.descent). */
  readonly vacuous: number;
  /** Worst normalised error over every value compared (see Tolerance), 0 if none. */
  readonly worst: number;
  /** The tolerance `worst` is held to. */
  readonly tolerance: number;
  /** Why it failed or was skipped. */
  readonly message?: string;
  /** The failing case, shrunk by fast-check to a minimal one (or the fixture, which is not shrunk). */
  readonly counterexample?: string;
  readonly shrinks?: number;
  readonly durationMs: number;
}

/** Every clause on one backend. */
export interface ConformanceReport {
  readonly backend: string;
  readonly dtype: Dtype;
  readonly description: string;
  readonly available: boolean;
  /** Where it ran (e.g. "js", "cpu", "webgpu"), or why it is unavailable. */
  readonly device?: string;
  readonly reason?: string;
  /** The engine doing the computing and its version, where its probe says (e.g. "onnxruntime-web 1.30.0"). */
  readonly version?: string;
  /** Named in `--require` or BACKPROP_REQUIRE_BACKENDS: unavailable is then a failure. */
  readonly required: boolean;
  readonly seed: number;
  readonly runs: number;
  /** The case families run, when the options restricted them (`families`, `fixture: false`). */
  readonly families?: readonly string[];
  readonly results: readonly ClauseResult[];
  /** No clause failed, and the backend is available if required. */
  readonly passed: boolean;
  readonly durationMs: number;
}

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** fast-check seed (default {@link DEFAULT_SEED}). */
  readonly seed?: number;
  /** Random cases per clause (default {@link DEFAULT_RUNS}). */
  readonly runs?: number;
  /** Clause ids or prefixes (`bp2`, `act`); all by default. */
  readonly clauses?: readonly string[];
  /** Also run the cases on MNIST, the families `fixture` and `mnist` (default true). */
  readonly fixture?: boolean;
  /** Only these case families (ids of {@link FAMILIES}); all by default. */
  readonly families?: readonly string[];
  /**
   * Expectations by clause id, added to (and overriding) the entry's own
   * ({@link BackendEntry.expectations}).
   */
  readonly expectations?: Readonly<Record<string, ClauseExpectation>>;
  /**
   * The MNIST training set the fixture takes its images from, where there is no file system to
   * read it from (a browser page passes the images it fetched); default: `loadMnist().train`.
   */
  readonly mnistTrain?: DataSet;
  /** Give up on a clause (and fail it) after this long; default 120 s. */
  readonly timeLimitMs?: number;
  /** Treat unavailability as a failure; default: the name is in BACKPROP_REQUIRE_BACKENDS. */
  readonly required?: boolean;
  /** Called after each clause. */
  readonly onResult?: (r: ClauseResult) => void;
}

/** A registered backend, or a bare factory (a backend you are writing and have not registered). */
export type ConformanceTarget = BackendEntry | BackendFactory;

/** What the suite knows about the backend under test. */
export interface TargetInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly description: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly device?: string;
  /** The engine and its version, where the probe says. */
  readonly version?: string;
  /** What the backend can report or do (every capability unless it declares fewer). */
  readonly capabilities: ReadonlySet<Capability>;
  /** Its expectations by clause id (the entry's). */
  readonly expectations: Readonly<Record<string, ClauseExpectation>>;
  readonly factory: BackendFactory;
}

/** Throw, naming the backend and the clauses, if an expectation names no clause or is malformed. */
export function checkExpectations(
  backend: string,
  expectations: Readonly<Record<string, ClauseExpectation>>,
): void {
  for (const [id, e] of Object.entries(expectations)) {
    if (!CLAUSES.some((c) => c.id === id))
      throw new Error(
        `the expectations of ${backend} name '${id}', which is no clause; clauses: ${CLAUSES.map((c) => c.id).join(', ')}`,
      );
    if (
      !(e && (e.status === 'xfail' || e.status === 'skip') && typeof e.reason === 'string' && e.reason.trim())
    )
      throw new Error(
        `the expectation of ${backend} for ${id} must be { status: 'xfail' | 'skip', reason: '…' } with a reason, got ${JSON.stringify(e)}`,
      );
  }
}

/** The families of a clause that `options` select (`families`, and `fixture: false` leaving out MNIST). */
export function selectFamilies<C>(
  families: readonly CaseFamily<C>[],
  options: ConformanceOptions,
): CaseFamily<C>[] {
  const ids = options.families;
  if (ids)
    for (const id of ids)
      if (!FAMILIES.some((f) => f.id === id))
        throw new Error(`no case family '${id}'; families: ${FAMILIES.map((f) => f.id).join(', ')}`);
  return families.filter(
    (f) =>
      (!ids || ids.includes(f.id)) &&
      !(options.fixture === false && (f.id === 'fixture' || f.id === 'mnist')),
  );
}

/**
 * Resolve a target: an entry's availability (probed once), or a factory's name, dtype and
 * capabilities from a tiny backend it makes. An entry's capabilities are those its probe reports.
 */
export async function resolveTarget(target: ConformanceTarget): Promise<TargetInfo> {
  if (typeof target !== 'function') {
    const av = await availability(target);
    const expectations = target.expectations ?? {};
    checkExpectations(target.name, expectations);
    return {
      name: target.name,
      dtype: target.dtype,
      description: target.description,
      available: av.available,
      ...(av.available
        ? { device: av.device, ...(av.version !== undefined ? { version: av.version } : {}) }
        : { reason: av.reason }),
      capabilities: capabilitiesOf(av.available ? av : {}),
      expectations,
      factory: (spec, params) => target.create(spec, params),
    };
  }
  const probe = await target(
    { sizes: [1, 1], activation: 'sigmoid', cost: 'quadratic' },
    { weights: [Float64Array.of(0)], biases: [Float64Array.of(0)] },
  );
  const info = {
    name: probe.name,
    dtype: probe.dtype,
    description: `${probe.name} (factory)`,
    available: true,
    device: probe.device,
    capabilities: capabilitiesOf(probe),
    expectations: {},
    factory: target,
  };
  await probe.dispose();
  return info;
}

/** Runs clauses on one backend, reusing its backends across clauses. Dispose when done. */
export class ConformanceSession {
  private readonly pool: BackendPool;
  readonly seed: number;
  readonly runs: number;
  /** The backend's expectations and those of the options (which win), by clause id. */
  readonly expectations: Readonly<Record<string, ClauseExpectation>>;

  constructor(
    readonly info: TargetInfo,
    readonly options: ConformanceOptions = {},
  ) {
    this.pool = new BackendPool(info.factory);
    this.seed = options.seed ?? DEFAULT_SEED;
    this.runs = options.runs ?? DEFAULT_RUNS;
    this.expectations = { ...info.expectations, ...options.expectations };
    checkExpectations(info.name, this.expectations);
  }

  /** The result of `clause` without running it, for an unavailable backend. */
  skipped(clause: Clause<unknown>, reason: string): ClauseResult {
    return {
      ...this.header(clause),
      status: 'skip',
      cases: 0,
      vacuous: 0,
      worst: 0,
      message: reason,
      durationMs: 0,
    };
  }

  /** Why `clause` cannot be checked on this backend (the capabilities it needs and lacks), or undefined. */
  notApplicable(clause: Clause<unknown>): string | undefined {
    const missing = clause.needs.filter((c) => !this.info.capabilities.has(c));
    if (missing.length === 0) return undefined;
    return `not applicable: needs ${missing.map((c) => `${CAPABILITY_MEANING[c]} (${c})`).join(' and ')}, which ${this.info.name} does not provide`;
  }

  private header(clause: Clause<unknown>) {
    const tol = toleranceFor(this.info.dtype, clause.kind);
    return {
      id: clause.id,
      title: clause.title,
      formula: clause.formula,
      section: clause.section,
      kind: clause.kind,
      extension: clause.extension ?? false,
      backend: this.info.name,
      dtype: this.info.dtype,
      tolerance: tol.rel,
    };
  }

  /**
   * Run one clause, applying the backend's expectation for it: an `xfail` that fails is `xfail`, one
   * that passes is a stale expectation (`fail`); a `skip` is not run.
   */
  async run<C>(clause: Clause<C>): Promise<ClauseResult> {
    if (!this.info.available) return this.skipped(clause, this.info.reason ?? 'unavailable');
    const na = this.notApplicable(clause);
    if (na) return { ...this.skipped(clause, na), status: 'n/a' };
    const expectation = this.expectations[clause.id];
    if (expectation?.status === 'skip')
      return { ...this.skipped(clause, `skipped by expectation: ${expectation.reason}`), expectation };
    const r = await this.check(clause);
    if (expectation?.status !== 'xfail') return r;
    if (r.status === 'fail')
      return {
        ...r,
        status: 'xfail',
        expectation,
        message: `expected failure (${expectation.reason}): ${r.message ?? ''}`,
      };
    return {
      ...r,
      status: 'fail',
      expectation,
      stale: true,
      message: `stale expectation: expected to fail (${expectation.reason}), but ${r.status === 'pass' ? 'it passed' : `it did not fail (${r.message ?? r.status})`}; remove the expectation`,
    };
  }

  /**
   * Check one clause on every case of its families (those the options select), in order: each
   * family's random cases, shrinking a failure within the family, then its fixed cases.
   */
  private async check<C>(clause: Clause<C>): Promise<ClauseResult> {
    const start = performance.now();
    const header = this.header(clause);
    const dtype = this.info.dtype;
    const tol = toleranceFor(dtype, clause.kind);
    const limit = this.options.timeLimitMs ?? 120_000;
    let worst = 0;
    let checked = 0;
    let vacuous = 0;
    const perFamily: Record<string, number> = {};
    let failure: { message: string; counterexample: string } | undefined;
    const runCase = async (c: C): Promise<void> => {
      const cmp = new Comparison(tol);
      const ctx: CheckContext = { dtype, tol, cmp, backend: (spec, params) => this.pool.get(spec, params) };
      try {
        await clause.check(ctx, c);
      } catch (e) {
        worst = Math.max(worst, cmp.worst, e instanceof ClauseFailure ? 0 : Number.POSITIVE_INFINITY);
        const message =
          e instanceof ClauseFailure
            ? e.message
            : `the check threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
        failure = { message, counterexample: clause.describe(c) };
        throw e;
      }
      worst = Math.max(worst, cmp.worst);
      if (cmp.count === 0) vacuous++;
      else checked++;
    };
    const done = (status: ClauseStatus, extra: Partial<ClauseResult> = {}): ClauseResult => ({
      ...header,
      status,
      cases: checked,
      families: perFamily,
      vacuous,
      worst,
      ...extra,
      durationMs: performance.now() - start,
    });

    for (const family of selectFamilies(clause.families, this.options)) {
      const before = checked; // cases that compared values before this family
      const ran = checked + vacuous;
      if (family.arbitrary) {
        const left = limit - (performance.now() - start);
        const details = await fc.check(
          fc.asyncProperty(family.arbitrary(this.options.mnistTrain), async (c) => {
            await runCase(c);
          }),
          {
            numRuns: Math.max(1, Math.round(this.runs * (family.share ?? 1))),
            seed: this.seed,
            interruptAfterTimeLimit: Math.max(1, left),
            markInterruptAsFailure: false,
          },
        );
        // numRuns counts the runs up to and including the first failure (shrinking, which also
        // calls runCase, excluded).
        if (details.failed) {
          perFamily[family.id] = details.numRuns;
          return done('fail', {
            cases: before + details.numRuns,
            shrinks: details.numShrinks,
            family: family.id,
            ...failure,
          });
        }
        if (details.interrupted)
          return done('fail', {
            family: family.id,
            message: `stopped in family ${family.id} after ${details.numRuns} cases: time limit of ${limit} ms`,
          });
      }
      if (family.cases) {
        let fixed: readonly C[];
        try {
          fixed = family.cases(this.options.mnistTrain);
        } catch (e) {
          return done('fail', {
            family: family.id,
            message: `the fixed cases of family ${family.id} could not be made: ${(e as Error).message}`,
          });
        }
        for (const c of fixed) {
          try {
            await runCase(c);
          } catch {
            perFamily[family.id] = checked + vacuous - ran + 1;
            return done('fail', { cases: checked + 1, family: family.id, ...failure });
          }
        }
      }
      perFamily[family.id] = checked + vacuous - ran;
    }
    if (checked === 0) return done('skip', { message: 'every case was vacuous (nothing to compare)' });
    return done('pass');
  }

  /** Release every backend the session created. */
  dispose(): Promise<void> {
    return this.pool.dispose();
  }
}

/**
 * Hold a backend to every clause (or those selected): for a registered entry, or for a factory
 * `(spec, params) => Backend` of a backend you are writing. Resolves to the report; never throws
 * for a failing clause.
 */
export async function runConformance(
  target: ConformanceTarget,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const start = performance.now();
  selectFamilies([], options); // an unknown family id is an error before any work
  const info = await resolveTarget(target);
  const required = options.required ?? requiredBackends().includes(info.name);
  const session = new ConformanceSession(info, options);
  const results: ClauseResult[] = [];
  try {
    for (const clause of selectClauses(options.clauses)) {
      const r = await session.run(clause);
      results.push(r);
      options.onResult?.(r);
    }
  } finally {
    await session.dispose();
  }
  const failed = results.some((r) => r.status === 'fail') || (required && !info.available);
  return {
    backend: info.name,
    dtype: info.dtype,
    description: info.description,
    available: info.available,
    ...(info.device !== undefined ? { device: info.device } : {}),
    ...(info.reason !== undefined ? { reason: info.reason } : {}),
    ...(info.version !== undefined ? { version: info.version } : {}),
    required,
    seed: session.seed,
    runs: session.runs,
    ...(options.families || options.fixture === false
      ? { families: FAMILIES.map((f) => f.id).filter((id) => selectFamilies([{ id }], options).length > 0) }
      : {}),
    results,
    passed: !failed,
    durationMs: performance.now() - start,
  };
}
