import { type Backend, createReferenceBackend, type NetworkSpec, type Params } from '@backprop/core';
import { describe, expect, test } from 'vitest';
import {
  type BackendEntry,
  BackendPool,
  CLAUSES,
  ClauseFailure,
  Comparison,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatTable,
  getBackend,
  referenceEntry,
  runConformance,
  selectClauses,
  TOLERANCES,
} from '../src/index.js';

describe('catalogue', () => {
  test('has every clause of the design, each with a formula, a section and a tolerance per dtype', () => {
    const ids = CLAUSES.map((c) => c.id);
    for (const id of [
      'net.shape',
      'fwd.affine',
      'fwd.act',
      'act.sigmoid',
      'act.relu',
      'act.softmax',
      'cost.quadratic',
      'cost.squared-error',
      'cost.cross-entropy',
      'cost.mean',
      'chain.scalar',
      'chain.fd',
      'bp1',
      'bp2',
      'bp3',
      'bp4',
      'grad.mean',
      'sgd.step',
      'sgd.epoch',
      'sgd.descent',
      'sgd.momentum',
      'sgd.weight-decay',
      'sgd.last-batch',
      'sgd.on-steps',
      'sgd.resume',
      'lin.collapse',
    ])
      expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CLAUSES) {
      expect(c.formula.length).toBeGreaterThan(5);
      expect(c.section).toBe(`docs/spec.md#${c.id}`);
      expect(TOLERANCES.float64[c.kind]).toBeDefined();
      expect(TOLERANCES.float32[c.kind]).toBeDefined();
    }
  });

  test('selects by id and by prefix, and names the ids on a typo', () => {
    expect(selectClauses(['bp2']).map((c) => c.id)).toEqual(['bp2']);
    expect(selectClauses(['act']).map((c) => c.id)).toEqual(['act.sigmoid', 'act.relu', 'act.softmax']);
    expect(selectClauses(['cost.']).length).toBe(4);
    expect(selectClauses(['bp']).map((c) => c.id)).toEqual(['bp1', 'bp2', 'bp3', 'bp4']);
    expect(() => selectClauses(['bp5'])).toThrow(/no clause matches 'bp5'.*bp1/);
  });

  test('float32 is held to looser bounds than float64, never the reverse', () => {
    for (const kind of ['identity', 'fd'] as const) {
      expect(TOLERANCES.float32[kind].rel).toBeGreaterThan(TOLERANCES.float64[kind].rel);
      expect(TOLERANCES.float32[kind].abs).toBeGreaterThan(TOLERANCES.float64[kind].abs);
    }
  });
});

describe('comparison', () => {
  test('normalises the error by Σ|terms| plus the floor, and fails beyond the tolerance', () => {
    const cmp = new Comparison({ rel: 1e-6, abs: 1e-8 });
    cmp.near(() => 'x', 1 + 1e-7, 1, 1);
    expect(cmp.worst).toBeCloseTo(1e-7 / (1 + 1e-2), 12);
    expect(() => cmp.near(() => 'y', 1.01, 1, 1)).toThrow(ClauseFailure);
    expect(() => cmp.near(() => 'nan', Number.NaN, 1, 1)).toThrow(/nan: backend NaN/);
  });
});

describe('registry', () => {
  test("is core's, re-exported: reference is there from the start", async () => {
    const core = await import('@backprop/core');
    expect(getBackend).toBe(core.getBackend);
    expect(referenceEntry).toBe(core.referenceEntry);
    expect(getBackend('reference')).toBe(referenceEntry);
  });
});

describe('runner', () => {
  test('an unavailable backend is skipped with its reason, and fails when required', async () => {
    const missing: BackendEntry = {
      name: 'missing',
      dtype: 'float32',
      description: 'never available',
      probe: async () => ({ available: false, reason: 'no such device here' }),
      create: async () => {
        throw new Error('unreachable');
      },
    };
    const soft = await runConformance(missing, { clauses: ['bp1'] });
    expect(soft.available).toBe(false);
    expect(soft.results[0]!.status).toBe('skip');
    expect(soft.results[0]!.message).toBe('no such device here');
    expect(soft.passed).toBe(true);
    const hard = await runConformance(missing, { clauses: ['bp1'], required: true });
    expect(hard.passed).toBe(false);
    expect(formatJunit([hard])).toMatch(
      /<failure message="required backend missing is unavailable: no such device here"/,
    );
  });

  test('a backend that throws fails the clause with the error', async () => {
    const throwing = async (spec: NetworkSpec, params: Params): Promise<Backend> => {
      const b = createReferenceBackend(spec, params);
      return Object.assign(Object.create(b), {
        backprop: async () => {
          throw new Error('kernel not implemented');
        },
      });
    };
    const r = await runConformance(throwing, { clauses: ['bp3'], runs: 3, fixture: false });
    expect(r.results[0]!.status).toBe('fail');
    expect(r.results[0]!.message).toMatch(/kernel not implemented/);
  });

  test('the same seed gives the same result; reports render in every format', async () => {
    const a = await runConformance(referenceEntry, { clauses: ['bp2', 'sgd.epoch'], seed: 7, runs: 5 });
    const b = await runConformance(referenceEntry, { clauses: ['bp2', 'sgd.epoch'], seed: 7, runs: 5 });
    expect(a.results.map((r) => [r.cases, r.worst])).toEqual(b.results.map((r) => [r.cases, r.worst]));
    expect(a.passed).toBe(true);
    const json = JSON.parse(formatJson([a]));
    expect(json.format).toBe('backprop-conformance');
    expect(json.reports[0].results[0].id).toBe('bp2');
    const xml = formatJunit([a]);
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toMatch(/<testsuite name="conformance reference" tests="2" failures="0"/);
    expect(xml).toMatch(/<testcase classname="conformance.reference" name="bp2 \[reference\]/);
    expect(formatMarkdown([a])).toMatch(/\| \[`bp2`\]\(docs\/spec.md#bp2\)/);
    const table = formatTable([a]);
    expect(table).toMatch(/^clause\s+reference \(float64, js\)/);
    // 5 small + 3 wide random and 4 fixed + 3 batch + 3 deep + 3 saturated random and 9 fixed + 1 mnist + the fixture
    expect(a.results[0]!.families).toEqual({
      small: 5,
      wide: 7,
      batch: 3,
      deep: 3,
      saturated: 12,
      mnist: 1,
      fixture: 1,
    });
    expect(table).toMatch(/bp2\s+✓\s+32/);
  });

  test('the pool creates one backend per network shape and reuses it', async () => {
    let created = 0;
    const pool = new BackendPool((spec, params) => {
      created++;
      return createReferenceBackend(spec, params);
    });
    const spec: NetworkSpec = { sizes: [1, 1], activation: 'sigmoid', cost: 'quadratic' };
    const p = (w: number): Params => ({ weights: [Float64Array.of(w)], biases: [Float64Array.of(0)] });
    const b1 = await pool.get(spec, p(1));
    const b2 = await pool.get(spec, p(2));
    expect(b2).toBe(b1);
    expect((await b2.getParams()).weights[0]![0]).toBe(2);
    await pool.get({ ...spec, activation: 'relu' }, p(3));
    expect(created).toBe(2);
    await pool.dispose();
  });
});
