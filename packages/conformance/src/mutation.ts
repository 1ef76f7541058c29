import { CLAUSES } from './clauses/index.js';
import { MUTANTS, type Mutant, mutantEntry } from './mutants.js';
import { type ClauseResult, type ConformanceOptions, runConformance } from './runner.js';

/** What the suite did to one mutant. */
export interface MutantOutcome {
  readonly mutant: Mutant;
  /** The clauses that failed on it. */
  readonly killedBy: readonly string[];
  readonly targetKilled: boolean;
  readonly results: readonly ClauseResult[];
}

/** The mutation run: each mutant against its target clause, or against every clause (`matrix`). */
export interface MutationReport {
  readonly outcomes: readonly MutantOutcome[];
  readonly killed: number;
  readonly total: number;
  /** killed / total. */
  readonly score: number;
  /** Clauses that killed no mutant (only meaningful with `matrix`). */
  readonly idleClauses: readonly string[];
}

/**
 * Run the mutants through the suite. Without `matrix` each mutant meets only its target clause
 * (fast); with it, every clause, which shows every clause that catches each mutant.
 */
export async function runMutants(
  options: ConformanceOptions & { readonly matrix?: boolean; readonly mutants?: readonly Mutant[] } = {},
): Promise<MutationReport> {
  const outcomes: MutantOutcome[] = [];
  for (const mutant of options.mutants ?? MUTANTS) {
    const report = await runConformance(mutantEntry(mutant), {
      ...options,
      clauses: options.matrix ? options.clauses : [mutant.target],
      required: true,
    });
    const killedBy = report.results.filter((r) => r.status === 'fail').map((r) => r.id);
    outcomes.push({
      mutant,
      killedBy,
      targetKilled: killedBy.includes(mutant.target),
      results: report.results,
    });
  }
  const killed = outcomes.filter((o) => o.killedBy.length > 0).length;
  const used = new Set(outcomes.flatMap((o) => o.killedBy));
  return {
    outcomes,
    killed,
    total: outcomes.length,
    score: outcomes.length === 0 ? 1 : killed / outcomes.length,
    idleClauses: CLAUSES.map((c) => c.id).filter((id) => !used.has(id)),
  };
}
