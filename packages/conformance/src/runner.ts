import { CAPABILITY_MEANING, type Capability, capabilitiesOf, type Dtype } from '@backprop/core';
import type { DataSet } from '@backprop/data';
import * as fc from 'fast-check';
import type { CheckContext, Clause } from './clause.js';
import { selectClauses } from './clauses/index.js';
import { ClauseFailure, Comparison } from './compare.js';
import { mnistFixture } from './fixture.js';
import { type BackendFactory, BackendPool } from './pool.js';
import { availability, type BackendEntry, requiredBackends } from './registry.js';
import type { CheckKind } from './tolerance.js';
import { toleranceFor } from './tolerance.js';

/** Default fast-check seed: runs are reproducible unless a seed is given. */
export const DEFAULT_SEED = 1;
/** Default number of random cases per clause (plus the MNIST fixture where the clause applies). */
export const DEFAULT_RUNS = 20;

/**
 * `pass`: every case within tolerance; `fail`: a value out of tolerance (or the backend threw);
 * `skip`: unavailable backend or nothing to compare; `n/a`: the clause needs something the backend
 * does not have (its message says what: "not applicable: …"). Only `fail` fails a report.
 */
export type ClauseStatus = 'pass' | 'fail' | 'skip' | 'n/a';

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
  /** Cases that compared at least one value (random cases and the fixture). */
  readonly cases: number;
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
  /** Also run the MNIST fixture (default true). */
  readonly fixture?: boolean;
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
  readonly factory: BackendFactory;
}

/**
 * Resolve a target: an entry's availability (probed once), or a factory's name, dtype and
 * capabilities from a tiny backend it makes. An entry's capabilities are those its probe reports.
 */
export async function resolveTarget(target: ConformanceTarget): Promise<TargetInfo> {
  if (typeof target !== 'function') {
    const av = await availability(target);
    return {
      name: target.name,
      dtype: target.dtype,
      description: target.description,
      available: av.available,
      ...(av.available
        ? { device: av.device, ...(av.version !== undefined ? { version: av.version } : {}) }
        : { reason: av.reason }),
      capabilities: capabilitiesOf(av.available ? av : {}),
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

  constructor(
    readonly info: TargetInfo,
    readonly options: ConformanceOptions = {},
  ) {
    this.pool = new BackendPool(info.factory);
    this.seed = options.seed ?? DEFAULT_SEED;
    this.runs = options.runs ?? DEFAULT_RUNS;
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

  /** Run one clause: the MNIST fixture (where it applies), then the random cases, shrinking a failure. */
  async run<C>(clause: Clause<C>): Promise<ClauseResult> {
    const start = performance.now();
    const header = this.header(clause);
    if (!this.info.available) return this.skipped(clause, this.info.reason ?? 'unavailable');
    const na = this.notApplicable(clause);
    if (na) return { ...this.skipped(clause, na), status: 'n/a' };
    const dtype = this.info.dtype;
    const tol = toleranceFor(dtype, clause.kind);
    let worst = 0;
    let checked = 0;
    let vacuous = 0;
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
      vacuous,
      worst,
      ...extra,
      durationMs: performance.now() - start,
    });

    const details = await fc.check(
      fc.asyncProperty(clause.arbitrary(), async (c) => {
        await runCase(c);
      }),
      {
        numRuns: this.runs,
        seed: this.seed,
        interruptAfterTimeLimit: this.options.timeLimitMs ?? 120_000,
        markInterruptAsFailure: false,
      },
    );
    // numRuns counts the runs up to and including the first failure (shrinking excluded).
    if (details.failed)
      return done('fail', { cases: details.numRuns, shrinks: details.numShrinks, ...failure });
    if (details.interrupted)
      return done('fail', {
        message: `stopped after ${details.numRuns} cases: time limit of ${this.options.timeLimitMs ?? 120_000} ms`,
      });
    // Then the fixed MNIST case (after the random ones, so that a failure there is usually shown shrunk).
    if (clause.fixture && this.options.fixture !== false) {
      let fixture: C;
      try {
        fixture = clause.fixture(mnistFixture(this.options.mnistTrain));
      } catch (e) {
        return done('fail', { message: `the MNIST fixture could not be loaded: ${(e as Error).message}` });
      }
      try {
        await runCase(fixture);
      } catch {
        return done('fail', { cases: checked + 1, ...failure });
      }
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
    results,
    passed: !failed,
    durationMs: performance.now() - start,
  };
}
