import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRunFile } from '@backprop/core';
import { afterAll, describe, expect, it } from 'vitest';
import { colourEnabled } from '../src/colour.js';
import { EXIT_TABLE } from '../src/exit-codes.js';
import { BACKPROP } from '../src/main.js';
import { overview, type Program } from '../src/program.js';
import { RunEta } from '../src/progress.js';
import { closest } from '../src/suggest.js';

/**
 * Command-line basics (issue 15, items 6 and 8) through the built CLI: --version, `help CMD`,
 * "did you mean", --json summaries, colour only where it belongs, per-clause progress on a
 * terminal; and the pieces behind them (the ETA after --resume, the overview loading nothing).
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-basics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const environment: NodeJS.ProcessEnv = { ...process.env, BACKPROP_DEBUG: '', ...env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (!(k in env)) delete environment[k];
  return new Promise((done) =>
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, timeout: 60_000, env: environment },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    ),
  );
}

describe('the program', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8'));
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`backprop ${pkg.version}\n`);
  }, 30_000);

  it("'help CMD' prints what 'CMD --help' prints; every help ends with the one exit-code table", async () => {
    const a = await cli(['help', 'train']);
    const b = await cli(['train', '--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('Exit status (every command):');
    for (const [code] of EXIT_TABLE) expect(a.stdout).toMatch(new RegExp(`^  ${code} `, 'm'));
    const overall = await cli(['--help']);
    expect(overall.stdout).toMatch(/^ {2}predict +the digit a trained model sees/m);
    expect(overall.stdout).toMatch(/^ {2}evaluate +accuracy, cost and confusion matrix/m);
    expect(overall.stdout).toContain('Exit status (every command):');
  }, 30_000);

  it.each([
    [['traom'], /unknown command 'traom'\. Did you mean 'train'\?/],
    [['evalute', 'm.json'], /Did you mean 'evaluate'\?/],
    [['help', 'predcit'], /Did you mean 'predict'\?/],
    [['train', '--epoch', '3'], /Unknown option '--epoch'\. Did you mean --epochs\?/],
    [['predict', 'm.json', '--jsno'], /Did you mean --json\?/],
    [['data', 'shwo', '1'], /unknown subcommand 'shwo': use 'info' or 'show'\. Did you mean 'show'\?/],
  ])(
    '%j: exit 2 and a "did you mean"',
    async (args, message) => {
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    },
    30_000,
  );

  it('suggests only what is close', () => {
    expect(closest('xyz', ['train', 'predict'])).toBeUndefined();
    expect(closest('conf', ['train', 'conformance', 'compare'])).toBe('conformance'); // the only one it starts
    expect(closest('trian', ['train', 'data'])).toBe('train'); // a swap counts one
  });

  it('the overview loads no command', () => {
    const program: Program = {
      ...BACKPROP,
      commands: Object.fromEntries(
        Object.entries(BACKPROP.commands).map(([name, entry]) => [
          name,
          {
            summary: entry.summary,
            load: () => {
              throw new Error(`${name} was loaded`);
            },
          },
        ]),
      ),
    };
    expect(overview(program)).toContain('train');
  });
});

describe('colour', () => {
  it('on a terminal only; NO_COLOR turns it off, FORCE_COLOR decides over both', async () => {
    const red = '\x1b[31m';
    expect((await cli(['traom'])).stderr).not.toContain(red); // a pipe: no colour
    expect((await cli(['traom'], { FORCE_COLOR: '1' })).stderr).toContain(red);
    expect((await cli(['traom'], { FORCE_COLOR: '0' })).stderr).not.toContain(red);
    expect(colourEnabled({ isTTY: true }, { TERM: 'xterm' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { TERM: 'xterm', NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'xterm', NO_COLOR: '' })).toBe(true); // set but empty: ignored
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: 'true', NO_COLOR: '1' })).toBe(true);
  }, 30_000);
});

describe('--json summaries', () => {
  it('train --json: one JSON object on stdout, the same numbers as the run file; the lines go to stderr', async () => {
    const r = await cli([
      'train',
      '--epochs',
      '1',
      '--train-count',
      '1000',
      '--validation-count',
      '0',
      '--json',
      '--out',
      'j',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    const run = readRunFile(join(dir, 'j', 'run.json'));
    expect(j.status).toBe('completed');
    expect(j.test.accuracy).toBe(run.final!.test.accuracy);
    expect(j.test.confusion).toEqual(run.final!.test.confusion);
    expect(j.modelFile).toBe(join('j', 'model.json'));
    expect(j.warnings).toEqual([]);
    expect(r.stderr).toMatch(/^epoch 1\/1 /m);
  }, 60_000);

  it('data info --json, compare --json, doctor --json parse and say what the text says', async () => {
    const info = await cli(['data', 'info', '--json', '--train-count', '40000']);
    expect(info.code, info.stderr).toBe(0);
    const d = JSON.parse(info.stdout);
    expect(d.sets.train.examples).toBe(40000);
    expect(d.sets.test.examples).toBe(10000);
    expect(d.sets.train.perLabel.reduce((a: number, b: number) => a + b, 0)).toBe(40000);
    const cmp = await cli(['compare', join('j', 'run.json'), '--json']);
    expect(cmp.code, cmp.stderr).toBe(0);
    const c = JSON.parse(cmp.stdout);
    expect(c.runs[0]).toMatchObject({ backend: 'reference', dtype: 'float64' });
    expect(c.runs[0].finalAccuracy).toBe(readRunFile(join(dir, 'j', 'run.json')).final!.test.accuracy);
    const doc = await cli(['doctor', '--json']);
    expect(doc.code, doc.stderr).toBe(0);
    const o = JSON.parse(doc.stdout);
    expect(o.onnxruntime).toBe('1.29.0');
    expect(o.providers.find((p: { name: string }) => p.name === 'onnx-cpu')).toMatchObject({
      available: true,
    });
    for (const p of o.providers) expect(p.available ? p.device : p.reason).toEqual(expect.any(String));
  }, 90_000);
});

describe('progress', () => {
  it('the ETA of a resumed run is measured on its own steps, for the whole run', () => {
    let now = 0;
    const eta = new RunEta(1000, 500, () => now); // resumed at step 500 of 1000
    expect(eta.secondsLeft(500)).toBeNaN(); // no step of its own yet
    now = 1000; // 1 s for 100 steps
    expect(eta.secondsLeft(600)).toBeCloseTo(4); // 400 steps left at 100 per second
    const fresh = new RunEta(1000, 0, () => now);
    now = 2000;
    expect(fresh.secondsLeft(100)).toBeCloseTo(9);
  });

  it('per-epoch lines say how long the whole run has left', async () => {
    const r = await cli([
      'train',
      '--epochs',
      '2',
      '--train-count',
      '1000',
      '--validation-count',
      '0',
      '--out',
      'eta',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^epoch 1\/2 .*\(about \d+:\d\d left\)$/m);
  }, 60_000);

  it('conformance on a terminal shows the clause being checked', () => {
    const command = `${process.execPath} ${bin} conformance --backend reference --clause bp1 --runs 2`;
    const r = spawnSync('script', ['-qfec', command, '/dev/null'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TERM: 'xterm' },
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/conformance reference \(float64\) .* 1\/1 \| ETA [\d:]+ \| bp1/);
    expect(r.stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(r.stdout.lastIndexOf('\x1b[?25l'));
  }, 60_000);
});
