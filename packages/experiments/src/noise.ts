import { openBackend, UsageError } from '@backprop/cli/kit';
import { type Backend, DOCUMENT_SPEC, initParams, type Model } from '@backprop/core';
import { type DataSet, deriveSeed, fillInputs, Rng } from '@backprop/data';
import type { TopLevelSpec } from 'vega-lite';
import {
  accuracy,
  backendInfo,
  type CommonOptions,
  type ExperimentOutput,
  modelOf,
  type ResultHeader,
  resultHeader,
  type Settings,
  settingsOf,
  textTable,
  trainWithProgress,
} from './common.js';
import { loadDigits } from './data.js';
import { type Bin, histogram, mean, quantile } from './stats.js';

export const NOISE_CLAIM =
  'A trained network answers uniform noise with a confident digit, because it knows how to recognise digits, not what a digit is.';

/** Options of {@link runNoise}. */
export interface NoiseOptions extends CommonOptions {
  /** Use this network instead of training one. */
  readonly model?: Model;
  /** Training of the document's 784-16-16-10 network when no model is given. */
  readonly trainCount: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  /** How many noise images, and how many test digits, are shown to the network. */
  readonly samples: number;
}

/** How the network answered one kind of input. */
export interface AnswerStats {
  readonly count: number;
  /** Mean, median and quartiles of the largest output activation max_j a^L_j. */
  readonly meanMax: number;
  readonly medianMax: number;
  readonly q25Max: number;
  readonly q75Max: number;
  /** Mean gap between the largest and second-largest output: how decisive the answer is. */
  readonly meanMargin: number;
  /** Fraction of inputs whose largest output exceeds 0.5 and 0.9. */
  readonly above05: number;
  readonly above09: number;
  /** How many inputs were answered with each class (argmax of a^L). */
  readonly predicted: number[];
  /** Histogram of the largest output over [0, 1], 20 bins. */
  readonly histogram: Bin[];
}

/** The JSON result of the noise experiment. */
export interface NoiseResult extends ResultHeader {
  readonly config: Settings<NoiseOptions, 'model'> & {
    readonly modelGiven: boolean;
    readonly noise: string;
  };
  readonly network: {
    readonly sizes: number[];
    readonly activation: string;
    readonly cost: string;
    readonly testAccuracy: number;
  };
  readonly noise: AnswerStats;
  readonly digits: AnswerStats & { readonly accuracy: number };
}

/** Forward `count` rows made by `fill(rows, start, size)` and collect max output, margin and argmax. */
async function answers(
  backend: Backend,
  count: number,
  fill: (x: Float64Array, start: number, size: number) => void,
): Promise<{ max: Float64Array; margin: Float64Array; argmax: Uint8Array }> {
  const sizes = backend.spec.sizes;
  const n0 = sizes[0]!;
  const nL = sizes[sizes.length - 1]!;
  const chunk = 1000;
  const x = new Float64Array(chunk * n0);
  const max = new Float64Array(count);
  const margin = new Float64Array(count);
  const argmax = new Uint8Array(count);
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    fill(x, start, size);
    const aL = (await backend.forward(x, size)).activations[sizes.length - 1]!;
    for (let r = 0; r < size; r++) {
      let best = 0;
      for (let j = 1; j < nL; j++) if (aL[r * nL + j]! > aL[r * nL + best]!) best = j;
      let second = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < nL; j++) if (j !== best && aL[r * nL + j]! > second) second = aL[r * nL + j]!;
      max[start + r] = aL[r * nL + best]!;
      margin[start + r] = aL[r * nL + best]! - second;
      argmax[start + r] = best;
    }
  }
  return { max, margin, argmax };
}

function summarise(
  a: { max: Float64Array; margin: Float64Array; argmax: Uint8Array },
  classes: number,
): AnswerStats {
  const predicted = new Array<number>(classes).fill(0);
  for (const c of a.argmax) predicted[c]!++;
  let above05 = 0;
  let above09 = 0;
  for (const m of a.max) {
    if (m > 0.5) above05++;
    if (m > 0.9) above09++;
  }
  const n = a.max.length;
  return {
    count: n,
    meanMax: mean(a.max),
    medianMax: quantile(a.max, 0.5),
    q25Max: quantile(a.max, 0.25),
    q75Max: quantile(a.max, 0.75),
    meanMargin: mean(a.margin),
    above05: above05 / n,
    above09: above09 / n,
    predicted,
    histogram: histogram(a.max, 0, 1, 20),
  };
}

/**
 * Train the document's network (or take a given one), then show it `samples` images of
 * uniform noise (every pixel U(0, 1), seeded) and `samples` real test digits, and compare
 * the largest output activation and the predicted class of each.
 */
export async function runNoise(
  options: NoiseOptions,
): Promise<ExperimentOutput<NoiseResult> & { model: Model }> {
  const t0 = performance.now();
  const digits = loadDigits({ trainCount: options.trainCount, dataDir: options.dataDir }); // all 10,000 test digits
  const spec = options.model?.spec ?? DOCUMENT_SPEC;
  if (spec.sizes[0] !== digits.test.inputSize || spec.sizes[spec.sizes.length - 1] !== digits.test.classes)
    throw new UsageError(
      `--model: the model's sizes ${spec.sizes.join('-')} do not fit ${digits.test.inputSize} inputs and ${digits.test.classes} classes`,
    );
  if (options.samples > digits.test.count)
    throw new UsageError(
      `--samples must be at most ${digits.test.count} (the test digits available), got ${options.samples}`,
    );
  const params = options.model?.params ?? initParams(spec, options.seed, 'normal');
  const backend = await openBackend(options.backend, spec, params);
  try {
    let model = options.model;
    if (!model) {
      await trainWithProgress(backend, digits.train, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        eta: options.eta,
        seed: options.seed,
        label: `noise: training ${spec.sizes.join('-')} (${options.epochs} epochs of ${digits.train.count})`,
        progress: options.progress,
      });
      model = await modelOf(backend, {
        createdAt: new Date().toISOString(),
        init: 'normal',
        seed: options.seed,
        epochs: options.epochs,
        batchSize: options.batchSize,
        eta: options.eta,
        backend: backend.name,
        data: `${digits.source} (first ${digits.train.count} training examples)`,
      });
    }
    options.progress?.('noise: showing noise and digits', 0, 1);
    const testAccuracy = await accuracy(backend, digits.test);
    const n0 = spec.sizes[0]!;
    const rng = new Rng(deriveSeed(options.seed, 'noise/images'));
    const noise = await answers(backend, options.samples, (x, _start, size) => {
      for (let i = 0; i < size * n0; i++) x[i] = rng.nextFloat(); // every pixel U(0, 1)
    });
    const test: DataSet = digits.test;
    const rows = new Uint32Array(1000);
    const real = await answers(backend, options.samples, (x, start, size) => {
      for (let r = 0; r < size; r++) rows[r] = start + r;
      fillInputs(test, rows.subarray(0, size), x);
    });
    let correct = 0;
    for (let i = 0; i < options.samples; i++) if (real.argmax[i] === test.labels[i]) correct++;
    options.progress?.('noise: showing noise and digits', 1, 1);
    const classes = spec.sizes[spec.sizes.length - 1]!;
    const data = {
      source: digits.source,
      train: options.model ? 0 : digits.train.count,
      validation: 0,
      test: digits.test.count,
    };
    const result: NoiseResult = {
      ...resultHeader('noise', NOISE_CLAIM, backendInfo(backend), data, t0),
      config: {
        ...settingsOf(options, 'model'),
        modelGiven: options.model !== undefined,
        noise: 'every pixel drawn independently from U(0, 1)',
      },
      network: { sizes: [...spec.sizes], activation: spec.activation, cost: spec.cost, testAccuracy },
      noise: summarise(noise, classes),
      digits: { ...summarise(real, classes), accuracy: correct / options.samples },
    };
    return { result, chart: noiseChart(result), table: noiseTable(result), model };
  } finally {
    await backend.dispose();
  }
}

/** The terminal table of a noise result. */
export function noiseTable(r: NoiseResult): string[] {
  const row = (name: string, s: AnswerStats) => {
    const top = s.predicted.indexOf(Math.max(...s.predicted));
    return [
      name,
      s.count,
      s.meanMax,
      s.medianMax,
      s.meanMargin,
      s.above05,
      s.above09,
      `${top} (${((s.predicted[top]! / s.count) * 100).toFixed(1)}%)`,
    ];
  };
  return [
    `network ${r.network.sizes.join('-')} ${r.network.activation}, test accuracy ${(r.network.testAccuracy * 100).toFixed(2)}%`,
    ...textTable([
      ['input', 'count', 'mean max a^L', 'median', 'mean margin', '> 0.5', '> 0.9', 'most common answer'],
      row('uniform noise', r.noise),
      row('test digits', r.digits),
    ]),
  ];
}

/** Two panels: the distribution of the largest output, and of the predicted class, for noise and digits. */
export function noiseChart(r: NoiseResult): TopLevelSpec {
  const sets = ['uniform noise', 'test digits'];
  const hist = [
    ...r.noise.histogram.map((b) => ({ set: sets[0], lo: b.lo, hi: b.hi, fraction: b.fraction })),
    ...r.digits.histogram.map((b) => ({ set: sets[1], lo: b.lo, hi: b.hi, fraction: b.fraction })),
  ];
  const classes = [
    ...r.noise.predicted.map((c, k) => ({ set: sets[0], class: k, fraction: c / r.noise.count })),
    ...r.digits.predicted.map((c, k) => ({ set: sets[1], class: k, fraction: c / r.digits.count })),
  ];
  const color = {
    field: 'set',
    type: 'nominal',
    title: 'input',
    scale: { domain: sets, range: ['#d62728', '#1f77b4'] },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `What a trained ${r.network.sizes.join('-')} network answers to noise`,
      subtitle: `${r.noise.count} uniform-noise images vs ${r.digits.count} test digits; test accuracy ${(r.network.testAccuracy * 100).toFixed(1)}%`,
    },
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 400 } },
    hconcat: [
      {
        data: { values: hist },
        mark: { type: 'bar', opacity: 0.6 },
        width: 340,
        height: 220,
        encoding: {
          x: {
            field: 'lo',
            type: 'quantitative',
            title: 'largest output activation max_j a^L_j',
            scale: { domain: [0, 1] },
          },
          x2: { field: 'hi' },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of inputs', stack: null },
          y2: { datum: 0 },
          color,
        },
      },
      {
        data: { values: classes },
        mark: 'bar',
        width: 340,
        height: 220,
        encoding: {
          x: { field: 'class', type: 'ordinal', title: 'predicted class (argmax a^L)' },
          xOffset: { field: 'set', scale: { domain: sets } },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of inputs' },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}
