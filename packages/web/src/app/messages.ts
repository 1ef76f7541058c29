import type { ClauseResult, ConformanceReport } from '@backprop/conformance';
import type { EpochPoint, RunFile, RunSettings, StepPoint } from '@backprop/core';
import type { BackendStatus } from './backends.js';

/**
 * The page's training settings: core's {@link RunSettings} (those of `backprop train`, from which
 * the run file's config and the model's provenance are derived) for one of the page's backends.
 */
export interface PageTrainConfig {
  readonly backend: string;
  readonly settings: RunSettings;
  /** The first trainCount training images train, the last validationCount validate (Nielsen's split). */
  readonly trainCount: number;
  readonly validationCount: number;
  /** The run's name in its run file. */
  readonly name: string;
}

/** To the training worker. */
export type TrainRequest =
  | { readonly type: 'list' }
  | { readonly type: 'train'; readonly config: PageTrainConfig }
  | { readonly type: 'stop' };

/** From the training worker. */
export type TrainEvent =
  | { readonly type: 'backends'; readonly list: BackendStatus[] }
  | { readonly type: 'status'; readonly text: string }
  | {
      readonly type: 'start';
      readonly backend: { readonly name: string; readonly dtype: string; readonly device: string };
      readonly stepsPerEpoch: number;
    }
  | {
      readonly type: 'step';
      readonly epoch: number;
      readonly step: number;
      readonly stepInEpoch: number;
      readonly stepsInEpoch: number;
      readonly cost: number;
      readonly seconds: number;
    }
  | { readonly type: 'point'; readonly point: StepPoint }
  | { readonly type: 'epoch'; readonly point: EpochPoint }
  /** `model` is the model file's text (null when the run diverged or was stopped). */
  | { readonly type: 'done'; readonly run: RunFile; readonly model: string | null; readonly note?: string }
  | { readonly type: 'error'; readonly message: string };

/** To the suite worker. */
export type SuiteRequest =
  | { readonly type: 'list' }
  | {
      readonly type: 'run';
      readonly backends: string[];
      /** Random cases per clause; `runsOnWebgpu` for the backends whose device is WebGPU. */
      readonly runs: number;
      readonly runsOnWebgpu: number;
      readonly seed: number;
    };

/** From the suite worker. */
export type SuiteEvent =
  | { readonly type: 'backends'; readonly list: BackendStatus[] }
  | { readonly type: 'status'; readonly text: string }
  | {
      readonly type: 'clause';
      readonly backend: string;
      readonly result: ClauseResult;
      readonly index: number;
      readonly total: number;
    }
  | { readonly type: 'report'; readonly report: ConformanceReport }
  | {
      readonly type: 'done';
      readonly reports: ConformanceReport[];
      readonly table: string;
      readonly json: string;
    }
  | { readonly type: 'error'; readonly message: string };
