import { type DataSet, deriveSeed, type LastBatchPolicy } from '@backprop/data';
import type { Backend, SgdOptions } from './backend.js';
import { type Evaluation, evaluate } from './evaluate.js';
import { validateSgd } from './sgd.js';

/**
 * The shuffle seed of epoch `epoch` (1-based) of a run seeded `seed`. Every backend trained
 * from the same seed sees the same mini-batches because they all draw them from here.
 */
export function epochSeed(seed: number, epoch: number): number {
  return deriveSeed(seed, `shuffle/epoch-${epoch}`);
}

/** Steps in one epoch of `count` examples. */
export function stepsPerEpoch(count: number, batchSize: number, lastBatch: LastBatchPolicy = 'keep'): number {
  return lastBatch === 'keep' ? Math.ceil(count / batchSize) : Math.floor(count / batchSize);
}

/** After each SGD step. */
export interface StepEvent {
  /** 1-based epoch. */
  readonly epoch: number;
  /** Steps done since training began (1-based). */
  readonly step: number;
  /** Steps done in this epoch (1-based). */
  readonly stepInEpoch: number;
  readonly stepsInEpoch: number;
  /** This mini-batch's mean cost, before its step. */
  readonly cost: number;
  /** Mean of this epoch's step costs so far. */
  readonly epochMeanCost: number;
  /** Seconds since training began. */
  readonly seconds: number;
}

/** A point of the training curve: the mean cost of the `logEvery` steps ending at `step`. */
export interface StepPoint {
  readonly step: number;
  readonly epoch: number;
  readonly cost: number;
  /** Seconds since training began. */
  readonly seconds: number;
}

/** Accuracy and mean cost on a set. */
export interface Score {
  readonly accuracy: number;
  readonly cost: number;
}

/** What one epoch did. */
export interface EpochPoint {
  readonly epoch: number;
  /** Steps done since training began, at the end of this epoch. */
  readonly step: number;
  /** Seconds since training began, after this epoch's evaluations. */
  readonly seconds: number;
  /** Seconds of SGD steps in this epoch (evaluation excluded). */
  readonly epochSeconds: number;
  /** Mean of the epoch's step costs (each taken before its step). */
  readonly trainCost: number;
  readonly validation: Score | null;
  readonly test: Score | null;
}

/** Options of {@link train}. */
export interface TrainOptions extends SgdOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Seeds the shuffles (via {@link epochSeed}); initialisation is the caller's (see `initParams`). */
  readonly seed: number;
  readonly lastBatch?: LastBatchPolicy;
  /** Evaluated after every epoch when given. */
  readonly validation?: DataSet;
  /** Evaluated after every epoch (unless `testEachEpoch` is false) and at the end, when given. */
  readonly test?: DataSet;
  readonly testEachEpoch?: boolean;
  /** Steps per curve point (default 100). */
  readonly logEvery?: number;
  /** Rows per forward pass when evaluating (default 1000). */
  readonly evaluateBatchSize?: number;
  readonly onEpochStart?: (epoch: number, steps: number) => void;
  readonly onStep?: (event: StepEvent) => void;
  readonly onEpoch?: (event: EpochPoint) => void;
  readonly onPoint?: (point: StepPoint) => void;
}

/** What {@link train} did. */
export interface TrainResult {
  readonly steps: StepPoint[];
  readonly epochs: EpochPoint[];
  /** The test set's evaluation after the last epoch, or null without a test set. */
  readonly final: Evaluation | null;
  /** Seconds from start to end, evaluations included. */
  readonly seconds: number;
}

/** The cost became NaN or ±Inf: the learning rate is too large for this network (or the data is bad). */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly eta: number,
    readonly step: number,
    readonly epoch: number,
    readonly cost: number,
    /** The curve up to the divergence. */
    readonly partial: {
      readonly steps: StepPoint[];
      readonly epochs: EpochPoint[];
      readonly seconds: number;
    },
  ) {
    super(
      `the cost became ${cost} at step ${step} (epoch ${epoch}) with learning rate η = ${eta}; ` +
        `training diverged. Try a smaller learning rate, e.g. --eta ${eta / 10}.`,
    );
  }
}

/**
 * Mini-batch SGD on any backend: `epochs` epochs of `backend.trainEpoch` with the shuffle seed
 * {@link epochSeed}(seed, e), an evaluation of the validation (and test) set after each epoch,
 * events per step and per epoch, and a curve point every `logEvery` steps. Stops with a
 * {@link DivergenceError} as soon as a step's cost is not finite.
 */
export async function train(backend: Backend, data: DataSet, options: TrainOptions): Promise<TrainResult> {
  const { epochs, batchSize, seed } = options;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new RangeError(`epochs must be an integer ≥ 0, got ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  validateSgd(options);
  const logEvery = options.logEvery ?? 100;
  if (!(Number.isInteger(logEvery) && logEvery >= 1))
    throw new RangeError(`logEvery must be a positive integer, got ${logEvery}`);
  const lastBatch = options.lastBatch ?? 'keep';
  const evalOptions = { batchSize: options.evaluateBatchSize ?? 1000 };
  const testEachEpoch = options.testEachEpoch ?? true;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const steps: StepPoint[] = [];
  const epochPoints: EpochPoint[] = [];
  let step = 0;
  let pointSum = 0;
  let pointCount = 0;
  const flushPoint = (epoch: number) => {
    if (pointCount === 0) return;
    const p: StepPoint = { step, epoch, cost: pointSum / pointCount, seconds: elapsed() };
    steps.push(p);
    options.onPoint?.(p);
    pointSum = 0;
    pointCount = 0;
  };
  const score = async (set: DataSet): Promise<Score> => {
    const e = await evaluate(backend, set, evalOptions);
    return { accuracy: e.accuracy, cost: e.cost };
  };

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const stepsInEpoch = stepsPerEpoch(data.count, batchSize, lastBatch);
    options.onEpochStart?.(epoch, stepsInEpoch);
    let epochSum = 0;
    let inEpoch = 0;
    const e0 = performance.now();
    const onCosts = (costs: ArrayLike<number>) => {
      for (let i = 0; i < costs.length; i++) {
        const cost = costs[i]!;
        step++;
        inEpoch++;
        if (!Number.isFinite(cost)) {
          flushPoint(epoch);
          throw new DivergenceError(options.eta, step, epoch, cost, {
            steps,
            epochs: epochPoints,
            seconds: elapsed(),
          });
        }
        epochSum += cost;
        pointSum += cost;
        pointCount++;
        options.onStep?.({
          epoch,
          step,
          stepInEpoch: inEpoch,
          stepsInEpoch,
          cost,
          epochMeanCost: epochSum / inEpoch,
          seconds: elapsed(),
        });
        if (step % logEvery === 0) flushPoint(epoch);
      }
    };
    const result = await backend.trainEpoch(data, {
      eta: options.eta,
      momentum: options.momentum ?? 0,
      weightDecay: options.weightDecay ?? 0,
      batchSize,
      seed: epochSeed(seed, epoch),
      lastBatch,
      onSteps: (_first, costs) => onCosts(costs),
    });
    const epochSeconds = (performance.now() - e0) / 1000;
    // A backend that reported fewer steps through onSteps than it ran: take the rest from its result.
    if (inEpoch < result.costs.length) onCosts(result.costs.subarray(inEpoch));
    if (inEpoch !== result.costs.length)
      throw new Error(
        `backend ${backend.name} reported ${inEpoch} step costs through onSteps but ran ${result.costs.length} steps`,
      );
    const point: EpochPoint = {
      epoch,
      step,
      epochSeconds,
      trainCost: inEpoch > 0 ? epochSum / inEpoch : Number.NaN,
      validation: options.validation ? await score(options.validation) : null,
      test: options.test && testEachEpoch ? await score(options.test) : null,
      seconds: elapsed(),
    };
    epochPoints.push(point);
    options.onEpoch?.(point);
  }
  flushPoint(epochs);
  const final = options.test ? await evaluate(backend, options.test, evalOptions) : null;
  return { steps, epochs: epochPoints, final, seconds: elapsed() };
}
