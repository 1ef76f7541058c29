import type { ClauseResult, ConformanceReport } from '@backprop/conformance';
import type { Activation, Cost, EpochPoint, Init, RunFile, StepPoint } from '@backprop/core';
import type { BackendStatus } from './backends.js';

/** The page's training settings: those of `backprop train`, for the page's backends. */
export interface PageTrainConfig {
  readonly backend: string;
  readonly sizes: number[];
  readonly activation: Activation;
  readonly cost: Cost;
  readonly init: Init;
  readonly eta: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  /** The first trainCount training images train, the last validationCount validate (Nielsen's split). */
  readonly trainCount: number;
  readonly validationCount: number;
  readonly logEvery: number;
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
  | { readonly type: 'run'; readonly backends: string[]; readonly runs: number; readonly seed: number };

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
