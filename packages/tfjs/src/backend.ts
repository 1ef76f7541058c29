import {
  type Backend,
  type BackpropTrace,
  type Batch,
  type Capability,
  checkParamShapes,
  type EpochOptions,
  type EpochResult,
  type ForwardTrace,
  genericTrainEpoch,
  type NetworkSpec,
  type Params,
  type SgdOptions,
  validateSgd,
  validateSpec,
} from '@backprop/core';
import type { DataSet } from '@backprop/data';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registers the 'wasm' backend

/**
 * The TF.js backends this package runs on: `cpu` and `wasm` everywhere; `webgl` and `webgpu` in
 * a browser that has them (registered by `@backprop/tfjs/browser`).
 */
export type TfjsKind = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

/**
 * What a TF.js backend provides: everything but an epoch loop of its own (TF.js has no seeded
 * shuffle, so its `trainEpoch` is the shared loop of @backprop/core over TF.js's own step, and
 * the suite's sgd.epoch is not applicable rather than a check of our code).
 */
export const TFJS_CAPABILITIES: readonly Capability[] = Object.freeze([
  'forward',
  'deltas',
  'gradients',
  'step',
  'momentum',
  'weight-decay',
]);

let instances = 0;
let bannerSilenced = false;

/**
 * Make `kind` the active TF.js backend (TF.js has one active backend per process; every call
 * here sets its own before running, and runs synchronously after). Throws why it cannot.
 */
export async function useTfjs(kind: TfjsKind): Promise<void> {
  if (tf.getBackend() === kind) return;
  if (!tf.findBackendFactory(kind))
    throw new Error(
      kind === 'webgpu' || kind === 'webgl'
        ? `TF.js ${tf.version.tfjs} has no '${kind}' backend here: ${kind === 'webgpu' ? 'this runtime has no WebGPU (navigator.gpu)' : 'WebGL runs only in a browser'}; import @backprop/tfjs/browser in a page that has it`
        : `TF.js ${tf.version.tfjs} has no '${kind}' backend registered`,
    );
  let ok: boolean;
  try {
    ok = await tf.setBackend(kind);
  } catch (e) {
    throw new Error(
      `TF.js ${tf.version.tfjs} could not start its '${kind}' backend: ${(e as Error).message}`,
    );
  }
  if (!ok)
    throw new Error(
      `TF.js ${tf.version.tfjs} could not start its '${kind}' backend${kind === 'wasm' ? ' (its .wasm binary failed to load; reinstall @tensorflow/tfjs-backend-wasm 4.22.0)' : ''}`,
    );
  if (kind === 'cpu' && !bannerSilenced) {
    // The cpu backend prints a one-time notice recommending tfjs-node on its first tensor; this
    // package runs the pure-JS backend on purpose. Make that first tensor with notices off.
    bannerSilenced = true;
    const prod = tf.env().getBool('PROD');
    tf.env().set('PROD', true);
    tf.tensor1d([0]).dispose();
    tf.env().set('PROD', prod);
  }
}

const f32 = (a: Float64Array) => Float32Array.from(a);

/**
 * The values of `tensors`, read back asynchronously (the GPU backends, webgl and webgpu, have no
 * good synchronous read), then the tensors freed. A tensor is read from the TF.js backend that
 * holds it, whichever backend is active by then.
 */
async function readAll(tensors: readonly tf.Tensor[]): Promise<Float64Array[]> {
  try {
    return (await Promise.all(tensors.map((t) => t.data()))).map((v) => Float64Array.from(v as Float32Array));
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/**
 * The network in TensorFlow.js, float32: parameters are `tf.Variable`s, the forward pass is
 * TF.js ops, gradients and δ come from TF.js's autodiff (`tf.valueAndGrads`, `tf.variableGrads`),
 * never from the formulas, and the step is a TF.js optimizer (`tf.train.sgd`, `tf.train.momentum`).
 */
export class TfjsBackend implements Backend {
  readonly name: string;
  readonly dtype = 'float32' as const;
  readonly device: TfjsKind;
  readonly capabilities = TFJS_CAPABILITIES;
  readonly spec: NetworkSpec;
  private readonly W: tf.Variable[];
  private readonly b: tf.Variable[];
  private optimizer:
    | { readonly kind: 'sgd'; readonly optimizer: tf.SGDOptimizer }
    | { readonly kind: 'momentum'; readonly momentum: number; readonly optimizer: tf.MomentumOptimizer }
    | undefined;
  private disposed = false;

  private constructor(kind: TfjsKind, spec: NetworkSpec, params: Params) {
    this.name = `tfjs-${kind}`;
    this.device = kind;
    this.spec = Object.freeze({
      sizes: Object.freeze([...spec.sizes]),
      activation: spec.activation,
      cost: spec.cost,
    });
    const id = ++instances;
    const { sizes } = spec;
    // (tidy frees the initial values; variables outlive it)
    this.W = params.weights.map((w, l) =>
      tf.tidy(() =>
        tf.variable(tf.tensor2d(f32(w), [sizes[l + 1]!, sizes[l]!]), true, `${this.name}-${id}-W${l + 1}`),
      ),
    );
    this.b = params.biases.map((b, l) =>
      tf.tidy(() => tf.variable(tf.tensor1d(f32(b)), true, `${this.name}-${id}-b${l + 1}`)),
    );
  }

  /** A network on TF.js's `kind` backend, holding `params` (rounded to float32). */
  static async create(kind: TfjsKind, spec: NetworkSpec, params: Params): Promise<TfjsBackend> {
    validateSpec(spec);
    checkParamShapes(spec, params);
    await useTfjs(kind);
    return new TfjsBackend(kind, spec, params);
  }

  /**
   * Run `fn` on this network's TF.js backend inside a tidy scope (the intermediates are freed),
   * then read back the tensors it returns ({@link readAll}).
   */
  private async run(fn: () => tf.Tensor[]): Promise<Float64Array[]> {
    if (this.disposed) throw new Error(`${this.name}: used after dispose`);
    await useTfjs(this.device);
    return readAll(tf.tidy(fn));
  }

  private inputs(x: Float64Array, size: number, y?: Float64Array): { x: tf.Tensor2D; y?: tf.Tensor2D } {
    const { sizes } = this.spec;
    const n0 = sizes[0]!;
    const nL = sizes[sizes.length - 1]!;
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`batch size must be a positive integer, got ${size}`);
    if (x.length < size * n0)
      throw new RangeError(`x holds ${x.length} values, fewer than ${size} rows of ${n0}`);
    if (y && y.length < size * nL)
      throw new RangeError(`y holds ${y.length} values, fewer than ${size} rows of ${nL}`);
    return {
      x: tf.tensor2d(f32(x.subarray(0, size * n0)), [size, n0]),
      ...(y ? { y: tf.tensor2d(f32(y.subarray(0, size * nL)), [size, nL]) } : {}),
    };
  }

  /**
   * z^l = a^{l−1} (W^l)ᵀ + b^l and a^l = σ(z^l) (softmax at the output with cross-entropy), one
   * example per row; `E[l-1]`, when given, is added to z^l (zero: it changes nothing, but the
   * cost's gradient with respect to it is ∂C/∂z^l, which TF.js cannot report for an intermediate).
   */
  private forwardOps(x: tf.Tensor2D, W: tf.Tensor[], b: tf.Tensor[], E?: tf.Tensor[]) {
    const { activation, cost } = this.spec;
    const L = W.length;
    const zs: tf.Tensor2D[] = [];
    const as: tf.Tensor2D[] = [x];
    let a: tf.Tensor2D = x;
    for (let l = 0; l < L; l++) {
      let z = tf.add(tf.matMul(a, W[l]! as tf.Tensor2D, false, true), b[l]!) as tf.Tensor2D;
      if (E) z = tf.add(z, E[l]!) as tf.Tensor2D;
      zs.push(z);
      if (l === L - 1 && cost === 'cross-entropy') a = tf.softmax(z);
      else if (activation === 'sigmoid') a = tf.sigmoid(z);
      else if (activation === 'relu') a = tf.relu(z);
      else a = z;
      as.push(a);
    }
    return { zs, as };
  }

  /** The batch's mean cost from the output a^L (z^L for cross-entropy) and the targets y. */
  private costOp(a: tf.Tensor2D, z: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    switch (this.spec.cost) {
      case 'quadratic':
        return tf.mean(tf.mul(0.5, tf.sum(tf.square(tf.sub(a, y)), 1)));
      case 'squared-error':
        return tf.mean(tf.sum(tf.square(tf.sub(a, y)), 1));
      case 'cross-entropy':
        return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(z)), 1)));
    }
  }

  async setParams(params: Params): Promise<void> {
    checkParamShapes(this.spec, params);
    const { sizes } = this.spec;
    await this.run(() => {
      params.weights.forEach((w, l) => {
        this.W[l]!.assign(tf.tensor2d(f32(w), [sizes[l + 1]!, sizes[l]!]));
      });
      params.biases.forEach((b, l) => {
        this.b[l]!.assign(tf.tensor1d(f32(b)));
      });
      return [];
    });
    this.disposeOptimizer(); // momentum starts again from zero
  }

  async getParams(): Promise<Params> {
    const L = this.W.length;
    // Copies of the variables (tidy keeps what it returns), read and freed by run.
    const v = await this.run(() => [...this.W, ...this.b].map((p) => tf.clone(p)));
    return { weights: v.slice(0, L), biases: v.slice(L) };
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    const L = this.W.length;
    const v = await this.run(() => {
      const t = this.forwardOps(this.inputs(x, size).x, this.W, this.b);
      return [...t.zs, ...t.as];
    });
    return { zs: v.slice(0, L), activations: v.slice(L) };
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    const m = batch.size;
    const L = this.W.length;
    const v = await this.run(() => {
      const { x, y } = this.inputs(batch.x, m, batch.y);
      const E = this.spec.sizes.slice(1).map((n) => tf.zeros([m, n]));
      let kept: tf.Tensor[] = [];
      const f = (...args: tf.Tensor[]) => {
        const t = this.forwardOps(x, args.slice(0, L), args.slice(L, 2 * L), args.slice(2 * L));
        kept = [...t.zs, ...t.as.slice(1)].map((z) => tf.keep(z)); // the traces outlive the gradient's tidy
        return this.costOp(t.as[L]!, t.zs[L - 1]!, y!);
      };
      const { value, grads } = tf.valueAndGrads(f)([...this.W, ...this.b, ...E]);
      // Autodiff of the MEAN cost gives ∂C/∂z^l = δ^l / m for each example's row: times m is δ^l.
      const deltas = grads.slice(2 * L).map((g) => tf.mul(g, m));
      // (the kept traces are returned too: tidy leaves them to run, which frees them after reading)
      return [value, x, ...kept, ...deltas, ...grads.slice(0, 2 * L)];
    });
    // value, x, z^1..z^L, a^1..a^L, δ^1..δ^L, ∂C/∂W^1..L, ∂C/∂b^1..L
    const at = (k: number) => v.slice(2 + k * L, 2 + (k + 1) * L);
    return {
      zs: at(0),
      activations: [v[1]!, ...at(1)],
      cost: v[0]![0]!,
      deltas: at(2),
      gradients: { weights: at(3), biases: at(4) },
    };
  }

  /**
   * The TF.js optimizer for these settings: `tf.SGDOptimizer`, or `tf.MomentumOptimizer`
   * (accum ← μ·accum + g, θ ← θ − η·accum: our v = −η·accum while η is constant). Kept across
   * steps so that momentum accumulates; a new one (zero momentum) after `setParams`.
   */
  private optimizerFor(eta: number, momentum: number): tf.Optimizer {
    const o = this.optimizer;
    // (TF.js's `instanceof Optimizer` is duck-typed and cannot tell SGD from momentum, so the kind is kept here.)
    // TF.js 4.22's MomentumOptimizer.setMomentum changes nothing (its update reads a scalar made in
    // the constructor): another μ needs another optimizer.
    if (o && (o.kind === 'sgd' ? momentum === 0 : o.momentum === momentum)) {
      o.optimizer.setLearningRate(eta);
      return o.optimizer;
    }
    this.disposeOptimizer();
    if (momentum === 0) {
      const optimizer = new tf.SGDOptimizer(eta);
      this.optimizer = { kind: 'sgd', optimizer };
      return optimizer;
    }
    const optimizer = new tf.MomentumOptimizer(eta, momentum);
    this.optimizer = { kind: 'momentum', momentum, optimizer };
    return optimizer;
  }

  private disposeOptimizer(): void {
    const o = this.optimizer;
    this.optimizer = undefined;
    if (!o) return;
    o.optimizer.dispose();
    // TF.js 4.22's MomentumOptimizer.dispose frees its momentum and accumulators but not the
    // learning-rate scalar of its SGD base class: free that too.
    if (o.kind === 'momentum') tf.SGDOptimizer.prototype.dispose.call(o.optimizer);
  }

  async step(batch: Batch, sgd: SgdOptions): Promise<number> {
    validateSgd(sgd);
    const momentum = sgd.momentum ?? 0;
    const weightDecay = sgd.weightDecay ?? 0;
    const optimizer = this.optimizerFor(sgd.eta, momentum);
    const [cost] = await this.run(() => {
      const { x, y } = this.inputs(batch.x, batch.size, batch.y);
      const L = this.W.length;
      const { value, grads } = tf.variableGrads(() => {
        const t = this.forwardOps(x, this.W, this.b);
        return this.costOp(t.as[L]!, t.zs[L - 1]!, y!);
      }, [...this.W, ...this.b]);
      // TF.js optimizers have no weight decay: L2 is added to the weights' gradients (λW), not the biases'.
      if (weightDecay > 0)
        for (const w of this.W) grads[w.name] = tf.add(grads[w.name]!, tf.mul(weightDecay, w));
      optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      return [value];
    });
    return cost![0]!;
  }

  /** The shared epoch loop of @backprop/core (seeded shuffle, then TF.js's own step per mini-batch). */
  trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    return genericTrainEpoch(this, data, options);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of [...this.W, ...this.b]) v.dispose();
    this.disposeOptimizer();
  }
}
