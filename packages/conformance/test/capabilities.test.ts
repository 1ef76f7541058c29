// Capabilities: a clause that needs what a backend lacks is "not applicable", never passed; and
// each clause's `needs` is complete: a backend offering only those capabilities (everything else
// emptied or throwing) passes it.
import {
  type Backend,
  type BackpropTrace,
  CAPABILITIES,
  type Capability,
  capabilitiesOf,
  createReferenceBackend,
  type NetworkSpec,
  type Params,
} from '@backprop/core';
import { describe, expect, test } from 'vitest';
import {
  CLAUSES,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatTable,
  runConformance,
} from '../src/index.js';

/** The reference, offering only `caps`: the traces of the others are empty, their methods throw. */
function limited(caps: readonly Capability[], name = 'limited') {
  const has = new Set(caps);
  return async (spec: NetworkSpec, params: Params): Promise<Backend> => {
    const ref = createReferenceBackend(spec, params);
    const lacks = (c: Capability) => new Error(`${name} does not provide ${c}`);
    return {
      name,
      dtype: 'float64',
      device: 'js',
      spec: ref.spec,
      capabilities: caps,
      setParams: (p) => ref.setParams(p),
      getParams: () => ref.getParams(),
      async forward(x, size) {
        if (!has.has('forward')) throw lacks('forward');
        return ref.forward(x, size);
      },
      async backprop(batch): Promise<BackpropTrace> {
        const t = await ref.backprop(batch);
        if (!has.has('gradients') && !has.has('deltas') && !has.has('forward')) throw lacks('gradients');
        return {
          cost: has.has('gradients') ? t.cost : Number.NaN,
          gradients: has.has('gradients') ? t.gradients : { weights: [], biases: [] },
          zs: has.has('forward') ? t.zs : [],
          activations: has.has('forward') ? t.activations : [],
          deltas: has.has('deltas') ? t.deltas : [],
        };
      },
      async step(batch, sgd) {
        if (!has.has('step')) throw lacks('step');
        return ref.step(batch, sgd);
      },
      async trainEpoch(data, options) {
        if (!has.has('train-epoch')) throw lacks('train-epoch');
        return ref.trainEpoch(data, options);
      },
      dispose: () => ref.dispose(),
    };
  };
}

describe('capabilities', () => {
  test('a backend that declares none has every capability', () => {
    expect([...capabilitiesOf({})]).toEqual([...CAPABILITIES]);
    expect([...capabilitiesOf({ capabilities: ['gradients'] })]).toEqual(['gradients']);
  });

  test('every clause says what it needs, in the capability vocabulary', () => {
    for (const c of CLAUSES) {
      expect(c.needs.length, c.id).toBeGreaterThan(0);
      for (const n of c.needs) expect(CAPABILITIES, `${c.id} needs ${n}`).toContain(n);
    }
  });

  test('without deltas, every clause reading δ is not applicable, with the reason; the report still passes', async () => {
    const caps = CAPABILITIES.filter((c) => c !== 'deltas');
    const r = await runConformance(limited(caps, 'no-deltas'), { runs: 2, fixture: false });
    const na = r.results.filter((x) => x.status === 'n/a').map((x) => x.id);
    expect(na).toEqual(['net.shape', 'act.sigmoid', 'act.relu', 'bp1', 'bp2', 'bp3', 'bp4']);
    for (const x of r.results.filter((x) => x.status === 'n/a')) {
      expect(x.message).toBe(
        'not applicable: needs the errors δ^l = ∂C_x/∂z^l (deltas), which no-deltas does not provide',
      );
      expect(x.cases).toBe(0);
    }
    expect(r.results.filter((x) => x.status === 'fail')).toEqual([]);
    expect(r.passed).toBe(true);

    const table = formatTable([r]);
    expect(table).toMatch(/^bp1\s+○ n\/a$/m);
    expect(table).toMatch(/no-deltas: 20 passed, 0 failed, 0 skipped, 7 not applicable in/);
    expect(table).toMatch(
      /^○ net\.shape, act\.sigmoid, act\.relu, bp1, bp2, bp3, bp4 on no-deltas: not applicable: needs the errors/m,
    );
    const junit = formatJunit([r]);
    expect(junit).toMatch(/tests="27" failures="0" errors="0" skipped="7"/);
    expect(junit).toMatch(
      /name="bp2 \[no-deltas\][^"]*"[^>]*>\n\s+<skipped message="not applicable: needs the errors/,
    );
    expect(formatMarkdown([r])).toMatch(/\| \[`bp1`\]\(docs\/spec.md#bp1\) [^|]+ \| ○ n\/a \|/);
    const json = JSON.parse(formatJson([r]));
    expect(json.reports[0].results.find((x: { id: string }) => x.id === 'bp4').status).toBe('n/a');
  });

  test('two missing capabilities are both named', async () => {
    const r = await runConformance(limited(['gradients'], 'grads-only'), {
      clauses: ['sgd.epoch', 'grad.mean'],
      runs: 2,
      fixture: false,
    });
    expect(r.results.map((x) => [x.id, x.status])).toEqual([
      ['grad.mean', 'pass'],
      ['sgd.epoch', 'n/a'],
    ]);
    expect(r.results[1]!.message).toBe(
      'not applicable: needs an SGD step (step) and an epoch loop of its own (train-epoch), which grads-only does not provide',
    );
  });

  test('an entry takes its capabilities from its probe', async () => {
    const r = await runConformance(
      {
        name: 'probed',
        dtype: 'float64',
        description: 'capabilities from the probe',
        probe: async () => ({ available: true, device: 'js', capabilities: ['forward'] }),
        create: limited(['forward'], 'probed'),
      },
      { clauses: ['fwd.affine', 'bp3'], runs: 2, fixture: false },
    );
    expect(r.results.map((x) => x.status)).toEqual(['pass', 'n/a']);
  });

  // Completeness of `needs`: with only what a clause says it needs, it still passes (and so
  // never reads an empty trace or calls a missing method).
  for (const clause of CLAUSES)
    test(`${clause.id} passes on a backend offering only what it needs (${clause.needs.join(', ')})`, async () => {
      const r = await runConformance(limited(clause.needs), {
        clauses: [clause.id],
        runs: 3,
        fixture: false,
      });
      expect(r.results[0]!.message).toBeUndefined();
      expect(r.results[0]!.status).toBe('pass');
    });
});
