import { openBackend } from '@backprop/cli/kit';
import { type Activation, type Cost, evaluate, initParams, type NetworkSpec } from '@backprop/core';
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
import { batchGradient, meanAbsWeightGradient } from './gradients.js';
import { mean } from './stats.js';

export const ACTIVATION_CLAIM =
  'ReLU trains more easily than sigmoid, because sigmoid saturates and its gradients vanish in the early layers.';

/** Options of {@link runActivation}. */
export interface ActivationOptions extends CommonOptions {
  /** The networks compared (each with both activations), e.g. [[784,16,16,10], [784,16,16,16,16,10]]. */
  readonly shapes: readonly (readonly number[])[];
  readonly epochs: number;
  readonly trainCount: number;
  readonly validationCount: number;
  readonly testCount: number;
  readonly batchSize: number;
  /**
   * The cost: 'cross-entropy' puts a softmax output layer on both, so only the hidden
   * activation differs; 'quadratic' uses the activation at the output too (a ReLU output
   * unit pushed below zero gets no gradient and stays there).
   */
  readonly cost: Cost;
  readonly etaSigmoid: number;
  readonly etaRelu: number;
  /** Training examples in the fixed batch on which |∂C/∂W^l| is measured. */
  readonly probeCount: number;
  /** Measurements per run spread evenly over the steps, plus as many spread geometrically over the first `steps/probes`. */
  readonly probes: number;
}

/** One network with one activation. */
export interface ActivationRun {
  readonly name: string;
  readonly activation: Activation;
  readonly sizes: number[];
  readonly eta: number;
  readonly probes: {
    readonly step: number;
    readonly epoch: number;
    readonly meanAbsGradW: number[];
    readonly validationAccuracy: number;
  }[];
  /** Mean over the probes of mean |∂C/∂W^l|, per layer. */
  readonly meanAbsGradW: number[];
  /** {@link meanAbsGradW} of W^1 over that of W^L: below 1, the first layer's weights move slower than the last's. */
  readonly firstToLastRatio: number;
  /** The ratio above at the initial parameters (probe 0), before training reshapes them. */
  readonly initialFirstToLastRatio: number;
  /** First probed step at which validation accuracy reached 50%, 80%, 90% (null: not within the budget). */
  readonly stepsTo: {
    readonly '0.5': number | null;
    readonly '0.8': number | null;
    readonly '0.9': number | null;
  };
  readonly testAccuracy: number;
  readonly finalTrainCost: number;
  readonly sgdSeconds: number;
}

/** The JSON result of the activation experiment. */
export interface ActivationResult extends ResultHeader {
  readonly config: Settings<ActivationOptions> & { readonly init: string };
  readonly runs: ActivationRun[];
}

/**
 * Train each shape with sigmoid and with ReLU from the same initial parameters (N(0, 1/n_in)
 * weights, so neither starts saturated or exploding) and the same batches, measuring mean
 * |∂C/∂W^l| per layer on a fixed batch and validation accuracy as training goes.
 */
export async function runActivation(options: ActivationOptions): Promise<ExperimentOutput<ActivationResult>> {
  const t0 = performance.now();
  const digits = loadDigits(options);
  const probeIdx = Uint32Array.from(
    { length: Math.min(options.probeCount, digits.train.count) },
    (_, i) => i,
  );
  const runs: ActivationRun[] = [];
  let info: BackendInfo | undefined; // set by the first run (there is at least one)
  for (const sizes of options.shapes) {
    for (const activation of ['sigmoid', 'relu'] as const) {
      const spec: NetworkSpec = { sizes: [...sizes], activation, cost: options.cost };
      const params = initParams({ ...spec, activation: 'sigmoid' }, options.seed, 'scaled-normal'); // same θ0 for both activations
      const eta = activation === 'sigmoid' ? options.etaSigmoid : options.etaRelu;
      const name = `${activation} ${sizes.join('-')}`;
      const backend = await openBackend(options.backend, spec, params);
      info = backendInfo(backend);
      try {
        const probes: ActivationRun['probes'][number][] = [];
        let probeSeconds = 0;
        const probe = async (step: number, epoch: number) => {
          const t = performance.now();
          const g = await batchGradient(backend, digits.train, probeIdx);
          const validationAccuracy = (await evaluate(backend, digits.validation)).accuracy;
          probes.push({ step, epoch, meanAbsGradW: meanAbsWeightGradient(g), validationAccuracy });
          probeSeconds += (performance.now() - t) / 1000;
        };
        const totalSteps = options.epochs * Math.ceil(digits.train.count / options.batchSize);
        const probeAt = probeSchedule(totalSteps, options.probes);
        await probe(0, 0); // at θ0
        probeSeconds = 0; // only the probes between steps count in the epochs' seconds
        const trained = await trainWithProgress(backend, digits.train, {
          epochs: options.epochs,
          batchSize: options.batchSize,
          eta,
          seed: options.seed,
          label: `activation: ${name}`,
          etaFlag: activation === 'sigmoid' ? '--eta-sigmoid' : '--eta-relu',
          progress: options.progress,
          // Between steps, on the schedule; the last step is measured after training.
          betweenSteps: ({ step, epoch }) =>
            step < totalSteps && probeAt(step) ? probe(step, epoch) : undefined,
        });
        const sgdSeconds = trained.epochs.reduce((s, e) => s + e.epochSeconds, 0) - probeSeconds;
        await probe(totalSteps, options.epochs);
        const L = sizes.length - 1;
        const perLayer = Array.from({ length: L }, (_, l) => mean(probes.map((p) => p.meanAbsGradW[l]!)));
        runs.push({
          name,
          activation,
          sizes: [...sizes],
          eta,
          probes,
          meanAbsGradW: perLayer,
          firstToLastRatio: perLayer[0]! / perLayer[L - 1]!,
          initialFirstToLastRatio: probes[0]!.meanAbsGradW[0]! / probes[0]!.meanAbsGradW[L - 1]!,
          stepsTo: { '0.5': stepsTo(probes, 0.5), '0.8': stepsTo(probes, 0.8), '0.9': stepsTo(probes, 0.9) },
          testAccuracy: (await evaluate(backend, digits.test)).accuracy,
          // The mean of the last epoch's step costs.
          finalTrainCost: trained.epochs.at(-1)!.trainCost,
          sgdSeconds,
        });
      } finally {
        await backend.dispose();
      }
    }
  }
  const { train, validation, test } = digits;
  const data = { source: digits.source, train: train.count, validation: validation.count, test: test.count };
  const result: ActivationResult = {
    ...resultHeader('activation', ACTIVATION_CLAIM, info!, data, t0),
    config: {
      ...settingsOf(options),
      init: 'scaled-normal: w ~ N(0, 1/n_in), b ~ N(0, 1); the same parameters for sigmoid and ReLU of one shape',
    },
    runs,
  };
  return { result, chart: activationChart(result), table: activationTable(result) };
}

/**
 * When to measure: `probes` steps evenly spread, and as many again spread geometrically over
 * the first steps, where the two activations differ most (the chart's step axis is symlog).
 */
export function probeSchedule(totalSteps: number, probes: number): (step: number) => boolean {
  const at = new Set<number>();
  const every = Math.max(1, Math.floor(totalSteps / probes));
  for (let s = every; s < totalSteps; s += every) at.add(s);
  for (let i = 1; i <= probes; i++)
    at.add(Math.max(1, Math.round(Math.min(totalSteps, every) ** (i / probes))));
  return (step) => at.has(step);
}

/** The first probed step whose validation accuracy is at least `level`, or null. */
function stepsTo(
  probes: readonly { step: number; validationAccuracy: number }[],
  level: number,
): number | null {
  return probes.find((p) => p.validationAccuracy >= level)?.step ?? null;
}

/** The terminal table of an activation result. */
export function activationTable(r: ActivationResult): string[] {
  const maxL = Math.max(...r.runs.map((run) => run.sizes.length - 1));
  const layers = Array.from({ length: maxL }, (_, l) => `|∂C/∂W^${l + 1}|`);
  return textTable([
    [
      'run',
      'η',
      'test acc',
      'final cost',
      'steps to 80%',
      'to 90%',
      'W^1/W^L at θ0',
      'W^1/W^L mean',
      ...layers,
    ],
    ...r.runs.map((run) => [
      run.name,
      run.eta,
      run.testAccuracy,
      run.finalTrainCost,
      run.stepsTo['0.8'] ?? '-',
      run.stepsTo['0.9'] ?? '-',
      run.initialFirstToLastRatio,
      run.firstToLastRatio,
      ...layers.map((_, l) => (l < run.meanAbsGradW.length ? run.meanAbsGradW[l]! : '')),
    ]),
  ]);
}

/** Mean |∂C/∂W^l| per layer over training (one panel per run), and validation accuracy over training. */
export function activationChart(r: ActivationResult): TopLevelSpec {
  const names = r.runs.map((run) => run.name);
  const grads = r.runs.flatMap((run) =>
    run.probes.flatMap((p) =>
      p.meanAbsGradW.map((g, l) => ({ run: run.name, step: p.step, layer: `W^${l + 1}`, gradient: g })),
    ),
  );
  const acc = r.runs.flatMap((run) =>
    run.probes.map((p) => ({ run: run.name, step: p.step, accuracy: p.validationAccuracy })),
  );
  const last = Math.max(...r.runs.map((run) => run.probes[run.probes.length - 1]!.step));
  const ticks = [0];
  for (let t = 1; t <= last; t *= 10) ticks.push(t);
  const stepAxis = {
    field: 'step',
    type: 'quantitative',
    title: 'SGD step (symlog scale)',
    scale: { type: 'symlog' },
    axis: { values: ticks },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Sigmoid against ReLU: gradients per layer and accuracy',
      subtitle: `${r.config.cost} cost; η = ${r.config.etaSigmoid} (sigmoid), ${r.config.etaRelu} (ReLU); batch ${r.config.batchSize}; ${r.config.epochs} epochs of ${r.data.train}; w ~ N(0, 1/n_in)`,
    },
    config: { font: 'DejaVu Sans', legend: { orient: 'bottom', labelLimit: 400 } },
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      {
        data: { values: grads },
        facet: { column: { field: 'run', type: 'nominal', title: null, sort: names } },
        spec: {
          width: 170,
          height: 170,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: stepAxis,
            y: {
              field: 'gradient',
              type: 'quantitative',
              title: 'mean |∂C/∂W^l| (fixed batch)',
              scale: { type: 'log' },
            },
            color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { scheme: 'viridis' } },
          },
        },
      },
      {
        data: { values: acc },
        width: 500,
        height: 200,
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: stepAxis,
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'validation accuracy',
            scale: { domain: [0, 1] },
          },
          color: {
            field: 'run',
            type: 'nominal',
            title: null,
            scale: { domain: names, scheme: 'category10' },
          },
        },
      },
    ],
  } as TopLevelSpec;
}
