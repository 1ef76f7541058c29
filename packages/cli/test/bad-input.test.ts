import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initParams, serializeModel } from '@backprop/core';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Bad input, through the built CLI as a user runs it (`node dist/bin.js …`): every mistake in
 * the flags is a usage error that names the flag, exit code 2, and never a stack trace; a
 * malformed model or run file is refused with a message naming the field, exit code 1.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A valid model file in the working directory, so that the cases below fail for their flag only.
const tinySpec = { sizes: [784, 16, 10], activation: 'sigmoid', cost: 'quadratic' } as const;
writeFileSync(
  join(dir, 'model.json'),
  serializeModel({ spec: tinySpec, params: initParams(tinySpec, 3), provenance: {} }),
);

interface Outcome {
  readonly code: number | null;
  readonly output: string;
}

function cli(args: readonly string[]): Promise<Outcome> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, timeout: 60_000, env: { ...process.env, BACKPROP_DEBUG: '' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** No line of a stack trace ("    at f (file:1:2)") and no internal error names. */
function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at .+[:(]/m);
  expect(output).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/);
}

// A small model and run file to corrupt, written by the real CLI.
const SMALL = ['--layers', '784,16,10', '--epochs', '1', '--train-count', '1000', '--validation-count', '0'];
let modelText = '';
let runText = '';
async function files(): Promise<void> {
  if (modelText) return;
  const r = await cli(['train', ...SMALL, '--quiet', '--out', join(dir, 'good')]);
  expect(r.code, r.output).toBe(0);
  modelText = readFileSync(join(dir, 'good', 'model.json'), 'utf8');
  runText = readFileSync(join(dir, 'good', 'run.json'), 'utf8');
}

/** [command line, the flag or argument the message must name] */
const usageCases: [string[], string][] = [
  // train
  [['train', '--bogus'], '--bogus'],
  [['train', '--epochs', 'three'], '--epochs'],
  [['train', '--epochs', '0'], '--epochs'],
  [['train', '--epochs', '2.5'], '--epochs'],
  [['train', '--epochs'], '--epochs'],
  [['train', '--batch-size', '0'], '--batch-size'],
  [['train', '--batch-size=-10'], '--batch-size'],
  [['train', '--batch-size', '-10'], '--batch-size'],
  [['train', '--eta', '0'], '--eta'],
  [['train', '--eta=-3'], '--eta'],
  [['train', '--eta', 'fast'], '--eta'],
  [['train', '--eta', 'Infinity'], '--eta'],
  [['train', '--eta', 'NaN'], '--eta'],
  [['train', '--layers', '784,0,10'], '--layers'],
  [['train', '--layers', '784,-16,10'], '--layers'],
  [['train', '--layers', '784,16,,10'], '--layers'],
  [['train', '--layers', '784'], '--layers'],
  [['train', '--layers', '100,10'], '--layers'],
  [['train', '--train-count', '0'], '--train-count'],
  [['train', '--train-count', '70000'], '--train-count'],
  [['train', '--validation-count=-1'], '--validation-count'],
  [['train', '--batch-size', '5000', '--train-count', '2000', '--validation-count', '0'], '--batch-size'],
  [['train', '--momentum', '1'], '--momentum'],
  [['train', '--weight-decay=-0.1'], '--weight-decay'],
  [['train', '--seed', '1.5'], '--seed'],
  [['train', '--activation', 'tanh'], '--activation'],
  [['train', '--cost', 'hinge'], '--cost'],
  [['train', '--backend', 'no-such-backend', '--epochs', '1', '--train-count', '100'], 'no-such-backend'],
  [['train', '--data-dir', 'no/such/dir'], '--data-dir'],
  [['train', '--log-every', '0'], '--log-every'],
  [['train', '--checkpoint-every', '0'], '--checkpoint-every'],
  [['train', '--checkpoint-every', 'often'], '--checkpoint-every'],
  [['train', '--resume', 'no/such/checkpoint.json'], '--resume'],
  [['train', '--resume', 'model.json', '--eta', '1'], '--eta'],
  [['train', '--resume'], '--resume'],
  // conformance
  [['conformance', '--bogus'], '--bogus'],
  [['conformance', '--backend', 'no-such-backend'], 'no-such-backend'],
  [['conformance', '--seed', 'abc'], '--seed'],
  // compare
  [['compare'], 'run file'],
  [['compare', '--bogus', 'x.json'], '--bogus'],
  [['compare', 'no-such-run.json'], 'no-such-run.json'],
  [['compare', 'x.json', '--out', 'chart.gif'], '--out'],
  // data
  [['data'], 'subcommand'],
  [['data', 'info', '--bogus'], '--bogus'],
  [['data', 'info', '--data-dir', 'no/such/dir'], '--data-dir'],
  [['data', 'info', '--train-count', 'many'], '--train-count'],
  [['data', 'show', 'seven'], 'seven'],
  [['data', 'show', '99999999'], '99999999'],
  [['data', 'show', '0', '--split', 'holdout'], '--split'],
  // weights
  [['weights'], 'model file'],
  [['weights', 'model.json', '--bogus'], '--bogus'],
  [['weights', 'model.json', '--layer', 'zero'], '--layer'],
  [['weights', 'no-such-model.json'], 'no-such-model.json'],
  // experiment: a pointer to the experiments of a checkout (their own bad input: packages/experiments)
  [['experiment'], 'pnpm experiment NAME'],
  [['experiment', 'noise', '--epochs', '3'], 'pnpm experiment noise --epochs 3'],
  // export
  [['export'], 'model file'],
  [['export', '--bogus', 'model.json'], '--bogus'],
  [['export', 'no-such-model.json'], 'no-such-model.json'],
  [['export', 'a.json', 'b.json'], 'one model file'],
  [['export', 'model.json', '--out', 'model.txt'], '--out'],
  [['export', 'model.json', '--check', 'all'], '--check'],
  // doctor and the command table
  [['doctor', '--bogus'], '--bogus'],
  [['no-such-command'], 'no-such-command'],
];

describe.concurrent('usage errors: exit code 2, the flag named, no stack trace', () => {
  for (const [args, names] of usageCases)
    it(`backprop ${args.join(' ')}`, async () => {
      const r = await cli(args);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toContain(names);
      expectNoStack(r.output);
    });
});

describe('malformed model and run files: exit code 1, the field named, no stack trace', () => {
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  // biome-ignore lint/suspicious/noExplicitAny: the cases corrupt arbitrary JSON
  type Json = Record<string, any>;
  const modelCases: [string, (j: Json) => unknown, RegExp][] = [
    [
      'a wrong version',
      (j) => ({ ...j, version: 7 }),
      /version should be 1 \(the version this build reads\), got 7/,
    ],
    ['a wrong format', (j) => ({ ...j, format: 'keras' }), /format/],
    [
      'a weight matrix of the wrong shape',
      (j) => ({
        ...j,
        params: { ...j.params, weights: [j.params.weights[0].slice(1), j.params.weights[1]] },
      }),
      /params\.weights\[0\]/,
    ],
    [
      'a null (NaN) parameter',
      (j) => {
        j.params.biases[1][3] = null;
        return j;
      },
      /params\.biases\[1\].*\[3\]/,
    ],
    [
      'a string parameter',
      (j) => {
        j.params.weights[1][37] = 'Infinity';
        return j;
      },
      /params\.weights\[1\].*\[37\]/,
    ],
    [
      'huge declared sizes',
      (j) => ({ ...j, spec: { ...j.spec, sizes: [784, 4_000_000_000, 10] }, parameterCount: undefined }),
      /spec\.sizes|params\.weights\[0\]/,
    ],
  ];
  for (const [what, corrupt, field] of modelCases)
    it(`backprop export: a model file with ${what}`, async () => {
      await files();
      const path = write(
        `model-${what.replace(/\W+/g, '-')}.json`,
        JSON.stringify(corrupt(JSON.parse(modelText))),
      );
      const r = await cli(['export', path, '--check', '0']);
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(field);
      expect(r.output).toContain(path);
      expectNoStack(r.output);
    });

  it('backprop export: a model file that is not JSON', async () => {
    const path = write('truncated.json', '{"format": "backprop-model", "version": 1, "spec": {');
    const r = await cli(['export', path]);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/is not JSON/);
    expectNoStack(r.output);
  });

  const runCases: [string, (j: Json) => unknown, RegExp][] = [
    ['a wrong version', (j) => ({ ...j, version: 2 }), /version/],
    ['a missing config', (j) => ({ ...j, config: undefined }), /config/],
    ['a negative batch size', (j) => ({ ...j, config: { ...j.config, batchSize: -1 } }), /config\.batchSize/],
    [
      'a string cost in the curve',
      (j) => {
        j.curve.steps[0].cost = 'NaN';
        return j;
      },
      /curve\.steps\[0\]\.cost/,
    ],
    [
      'a confusion matrix of the wrong shape',
      (j) => {
        j.final.test.confusion.pop();
        return j;
      },
      /final\.test\.confusion/,
    ],
  ];
  for (const [what, corrupt, field] of runCases)
    it(`backprop compare: a run file with ${what}`, async () => {
      await files();
      const path = write(
        `run-${what.replace(/\W+/g, '-')}.json`,
        JSON.stringify(corrupt(JSON.parse(runText))),
      );
      const r = await cli(['compare', path]);
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(field);
      expectNoStack(r.output);
    });

  it('backprop compare: a run file that is not JSON', async () => {
    const path = write('run-truncated.json', runText.slice(0, 100));
    const r = await cli(['compare', path]);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/is not JSON/);
    expectNoStack(r.output);
  });

  it('the uncorrupted model file is accepted (the cases above fail for their fault only)', async () => {
    const r = await cli(['export', join(dir, 'model.json'), '--check', '0']);
    expect(r.code, r.output).toBe(0);
  });
});
