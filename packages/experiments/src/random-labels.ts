import { openBackend } from '@backprop/cli/kit';
import { DOCUMENT_SPEC, type EpochPoint, initParams } from '@backprop/core';
import { type DataSet, deriveSeed, makeDataSet, Rng } from '@backprop/data';
import type { TopLevelSpec } from 'vega-lite';
import {
  type BackendInfo,
  backendInfo,
  type CommonOptions,
  type ExperimentOutput,
  type ResultHeader,
  resultHeader,
  type Settings,
  settingsOf,
  textTable,
  trainWithProgress,
} from './common.js';
import { loadDigits } from './data.js';
import { fitLine, mean } from './stats.js';

export const RANDOM_LABELS_CLAIM =
  'On structured data the cost falls fast after some early noise, while on random labels it falls slowly and almost linearly (the network memorises).';

/** Options of {@link runRandomLabels}. */
export interface RandomLabelsOptions extends CommonOptions {
  readonly trainCount: number;
  readonly testCount: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly eta: number;
  /** Steps averaged into one point of the cost curve. */
  readonly window: number;
}

/** One of the two runs. */
export interface LabelRun {
  readonly labels: 'true' | 'shuffled';
  /** Mean mini-batch cost of each window of `window` steps (before each step). */
  readonly curve: { readonly step: number; readonly cost: number }[];
  readonly firstCost: number;
  readonly costAfterEpoch1: number;
  readonly finalCost: number;
  /** Share of the whole fall (first window → last window) that happened in the first 10% of the steps. */
  readonly dropInFirstTenth: number;
  /** Straight line fitted to the curve after the first 10% of the steps: slope per 1000 steps and R². */
  readonly lateSlopePer1000: number;
  readonly lateR2: number;
  /** After each epoch: accuracy on the training examples with the labels trained on, and on real test labels. */
  readonly epochs: {
    readonly epoch: number;
    readonly trainCost: number;
    readonly fitAccuracy: number;
    readonly testAccuracy: number;
  }[];
  readonly seconds: number;
}

/** The JSON result of the random-labels experiment. */
export interface RandomLabelsResult extends ResultHeader {
  readonly config: Settings<RandomLabelsOptions> & {
    readonly network: string;
    readonly init: string;
  };
  /** Cost of always answering the class frequencies p_j (the best constant output): ½ Σ_j p_j (1 − p_j). */
  readonly constantCost: number;
  readonly runs: LabelRun[];
}

/** `data` with its labels permuted by a seeded shuffle: the class frequencies stay, the link to the image goes. */
export function shuffleLabels(data: DataSet, seed: number): DataSet {
  const perm = new Rng(seed).permutation(data.count);
  const labels = new Uint8Array(data.count);
  for (let i = 0; i < data.count; i++) labels[i] = data.labels[perm[i]!]!;
  return makeDataSet({ ...data, name: `${data.name} (shuffled labels)`, labels });
}

/**
 * Train the document's network twice from the same initial parameters and the same batch
 * order: once on the true labels, once on the same images with the labels shuffled, and
 * record every step's cost.
 */
export async function runRandomLabels(
  options: RandomLabelsOptions,
): Promise<ExperimentOutput<RandomLabelsResult>> {
  const t0 = performance.now();
  const digits = loadDigits({
    trainCount: options.trainCount,
    testCount: options.testCount,
    dataDir: options.dataDir,
  });
  const spec = DOCUMENT_SPEC;
  const params = initParams(spec, options.seed, 'normal');
  const sets: [LabelRun['labels'], DataSet][] = [
    ['true', digits.train],
    ['shuffled', shuffleLabels(digits.train, deriveSeed(options.seed, 'random-labels/permutation'))],
  ];
  const classes = digits.train.classes;
  const freq = new Array<number>(classes).fill(0);
  for (const l of digits.train.labels) freq[l]! += 1 / digits.train.count;
  const constantCost = 0.5 * freq.reduce((s, p) => s + p * (1 - p), 0); // quadratic cost of the constant output a = p
  const runs: LabelRun[] = [];
  let info: BackendInfo | undefined; // set by the first run (there is at least one)
  for (const [labels, data] of sets) {
    const backend = await openBackend(options.backend, spec, params);
    info = backendInfo(backend);
    try {
      const r0 = performance.now();
      const trained = await trainWithProgress(backend, data, {
        epochs: options.epochs,
        batchSize: options.batchSize,
        eta: options.eta,
        seed: options.seed,
        validation: data, // the fit: accuracy on the very labels it is trained on
        test: digits.test,
        logEvery: options.window,
        label: `random-labels: ${labels} labels`,
        progress: options.progress,
      });
      runs.push(describeRun(labels, trained.steps, trained.epochs, (performance.now() - r0) / 1000));
    } finally {
      await backend.dispose();
    }
  }
  const data = { source: digits.source, train: digits.train.count, validation: 0, test: digits.test.count };
  const result: RandomLabelsResult = {
    ...resultHeader('random-labels', RANDOM_LABELS_CLAIM, info!, data, t0),
    config: {
      ...settingsOf(options),
      network: `${spec.sizes.join('-')} ${spec.activation}, ${spec.cost} cost`,
      init: 'normal (N(0,1) weights and biases), the same parameters for both runs',
    },
    constantCost,
    runs,
  };
  return { result, chart: randomLabelsChart(result), table: randomLabelsTable(result) };
}

function describeRun(
  labels: LabelRun['labels'],
  steps: readonly { step: number; cost: number }[],
  epochs: readonly EpochPoint[],
  seconds: number,
): LabelRun {
  const curve = steps.map((p) => ({ step: p.step, cost: p.cost }));
  const last = curve[curve.length - 1]!;
  const first = curve[0]!;
  const tenth = last.step / 10;
  const early = curve.filter((p) => p.step <= tenth);
  const late = curve.filter((p) => p.step > tenth);
  const atTenth = early.length > 0 ? early[early.length - 1]!.cost : first.cost;
  const fit =
    late.length >= 2
      ? fitLine(
          late.map((p) => p.step),
          late.map((p) => p.cost),
        )
      : { slope: Number.NaN, r2: Number.NaN };
  return {
    labels,
    curve,
    firstCost: first.cost,
    costAfterEpoch1: epochs[0]?.trainCost ?? Number.NaN,
    finalCost: mean(curve.slice(-1).map((p) => p.cost)),
    dropInFirstTenth: (first.cost - atTenth) / (first.cost - last.cost),
    lateSlopePer1000: fit.slope * 1000,
    lateR2: fit.r2,
    epochs: epochs.map((e) => ({
      epoch: e.epoch,
      trainCost: e.trainCost,
      fitAccuracy: e.validation?.accuracy ?? Number.NaN,
      testAccuracy: e.test?.accuracy ?? Number.NaN,
    })),
    seconds,
  };
}

/** The terminal table of a random-labels result. */
export function randomLabelsTable(r: RandomLabelsResult): string[] {
  return [
    `${r.config.network}; ${r.data.train} training examples, ${r.config.epochs} epochs, batch ${r.config.batchSize}, η = ${r.config.eta}`,
    `cost of answering the class frequencies: ${r.constantCost.toFixed(4)}`,
    ...textTable([
      [
        'labels',
        'first cost',
        'after epoch 1',
        'final cost',
        'fall in first 10%',
        'late slope/1000',
        'late R²',
        'fit acc',
        'test acc',
      ],
      ...r.runs.map((run) => {
        const e = run.epochs[run.epochs.length - 1]!;
        return [
          run.labels,
          run.firstCost,
          run.costAfterEpoch1,
          run.finalCost,
          run.dropInFirstTenth,
          run.lateSlopePer1000,
          run.lateR2,
          e.fitAccuracy,
          e.testAccuracy,
        ];
      }),
    ]),
  ];
}

/** Cost per step for both runs (with the constant-output cost as a rule), and accuracy per epoch. */
export function randomLabelsChart(r: RandomLabelsResult): TopLevelSpec {
  const names = r.runs.map((run) => `${run.labels} labels`);
  const color = {
    field: 'run',
    type: 'nominal',
    title: null,
    scale: { domain: names, range: ['#1f77b4', '#d62728'] },
  };
  const cost = r.runs.flatMap((run) =>
    run.curve.map((p) => ({ run: `${run.labels} labels`, step: p.step, cost: p.cost })),
  );
  const acc = r.runs.flatMap((run) =>
    run.epochs.flatMap((e) => [
      {
        run: `${run.labels} labels`,
        epoch: e.epoch,
        accuracy: e.fitAccuracy,
        on: 'training examples, labels trained on',
      },
      {
        run: `${run.labels} labels`,
        epoch: e.epoch,
        accuracy: e.testAccuracy,
        on: 'test digits, true labels',
      },
    ]),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Training cost on true and on shuffled labels',
      subtitle: `${r.config.network}, ${r.data.train} examples, batch ${r.config.batchSize}, η = ${r.config.eta}; each point is the mean of ${r.config.window} steps`,
    },
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 400 } },
    hconcat: [
      {
        width: 420,
        height: 260,
        layer: [
          {
            data: { values: cost },
            mark: { type: 'line', strokeWidth: 1.5 },
            encoding: {
              x: { field: 'step', type: 'quantitative', title: 'SGD step' },
              y: { field: 'cost', type: 'quantitative', title: 'mini-batch cost (quadratic)' },
              color,
            },
          },
          {
            data: { values: [{ cost: r.constantCost, label: 'cost of answering the class frequencies' }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
            encoding: { y: { field: 'cost', type: 'quantitative' } },
          },
        ],
      },
      {
        data: { values: cost.filter((p) => p.run === 'shuffled labels') },
        width: 300,
        height: 260,
        title: { text: 'shuffled labels, y axis zoomed', fontSize: 11 },
        mark: { type: 'line', strokeWidth: 1, color: '#d62728' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'SGD step' },
          y: { field: 'cost', type: 'quantitative', title: 'mini-batch cost', scale: { zero: false } },
        },
      },
      {
        data: { values: acc },
        width: 300,
        height: 260,
        title: { text: 'accuracy: dashed on the labels trained on, solid on test digits', fontSize: 11 },
        mark: { type: 'line', point: r.config.epochs <= 40 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
          color,
          strokeDash: {
            field: 'on',
            type: 'nominal',
            legend: null,
            scale: {
              domain: ['test digits, true labels', 'training examples, labels trained on'],
              range: [
                [1, 0],
                [4, 3],
              ],
            },
          },
        },
      },
    ],
  } as TopLevelSpec;
}
