import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import {
  CLAUSES,
  controlEntry,
  FAMILIES,
  MUTANTS,
  type MutantOutcome,
  mutantEntry,
  ORIGINAL_FAMILIES,
  runConformance,
} from '../src/index.js';

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

  test('docs/spec.md lists every mutant', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/spec.md', import.meta.url)), 'utf8');
    expect(MUTANTS.map((m) => m.name).filter((n) => !doc.includes(`| \`${n}\` |`))).toEqual([]);
  });

  test('every clause is the target of a mutant it kills', () => {
    const targets = new Set(MUTANTS.map((m) => m.target));
    expect(CLAUSES.map((c) => c.id).filter((id) => !targets.has(id))).toEqual([]);
    expect(MUTANTS.map((m) => m.target).filter((id) => !CLAUSES.some((c) => c.id === id))).toEqual([]);
    expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
  });

  afterAll(() => {
    const killed = outcomes.filter((o) => o.targetKilled).length;
    console.log(
      `mutation score: ${killed}/${MUTANTS.length} mutants killed by their target clause (${((100 * killed) / MUTANTS.length).toFixed(0)}%)`,
    );
  });
});

describe('the mutants’ implementation without a fault', () => {
  test('passes every clause (so each mutant fails for its fault alone)', async () => {
    const r = await runConformance(controlEntry, { runs: 10 });
    expect(r.results.filter((x) => x.status !== 'pass').map((x) => `${x.id}: ${x.message}`)).toEqual([]);
  }, 120_000);
});

describe('the new case families reach faults the original cases let through', () => {
  const reached = MUTANTS.filter((m) => m.family);

  for (const mutant of reached)
    test(`${mutant.name} survives the original cases of ${mutant.target} and dies on the ${mutant.family} family`, async () => {
      const entry = mutantEntry(mutant);
      const old = await runConformance(entry, { clauses: [mutant.target], families: ORIGINAL_FAMILIES });
      expect(old.results[0]!.status, `${mutant.name} on the original cases`).toBe('pass');
      const only = await runConformance(entry, { clauses: [mutant.target], families: [mutant.family!] });
      expect(only.results[0]!.status).toBe('fail');
      expect(only.results[0]!.family).toBe(mutant.family);
    });

  test('every new family but mnist is the one that reaches some mutant (mnist: next test)', () => {
    const news = FAMILIES.map((f) => f.id).filter((id) => !ORIGINAL_FAMILIES.includes(id) && id !== 'mnist');
    expect(news).toEqual(['wide', 'batch', 'deep', 'saturated']);
    expect(news.filter((id) => !reached.some((m) => m.family === id))).toEqual([]);
  });

  test('real MNIST rows alone kill the kernel mutants of 16 lanes and 16-row blocks', async () => {
    for (const name of ['sixteen-neuron-kernel', 'rows-staged-in-blocks-of-16', 'batch-sum-over-16-rows']) {
      const m = MUTANTS.find((x) => x.name === name)!;
      const r = await runConformance(mutantEntry(m), { clauses: [m.target], families: ['mnist'] });
      expect(r.results[0]!.status, name).toBe('fail');
    }
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

  test('the stale-gradient mutant reports consistent traces: every equation of backprop holds', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'stale-gradient')!;
    const report = await runConformance(mutantEntry(mutant), {
      clauses: ['fwd', 'bp', 'grad.mean', 'chain.fd', 'sgd.step'],
      runs: 5,
    });
    expect(report.results.map((r) => `${r.id} ${r.status}`)).toEqual([
      'fwd.affine pass',
      'fwd.act pass',
      'chain.fd pass',
      'bp1 pass',
      'bp2 pass',
      'bp3 pass',
      'bp4 pass',
      'grad.mean pass',
      'sgd.step fail',
    ]);
    expect(report.results.at(-1)!.message).toMatch(/after the second step/);
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

  test('a kernel fault is shrunk to the smallest shape that shows it', async () => {
    const mutant = MUTANTS.find((m) => m.name === 'sixteen-neuron-kernel')!;
    const r = (await runConformance(mutantEntry(mutant), { clauses: ['fwd.affine'], families: ['wide'] }))
      .results[0]!;
    expect(r.status).toBe('fail');
    // The first neuron wrong is one the kernel never writes (the 17th or later), on a layer wider than 16.
    const j = Number(/^z\d\[\d+,(\d+)\]/.exec(r.message ?? '')?.[1]);
    expect(j).toBeGreaterThanOrEqual(16);
    expect(r.counterexample).toMatch(/^network [\d-]*(1[7-9]|[2-9]\d)[\d-]*, /);
  });
});
