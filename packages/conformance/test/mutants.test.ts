import { afterAll, describe, expect, test } from 'vitest';
import { CLAUSES, MUTANTS, type MutantOutcome, mutantEntry, runConformance } from '../src/index.js';

const outcomes: MutantOutcome[] = [];

describe('mutants: each deliberately wrong backend is killed by the clause it targets', () => {
  for (const mutant of MUTANTS)
    test(`${mutant.name} is killed by ${mutant.target}`, async () => {
      const report = await runConformance(mutantEntry(mutant), { clauses: [mutant.target] });
      const r = report.results.find((x) => x.id === mutant.target)!;
      outcomes.push({
        mutant,
        killedBy: r.status === 'fail' ? [r.id] : [],
        targetKilled: r.status === 'fail',
        results: report.results,
      });
      expect(r.status, `${mutant.name} survived ${mutant.target}: ${mutant.description}`).toBe('fail');
      expect(r.message).toBeTruthy();
      expect(r.counterexample).toBeTruthy();
      expect(report.passed).toBe(false);
    });

  test('every clause is the target of a mutant it kills', () => {
    const targets = new Set(MUTANTS.map((m) => m.target));
    expect(CLAUSES.map((c) => c.id).filter((id) => !targets.has(id))).toEqual([]);
    expect(MUTANTS.map((m) => m.target).filter((id) => !CLAUSES.some((c) => c.id === id))).toEqual([]);
  });

  afterAll(() => {
    const killed = outcomes.filter((o) => o.targetKilled).length;
    console.log(
      `mutation score: ${killed}/${MUTANTS.length} mutants killed by their target clause (${((100 * killed) / MUTANTS.length).toFixed(0)}%)`,
    );
  });
});

describe('a mutant fails only where it is wrong', () => {
  test('the epoch mutant passes the clauses that do not look at epochs', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'epoch-repeats-one-skips-another')!;
    const report = await runConformance(mutantEntry(mutant), {
      clauses: ['bp1', 'bp2', 'sgd.step'],
      runs: 5,
    });
    expect(report.results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });

  test('a failure is shrunk to a small counterexample', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'bp2-w-not-transposed')!;
    const report = await runConformance(mutantEntry(mutant), { clauses: ['bp2'], fixture: false });
    const r = report.results[0]!;
    expect(r.status).toBe('fail');
    expect(r.shrinks).toBeGreaterThan(0);
    // Shrinking leaves the smallest network on which W and Wᵀ differ: one hidden layer of two.
    expect(r.counterexample).toMatch(/^network \d-2-\d/);
  });
});
