import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listBackends, MUTANTS, mutantEntry, registerBackend } from '@backprop/conformance';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { UsageError } from '../src/command.js';
import { command } from '../src/commands/conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the command and capture what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  });
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    const code = await command.run(argv);
    return { code, out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

beforeAll(() => {
  // A backend that can never start here, and one that is wrong: both go through the same registry as the CLI.
  if (!listBackends().some((e) => e.name === 'nowhere'))
    registerBackend({
      name: 'nowhere',
      dtype: 'float32',
      description: 'a backend with no device',
      probe: async () => ({ available: false, reason: 'no device: install the driver' }),
      create: async () => {
        throw new Error('unreachable');
      },
    });
  const wrong = mutantEntry(MUTANTS.find((m) => m.name === 'bp2-w-not-transposed')!);
  if (!listBackends().some((e) => e.name === wrong.name)) registerBackend(wrong);
  // The same wrong backend, declaring its defect: an expected failure.
  if (!listBackends().some((e) => e.name === 'known-bug'))
    registerBackend({
      ...wrong,
      name: 'known-bug',
      expectations: { bp2: { status: 'xfail', reason: 'W for Wᵀ, a known defect' } },
    });
});

afterEach(() => {
  delete process.env.BACKPROP_REQUIRE_BACKENDS;
});

describe('backprop conformance', () => {
  test('prints the clause × backend table and exits 0 when the reference passes', async () => {
    const r = await run(['--backend', 'reference', '--clause', 'bp', '--clause', 'net.shape', '--runs', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^clause\s+reference \(float64, js\)/);
    // 3 random cases per family and clause, and the fixed ones (bp2 needs a hidden layer: fewer).
    for (const id of ['net.shape', 'bp1', 'bp3', 'bp4'])
      expect(r.out).toMatch(new RegExp(`${id.replace('.', '\\.')}\\s+✓\\s+32 `));
    expect(r.out).toMatch(/^bp2\s+✓\s+26 /m);
    expect(r.out).toMatch(/reference: 5 passed, 0 failed/);
  }, 60_000);

  test('exits 1 on a failing clause and prints the shrunk counterexample', async () => {
    const r = await run(['--backend', 'mutant:bp2-w-not-transposed', '--clause', 'bp2', '--runs', '20']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bp2\s+✗/);
    expect(r.out).toMatch(/counterexample \(shrunk in \d+ steps; reproduce with --seed 1\)/);
    expect(r.out).toMatch(/network \d-2-\d/);
  }, 60_000);

  test('writes JSON and JUnit reports; the table still goes to the terminal', async () => {
    const json = join(dir, 'c.json');
    const r = await run([
      '--backend',
      'reference',
      '--clause',
      'sgd',
      '--runs',
      '2',
      '--report',
      'json',
      '--out',
      json,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sgd\.epoch\s+✓/);
    const parsed = JSON.parse(readFileSync(json, 'utf8'));
    expect(parsed.passed).toBe(true);
    expect(parsed.reports[0].results.map((x: { id: string }) => x.id)).toEqual([
      'sgd.step',
      'sgd.epoch',
      'sgd.descent',
      'sgd.momentum',
      'sgd.weight-decay',
      'sgd.momentum-epochs',
      'sgd.last-batch',
      'sgd.on-steps',
      'sgd.resume',
    ]);
    const x = await run([
      '--backend',
      'reference',
      '--clause',
      'fwd.affine',
      '--runs',
      '2',
      '--report',
      'junit',
    ]);
    expect(x.out).toMatch(/^<\?xml version="1.0"/);
    expect(x.out).toMatch(/<testcase classname="conformance.reference" name="fwd.affine \[reference\]/);
    const md = await run(['--backend', 'reference', '--clause', 'fwd.act', '--runs', '2', '--report', 'md']);
    expect(md.out).toMatch(/\| \[`fwd.act`\]\(docs\/spec.md#fwd.act\)/);
  }, 60_000);

  test('an unavailable backend named with --backend, --require or the environment is a failure, with its reason', async () => {
    const named = await run([
      '--backend',
      'reference',
      '--backend',
      'nowhere',
      '--clause',
      'bp1',
      '--runs',
      '2',
    ]);
    expect(named.code).toBe(1); // named, so it must run: never an all-skipped exit 0
    expect(named.out).toMatch(/nowhere: unavailable \(REQUIRED: failure\): no device: install the driver/);
    expect(named.err).toMatch(
      /nowhere is unavailable: no device: install the driver \(it was named, so this is a failure: exit 1\)/,
    );
    const hard = await run([
      '--backend',
      'reference',
      '--clause',
      'bp1',
      '--runs',
      '2',
      '--require',
      'nowhere',
    ]);
    expect(hard.code).toBe(1);
    expect(hard.out).toMatch(/nowhere: unavailable \(REQUIRED: failure\)/);
    process.env.BACKPROP_REQUIRE_BACKENDS = 'reference,nowhere';
    const env = await run(['--backend', 'reference', '--clause', 'bp1', '--runs', '2']);
    expect(env.code).toBe(1);
  }, 60_000);

  test('--engine runs an outside engine over the protocol, and --load a module; each must start', async () => {
    const numpy = fileURLToPath(new URL('../../protocol/python/examples/numpy_network.py', import.meta.url));
    const e = await run(['--engine', `python3 ${numpy}`, '--clause', 'bp', '--runs', '3']);
    expect(e.code).toBe(0);
    expect(e.out).toMatch(/^clause\s+numpy-network \(float64, cpu\)/);
    expect(e.out).toMatch(/numpy-network: 4 passed, 0 failed/);
    const bad = await run([
      '--engine',
      'python3 -c "import sys; sys.exit(4)"',
      '--clause',
      'bp1',
      '--runs',
      '2',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(
      /unavailable \(REQUIRED: failure\): engine 'python3': hello \(request 1\) failed: it exited with code 4/,
    );
    const mine = fileURLToPath(new URL('../../../examples/my-network.mjs', import.meta.url));
    const l = await run(['--load', mine, '--backend', 'reference', '--clause', 'sgd', '--runs', '2']);
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/^clause\s+reference \(float64, js\)\s+my-network \(float64, js\)/);
    expect(l.out).toMatch(/sgd\.epoch\s+✓ +\d+ +\S+ ≤ \S+\s+○ n\/a/);
    await expect(run(['--load', './no-such.mjs'])).rejects.toThrow(/--load .\/no-such.mjs: cannot load/);
    await expect(run(['--engine', 'python3 "unclosed'])).rejects.toThrow(UsageError);
  }, 120_000);

  test('--family runs only those case families; a backend’s expectations are shown with their reasons', async () => {
    const r = await run(['--backend', 'reference', '--clause', 'bp3', '--family', 'deep', '--runs', '4']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^bp3\s+✓\s+2 /m);
    await expect(run(['--family', 'huge'])).rejects.toThrow(
      /--family: no case family 'huge'; families: small, wide, batch, deep, saturated, mnist, fixture/,
    );
    const x = await run(['--backend', 'known-bug', '--clause', 'bp2', '--clause', 'bp1', '--runs', '3']);
    expect(x.code).toBe(0);
    expect(x.out).toMatch(/^bp2\s+⊘ xfail$/m);
    expect(x.out).toMatch(/^⊘ bp2 on known-bug: expected failure \(W for Wᵀ, a known defect\): δ/m);
  }, 60_000);

  test('usage errors name the problem', async () => {
    await expect(run(['--backend', 'no-such'])).rejects.toThrow(
      /unknown backend 'no-such'; registered: .*reference/,
    );
    await expect(run(['--report', 'xml'])).rejects.toThrow(UsageError);
    await expect(run(['--clause', 'bp9'])).rejects.toThrow(/no clause matches 'bp9'/);
    await expect(run(['--runs', '0'])).rejects.toThrow(/--runs must be an integer ≥ 1/);
  });

  test('--mutants kills every mutant with its target clause', async () => {
    const r = await run(['--mutants', '--runs', '10']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`mutation score: ${MUTANTS.length}/${MUTANTS.length} \\(100%\\)`));
    expect(r.out).not.toMatch(/SURVIVED/);
  }, 120_000);

  test('--list shows each backend with its dtype, version where known, and availability', async () => {
    const r = await run(['--list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^reference\s+float64\s+.*available \(js\)/m);
    expect(r.out).toMatch(/^nowhere\s+float32\s+.*unavailable: no device/m);
    expect(r.out).toMatch(/^onnx-cpu\s+float32\s+.*onnxruntime-node 1\.29\.0\s+available \(cpu\)/m);
    expect(r.out).toMatch(/^ort-web-wasm\s+float32\s+.*onnxruntime-web 1\.30\.0\s+available \(wasm\)/m);
    expect(r.out).toMatch(/^tfjs-cpu\s+float32\s+.*TensorFlow\.js 4\.22\.0\s+available \(cpu\)/m);
  }, 60_000); // probes every engine for real: ONNX Runtime, TF.js, onnxruntime-web, PyTorch

  test('--list with --engine and --load lists those targets too, each with its availability', async () => {
    const numpy = fileURLToPath(new URL('../../protocol/python/examples/numpy_network.py', import.meta.url));
    const mine = fileURLToPath(new URL('../../../examples/my-network.mjs', import.meta.url));
    const r = await run(['--list', '--engine', `python3 ${numpy}`, '--load', mine]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^numpy-network\s+float64\s+.*numpy-network 1\.0 \(NumPy [\d.]+\)\s+available \(cpu\)/m,
    );
    expect(r.out).toMatch(/^my-network\s+float64\s+.*available/m);
  }, 60_000); // starts a Python engine
});
