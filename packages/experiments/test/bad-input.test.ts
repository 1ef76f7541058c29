import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Bad input through the built program as a user runs it (`node dist/bin.js …`, what
 * `pnpm experiment` runs): every mistake is a usage error naming it, exit code 2, never a stack trace.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');

function run(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { timeout: 60_000, env: { ...process.env, BACKPROP_DEBUG: '' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** [arguments, what the message must name] */
const cases: [string[], string][] = [
  [[], 'random-labels'],
  [['no-such-experiment'], "unknown experiment 'no-such-experiment'"],
  [['--bogus'], '--bogus'],
  [['noise', '--bogus'], "Unknown option '--bogus'"],
  [['noise', '--epochs', 'many'], '--epochs must be a number'],
  [['noise', 'extra'], "unexpected argument 'extra'"],
  [['activation', '--shapes', '784-16-9'], '--shapes'],
  [['batch-size', '--sizes', '0,10'], '--sizes'],
  [['linear', '--eta-identity', '0'], '--eta-identity must be greater than 0'],
  [['random-labels', '--train-count', '60000'], '--train-count must be an integer from 1 to 50000'],
  [['linear', '--backend', 'abacus'], "--backend: unknown backend 'abacus'"],
  [['noise', '--data-dir', 'no/such/dir'], '--data-dir'],
];

describe.concurrent('pnpm experiment: usage errors exit 2, name the mistake, no stack trace', () => {
  for (const [args, names] of cases)
    it(`pnpm experiment ${args.join(' ')}`, async () => {
      const r = await run(args);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toContain(names);
      expect(r.output).not.toMatch(/^\s+at .+[:(]/m);
      expect(r.output).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/);
    });
});
