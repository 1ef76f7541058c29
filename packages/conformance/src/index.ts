/**
 * @backprop/conformance — holds any backend to the formulas of docs/spec.md, clause by clause:
 * the catalogue, the tolerances per dtype, fast-check cases plus an MNIST fixture, the runner,
 * mutant backends that prove every clause can fail, and reports.
 */
export * from './registry.js';
export { referenceEntry, registerBuiltins } from './builtin.js';
export { type CheckContext, type Clause, specLink } from './clause.js';
export { CLAUSES, getClause, selectClauses } from './clauses/index.js';
export { type CheckKind, type Tolerance, TOLERANCES, toleranceFor } from './tolerance.js';
export { ClauseFailure, Comparison } from './compare.js';
export { type CaseShape, type NetCase, describeCase, netCases } from './cases.js';
export { type Fixture, FIXTURE_BATCH, FIXTURE_SEED, mnistFixture } from './fixture.js';
export { type BackendFactory, BackendPool } from './pool.js';
export {
  type ClauseResult,
  type ClauseStatus,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceTarget,
  type TargetInfo,
  ConformanceSession,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  resolveTarget,
  runConformance,
} from './runner.js';
export { type Mutant, type Mutation, MUTANTS, MutantBackend, mutantEntry } from './mutants.js';
export { type MutantOutcome, type MutationReport, runMutants } from './mutation.js';
export { type ReportFormat, REPORT_FORMATS, formatJson, formatJunit, formatMarkdown, formatReport, formatTable } from './report.js';
