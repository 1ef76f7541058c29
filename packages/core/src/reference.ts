import { type DataSet, epochBatches, fillTargets } from '@backprop/data';
import type {
  Backend,
  BackpropTrace,
  Batch,
  EpochOptions,
  EpochResult,
  ForwardTrace,
  SgdOptions,
} from './backend.js';
import { backpropInto, backpropTrace } from './backprop.js';
import { genericTrainEpoch } from './epoch.js';
import { forwardInto, traceOf } from './forward.js';
import { meanAndStep } from './kernels.js';
import { checkParamShapes, cloneParams, validateSpec, zeroParams } from './params.js';
import { sgdStep, validateSgd } from './sgd.js';
import { indexRows } from './sparse-input.js';
import type { NetworkSpec, Params } from './spec.js';
import { Workspace } from './workspace.js';

/**
 * The float64 reference backend: the formulas in plain TypeScript over Float64Array, with
 * workspaces preallocated per batch size so a training step allocates nothing.
 */
export class ReferenceBackend implements Backend {
  readonly name = 'reference';
  readonly dtype = 'float64' as const;
  readonly device = 'js';
  readonly spec: NetworkSpec;
  private params: Params;
  private velocity: Params | undefined;
  private ws: Workspace;

  constructor(spec: NetworkSpec, params: Params) {
    validateSpec(spec);
    checkParamShapes(spec, params);
    this.spec = Object.freeze({
      sizes: Object.freeze([...spec.sizes]),
      activation: spec.activation,
      cost: spec.cost,
    });
    this.params = cloneParams(params);
    this.ws = new Workspace(this.spec, 1);
  }

  private workspace(size: number): Workspace {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`batch size must be a positive integer, got ${size}`);
    if (size > this.ws.capacity) this.ws = new Workspace(this.spec, size);
    return this.ws;
  }

  private checkBatch(x: Float64Array, size: number, y?: Float64Array): void {
    const { sizes } = this.spec;
    if (x.length < size * sizes[0]!)
      throw new RangeError(`x holds ${x.length} values, fewer than ${size} rows of ${sizes[0]}`);
    const nL = sizes[sizes.length - 1]!;
    if (y && y.length < size * nL)
      throw new RangeError(`y holds ${y.length} values, fewer than ${size} rows of ${nL}`);
  }

  async setParams(params: Params): Promise<void> {
    checkParamShapes(this.spec, params);
    this.params = cloneParams(params);
    this.velocity = undefined;
  }

  async getParams(): Promise<Params> {
    return cloneParams(this.params);
  }

  /** A copy of the momentum velocity v (null before the first step with momentum); for checkpoints. */
  async getVelocity(): Promise<Params | null> {
    return this.velocity ? cloneParams(this.velocity) : null;
  }

  /** Replace the momentum velocity (null: start again from zero); for resuming a checkpoint. */
  async setVelocity(velocity: Params | null): Promise<void> {
    if (velocity) checkParamShapes(this.spec, velocity);
    this.velocity = velocity ? cloneParams(velocity) : undefined;
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    this.checkBatch(x, size);
    const ws = this.workspace(size);
    forwardInto(this.spec, this.params, x, size, ws);
    return traceOf(this.spec, x, size, ws);
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    this.checkBatch(batch.x, batch.size, batch.y);
    return backpropTrace(this.spec, this.params, batch, this.workspace(batch.size));
  }

  async step(batch: Batch, sgd: SgdOptions): Promise<number> {
    return this.stepSync(batch, sgd);
  }

  /** {@link step} without the promise, for tight loops. */
  stepSync(batch: Batch, sgd: SgdOptions): number {
    validateSgd(sgd);
    this.checkBatch(batch.x, batch.size, batch.y);
    const ws = this.workspace(batch.size);
    const cost = backpropInto(this.spec, this.params, batch, ws);
    if ((sgd.momentum ?? 0) > 0) this.velocity ??= zeroParams(this.spec);
    sgdStep(this.params, { weights: ws.gradW, biases: ws.gradB }, sgd, this.velocity);
    return cost;
  }

  /**
   * One epoch, step for step what {@link genericTrainEpoch} does (the same mini-batches from
   * `epochBatches`, the same step, the same `onSteps` calls, bit-identical parameters; tested),
   * but the inputs go from the stored features straight to the first layer's non-zero list
   * instead of through dense float rows.
   */
  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    const { sizes } = this.spec;
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    // Anything the fast path does not cover goes the generic way.
    if (data.inputSize !== n0 || data.classes !== nL) return genericTrainEpoch(this, data, options);
    const sgd = { eta: options.eta, momentum: options.momentum ?? 0, weightDecay: options.weightDecay ?? 0 };
    validateSgd(sgd);
    const batches = epochBatches(data.count, options.batchSize, options.seed, options.lastBatch ?? 'keep');
    const ws = this.workspace(options.batchSize);
    const y = new Float64Array(options.batchSize * nL);
    const x = new Float64Array(0); // not read: the inputs are indexed
    const costs = new Float64Array(batches.length);
    if (sgd.momentum > 0) this.velocity ??= zeroParams(this.spec);
    const grads = { weights: ws.gradW, biases: ws.gradB };
    const plain = sgd.momentum === 0 && sgd.weightDecay === 0;
    for (let i = 0; i < batches.length; i++) {
      const indices = batches[i]!;
      indexRows(data, indices, ws.input);
      fillTargets(data, indices, y);
      const batch = { size: indices.length, x, y };
      if (plain) {
        costs[i] = backpropInto(this.spec, this.params, batch, ws, { inputs: 'indexed', mean: false });
        meanAndStep(this.params, grads, 1 / indices.length, sgd.eta);
      } else {
        costs[i] = backpropInto(this.spec, this.params, batch, ws, { inputs: 'indexed' });
        sgdStep(this.params, grads, sgd, this.velocity);
      }
      options.onSteps?.(i, costs.subarray(i, i + 1));
    }
    return { batches, costs };
  }

  async dispose(): Promise<void> {}
}

/** The reference backend for `spec`, holding a copy of `params`. */
export function createReferenceBackend(spec: NetworkSpec, params: Params): ReferenceBackend {
  return new ReferenceBackend(spec, params);
}
