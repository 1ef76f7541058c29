import { openBackend } from '@backprop/cli/kit';
import { DOCUMENT_SPEC, evaluate, initParams, type Params } from '@backprop/core';
import { deriveSeed, Rng } from '@backprop/data';
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
import { batchGradient, compareGradients, fullGradient, sampleIndices } from './gradients.js';
import { fitLine, mean } from './stats.js';

export const BATCH_SIZE_CLAIM =
  'Larger mini-batches estimate the gradient better but with less-than-linear returns, smaller ones often generalise better, and powers of two are the common choice.';

/** Options of {@link runBatchSize}. */
export interface BatchSizeOptions extends CommonOptions {
  readonly sizes: readonly number[];
  /** The budget: every batch size trains this many epochs, so all see the same number of examples. */
  readonly epochs: number;
  readonly trainCount: number;
  readonly validationCount: number;
  readonly testCount: number;
  /** One learning rate for every batch size. */
  readonly eta: number;
  /** Mini-batches drawn per batch size to measure the gradient estimate. */
  readonly gradientSamples: number;
  /** Examples over which the full gradient ∇C is taken (a prefix of the training subset). */
  readonly gradientCount: number;
}

/** How well mini-batches of one size estimate the full gradient at one point θ. */
export interface GradientEstimate {
  readonly batchSize: number;
  /**
   * Root-mean-square relative error √(mean ‖g_B − ∇C‖²) / ‖∇C‖ over the sampled mini-batches.
   * For B examples drawn without replacement from N its square falls as (N − B) / (B (N − 1)).
   */
  readonly relativeError: number;
  /** The same error predicted by that law from the smallest batch size B₀ measured: relativeError(B₀) · law(B) / law(B₀). */
  readonly predicted: number;
  /** Mean (not RMS) of ‖g_B − ∇C‖ / ‖∇C‖: the typical error, which heavy-tailed per-example gradients pull below the RMS. */
  readonly meanRelativeError: number;
  /** Mean cosine between g_B and ∇C. */
  readonly cosine: number;
}

/** One batch size's run. */
export interface BatchRun {
  readonly batchSize: number;
  readonly steps: number;
  /** Mean seconds of SGD per epoch (evaluation excluded). */
  readonly secondsPerEpoch: number;
  /** The fastest epoch's seconds: less sensitive to other work on the machine than the mean. */
  readonly fastestEpochSeconds: number;
  readonly finalTrainCost: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  /** trainAccuracy − testAccuracy. */
  readonly generalisationGap: number;
  readonly epochs: {
    readonly epoch: number;
    readonly examples: number;
    readonly trainCost: number;
    readonly validationAccuracy: number;
  }[];
  /** Mean mini-batch cost against examples seen. */
  readonly curve: { readonly examples: number; readonly cost: number }[];
}

/** The JSON result of the batch-size experiment. */
export interface BatchSizeResult extends ResultHeader {
  readonly config: Settings<BatchSizeOptions> & {
    readonly network: string;
    readonly init: string;
    readonly budget: string;
  };
  readonly runs: BatchRun[];
  /** Gradient estimates at the initial parameters and after one epoch of batch-10 SGD. */
  readonly gradient: {
    readonly init: GradientEstimate[];
    readonly trained: GradientEstimate[];
    /** Slope of log(relative error) against log(batch size): −0.5 is the 1/√B of independent samples. */
    readonly initLogSlope: number;
    readonly trainedLogSlope: number;
  };
}

async function gradientEstimates(
  options: BatchSizeOptions,
  params: Params,
  data: ReturnType<typeof loadDigits>['train'],
  seedPurpose: string,
): Promise<GradientEstimate[]> {
  const backend = await openBackend(options.backend, DOCUMENT_SPEC, params);
  try {
    const count = Math.min(options.gradientCount, data.count);
    const G = await fullGradient(backend, data, count); // ∇C over `count` examples
    const rng = new Rng(deriveSeed(options.seed, seedPurpose));
    const scratch = Uint32Array.from({ length: count }, (_, i) => i);
    const out: GradientEstimate[] = [];
    for (const B of options.sizes) {
      if (B > count) continue;
      const errs: number[] = [];
      const coss: number[] = [];
      for (let k = 0; k < options.gradientSamples; k++) {
        const g = await batchGradient(backend, data, sampleIndices(rng, count, B, scratch));
        const c = compareGradients(g, G);
        errs.push(c.relativeError);
        coss.push(c.cosine);
      }
      out.push({
        batchSize: B,
        relativeError: Math.sqrt(mean(errs.map((e) => e * e))),
        predicted: Number.NaN, // filled below from the smallest B
        meanRelativeError: mean(errs),
        cosine: mean(coss),
      });
    }
    // Var(g_B) = Σ/B · (N − B)/(N − 1) for a sample without replacement: the RMS error scales as
    // √((N − B)/(B (N − 1))); predict every B from the smallest one measured.
    const law = (B: number) => Math.sqrt((count - B) / (B * (count - 1)));
    if (out.length === 0) return out;
    const base = out.reduce((m, e) => (e.batchSize < m.batchSize ? e : m), out[0]!);
    return out.map((e) => ({
      ...e,
      predicted: (base.relativeError * law(e.batchSize)) / law(base.batchSize),
    }));
  } finally {
    await backend.dispose();
  }
}

/**
 * Train the document's network from the same initial parameters with each batch size for the
 * same number of epochs (so the same number of examples), one η for all; time the epochs,
 * score train and test accuracy; and measure how well each batch size estimates the gradient.
 */
export async function runBatchSize(options: BatchSizeOptions): Promise<ExperimentOutput<BatchSizeResult>> {
  const t0 = performance.now();
  const digits = loadDigits(options);
  const spec = DOCUMENT_SPEC;
  const params = initParams(spec, options.seed, 'normal');
  const N = digits.train.count;
  const runs: BatchRun[] = [];
  let info: BackendInfo | undefined; // set by the first run (there is at least one)
  for (const B of options.sizes) {
    const backend = await openBackend(options.backend, spec, params);
    info = backendInfo(backend);
    try {
      const S = Math.ceil(N / B);
      const examplesAt = (epoch: number, step: number) =>
        (epoch - 1) * N + Math.min((step - (epoch - 1) * S) * B, N);
      const trained = await trainWithProgress(backend, digits.train, {
        epochs: options.epochs,
        batchSize: B,
        eta: options.eta,
        seed: options.seed,
        validation: digits.validation,
        logEvery: Math.max(1, Math.round(N / 20 / B)), // about 20 points per epoch whatever B
        label: `batch-size: B = ${B}`,
        progress: options.progress,
      });
      const train = await evaluate(backend, digits.train);
      const test = await evaluate(backend, digits.test);
      const last = trained.epochs[trained.epochs.length - 1]!;
      runs.push({
        batchSize: B,
        steps: last.step,
        secondsPerEpoch: mean(trained.epochs.map((e) => e.epochSeconds)),
        fastestEpochSeconds: Math.min(...trained.epochs.map((e) => e.epochSeconds)),
        finalTrainCost: last.trainCost,
        trainAccuracy: train.accuracy,
        testAccuracy: test.accuracy,
        generalisationGap: train.accuracy - test.accuracy,
        epochs: trained.epochs.map((e) => ({
          epoch: e.epoch,
          examples: e.epoch * N,
          trainCost: e.trainCost,
          validationAccuracy: e.validation?.accuracy ?? Number.NaN,
        })),
        curve: trained.steps.map((p) => ({ examples: examplesAt(p.epoch, p.step), cost: p.cost })),
      });
    } finally {
      await backend.dispose();
    }
  }
  // The gradient estimates: at θ0, and at θ1 = one epoch of batch-10 SGD from θ0.
  options.progress?.('batch-size: gradient estimates', 0, 2);
  const init = await gradientEstimates(options, params, digits.train, 'batch-size/gradient-init');
  const warm = await openBackend(options.backend, spec, params);
  let theta1: Params;
  try {
    await trainWithProgress(warm, digits.train, {
      epochs: 1,
      batchSize: 10,
      eta: options.eta,
      seed: options.seed,
      label: 'batch-size: θ1',
    });
    theta1 = await warm.getParams();
  } finally {
    await warm.dispose();
  }
  options.progress?.('batch-size: gradient estimates', 1, 2);
  const trained = await gradientEstimates(options, theta1, digits.train, 'batch-size/gradient-trained');
  options.progress?.('batch-size: gradient estimates', 2, 2);
  const logSlope = (est: GradientEstimate[]) =>
    est.length >= 2
      ? fitLine(
          est.map((e) => Math.log(e.batchSize)),
          est.map((e) => Math.log(e.relativeError)),
        ).slope
      : Number.NaN;
  const data = {
    source: digits.source,
    train: N,
    validation: digits.validation.count,
    test: digits.test.count,
  };
  const result: BatchSizeResult = {
    ...resultHeader('batch-size', BATCH_SIZE_CLAIM, info!, data, t0),
    config: {
      ...settingsOf(options),
      network: `${spec.sizes.join('-')} ${spec.activation}, ${spec.cost} cost`,
      init: 'normal, the same parameters for every batch size',
      budget: `${options.epochs} epochs of ${N} examples for every batch size (the same examples seen; fewer steps for larger batches)`,
    },
    runs,
    gradient: { init, trained, initLogSlope: logSlope(init), trainedLogSlope: logSlope(trained) },
  };
  return { result, chart: batchSizeChart(result), table: batchSizeTable(result) };
}

/** The terminal table of a batch-size result. */
export function batchSizeTable(r: BatchSizeResult): string[] {
  const find = (list: GradientEstimate[], B: number) => list.find((e) => e.batchSize === B);
  const err = (list: GradientEstimate[], B: number) => find(list, B)?.relativeError ?? Number.NaN;
  const law = (list: GradientEstimate[], B: number) => find(list, B)?.predicted ?? Number.NaN;
  return [
    `${r.config.network}; ${r.config.budget}; η = ${r.config.eta}`,
    ...textTable([
      [
        'batch',
        'steps',
        's/epoch',
        'fastest',
        'final cost',
        'train acc',
        'test acc',
        'gap',
        'grad err θ0',
        '1/√B law',
        'grad err θ1',
        '1/√B law',
      ],
      ...r.runs.map((run) => [
        String(run.batchSize),
        run.steps,
        run.secondsPerEpoch,
        run.fastestEpochSeconds,
        run.finalTrainCost,
        run.trainAccuracy,
        run.testAccuracy,
        run.generalisationGap,
        err(r.gradient.init, run.batchSize),
        law(r.gradient.init, run.batchSize),
        err(r.gradient.trained, run.batchSize),
        law(r.gradient.trained, run.batchSize),
      ]),
    ]),
    `grad err: RMS ‖g_B − ∇C‖/‖∇C‖ over ${r.config.gradientSamples} mini-batches; 1/√B law: predicted from the smallest B.`,
    `log-log slope of grad err against B: ${r.gradient.initLogSlope.toFixed(3)} at θ0, ${r.gradient.trainedLogSlope.toFixed(3)} at θ1 (−0.5 = 1/√B)`,
  ];
}

/** Accuracy and cost against examples seen, gradient error against B, seconds per epoch against B. */
export function batchSizeChart(r: BatchSizeResult): TopLevelSpec {
  const domain = r.runs.map((run) => `B = ${run.batchSize}`);
  const color = { field: 'run', type: 'ordinal', title: 'batch size', scale: { domain, scheme: 'viridis' } };
  const acc = r.runs.flatMap((run) =>
    run.epochs.map((e) => ({
      run: `B = ${run.batchSize}`,
      examples: e.examples,
      accuracy: e.validationAccuracy,
    })),
  );
  const cost = r.runs.flatMap((run) => run.curve.map((p) => ({ run: `B = ${run.batchSize}`, ...p })));
  const grad = [
    ...r.gradient.init.map((e) => ({ at: 'θ0 (initial)', ...e })),
    ...r.gradient.trained.map((e) => ({ at: 'θ1 (after 1 epoch)', ...e })),
  ];
  const law = grad;
  const time = r.runs.map((run) => ({ batch: run.batchSize, seconds: run.fastestEpochSeconds }));
  const panel = { width: 330, height: 200 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Mini-batch size at a fixed budget',
      subtitle: [`${r.config.network}; η = ${r.config.eta} for every batch size`, r.config.budget],
    },
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 400 } },
    vconcat: [
      {
        hconcat: [
          {
            ...panel,
            data: { values: cost },
            mark: { type: 'line', strokeWidth: 1.2 },
            encoding: {
              x: { field: 'examples', type: 'quantitative', title: 'training examples seen' },
              y: { field: 'cost', type: 'quantitative', title: 'mini-batch cost', scale: { type: 'log' } },
              color,
            },
          },
          {
            ...panel,
            data: { values: acc },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'examples', type: 'quantitative', title: 'training examples seen' },
              y: {
                field: 'accuracy',
                type: 'quantitative',
                title: 'validation accuracy',
                scale: { zero: false },
              },
              color,
            },
          },
        ],
      },
      {
        resolve: { scale: { color: 'independent' } },
        hconcat: [
          {
            ...panel,
            title: {
              text: 'mini-batch gradient error (dashed: the 1/√B law from the smallest B)',
              fontSize: 11,
            },
            layer: [
              {
                data: { values: grad },
                mark: { type: 'line', point: true },
                encoding: {
                  x: {
                    field: 'batchSize',
                    type: 'quantitative',
                    title: 'batch size B',
                    scale: { type: 'log' },
                  },
                  y: {
                    field: 'relativeError',
                    type: 'quantitative',
                    title: 'RMS ‖g_B − ∇C‖ / ‖∇C‖',
                    scale: { type: 'log' },
                  },
                  color: {
                    field: 'at',
                    type: 'nominal',
                    title: 'gradient at',
                  },
                },
              },
              {
                data: { values: law },
                mark: { type: 'line', strokeDash: [4, 3], strokeWidth: 1 },
                encoding: {
                  x: { field: 'batchSize', type: 'quantitative' },
                  y: { field: 'predicted', type: 'quantitative' },
                  color: { field: 'at', type: 'nominal' },
                },
              },
            ],
          },
          {
            ...panel,
            data: { values: time },
            mark: { type: 'bar', color: '#4c78a8' },
            encoding: {
              x: { field: 'batch', type: 'ordinal', title: 'batch size B' },
              y: {
                field: 'seconds',
                type: 'quantitative',
                title: `seconds per epoch, fastest (${r.backend.name})`,
              },
            },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}
