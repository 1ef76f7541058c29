import { openBackend } from '@backprop/cli/kit';
import {
  type Activation,
  type Backend,
  createReferenceBackend,
  evaluate,
  initParams,
  type NetworkSpec,
  type Params,
} from '@backprop/core';
import { fillInputs } from '@backprop/data';
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
import { leastSquaresAffine } from './least-squares.js';

export const LINEAR_CLAIM =
  'Without a non-linear activation every layer is a linear function of the one before, so however many layers there are the network is one affine map and depth adds nothing.';

/** Options of {@link runLinear}. */
export interface LinearOptions extends CommonOptions {
  readonly epochs: number;
  readonly trainCount: number;
  readonly validationCount: number;
  readonly testCount: number;
  readonly batchSize: number;
  readonly etaIdentity: number;
  readonly etaSigmoid: number;
  /** Test examples plotted in the deep-against-collapsed scatter. */
  readonly scatterCount: number;
  /** Ridge λ of the least-squares affine map (½λ‖W‖² added to the mean cost; tiny, for a non-singular system). */
  readonly ridge: number;
}

/** One trained network. */
export interface LinearRun {
  readonly name: string;
  readonly activation: Activation;
  readonly sizes: number[];
  readonly eta: number;
  readonly epochs: {
    readonly epoch: number;
    readonly trainCost: number;
    readonly validationAccuracy: number;
  }[];
  /** Mean cost on the whole training subset after training (compare with {@link LinearResult.bestAffine}). */
  readonly trainCost: number;
  readonly testAccuracy: number;
  readonly testCost: number;
}

/** The least-squares affine map: the floor of the training cost for any identity network. */
export interface BestAffine {
  readonly ridge: number;
  readonly trainCost: number;
  readonly trainAccuracy: number;
  readonly validationAccuracy: number;
  readonly testAccuracy: number;
  readonly testCost: number;
}

/** The check of clause `lin.collapse` on the trained deep identity network. */
export interface CollapseCheck {
  /** The network collapsed and the shape of the single affine map. */
  readonly deep: string;
  readonly collapsed: string;
  /** Over every output of every test example: max |a^L_deep − (W x + b)|, and the largest |a^L| for scale. */
  readonly maxAbsDifference: number;
  readonly maxAbsOutput: number;
  /** Test examples whose predicted class (argmax) is the same for both, out of `count`. */
  readonly samePrediction: number;
  readonly count: number;
  /** Test accuracy of the collapsed map, computed on its own (float64 reference). */
  readonly collapsedAccuracy: number;
  /** A sample of (deep output, collapsed output) pairs for the chart. */
  readonly sample: { readonly deep: number; readonly collapsed: number }[];
}

/** The JSON result of the linear experiment. */
export interface LinearResult extends ResultHeader {
  readonly config: Settings<LinearOptions> & {
    readonly cost: string;
    readonly init: string;
  };
  readonly runs: LinearRun[];
  readonly collapse: CollapseCheck;
  readonly bestAffine: BestAffine;
}

/**
 * Clause `lin.collapse`: with the identity activation, a^L = W^L(…(W^1 x + b^1)…) + b^L is one
 * affine map W x + b with W = W^L ⋯ W^2 W^1 and b = W^L(⋯(W^2 b^1 + b^2)⋯) + b^L.
 * Returns that map as the parameters of a one-layer network n_0 → n_L.
 */
export function collapseAffine(sizes: readonly number[], params: Params): Params {
  const n0 = sizes[0]!;
  let W = params.weights[0]!.slice(); // n_1 × n_0
  let b = params.biases[0]!.slice();
  for (let l = 2; l < sizes.length; l++) {
    const rows = sizes[l]!;
    const inner = sizes[l - 1]!;
    const Wl = params.weights[l - 1]!;
    const nextW = new Float64Array(rows * n0);
    const nextB = params.biases[l - 1]!.slice();
    for (let j = 0; j < rows; j++) {
      for (let k = 0; k < inner; k++) {
        const w = Wl[j * inner + k]!;
        nextB[j]! += w * b[k]!; // b ← W^l b + b^l
        for (let i = 0; i < n0; i++) nextW[j * n0 + i]! += w * W[k * n0 + i]!; // W ← W^l W
      }
    }
    W = nextW;
    b = nextB;
  }
  return { weights: [W], biases: [b] };
}

/**
 * Train a deep identity network, a one-layer identity network and the sigmoid network on the
 * same data, then collapse the deep identity network into one affine map and compare it with
 * the network output by output on the test set.
 */
export async function runLinear(options: LinearOptions): Promise<ExperimentOutput<LinearResult>> {
  const t0 = performance.now();
  const digits = loadDigits(options);
  const cost = 'quadratic' as const;
  const plan: { activation: Activation; sizes: number[] }[] = [
    { activation: 'identity', sizes: [784, 16, 16, 10] },
    { activation: 'identity', sizes: [784, 10] },
    { activation: 'sigmoid', sizes: [784, 16, 16, 10] },
  ];
  const runs: LinearRun[] = [];
  let deepParams: Params | undefined;
  let deepBackend: Backend | undefined;
  let info: BackendInfo | undefined; // set by the first run (there is at least one)
  try {
    for (const { activation, sizes } of plan) {
      const spec: NetworkSpec = { sizes, activation, cost };
      const eta = activation === 'identity' ? options.etaIdentity : options.etaSigmoid;
      const name = `${activation} ${sizes.join('-')}`;
      const backend = await openBackend(
        options.backend,
        spec,
        initParams(spec, options.seed, 'scaled-normal'),
      );
      info = backendInfo(backend);
      // The first deep identity network is kept open for the collapse check; every other one is closed.
      const deepOne = activation === 'identity' && sizes.length > 2 && !deepBackend;
      try {
        const trained = await trainWithProgress(backend, digits.train, {
          epochs: options.epochs,
          batchSize: options.batchSize,
          eta,
          seed: options.seed,
          validation: digits.validation,
          label: `linear: ${name}`,
          etaFlag: activation === 'identity' ? '--eta-identity' : '--eta-sigmoid',
          progress: options.progress,
        });
        const test = await evaluate(backend, digits.test);
        const trainScore = await evaluate(backend, digits.train);
        runs.push({
          name,
          activation,
          sizes,
          eta,
          epochs: trained.epochs.map((e) => ({
            epoch: e.epoch,
            trainCost: e.trainCost,
            validationAccuracy: e.validation?.accuracy ?? Number.NaN,
          })),
          trainCost: trainScore.cost,
          testAccuracy: test.accuracy,
          testCost: test.cost,
        });
        if (deepOne) {
          deepBackend = backend;
          deepParams = await backend.getParams();
        }
      } finally {
        if (backend !== deepBackend) await backend.dispose();
      }
    }
    const deep = plan[0]!;
    const collapsedSpec: NetworkSpec = {
      sizes: [deep.sizes[0]!, deep.sizes[deep.sizes.length - 1]!],
      activation: 'identity',
      cost,
    };
    const collapsed = createReferenceBackend(collapsedSpec, collapseAffine(deep.sizes, deepParams!)); // lin.collapse
    const collapse = await compareOnTest(deepBackend!, collapsed, digits.test, options.scatterCount);
    const collapsedAccuracy = (await evaluate(collapsed, digits.test)).accuracy;
    options.progress?.('linear: least-squares affine map', 0, 1);
    const ls = createReferenceBackend(collapsedSpec, leastSquaresAffine(digits.train, options.ridge));
    const lsTrain = await evaluate(ls, digits.train);
    const lsTest = await evaluate(ls, digits.test);
    const bestAffine: BestAffine = {
      ridge: options.ridge,
      trainCost: lsTrain.cost,
      trainAccuracy: lsTrain.accuracy,
      validationAccuracy: (await evaluate(ls, digits.validation)).accuracy,
      testAccuracy: lsTest.accuracy,
      testCost: lsTest.cost,
    };
    options.progress?.('linear: least-squares affine map', 1, 1);
    const { train, validation, test } = digits;
    const data = {
      source: digits.source,
      train: train.count,
      validation: validation.count,
      test: test.count,
    };
    const result: LinearResult = {
      ...resultHeader('linear', LINEAR_CLAIM, info!, data, t0),
      config: {
        ...settingsOf(options),
        cost: 'quadratic',
        init: 'scaled-normal: w ~ N(0, 1/n_in), b ~ N(0, 1)',
      },
      runs,
      collapse: {
        deep: `identity ${deep.sizes.join('-')}`,
        collapsed: `affine ${collapsedSpec.sizes.join('→')}`,
        ...collapse,
        collapsedAccuracy,
      },
      bestAffine,
    };
    return { result, chart: linearChart(result), table: linearTable(result) };
  } finally {
    await deepBackend?.dispose();
  }
}

async function compareOnTest(
  deep: Backend,
  flat: Backend,
  test: ReturnType<typeof loadDigits>['test'],
  scatterCount: number,
): Promise<Omit<CollapseCheck, 'deep' | 'collapsed' | 'collapsedAccuracy'>> {
  const n0 = deep.spec.sizes[0]!;
  const nL = deep.spec.sizes[deep.spec.sizes.length - 1]!;
  const chunk = 1000;
  const x = new Float64Array(chunk * n0);
  const idx = new Uint32Array(chunk);
  let maxAbsDifference = 0;
  let maxAbsOutput = 0;
  let samePrediction = 0;
  const sample: { deep: number; collapsed: number }[] = [];
  const argmax = (a: Float64Array, r: number) => {
    let best = 0;
    for (let j = 1; j < nL; j++) if (a[r * nL + j]! > a[r * nL + best]!) best = j;
    return best;
  };
  for (let start = 0; start < test.count; start += chunk) {
    const size = Math.min(chunk, test.count - start);
    for (let r = 0; r < size; r++) idx[r] = start + r;
    fillInputs(test, idx.subarray(0, size), x);
    const a = (await deep.forward(x, size)).activations[deep.spec.sizes.length - 1]!;
    const c = (await flat.forward(x, size)).activations[1]!;
    for (let r = 0; r < size; r++) {
      if (argmax(a, r) === argmax(c, r)) samePrediction++;
      for (let j = 0; j < nL; j++) {
        maxAbsDifference = Math.max(maxAbsDifference, Math.abs(a[r * nL + j]! - c[r * nL + j]!));
        maxAbsOutput = Math.max(maxAbsOutput, Math.abs(a[r * nL + j]!));
        if (start + r < scatterCount) sample.push({ deep: a[r * nL + j]!, collapsed: c[r * nL + j]! });
      }
    }
  }
  return { maxAbsDifference, maxAbsOutput, samePrediction, count: test.count, sample };
}

/** The terminal table of a linear result. */
export function linearTable(r: LinearResult): string[] {
  const c = r.collapse;
  const a = r.bestAffine;
  return [
    ...textTable([
      ['network', 'η', 'train cost', 'test acc', 'test cost', 'best val acc'],
      ...r.runs.map((run) => [
        run.name,
        run.eta,
        run.trainCost,
        run.testAccuracy,
        run.testCost,
        Math.max(...run.epochs.map((e) => e.validationAccuracy)),
      ]),
      [
        `least-squares affine (λ = ${a.ridge})`,
        '-',
        a.trainCost,
        a.testAccuracy,
        a.testCost,
        a.validationAccuracy,
      ],
    ]),
    `lin.collapse: ${c.deep} as one ${c.collapsed}: max |Δa^L| = ${c.maxAbsDifference.toExponential(2)} (outputs up to ${c.maxAbsOutput.toFixed(3)}), same prediction on ${c.samePrediction}/${c.count}, collapsed map's test accuracy ${c.collapsedAccuracy}`,
  ];
}

/** Validation accuracy per epoch of the three networks, and the deep identity net against its collapsed map. */
export function linearChart(r: LinearResult): TopLevelSpec {
  const names = r.runs.map((run) => run.name);
  const acc = r.runs.flatMap((run) =>
    run.epochs.map((e) => ({ run: run.name, epoch: e.epoch, accuracy: e.validationAccuracy })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Without non-linearity, depth adds nothing',
      subtitle: `η = ${r.config.etaIdentity} (identity), ${r.config.etaSigmoid} (sigmoid); batch ${r.config.batchSize}; ${r.config.epochs} epochs of ${r.data.train}`,
    },
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', columns: 1, labelLimit: 400 } },
    hconcat: [
      {
        width: 340,
        height: 240,
        layer: [
          {
            data: { values: acc },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
              y: {
                field: 'accuracy',
                type: 'quantitative',
                title: 'validation accuracy',
                scale: { zero: false },
              },
              color: {
                field: 'run',
                type: 'nominal',
                title: null,
                scale: { domain: names, range: ['#d62728', '#ff9896', '#1f77b4'] },
              },
            },
          },
          {
            data: { values: [{ accuracy: r.bestAffine.validationAccuracy }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
            encoding: { y: { field: 'accuracy', type: 'quantitative' } },
          },
          {
            data: {
              values: [{ accuracy: r.bestAffine.validationAccuracy, label: 'least-squares affine map' }],
            },
            mark: { type: 'text', align: 'right', dx: 0, dy: -6, color: 'gray', fontSize: 10 },
            encoding: {
              y: { field: 'accuracy', type: 'quantitative' },
              x: { value: 338 },
              text: { field: 'label' },
            },
          },
        ],
      },
      {
        data: { values: r.collapse.sample },
        width: 240,
        height: 240,
        mark: { type: 'point', size: 8, opacity: 0.5, filled: true },
        encoding: {
          x: { field: 'deep', type: 'quantitative', title: `output of ${r.collapse.deep}` },
          y: { field: 'collapsed', type: 'quantitative', title: 'output of W x + b (collapsed)' },
        },
        title: {
          text: `lin.collapse: max |Δ| = ${r.collapse.maxAbsDifference.toExponential(1)}`,
          fontSize: 11,
        },
      },
    ],
  } as TopLevelSpec;
}
