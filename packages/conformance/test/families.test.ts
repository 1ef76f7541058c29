// The case families: the original ones unchanged, the new ones reaching where they say, and
// docs/spec.md listing exactly the families each clause runs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createReferenceBackend } from '@backprop/core';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CLAUSES,
  Comparison,
  FAMILIES,
  formatFamilies,
  type NetCase,
  netCases,
  ORIGINAL_FAMILIES,
  referenceEntry,
  runConformance,
  saturatedCases,
  TINY,
  TOLERANCES,
} from '../src/index.js';

const serialise = (c: NetCase) =>
  JSON.stringify({
    spec: c.spec,
    w: c.params.weights.map((a) => [...a]),
    b: c.params.biases.map((a) => [...a]),
    x: [...c.batch.x],
    y: [...c.batch.y],
    eta: c.eta,
    seed: c.seed,
  });

describe('case families', () => {
  test('the small family draws exactly the original cases (pinned: 30 cases at seed 1 per original shape)', () => {
    const shapes = [{}, { layers: [1, 4] as const }, { layers: [2, 4] as const }, { batch: [2, 4] as const }];
    const h = createHash('sha256');
    for (const s of shapes)
      for (const c of fc.sample(netCases(s), { seed: 1, numRuns: 30 })) h.update(serialise(c));
    // Computed from the suite before the families existed (main at 143fc17); it changes only if
    // the original cases do, which would make "old cases vs new cases" comparisons meaningless.
    expect(h.digest('hex').slice(0, 16)).toBe('30f25344d28ca448');
  });

  test('every family is run by some clause, and every clause runs the small family and at least one new one', () => {
    for (const f of FAMILIES)
      expect(
        CLAUSES.some((c) => c.families.some((x) => x.id === f.id)),
        f.id,
      ).toBe(true);
    for (const c of CLAUSES) {
      expect(c.families[0]!.id, c.id).toBe('small');
      expect(
        c.families.some((f) => !ORIGINAL_FAMILIES.includes(f.id)),
        c.id,
      ).toBe(true);
    }
    expect(ORIGINAL_FAMILIES).toEqual(['small', 'fixture']);
  });

  test('docs/spec.md lists the families of every clause, as formatFamilies() prints them', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/spec.md', import.meta.url)), 'utf8');
    expect(doc).toContain(formatFamilies());
  });

  test('the saturated cases reach the tails: σ exactly 0 and 1, softmax outputs exactly 0, costs of 800 and more', async () => {
    const cases = saturatedCases();
    expect(cases.length).toBeGreaterThanOrEqual(9);
    let zeros = 0;
    let ones = 0;
    let bigCost = 0;
    for (const c of cases) {
      const b = createReferenceBackend(c.spec, c.params);
      const t = await b.backprop(c.batch);
      for (const a of t.activations.slice(1)) for (const v of a) v === 0 ? zeros++ : v === 1 ? ones++ : 0;
      if (t.cost >= 700) bigCost++;
      expect(Number.isFinite(t.cost), c.label).toBe(true);
    }
    expect(zeros).toBeGreaterThan(0);
    expect(ones).toBeGreaterThan(0);
    expect(bigCost).toBeGreaterThan(0);
  });

  test('an unknown family is an error before any work; families select what runs', async () => {
    await expect(runConformance(referenceEntry, { families: ['huge'] })).rejects.toThrow(
      /no case family 'huge'; families: small, wide, batch, deep, saturated, mnist, fixture/,
    );
    const r = await runConformance(referenceEntry, { clauses: ['bp3'], families: ['deep'], runs: 4 });
    expect(r.results[0]!.families).toEqual({ deep: 2 });
    expect(r.families).toEqual(['deep']);
  });
});

describe('the two fixes at the edges (docs/spec.md#tolerances)', () => {
  test('a difference below the dtype’s floor passes where the bound Σ|terms| is 0', () => {
    // a = y = 0, the backend's δ a denormal: the bound is 0, and without the floor the error is infinite.
    const withFloor = new Comparison(TOLERANCES.float32.identity);
    withFloor.near(() => 'δ', 1.4e-45, 0, 0);
    expect(withFloor.worst).toBeLessThanOrEqual(TOLERANCES.float32.identity.rel);
    const without = new Comparison({ rel: 1e-5, abs: 1e-5 });
    expect(() => without.near(() => 'δ', 1.4e-45, 0, 0)).toThrow(/error Infinity/);
    // The floor is 2¹⁰ smallest normals: nothing a real error hides in.
    expect(TINY.float32).toBe(2 ** -116);
    expect(TINY.float64).toBe(2 ** -1012);
    expect(() => withFloor.near(() => 'δ', 1e-30, 0, 0)).toThrow(/δ: backend 1\.000e-30, formula 0/);
  });

  test('act.softmax takes exact zeros: the reference passes the logits of 800, whose softmax has them', async () => {
    const r = await runConformance(referenceEntry, {
      clauses: ['act.softmax'],
      families: ['saturated'],
      runs: 2,
    });
    expect(r.results[0]!.status).toBe('pass');
    const c = saturatedCases({ costs: ['cross-entropy'] }).find((x) =>
      x.label?.includes('(800, 100, 0, −800)'),
    )!;
    const a = (await createReferenceBackend(c.spec, c.params).forward(c.batch.x, c.batch.size))
      .activations[1]!;
    // softmax(800, 100, 0, −800) = (1, e^{−700} ≈ 1e-304, 0, 0): the last two underflow to exactly 0.
    expect([a[0], a[2], a[3]]).toEqual([1, 0, 0]);
    expect(a[1]).toBeGreaterThan(0);
  });
});
