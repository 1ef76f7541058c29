// Expectations per backend (like TF.js's test filters and ONNX's backend-test xfail lists): a
// clause expected to fail that fails is `xfail` and does not fail the run; one that passes is a
// stale expectation and fails it; a skip is not run. Every report shows each with its reason.
import { describe, expect, test } from 'vitest';
import {
  type BackendEntry,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatTable,
  MUTANTS,
  mutantEntry,
  referenceEntry,
  runConformance,
} from '../src/index.js';

const wrong = mutantEntry(MUTANTS.find((m) => m.name === 'bp2-w-not-transposed')!);
const known: BackendEntry = {
  ...wrong,
  name: 'known-bp2-bug',
  expectations: {
    bp2: { status: 'xfail', reason: 'reads W where Wᵀ belongs (issue 99)' },
    'sgd.epoch': { status: 'skip', reason: 'its epoch loop takes minutes' },
  },
};

describe('expectations', () => {
  test('an expected failure is xfail with its reason, a skip is not run, and the run passes', async () => {
    const r = await runConformance(known, { clauses: ['bp1', 'bp2', 'sgd.epoch'], runs: 3, fixture: false });
    const by = Object.fromEntries(r.results.map((x) => [x.id, x]));
    expect(by.bp1!.status).toBe('pass');
    expect(by.bp2!.status).toBe('xfail');
    expect(by.bp2!.message).toMatch(/^expected failure \(reads W where Wᵀ belongs \(issue 99\)\): δ1\[/);
    expect(by.bp2!.counterexample).toBeTruthy();
    expect(by['sgd.epoch']!.status).toBe('skip');
    expect(by['sgd.epoch']!.cases).toBe(0);
    expect(by['sgd.epoch']!.message).toBe('skipped by expectation: its epoch loop takes minutes');
    expect(r.passed).toBe(true);

    const table = formatTable([r]);
    expect(table).toMatch(/^bp2\s+⊘ xfail$/m);
    expect(table).toMatch(/known-bp2-bug: 1 passed, 0 failed, 1 skipped, 1 expected failures in/);
    expect(table).toMatch(
      /^expectations:\n⊘ bp2 on known-bp2-bug: expected failure \(reads W where Wᵀ belongs/m,
    );
    expect(table).toMatch(/^– sgd\.epoch on known-bp2-bug: skip expected \(its epoch loop takes minutes\)/m);
    expect(formatJunit([r])).toMatch(
      /name="bp2 \[known-bp2-bug\][^"]*"[^>]*>\n\s+<skipped message="expected failure/,
    );
    expect(formatMarkdown([r])).toMatch(/\| \[`bp2`\]\(docs\/spec.md#bp2\) [^|]+ \| ⊘ xfail \|/);
    const json = JSON.parse(formatJson([r]));
    expect(json.reports[0].results[1].expectation).toEqual({
      status: 'xfail',
      reason: 'reads W where Wᵀ belongs (issue 99)',
    });
  });

  test('an expected failure that passes is a stale expectation, and fails the run', async () => {
    const r = await runConformance(referenceEntry, {
      clauses: ['bp1'],
      runs: 2,
      fixture: false,
      expectations: { bp1: { status: 'xfail', reason: 'fixed long ago' } },
    });
    expect(r.results[0]!.status).toBe('fail');
    expect(r.results[0]!.stale).toBe(true);
    expect(r.results[0]!.message).toBe(
      'stale expectation: expected to fail (fixed long ago), but it passed; remove the expectation',
    );
    expect(r.passed).toBe(false);
    expect(formatTable([r])).toMatch(/^✗ bp1 on reference: stale expectation/m);
    expect(formatJunit([r])).toMatch(/<failure message="stale expectation/);
  });

  test('the options add to and override the entry’s', async () => {
    const r = await runConformance(known, {
      clauses: ['bp2'],
      runs: 2,
      fixture: false,
      expectations: { bp2: { status: 'skip', reason: 'not today' } },
    });
    expect(r.results[0]!.status).toBe('skip');
    expect(r.results[0]!.expectation?.reason).toBe('not today');
  });

  test('an expectation naming no clause, or without a reason, is an error before any work', async () => {
    await expect(
      runConformance(referenceEntry, { expectations: { bp5: { status: 'xfail', reason: 'x' } } }),
    ).rejects.toThrow(/the expectations of reference name 'bp5', which is no clause; clauses: net\.shape/);
    await expect(
      runConformance({
        ...referenceEntry,
        name: 'r2',
        expectations: { bp1: { status: 'xfail', reason: ' ' } },
      }),
    ).rejects.toThrow(
      /the expectation of r2 for bp1 must be \{ status: 'xfail' \| 'skip', reason: '…' \} with a reason/,
    );
  });

  test('a clause that is not applicable stays n/a whatever is expected of it', async () => {
    const r = await runConformance(
      {
        ...referenceEntry,
        name: 'no-momentum',
        probe: async () => ({
          available: true,
          device: 'js',
          capabilities: ['forward', 'gradients', 'step'],
        }),
        expectations: { 'sgd.momentum': { status: 'xfail', reason: 'no momentum' } },
      },
      { clauses: ['sgd.momentum'], runs: 2, fixture: false },
    );
    expect(r.results[0]!.status).toBe('n/a');
    expect(r.passed).toBe(true);
  });
});
