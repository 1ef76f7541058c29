/**
 * @backprop/conformance — holds any backend to the formulas of docs/spec.md, clause by clause:
 * the catalogue, the tolerances per dtype, case families (random and fixed, small to MNIST-wide,
 * saturated), the runner with expectations per backend, mutant backends that prove every clause
 * can fail, and reports.
 */

export {
  type CaseShape,
  describeCase,
  fanInScale,
  grid,
  type NetCase,
  netCases,
  type ParamScale,
  paramsArb,
} from './cases.js';
export { type CheckContext, type Clause, specLink } from './clause.js';
export { CLAUSES, getClause, selectClauses } from './clauses/index.js';
export { ClauseFailure, Comparison } from './compare.js';
export { asEntry, engineEntry, loadEntry } from './engines.js';
export {
  BATCH_SIZES,
  type CaseFamily,
  type CaseNeeds,
  FAMILIES,
  type FamilyId,
  type FamilyInfo,
  mnistCases,
  netFamilies,
  ORIGINAL_FAMILIES,
  saturatedCases,
  WIDE_SHAPES,
  WIDE_WIDTHS,
} from './families.js';
export { FIXTURE_BATCH, FIXTURE_SEED, type Fixture, mnistFixture, mnistTrain } from './fixture.js';
export {
  controlEntry,
  type EpochFault,
  MUTANTS,
  type Mutant,
  MutantBackend,
  type Mutation,
  mutantEntry,
} from './mutants.js';
export { type MutantOutcome, type MutationReport, runMutants } from './mutation.js';
export { type BackendFactory, BackendPool } from './pool.js';
export * from './registry.js';
export {
  formatFamilies,
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
  checkExpectations,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  resolveTarget,
  runConformance,
  selectFamilies,
  type TargetInfo,
} from './runner.js';
export { type CheckKind, TINY, TOLERANCES, type Tolerance, toleranceFor } from './tolerance.js';
