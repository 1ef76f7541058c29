import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRunFile } from '@backprop/core';
import { toMnistImage } from '@backprop/data';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `backprop predict` and `backprop evaluate` (issue 15, item 7) through the built CLI, on a
 * model it trained: a digit drawn as a person would (scripts/draw-digit.mjs: a dark blue pen on
 * off-white paper, 180×240 px) goes through the one preprocessing the web app uses,
 * toMnistImage; evaluate agrees with what train measured on the same test set.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const fixtures = resolve(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'backprop-predict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (error, stdout, stderr) =>
        done({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          output: `${stdout}${stderr}`,
        }),
    ),
  );
}

const model = join(dir, 'm', 'model.json');
beforeAll(async () => {
  const r = await cli([
    'train',
    '--layers',
    '784,30,10',
    '--epochs',
    '2',
    '--train-count',
    '20000',
    '--validation-count',
    '0',
    '--out',
    'm',
    '--quiet',
  ]);
  expect(r.code, r.output).toBe(0);
}, 120_000);

describe('backprop predict', () => {
  it('a drawn 7 (PNG, any size and colours): the class, ten outputs, the digit as the network saw it', async () => {
    const png = join(fixtures, 'drawn-7.png');
    const r = await cli(['predict', model, png]);
    expect(r.code, r.output).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      `${png}: 180×240 px, dark strokes on light (inverted); digit 142×207 px at (19, 18), fitted into 20×20 and centred by its centre of mass`,
    );
    expect(lines[1]).toMatch(/^predicted 7 \(output 0\.\d{4}\)$/);
    expect(lines.filter((l) => /^ {2}\d {2}/.test(l))).toHaveLength(10);
    expect(r.stdout).toContain('the digit as the network saw it (28×28):');
  }, 60_000);

  it('--json: the pixels are exactly toMnistImage of the decoded PNG, the class the largest output', async () => {
    const png = join(fixtures, 'drawn-4.png');
    const r = await cli(['predict', model, png, '--json']);
    expect(r.code, r.output).toBe(0);
    const j = JSON.parse(r.stdout);
    const decoded = PNG.sync.read(readFileSync(png));
    const shared = toMnistImage({
      width: decoded.width,
      height: decoded.height,
      data: decoded.data,
      channels: 4,
    });
    expect(j.pixels).toEqual(Array.from(shared.pixels)); // the one shared preprocessing
    expect(j.outputs).toHaveLength(10);
    expect(j.predicted).toBe(j.outputs.indexOf(Math.max(...j.outputs)));
    expect(j.predicted).toBe(4);
    expect(j).toMatchObject({ width: 180, height: 240, inverted: true, model });
  }, 60_000);

  it('--index N: an IDX test image with its label, and whether the network is right', async () => {
    const r = await cli(['predict', model, '--index', '0', '--json']);
    expect(r.code, r.output).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ split: 'test', index: 0, label: 7 }); // MNIST's first test image is a 7
    expect(j.correct).toBe(j.predicted === 7);
    expect(j.pixels).toHaveLength(784);
    const text = await cli(['predict', model, '--index', '0']);
    expect(text.stdout.split('\n')[0]).toMatch(/^test example 0 of .*: label 7$/);
    expect(text.stdout).toMatch(/^predicted \d \(output [\d.]+\) — the label is 7: (right|wrong)$/m);
  }, 60_000);
});

describe('backprop evaluate', () => {
  it('--json: the accuracy, cost and confusion matrix train measured on the same test set', async () => {
    const r = await cli(['evaluate', model, '--json']);
    expect(r.code, r.output).toBe(0);
    const j = JSON.parse(r.stdout);
    const final = readRunFile(join(dir, 'm', 'run.json')).final!.test;
    expect(j.count).toBe(10000);
    expect(j.accuracy).toBe(final.accuracy);
    expect(j.cost).toBe(final.cost);
    expect(j.confusion).toEqual(final.confusion);
    expect(j.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
    expect(j.classAccuracy).toHaveLength(10);
  }, 60_000);

  it('prints accuracy in percent, the confusion matrix and accuracy per class', async () => {
    const r = await cli(['evaluate', model, '--split', 'train', '--train-count', '1000']);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/^train set: 1000 examples of /m);
    expect(r.stdout).toMatch(/^accuracy \d+\.\d{2}% \(\d+\/1000\), cost \d\.\d{4}$/m);
    expect(r.stdout).toContain('confusion matrix (rows: true class, columns: predicted)');
    expect(r.stdout).toMatch(/^accuracy per class: 0 [\d.]+%, 1 /m);
  }, 60_000);

  it('an example number out of range is refused: exit 2, the range named', async () => {
    const small = await cli([
      'train',
      '--layers',
      '784,10',
      '--epochs',
      '1',
      '--train-count',
      '500',
      '--validation-count',
      '0',
      '--out',
      'small',
      '--quiet',
    ]);
    expect(small.code, small.output).toBe(0);
    const r = await cli(['predict', join(dir, 'small', 'model.json'), '--index', '10000']);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(
      /example 10000 is out of range: the test set has 10000 examples, numbered 0–9999/,
    );
  }, 60_000);
});
