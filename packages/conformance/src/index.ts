/**
 * @backprop/conformance — holds any backend to the formulas of docs/spec.md, clause by clause:
 * the catalogue, the tolerances per dtype, fast-check cases plus an MNIST fixture, the runner,
 * mutant backends that prove every clause can fail, and reports.
 */

export { type CaseShape, describeCase, type NetCase, netCases } from './cases.js';
export { type CheckContext, type Clause, specLink } from './clause.js';
export { CLAUSES, getClause, selectClauses } from './clauses/index.js';
export { ClauseFailure, Comparison } from './compare.js';
export { asEntry, engineEntry, loadEntry } from './engines.js';
export { FIXTURE_BATCH, FIXTURE_SEED, type Fixture, mnistFixture } from './fixture.js';
export { MUTANTS, type Mutant, MutantBackend, type Mutation, mutantEntry } from './mutants.js';
export { type MutantOutcome, type MutationReport, runMutants } from './mutation.js';
export { type BackendFactory, BackendPool } from './pool.js';
export * from './registry.js';
export {
  formatJson,
  formatJunit,
  formatMarkdown,
  formatReport,
  formatTable,
  REPORT_FORMATS,
  type ReportFormat,
} from './report.js';
export {
  type ClauseResult,
  type ClauseStatus,
  type ConformanceOptions,
  type ConformanceReport,
  ConformanceSession,
  type ConformanceTarget,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  resolveTarget,
  runConformance,
  type TargetInfo,
} from './runner.js';
export { type CheckKind, TOLERANCES, type Tolerance, toleranceFor } from './tolerance.js';
