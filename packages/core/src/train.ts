import { type DataSet, deriveSeed, type LastBatchPolicy } from '@backprop/data';
import type { Backend, SgdOptions } from './backend.js';
import { runEpoch } from './epoch.js';
import { type Evaluation, evaluate } from './evaluate.js';
import { validateSgd } from './sgd.js';
import type { Params } from './spec.js';

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

/** Where a run stands between two steps. */
export interface StepPosition {
  /** 1-based epoch. */
  readonly epoch: number;
  /** Steps done since training began. */
  readonly step: number;
  /** Steps done in this epoch. */
  readonly stepInEpoch: number;
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
  /** Called when epoch `epoch` (from 1) starts, with its number of steps. */
  readonly onEpochStart?: (epoch: number, steps: number) => void;
  /** Called after every SGD step (or group of steps a backend runs together). */
  readonly onStep?: (event: StepEvent) => void;
  /** Called after every epoch, with its evaluation. */
  readonly onEpoch?: (event: EpochPoint) => void;
  /** Called for every point of the step curve (the mean cost of `logEvery` steps). */
  readonly onPoint?: (point: StepPoint) => void;
  /**
   * Take a checkpoint (a {@link TrainState}, handed to `onCheckpoint`) every this many steps of
   * the run. Epochs run as without checkpoints (`backend.trainEpoch`, or `genericTrainEpoch`),
   * told to pause at those steps (`EpochOptions.pauseEvery`): a backend that runs many steps
   * together ends a group there and keeps its groups elsewhere.
   */
  readonly checkpointEvery?: number;
  /** Receives each checkpoint; awaited before the next step. */
  readonly onCheckpoint?: (state: TrainState) => void | Promise<void>;
  /**
   * Called between two steps, after every `pauseEvery`-th step of the run (after the last step
   * too, when it falls there), and awaited before the next one: the backend then holds the
   * parameters after `at.step` steps, so the hook may use it, e.g. to measure a gradient or
   * score a set. Epochs run on their usual path (ONNX fast mode included), told to pause there.
   * Its time counts in the epoch's `epochSeconds`; a hook that wants SGD time alone measures its own.
   */
  readonly betweenSteps?: (at: StepPosition) => void | Promise<void>;
  /** Steps of the run between two calls of `betweenSteps` (default 1: after every step). */
  readonly pauseEvery?: number;
  /**
   * Continue from this state (a checkpoint) instead of from the start: the backend gets its
   * parameters (and momentum velocity), the epoch's mini-batches are drawn again from the same
   * seed and the ones already done are skipped, so the run ends exactly where an uninterrupted
   * one would.
   */
  readonly resume?: TrainState;
  /**
   * Polled between steps (after every step, or every group of steps a backend runs together,
   * and before each epoch): when it returns true, training stops there with a
   * {@link TrainingStopped} carrying the state to resume from (e.g. on SIGINT). The event loop
   * is given a turn every few milliseconds, so a signal handler that sets the flag does run.
   */
  readonly shouldStop?: () => boolean;
}

/**
 * Where a run stands between two steps: everything needed to continue it and end with the
 * same parameters, bit for bit, and the same curve as a run that never stopped.
 */
export interface TrainState {
  /** The current epoch (1-based). */
  readonly epoch: number;
  /** Steps of this epoch already done (0 up to the epoch's step count). */
  readonly stepInEpoch: number;
  /** Steps done since training began. */
  readonly step: number;
  readonly params: Params;
  /** The momentum velocity v, or null with plain SGD (or before the first step). */
  readonly velocity: Params | null;
  /** Sum of this epoch's step costs so far. */
  readonly epochCostSum: number;
  /** Sum and count of the step costs since the last curve point. */
  readonly pointCostSum: number;
  readonly pointCostCount: number;
  /** Seconds of SGD in this epoch so far. */
  readonly epochSeconds: number;
  /** Seconds since training began. */
  readonly seconds: number;
  /** The curve so far. */
  readonly steps: readonly StepPoint[];
  readonly epochs: readonly EpochPoint[];
}

/**
 * A backend that hands over and takes back its momentum velocity. Checkpoints of a run with
 * momentum need it: the velocity is part of the optimizer's state.
 */
export interface VelocityAccess {
  /** A copy of the velocity v, or null before the first step with momentum. */
  getVelocity(): Promise<Params | null>;
  /** Replace the velocity (null: start again from zero). */
  setVelocity(velocity: Params | null): Promise<void>;
}

function velocityAccess(backend: Backend): VelocityAccess | null {
  const b = backend as Backend & Partial<VelocityAccess>;
  return typeof b.getVelocity === 'function' && typeof b.setVelocity === 'function'
    ? (b as unknown as VelocityAccess)
    : null;
}

/** Training stopped on request (`shouldStop`) between two steps; `state` continues it. */
export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
  constructor(readonly state: TrainState) {
    super(`training stopped at step ${state.step} (epoch ${state.epoch}, step ${state.stepInEpoch} of it)`);
  }
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
 * Mini-batch SGD on any backend: `epochs` epochs of `backend.trainEpoch` (or
 * `genericTrainEpoch` for a backend without one; see `runEpoch`) with the shuffle seed
 * {@link epochSeed}(seed, e), an evaluation of the validation (and test) set after each epoch,
 * events per step and per epoch, and a curve point every `logEvery` steps. Stops with a
 * {@link DivergenceError} as soon as a step's cost is not finite. Every epoch takes the same
 * path whether or not `checkpointEvery`, `resume`, `shouldStop` or `betweenSteps` are given:
 * the epoch's own `betweenSteps` hook writes the checkpoints, calls the caller's `betweenSteps`,
 * polls `shouldStop` and yields to the event loop.
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
  const every = options.checkpointEvery;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1))
    throw new RangeError(`checkpointEvery must be a positive integer, got ${every}`);
  const hookEvery = options.betweenSteps ? (options.pauseEvery ?? 1) : undefined;
  if (hookEvery !== undefined && !(Number.isInteger(hookEvery) && hookEvery >= 1))
    throw new RangeError(`pauseEvery must be a positive integer, got ${hookEvery}`);
  /** Steps of the run between two pauses of the epoch: where checkpoints and the hook both fall. */
  const pauseEvery =
    every === undefined ? hookEvery : hookEvery === undefined ? every : gcd(every, hookEvery);
  /** Each step's cost must be in before the pause after it (checkpoints, shouldStop and the hook all need them). */
  const needsCosts = pauseEvery !== undefined || options.shouldStop !== undefined;
  const lastBatch = options.lastBatch ?? 'keep';
  const momentum = options.momentum ?? 0;
  const velocity = velocityAccess(backend);
  const resumable = every !== undefined || options.resume !== undefined || options.shouldStop !== undefined;
  if (resumable && momentum > 0 && !velocity)
    throw new RangeError(
      `backend ${backend.name} cannot hand over its momentum velocity (getVelocity/setVelocity), so a run with momentum ${momentum} cannot be checkpointed or resumed on it; use momentum 0 or train without checkpoints`,
    );
  const evalOptions = { batchSize: options.evaluateBatchSize ?? 1000 };
  const testEachEpoch = options.testEachEpoch ?? true;
  const resume = options.resume;
  if (resume) checkResume(resume, epochs, stepsPerEpoch(data.count, batchSize, lastBatch));
  // Seconds continue from the checkpoint's, so a resumed run's curve reads as one run.
  const t0 = performance.now() - (resume?.seconds ?? 0) * 1000;
  const elapsed = () => (performance.now() - t0) / 1000;
  const steps: StepPoint[] = resume ? [...resume.steps] : [];
  const epochPoints: EpochPoint[] = resume ? [...resume.epochs] : [];
  let step = resume?.step ?? 0;
  let pointSum = resume?.pointCostSum ?? 0;
  let pointCount = resume?.pointCostCount ?? 0;
  if (resume) {
    await backend.setParams(resume.params);
    if (velocity) await velocity.setVelocity(resume.velocity);
    else if (resume.velocity !== null)
      throw new RangeError(`backend ${backend.name} cannot take back the checkpoint's momentum velocity`);
  }
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

  // When the event loop last had a turn (kept across epochs: short ones must not reset it).
  let yielded = performance.now();
  const pause = async () => {
    await new Promise((r) => setImmediate(r));
    yielded = performance.now();
  };
  for (let epoch = resume?.epoch ?? 1; epoch <= epochs; epoch++) {
    const stepsInEpoch = stepsPerEpoch(data.count, batchSize, lastBatch);
    const resumed = resume !== undefined && epoch === resume.epoch;
    options.onEpochStart?.(epoch, stepsInEpoch);
    let epochSum = resumed ? resume.epochCostSum : 0;
    let inEpoch = resumed ? resume.stepInEpoch : 0;
    const e0 = performance.now() - (resumed ? resume.epochSeconds * 1000 : 0);
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
    const sgd = { eta: options.eta, momentum, weightDecay: options.weightDecay ?? 0 };
    /** The state after the steps done so far, before the next one. */
    const state = async (): Promise<TrainState> => ({
      epoch,
      stepInEpoch: inEpoch,
      step,
      params: await backend.getParams(),
      velocity: velocity ? await velocity.getVelocity() : null,
      epochCostSum: epochSum,
      pointCostSum: pointSum,
      pointCostCount: pointCount,
      epochSeconds: (performance.now() - e0) / 1000,
      seconds: elapsed(),
      steps: [...steps],
      epochs: [...epochPoints],
    });
    if (options.shouldStop?.()) throw new TrainingStopped(await state());
    const first = inEpoch;
    /** A step where betweenSteps must be called (pauseEvery) was reported, and it has not been called since. */
    let pending = false;
    /** Between two steps: checkpoint, stop, or let the event loop run; a promise only when there is something to await. */
    const betweenSteps = (done: number): Promise<void> | undefined => {
      // A resolved promise does not let timers or signal handlers run: yield now and then.
      const yieldNow = performance.now() - yielded > YIELD_MS;
      if (done !== inEpoch) {
        // The state to checkpoint or stop at needs every step's cost by now.
        if (needsCosts)
          throw new Error(
            `backend ${backend.name} called betweenSteps after step ${done} of epoch ${epoch} but reported ${inEpoch} step costs through onSteps; checkpoints and shouldStop need each step's cost before betweenSteps`,
          );
        return yieldNow ? pause() : undefined;
      }
      pending = false;
      const checkpoint = every !== undefined && options.onCheckpoint !== undefined && step % every === 0;
      const hook = hookEvery !== undefined && step % hookEvery === 0;
      const stop = options.shouldStop?.() ?? false;
      if (!(checkpoint || hook || stop || yieldNow)) return undefined;
      return (async () => {
        if (checkpoint) {
          const s = await state();
          // Only a good state is a checkpoint: parameters that overflowed make the next cost
          // NaN, and the run stops there with the previous checkpoint as the last good one.
          if (finite(s.params) && (s.velocity === null || finite(s.velocity))) await options.onCheckpoint!(s);
        }
        if (hook) await options.betweenSteps!({ epoch, step, stepInEpoch: inEpoch });
        if (stop) throw new TrainingStopped(await state());
        if (yieldNow) await pause();
      })();
    };
    const result = await runEpoch(backend, data, {
      ...sgd,
      batchSize,
      seed: epochSeed(seed, epoch),
      lastBatch,
      startStep: first,
      onSteps: (firstStep, costs) => {
        if (firstStep !== inEpoch)
          throw new Error(
            `backend ${backend.name} reported step ${firstStep} of epoch ${epoch} through onSteps where step ${inEpoch} was next (does its trainEpoch honour startStep?)`,
          );
        // pauseEvery: no group may run on past a step where betweenSteps must be called.
        if (pauseEvery !== undefined && (pending || costs.length > pauseEvery - (step % pauseEvery)))
          throw new Error(
            `backend ${backend.name} ran past step ${step + (pending ? 0 : pauseEvery - (step % pauseEvery))} of the run without calling betweenSteps there, where pauseEvery ${pauseEvery} asks for it`,
          );
        onCosts(costs);
        pending = pauseEvery !== undefined && step % pauseEvery === 0;
      },
      betweenSteps,
      ...(pauseEvery !== undefined ? { pauseEvery, pauseOffset: step - inEpoch } : {}),
    });
    // A backend that reported fewer steps through onSteps than it ran: take the rest from its result.
    const ran = first + result.costs.length;
    if (inEpoch < ran) onCosts(result.costs.subarray(inEpoch - first));
    if (inEpoch !== ran)
      throw new Error(
        `backend ${backend.name} reported ${inEpoch - first} step costs through onSteps but ran ${result.costs.length} steps`,
      );
    if (pending)
      throw new Error(
        `backend ${backend.name} did not call betweenSteps after step ${inEpoch} of epoch ${epoch}, where pauseEvery ${pauseEvery} asks for it`,
      );
    const epochSeconds = (performance.now() - e0) / 1000;
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

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function finite(p: Params): boolean {
  for (const a of [...p.weights, ...p.biases])
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** A resume state must fit the run: its epoch and step within the run's epochs and steps. */
function checkResume(s: TrainState, epochs: number, stepsInEpoch: number): void {
  if (!(Number.isInteger(s.epoch) && s.epoch >= 1 && s.epoch <= Math.max(1, epochs)))
    throw new RangeError(`the resume state is in epoch ${s.epoch}, outside this run's epochs 1–${epochs}`);
  if (!(Number.isInteger(s.stepInEpoch) && s.stepInEpoch >= 0 && s.stepInEpoch <= stepsInEpoch))
    throw new RangeError(
      `the resume state has done ${s.stepInEpoch} steps of epoch ${s.epoch}, but an epoch here has ${stepsInEpoch}`,
    );
  if (s.step !== (s.epoch - 1) * stepsInEpoch + s.stepInEpoch)
    throw new RangeError(
      `the resume state's step ${s.step} does not match epoch ${s.epoch}, step ${s.stepInEpoch} of ${stepsInEpoch} per epoch`,
    );
}

/** How long the step loop may keep the event loop busy before yielding (so signals get handled). */
const YIELD_MS = 20;
