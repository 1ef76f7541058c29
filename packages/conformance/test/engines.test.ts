// Outside engines as targets: a command line speaking the protocol (engineEntry) and a module
// exporting an entry or a factory (loadEntry). The NumPy engine written as a student would write it
// passes every clause; with one line of BP2 wrong it fails, and the report says where.
import { fileURLToPath } from 'node:url';
import { findPython, PYTHON_DIR } from '@backprop/protocol';
import { describe, expect, test } from 'vitest';
import { asEntry, engineEntry, formatTable, loadEntry, runConformance } from '../src/index.js';
import { describeConformance } from '../src/vitest.js';

const numpy = await findPython(['numpy']);
const script = `${PYTHON_DIR}/examples/numpy_network.py`;
const python = numpy.found ? numpy.python : 'python3';

// The whole suite on the NumPy engine. Always required (it is an example, not a registered backend,
// so BACKPROP_REQUIRE_BACKENDS cannot name it): without Python and NumPy these tests fail and say why.
describeConformance(await engineEntry([python, script], { name: 'numpy-network' }), { required: true });

describe('the NumPy engine with the classic BP2 slip (⊙σ′ forgotten)', () => {
  test('fails bp2 and the clauses that see σ′ through δ, passes those that only relate its own δ, and prints a shrunk counterexample', async () => {
    const entry = await engineEntry([python, script, '--bug', 'bp2']);
    const av = await entry.probe();
    if (!av.available) throw new Error(av.reason);
    expect(entry.name).toBe('numpy-network-bug-bp2');
    const r = await runConformance(entry, {
      runs: 20,
      clauses: ['bp', 'act.sigmoid', 'chain.fd', 'fwd.affine'],
    });
    const status = Object.fromEntries(r.results.map((x) => [x.id, x.status]));
    expect(r.passed).toBe(false);
    expect(status).toMatchObject({
      bp2: 'fail',
      'act.sigmoid': 'fail',
      'chain.fd': 'fail',
      bp1: 'pass',
      bp3: 'pass',
      bp4: 'pass',
      'fwd.affine': 'pass',
    });
    const table = formatTable([r]);
    expect(table).toMatch(/^bp2\s+✗/m);
    expect(table).toContain(
      '✗ bp2 on numpy-network-bug-bp2 (docs/spec.md#bp2, family small): δ1[0,0] = (W2ᵀ δ2)_0 σ′(z1[0,0] = 0)',
    );
    expect(table).toMatch(
      /counterexample \(shrunk in \d+ steps; reproduce with --seed 1\):\n {4}network 1-1-1, sigmoid/,
    );
  }, 120_000);
});

describe('engineEntry', () => {
  test('an engine that cannot start is unavailable with the reason, and fails when required', async () => {
    const entry = await engineEntry([
      'python3',
      '-c',
      'import sys; sys.stderr.write("no torch here\\n"); sys.exit(2)',
    ]);
    const av = await entry.probe();
    expect(av.available).toBe(false);
    if (!av.available)
      expect(av.reason).toMatch(/hello \(request 1\) failed: it exited with code 2[\s\S]*no torch here/);
    const r = await runConformance(entry, { clauses: ['bp1'], required: true });
    expect(r.passed).toBe(false);
    expect(formatTable([r])).toMatch(/unavailable \(REQUIRED: failure\): engine 'python3': hello/);
  });
});

describe('loadEntry', () => {
  const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));

  test('a module exporting a BackendEntry', async () => {
    const t = await loadEntry(fixture('entry-module.mjs'));
    const r = await runConformance(t, { clauses: ['bp', 'sgd.step'], runs: 3 });
    expect(r.backend).toBe('loaded-entry');
    expect(r.passed).toBe(true);
    expect(r.results.every((x) => x.status === 'pass')).toBe(true);
  });

  test('a module exporting a factory, relative to a directory; its capabilities are honoured', async () => {
    const t = await loadEntry('./fixtures/factory-module.mjs', fileURLToPath(new URL('.', import.meta.url)));
    const entry = await asEntry(t);
    expect(entry.name).toBe('loaded-factory');
    const r = await runConformance(entry, { clauses: ['fwd.affine', 'bp3'], runs: 3 });
    expect(r.results.map((x) => x.status)).toEqual(['pass', 'n/a']);
  });

  test('a module without a backend, or no module at all, is an error naming it', async () => {
    await expect(loadEntry(fixture('empty-module.mjs'))).rejects.toThrow(
      /empty-module.mjs exports no backend: .*\(it exports: answer\)/,
    );
    await expect(loadEntry('./no-such-module.mjs')).rejects.toThrow(/cannot load .\/no-such-module.mjs: /);
  });
});
