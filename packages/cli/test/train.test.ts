import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flattenParams, loadModel, readRunFile } from '@backprop/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { formatConfusion, parseTrainFlags } from '../src/commands/train/index.js';
import { main } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let log: MockInstance;
let err: MockInstance;
beforeEach(() => {
  log = vi.spyOn(console, 'log').mockImplementation(() => {});
  err = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());
const printed = (spy: MockInstance) => spy.mock.calls.map((c) => c.join(' ')).join('\n');

// A small but real run: 2,000 MNIST training images, 500 validation, the full test set.
const SMALL = ['--train-count', '2000', '--validation-count', '500', '--quiet'];

describe('backprop train flags', () => {
  it('--help explains every flag', async () => {
    expect(await main(['train', '--help'])).toBe(0);
    const help = printed(log);
    for (const flag of [
      'layers',
      'activation',
      'cost',
      'init',
      'epochs',
      'batch-size',
      'eta',
      'momentum',
      'weight-decay',
      'seed',
      'backend',
      'data-dir',
      'train-count',
      'validation-count',
      'out',
      'run',
      'model',
      'log-every',
      'quiet',
    ])
      expect(help).toMatch(new RegExp(`--${flag}\\b`));
  });

  it("defaults reproduce the document's network with Nielsen's settings", () => {
    const c = parseTrainFlags([], new Date(2026, 0, 2, 3, 4, 5));
    expect(c.settings.spec).toEqual({ sizes: [784, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' });
    expect(c.settings).toMatchObject({
      init: 'normal',
      eta: 3,
      batchSize: 10,
      epochs: 30,
      seed: 1,
      momentum: 0,
      weightDecay: 0,
      lastBatch: 'keep',
      logEvery: 100,
    });
    expect(c.data).toEqual({ dir: null, trainCount: 50000, validationCount: 10000 });
    expect(c.backend).toBe('reference');
    expect(c.paths.run).toBe(join('runs', '20260102-030405-reference', 'run.json'));
    expect(c.paths.model).toBe(join('runs', '20260102-030405-reference', 'model.json'));
    expect(c.paths.checkpoint).toBe(join('runs', '20260102-030405-reference', 'checkpoint.json'));
    const j = parseTrainFlags(['--out', 'runs/onnx-cpu.json']);
    expect([j.paths.run, j.paths.model, j.paths.checkpoint, j.name]).toEqual([
      'runs/onnx-cpu.json',
      join('runs', 'onnx-cpu.model.json'),
      join('runs', 'onnx-cpu.checkpoint.json'),
      'onnx-cpu',
    ]);
  });

  const bad: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--eta=-1'], /--eta must be greater than 0/],
    [['--eta', 'fast'], /--eta must be a number/],
    [['--epochs', '1.5'], /--epochs must be an integer/],
    [['--batch-size', '0'], /--batch-size must be an integer ≥ 1/],
    [['--activation', 'tanh'], /--activation must be one of sigmoid, relu, identity/],
    [['--cost', 'hinge'], /--cost must be one of quadratic, squared-error, cross-entropy/],
    [['--init', 'xavier'], /--init must be one of normal, scaled-normal/],
    [['--layers', '784,,10'], /--layers must be at least two positive integers/],
    [['--layers', '784'], /--layers must be at least two positive integers/],
    [['--momentum', '1'], /--momentum must be in \[0, 1\)/],
    [['--weight-decay=-0.1'], /--weight-decay must be ≥ 0/],
    [['--seed', 'x'], /--seed must be a number/],
    [
      ['--layers', '100,10', ...SMALL],
      /--layers 100,10 does not fit the data: the first size must be its 784 inputs/,
    ],
    [['--layers', '784,30,2', ...SMALL], /the last its 10 classes/],
    [['--train-count', '55000'], /more than the 60000 images/],
    [['--backend', 'abacus', ...SMALL], /unknown backend 'abacus'; known: reference/],
    [['--data-dir', '/nonexistent/mnist'], /--data-dir: .*no such directory/],
  ];
  for (const [argv, message] of bad)
    it(`exits 2 with a usage error for ${argv.slice(0, 2).join(' ')}`, async () => {
      expect(await main(['train', ...argv])).toBe(2);
      expect(printed(err)).toMatch(message);
      expect(printed(err)).toMatch(/Try 'backprop train --help'/);
    });
});

describe('backprop train on MNIST', () => {
  it('prints per-epoch lines and the final test accuracy and confusion matrix; writes a complete run file and a model file', async () => {
    const out = join(dir, 'small');
    const argv = [
      'train',
      '--train-count',
      '2000',
      '--validation-count',
      '500',
      '--epochs',
      '2',
      '--log-every',
      '50',
    ];
    expect(await main([...argv, '--out', out])).toBe(0);
    const text = printed(log);
    expect(text).toMatch(/epoch 1\/2 {2}validation \d+\.\d\d% cost 0\.\d{4} {2}test \d+\.\d\d% {2}\d+\.\d s/);
    expect(text).toMatch(/epoch 2\/2/);
    expect(text).toMatch(/test accuracy \d+\.\d\d% \(\d+\/10000\)/);
    expect(text).toContain('true\\pred');

    const run = readRunFile(join(out, 'run.json'));
    expect(run.status).toBe('completed');
    expect(run.config).toMatchObject({
      spec: { sizes: [784, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
      init: 'normal',
      epochs: 2,
      batchSize: 10,
      eta: 3,
      seed: 1,
      logEvery: 50,
      data: {
        trainCount: 2000,
        validationCount: 500,
        testCount: 10000,
        inputSize: 784,
        classes: 10,
        dir: null,
      },
    });
    expect(run.backend).toEqual({ name: 'reference', dtype: 'float64', device: 'js' });
    expect(run.environment.node).toBe(process.version);
    expect(run.environment.onnxruntime).toBeNull(); // not an ONNX Runtime backend
    expect(run.curve.steps.map((p) => p.step)).toEqual(Array.from({ length: 8 }, (_, i) => 50 * (i + 1)));
    expect(run.curve.epochs.map((e) => e.step)).toEqual([200, 400]);
    expect(run.curve.epochs[1]!.validation!.accuracy).toBeGreaterThan(0.5);
    expect(run.final!.test.count).toBe(10000);
    expect(run.final!.test.confusion.flat().reduce((s, n) => s + n, 0)).toBe(10000);
    expect(run.final!.test.accuracy).toBe(run.curve.epochs[1]!.test!.accuracy);
    expect(run.modelFile).toBe('model.json');

    const model = loadModel(join(out, 'model.json'));
    expect(model.spec.sizes).toEqual([784, 16, 16, 10]);
    expect(model.provenance).toMatchObject({
      seed: 1,
      epochs: 2,
      eta: 3,
      testAccuracy: run.final!.test.accuracy,
      runFile: 'run.json',
    });

    // The same seed and flags give bit-identical parameters.
    const again = join(dir, 'small-again.json');
    expect(await main([...argv, '--quiet', '--out', again])).toBe(0);
    const model2 = loadModel(join(dir, 'small-again.model.json'));
    expect(
      Buffer.from(flattenParams(model2.params).buffer).equals(
        Buffer.from(flattenParams(model.params).buffer),
      ),
    ).toBe(true);
  });

  it('stops with a message naming the learning rate when the cost becomes NaN or Inf', async () => {
    const out = join(dir, 'diverged');
    const code = await main([
      'train',
      ...SMALL,
      '--activation',
      'identity',
      '--eta',
      '100',
      '--epochs',
      '3',
      '--out',
      out,
    ]);
    expect(code).toBe(1);
    expect(printed(err)).toMatch(
      /the cost became (NaN|Infinity) at step \d+ \(epoch 1\) with learning rate η = 100; training diverged\. Try a smaller learning rate/,
    );
    const run = readRunFile(join(out, 'run.json'));
    expect(run.status).toBe('diverged');
    expect(run.final).toBeNull();
    expect(existsSync(join(out, 'model.json'))).toBe(false);
  });
});

describe('formatConfusion', () => {
  it('prints rows as the true class and columns as the prediction', () => {
    const t = formatConfusion([
      [5, 1],
      [2, 7],
    ]);
    expect(t.split('\n')).toEqual(['true\\pred    0    1', '0            5    1', '1            2    7']);
  });
});
