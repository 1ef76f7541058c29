import type { DataSet, LastBatchPolicy } from '@backprop/data';
import type { Gradients, NetworkSpec, Params } from './spec.js';

/** Element type a backend computes in. */
export type Dtype = 'float64' | 'float32';

/**
 * A mini-batch in matrix form: one example per row.
 * `x` is size × n_0 and `y` is size × n_L (one-hot targets), both row-major, and exactly that
 * long: `x.length === size · n_0` and `y.length === size · n_L`. A caller that keeps buffers for
 * full batches hands the last, smaller batch of an epoch as views (`subarray`) of `size` rows;
 * every caller in this repository does, so a backend may rely on it (and check it).
 */
export interface Batch {
  readonly size: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** What the forward pass computed, per layer, for every example of a batch. */
export interface ForwardTrace {
  /** `zs[l-1]` is z^l = W^l a^{l-1} + b^l, size × n_l. */
  readonly zs: Float64Array[];
  /** `activations[l]` is a^l, size × n_l; `activations[0]` is the input x. */
  readonly activations: Float64Array[];
}

/** What backpropagation computed for a batch. */
export interface BackpropTrace extends ForwardTrace {
  /** Mean cost of the batch. */
  readonly cost: number;
  /**
   * `deltas[l-1]` is δ^l = ∂C_x/∂z^l for each example x, size × n_l, where C_x is
   * the example's own cost (not divided by the batch size).
   */
  readonly deltas: Float64Array[];
  /** ∂C/∂W^l and ∂C/∂b^l of the batch's mean cost. */
  readonly gradients: Gradients;
}

/** Plain SGD with optional extensions. */
export interface SgdOptions {
  /** Learning rate η > 0. */
  readonly eta: number;
  /** Momentum μ in [0, 1): v ← μv − η∇C, θ ← θ + v. 0 (default) is plain SGD. */
  readonly momentum?: number;
  /** L2 weight decay λ ≥ 0 on weights (not biases): ∇C + λW. 0 by default. */
  readonly weightDecay?: number;
}

/**
 * Options for one epoch of mini-batch SGD (clause `sgd.epoch`): the mini-batches of
 * `epochBatches(data.count, batchSize, seed, lastBatch)`, one SGD step on each, in order.
 *
 * Step numbers here count the steps of this epoch: after the step on mini-batch `i` (0-based),
 * `i + 1` steps are done.
 */
export interface EpochOptions extends SgdOptions {
  readonly batchSize: number;
  /** Seed of this epoch's shuffle. */
  readonly seed: number;
  /** What to do with the last mini-batch when `batchSize` does not divide the count (default `keep`). */
  readonly lastBatch?: LastBatchPolicy;
  /**
   * Steps of this epoch already done (default 0), for a resumed run: the epoch draws the whole
   * seeded shuffle as usual and starts at mini-batch `startStep`, so it visits exactly the
   * batches an uninterrupted epoch would still have visited. At most the epoch's step count.
   */
  readonly startStep?: number;
  /**
   * Called after each step, or after each group of steps a backend runs together, with the
   * step costs: `costs[i]` is the cost of step `firstStep + i` (0-based in the epoch), each the
   * batch's mean cost before its step. Every step is reported once, in order.
   */
  readonly onSteps?: (firstStep: number, costs: Float64Array) => void;
  /**
   * Called between two steps — after each step or group of steps (after its `onSteps`), the
   * last one included — with the steps of this epoch done so far (`startStep` counted); the
   * next step waits for it when it returns a promise. The backend's parameters (and momentum
   * velocity) are then those after `done` steps, so the hook may read them, e.g. to write a
   * checkpoint. Throwing (or rejecting) stops the epoch there: `trainEpoch` rejects with that
   * error. `train` uses it for checkpoints, `shouldStop` and to let the event loop run.
   */
  readonly betweenSteps?: (done: number) => void | Promise<void>;
  /**
   * Where `betweenSteps` must be called: after every step `done` with
   * `(done + pauseOffset) % pauseEvery === 0` (see {@link stepsToPause}). A backend that runs
   * several steps together ends a group there and elsewhere groups as it likes. `train` passes
   * its checkpoint interval, and as `pauseOffset` the steps of the earlier epochs, since
   * checkpoints fall every N steps of the run. Unset: no step where the hook must be called.
   */
  readonly pauseEvery?: number;
  /** Added to `done` before the `pauseEvery` test (default 0). */
  readonly pauseOffset?: number;
}

/** What an epoch did: the example indices of each mini-batch in the order visited, and each step's cost. */
export interface EpochResult {
  /** Every mini-batch of the epoch's shuffle, the ones before `startStep` included. */
  readonly batches: Uint32Array[];
  /**
   * Mean cost of each mini-batch this call stepped on, before its step: `costs[i]` belongs to
   * `batches[startStep + i]`.
   */
  readonly costs: Float64Array;
}

/**
 * What a backend can report or do beyond holding parameters (`setParams`, `getParams`):
 * - `forward`: the traces z^l and a^l (`forward`, and `zs`/`activations` of `backprop`);
 * - `deltas`: δ^l of every example (`deltas` of `backprop`);
 * - `gradients`: the batch cost and ∂C/∂W^l, ∂C/∂b^l (`cost`/`gradients` of `backprop`);
 * - `step`: one plain SGD step; `momentum` and `weight-decay`: the step's extensions;
 * - `train-epoch`: an epoch loop of the backend's own (its shuffle, its steps).
 *
 * Most frameworks expose the cost and gradients but not δ or z without hooks; a backend declares
 * what it has, and a conformance clause that needs anything else is "not applicable", never passed.
 */
export type Capability =
  | 'forward'
  | 'deltas'
  | 'gradients'
  | 'step'
  | 'momentum'
  | 'weight-decay'
  | 'train-epoch';

/** Every capability, in the order of the contract; a backend that declares none has all of them. */
export const CAPABILITIES: readonly Capability[] = Object.freeze([
  'forward',
  'deltas',
  'gradients',
  'step',
  'momentum',
  'weight-decay',
  'train-epoch',
]);

/** What a capability stands for, in words (for reports: "not applicable: needs …"). */
export const CAPABILITY_MEANING: Readonly<Record<Capability, string>> = Object.freeze({
  forward: 'the forward traces z^l and a^l',
  deltas: 'the errors δ^l = ∂C_x/∂z^l',
  gradients: 'the batch cost and its gradients',
  step: 'an SGD step',
  momentum: 'SGD with momentum',
  'weight-decay': 'SGD with weight decay',
  'train-epoch': 'an epoch loop of its own',
});

/** The capabilities of a backend: those it declares, or all of them when it declares none. */
export function capabilitiesOf(backend: {
  readonly capabilities?: readonly Capability[];
}): ReadonlySet<Capability> {
  return new Set(backend.capabilities ?? CAPABILITIES);
}

/**
 * An execution path for the network: `reference` (float64 TypeScript) or an ONNX Runtime
 * provider. Every quantity is reported as float64 whatever the dtype it was computed in,
 * so the conformance suite can check it against the formulas.
 */
export interface Backend {
  /** Registry name, e.g. "reference", "onnx-cpu". */
  readonly name: string;
  readonly dtype: Dtype;
  readonly spec: NetworkSpec;
  /** Where the computation really ran, e.g. "js", "cpu", "webgpu", "cuda". */
  readonly device: string;
  /**
   * What it can report or do ({@link Capability}); absent means everything. The trace fields of a
   * capability it lacks are empty arrays, and a method it lacks throws, naming the capability.
   */
  readonly capabilities?: readonly Capability[];
  /** Replace the parameters (a copy is taken) and reset any optimizer state such as momentum. */
  setParams(params: Params): Promise<void>;
  /** A copy of the current parameters, as float64. */
  getParams(): Promise<Params>;
  /** The forward pass over a batch of `size` rows of `x`. */
  forward(x: Float64Array, size: number): Promise<ForwardTrace>;
  /** The forward pass followed by BP1–BP4. Parameters are unchanged. */
  backprop(batch: Batch): Promise<BackpropTrace>;
  /**
   * One SGD step θ ← θ − η∇C on the batch (of exactly `batch.size` rows, see {@link Batch});
   * returns the batch's cost before the step.
   */
  step(batch: Batch, sgd: SgdOptions): Promise<number>;
  /**
   * One epoch of mini-batch SGD over `data`, when the backend has a faster way than one `step`
   * per mini-batch (ONNX Runtime: many steps per run). Optional: without it, the epoch is
   * `genericTrainEpoch` (see `runEpoch`). One that has it honours every {@link EpochOptions}
   * (`startStep`, `onSteps`, `betweenSteps` where `pauseEvery` says) and visits the same
   * mini-batches, step for step, as `genericTrainEpoch`.
   */
  trainEpoch?(data: DataSet, options: EpochOptions): Promise<EpochResult>;
  /** Release native resources. */
  dispose(): Promise<void>;
}
