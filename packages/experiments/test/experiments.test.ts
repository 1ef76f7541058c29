import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendNames, UsageError } from '@backprop/cli/kit';
import {
  availability,
  createReferenceBackend,
  getBackend,
  initParams,
  loadModel,
  type Params,
  train,
} from '@backprop/core';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { batchGradient, meanAbsWeightGradient } from '../src/gradients.js';
import {
  collapseAffine,
  EXPERIMENTS,
  experimentCommand,
  loadDigits,
  main,
  runActivation,
  runBatchSize,
  runLinear,
  runNoise,
  runRandomLabels,
  shuffleLabels,
  writeExperiment,
} from '../src/index.js';
import { leastSquaresAffine } from '../src/least-squares.js';
import { histogram } from '../src/stats.js';

// Structural checks only: files written, shapes, every number finite. Whether a claim holds is
// a measurement, reported in docs/experiments.md, never asserted here.

const dir = mkdtempSync(join(tmpdir(), 'backprop-experiments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const common = { seed: 7, backend: 'reference' };

/**
 * Every number in `value` is finite and nothing is null (JSON writes NaN and ±Inf as null),
 * except under `stepsTo`, where null means "accuracy level not reached within the budget".
 */
function expectAllFinite(value: unknown, path = 'result'): void {
  if (value === null) {
    if (/\.stepsTo\.[0-9.]+$/.test(path)) return;
    throw new Error(`${path} is null (a NaN or infinity before JSON)`);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) expectAllFinite(v, `${path}[${i}]`);
  } else if (typeof value === 'object')
    for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${path}.${k}`);
}

/** Write the experiment's files and check each: JSON round trip, an SVG, a decodable PNG. */
async function expectFiles(
  name: string,
  out: { result: object; chart: Parameters<typeof writeExperiment>[3] },
) {
  const files = await writeExperiment(join(dir, name), name, out.result, out.chart);
  const json = JSON.parse(readFileSync(files.json, 'utf8'));
  expectAllFinite(json);
  expect(json.experiment).toBe(name);
  expect(readFileSync(files.svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  const png = PNG.sync.read(readFileSync(files.png));
  expect(png.width).toBeGreaterThan(300);
  expect(png.height).toBeGreaterThan(150);
  return json;
}

describe('noise', () => {
  it('trains, shows noise and digits, and writes the result, chart and model', async () => {
    const out = await runNoise({
      ...common,
      trainCount: 300,
      epochs: 1,
      batchSize: 10,
      eta: 3,
      samples: 200,
    });
    const r = out.result;
    for (const s of [r.noise, r.digits]) {
      expect(s.count).toBe(200);
      expect(s.predicted).toHaveLength(10);
      expect(s.predicted.reduce((a, b) => a + b, 0)).toBe(200);
      expect(s.histogram).toHaveLength(20);
      expect(s.histogram.reduce((a, b) => a + b.count, 0)).toBe(200);
      expect(s.meanMax).toBeGreaterThanOrEqual(0);
      expect(s.meanMax).toBeLessThanOrEqual(1);
    }
    expect(r.digits.accuracy).toBeGreaterThanOrEqual(0);
    expect(out.model.params.weights.map((w) => w.length)).toEqual([784 * 16, 16 * 16, 16 * 10]);
    await expectFiles('noise', out);
  }, 30_000);
});

describe('random-labels', () => {
  it('shuffles labels as a permutation: same class counts, different pairing', () => {
    const { train } = loadDigits({ trainCount: 500 });
    const shuffled = shuffleLabels(train, 3);
    const count = (l: Uint8Array) => Array.from({ length: 10 }, (_, k) => l.filter((x) => x === k).length);
    expect(count(shuffled.labels)).toEqual(count(train.labels));
    let same = 0;
    for (let i = 0; i < 500; i++) if (shuffled.labels[i] === train.labels[i]) same++;
    expect(same).toBeLessThan(150);
  });

  it('records a cost curve for true and shuffled labels', async () => {
    const out = await runRandomLabels({
      ...common,
      trainCount: 300,
      testCount: 200,
      epochs: 2,
      batchSize: 10,
      eta: 3,
      window: 5,
    });
    const r = out.result;
    expect(r.runs.map((x) => x.labels)).toEqual(['true', 'shuffled']);
    for (const run of r.runs) {
      expect(run.curve).toHaveLength(12); // 2 epochs × 30 steps / 5
      expect(run.epochs).toHaveLength(2);
    }
    expect(r.constantCost).toBeGreaterThan(0);
    await expectFiles('random-labels', out);
  }, 30_000);
});

describe('batch-size', () => {
  it('trains each batch size on the same budget and measures the gradient error', async () => {
    const out = await runBatchSize({
      ...common,
      sizes: [1, 8, 32],
      epochs: 1,
      trainCount: 256,
      validationCount: 100,
      testCount: 100,
      eta: 3,
      gradientSamples: 4,
      gradientCount: 256,
    });
    const r = out.result;
    expect(r.runs.map((x) => x.batchSize)).toEqual([1, 8, 32]);
    expect(r.runs.map((x) => x.steps)).toEqual([256, 32, 8]);
    for (const run of r.runs) expect(run.secondsPerEpoch).toBeGreaterThan(0);
    expect(r.gradient.init.map((g) => g.batchSize)).toEqual([1, 8, 32]);
    expect(r.gradient.trained).toHaveLength(3);
    await expectFiles('batch-size', out);
  }, 30_000);
});

describe('activation', () => {
  it('probes |∂C/∂W^l| for every layer of every run', async () => {
    const out = await runActivation({
      ...common,
      shapes: [
        [784, 8, 10],
        [784, 8, 8, 8, 10],
      ],
      epochs: 1,
      trainCount: 200,
      validationCount: 100,
      testCount: 100,
      batchSize: 10,
      cost: 'cross-entropy',
      etaSigmoid: 0.5,
      etaRelu: 0.1,
      probeCount: 50,
      probes: 4,
    });
    const r = out.result;
    expect(r.runs.map((x) => x.name)).toEqual([
      'sigmoid 784-8-10',
      'relu 784-8-10',
      'sigmoid 784-8-8-8-10',
      'relu 784-8-8-8-10',
    ]);
    for (const run of r.runs) {
      // 20 steps: every 20/4 = 5, and 5^(i/4) for i = 1..4 (1, 2, 3, 5) early; the last after the end
      expect(run.probes.map((p) => p.step)).toEqual([0, 1, 2, 3, 5, 10, 15, 20]);
      for (const p of run.probes) expect(p.meanAbsGradW).toHaveLength(run.sizes.length - 1);
    }
    await expectFiles('activation', out);
  }, 30_000);
});

describe('linear', () => {
  it('collapses an identity network into W^3 W^2 W^1 x + b exactly', async () => {
    const sizes = [784, 16, 16, 10];
    const spec = { sizes, activation: 'identity' as const, cost: 'quadratic' as const };
    const params = initParams(spec, 5, 'scaled-normal');
    const flat: Params = collapseAffine(sizes, params);
    expect(flat.weights[0]).toHaveLength(7840);
    const x = Float64Array.from({ length: 784 * 3 }, (_, i) => ((i * 37) % 255) / 255);
    const deep = (await createReferenceBackend(spec, params).forward(x, 3)).activations[3]!;
    const one = (await createReferenceBackend({ ...spec, sizes: [784, 10] }, flat).forward(x, 3))
      .activations[1]!;
    for (let i = 0; i < 30; i++) expect(one[i]).toBeCloseTo(deep[i]!, 10);
  });

  it('solves least squares: at the solution ∂C/∂W = −λW and ∂C/∂b = 0', async () => {
    const { train } = loadDigits({ trainCount: 400 });
    const ridge = 1e-3;
    const p = leastSquaresAffine(train, ridge);
    const backend = createReferenceBackend(
      { sizes: [784, 10], activation: 'identity', cost: 'quadratic' },
      p,
    );
    const idx = Uint32Array.from({ length: 400 }, (_, i) => i);
    const g = await batchGradient(backend, train, idx);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < 7840; i++) {
      worst = Math.max(worst, Math.abs(g.weights[0]![i]! + ridge * p.weights[0]![i]!));
      scale = Math.max(scale, Math.abs(ridge * p.weights[0]![i]!));
    }
    for (const gb of g.biases[0]!) worst = Math.max(worst, Math.abs(gb));
    expect(scale).toBeGreaterThan(1e-6); // the ridge term is not trivially zero
    expect(worst).toBeLessThan(1e-9);
  });

  it('trains three networks and checks the collapse on the test set', async () => {
    const out = await runLinear({
      ...common,
      epochs: 1,
      trainCount: 300,
      validationCount: 100,
      testCount: 200,
      batchSize: 10,
      etaIdentity: 0.01,
      etaSigmoid: 3,
      scatterCount: 20,
      ridge: 1e-6,
    });
    const r = out.result;
    expect(r.runs.map((x) => x.name)).toEqual([
      'identity 784-16-16-10',
      'identity 784-10',
      'sigmoid 784-16-16-10',
    ]);
    expect(r.collapse.count).toBe(200);
    expect(r.collapse.sample).toHaveLength(200);
    expect(r.collapse.samePrediction).toBeLessThanOrEqual(200);
    expect(r.runs.every((run) => run.trainCost > 0)).toBe(true);
    expect(r.bestAffine.trainCost).toBeGreaterThan(0);
    await expectFiles('linear', out);
  }, 30_000);
});

// The same experiment through the backend registry on ONNX Runtime, where it can start here.
const onnxCpu = await backendNames().then(async (names) =>
  names.includes('onnx-cpu') ? (await availability(getBackend('onnx-cpu'))).available : false,
);

describe('on another backend', () => {
  it.skipIf(!onnxCpu)(
    'runs linear on onnx-cpu and reports that backend',
    async () => {
      const out = await runLinear({
        ...common,
        backend: 'onnx-cpu',
        epochs: 1,
        trainCount: 200,
        validationCount: 100,
        testCount: 100,
        batchSize: 10,
        etaIdentity: 0.01,
        etaSigmoid: 3,
        scatterCount: 5,
        ridge: 1e-6,
      });
      expect(out.result.backend).toMatchObject({ name: 'onnx-cpu', dtype: 'float32' });
      expect(out.result.collapse.count).toBe(100);
      await expectFiles('linear', out);
    },
    30_000,
  );
});

const experiment = (name: string) => experimentCommand(EXPERIMENTS.find((e) => e.name === name)!);

describe('pnpm experiment (the program)', () => {
  it('writes NAME.json with the command, NAME.svg, NAME.png and the noise model', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const outDir = join(dir, 'cli');
      const argv = [
        'noise',
        '--epochs',
        '1',
        '--train-count',
        '200',
        '--samples',
        '100',
        '--out-dir',
        outDir,
        '--quiet',
        '--seed',
        '2',
      ];
      expect(await main(argv)).toBe(0);
      for (const f of ['noise.json', 'noise.svg', 'noise.png', 'noise-model.json'])
        expect(existsSync(join(outDir, f))).toBe(true);
      const json = JSON.parse(readFileSync(join(outDir, 'noise.json'), 'utf8'));
      expect(json.command).toBe(`pnpm experiment ${argv.join(' ')}`);
      expect(loadModel(join(outDir, 'noise-model.json')).spec.sizes).toEqual([784, 16, 16, 10]);
    } finally {
      log.mockRestore();
    }
  }, 30_000);

  it('rejects an unknown flag, a bad backend and bad sizes as usage errors', async () => {
    await expect(experiment('noise').run(['--window', '3'])).rejects.toThrow(UsageError);
    await expect(experiment('linear').run(['--backend', 'abacus'])).rejects.toThrow(
      /--backend: unknown backend 'abacus'/,
    );
    await expect(experiment('batch-size').run(['--sizes', '1,x'])).rejects.toThrow(/--sizes/);
    await expect(experiment('noise').run(['--samples', '20000', '--epochs', '0'])).rejects.toThrow(
      /--samples must be at most 10000/,
    );
  });

  it('lists every experiment in its overview, and each one its own flags and the common ones in --help', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['--help'])).toBe(0);
      const overview = log.mock.calls.map((c) => c.join(' ')).join('\n');
      for (const name of ['noise', 'random-labels', 'batch-size', 'activation', 'linear', '--out-dir'])
        expect(overview).toContain(name);
    } finally {
      log.mockRestore();
    }
    const help = experiment('activation').help;
    for (const flag of [
      '--eta-relu',
      '--eta-sigmoid',
      '--shapes',
      '--probes',
      '--seed',
      '--backend',
      '--quiet',
    ])
      expect(help).toContain(flag);
    expect(help).toMatch(/--eta-relu X +η of the ReLU networks \(default 0\.1\)/);
  });
});

describe('activation probes', () => {
  it('measure the gradient with the parameters after exactly their step (between steps of core’s train)', async () => {
    const shape = [784, 8, 10];
    const out = await runActivation({
      ...common,
      shapes: [shape],
      epochs: 1,
      trainCount: 200,
      validationCount: 50,
      testCount: 50,
      batchSize: 10,
      cost: 'cross-entropy',
      etaSigmoid: 0.5,
      etaRelu: 0.1,
      probeCount: 50,
      probes: 4,
    });
    const probed = out.result.runs[0]!.probes;
    expect(probed.map((p) => p.step)).toEqual([0, 1, 2, 3, 5, 10, 15, 20]);
    // The same run, its parameters taken after every step, and the probe batch's gradient there.
    const spec = { sizes: shape, activation: 'sigmoid', cost: 'cross-entropy' } as const;
    const { train: data } = loadDigits({ trainCount: 200 });
    const backend = createReferenceBackend(spec, initParams(spec, common.seed, 'scaled-normal'));
    const after: Params[] = [await backend.getParams()];
    await train(backend, data, {
      epochs: 1,
      batchSize: 10,
      eta: 0.5,
      seed: common.seed,
      betweenSteps: async () => void after.push(await backend.getParams()),
    });
    const probeIdx = Uint32Array.from({ length: 50 }, (_, i) => i);
    for (const p of probed) {
      const at = createReferenceBackend(spec, after[p.step]!);
      const g = await batchGradient(at, data, probeIdx);
      expect(p.meanAbsGradW, `step ${p.step}`).toEqual(meanAbsWeightGradient(g));
    }
  }, 30_000);
});

describe('stats', () => {
  it('bins every value, clamping the ends', () => {
    const h = histogram([0, 0.05, 0.5, 1, 1.2, -1], 0, 1, 10);
    expect(h.map((b) => b.count)).toEqual([3, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
  });
});
