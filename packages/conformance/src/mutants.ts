/**
 * Deliberately wrong backends. Each is one plain float64 implementation of the network (its own
 * loops, apart from the reference's kernels) with one fault, named after the clause that must kill
 * it. The faults are those real ports, kernels and adapters have: a formula slip, an unrolled
 * kernel's tail, a lane or row block of fixed size, an exponential that overflows, an optimizer
 * whose state survives `setParams`, an epoch loop that mishandles its last batch or its hooks.
 * Many keep every equation the backend reports consistent and are wrong only in what they do. A
 * mutant that no clause kills would show a hole in the suite.
 */
import {
  type Activation,
  activations,
  type Backend,
  type BackpropTrace,
  type Batch,
  type Cost,
  cloneParams,
  costGradient,
  costValue,
  type EpochOptions,
  type EpochResult,
  epochStart,
  type ForwardTrace,
  type NetworkSpec,
  type Params,
  type SgdOptions,
  softmax,
  stepsToPause,
  validateSgd,
  zeroParams,
} from '@backprop/core';
import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import type { FamilyId } from './families.js';
import type { BackendEntry } from './registry.js';

/** What an epoch loop gets wrong (see {@link MUTANTS} for each). */
export type EpochFault =
  | 'repeat-skip'
  | 'seed-ignored'
  | 'drop-ignored'
  | 'drop-whole-batch'
  | 'padded-last-batch'
  | 'last-batch-over-full-size'
  | 'on-steps-post-step'
  | 'pause-ignored'
  | 'stale-pause-params'
  | 'start-step-ignored'
  | 'start-step-early'
  | 'options-dropped'
  | 'velocity-reset-per-epoch';

/** The one thing a mutant gets wrong; every hook left out behaves as the formulas say. */
export interface Mutation {
  /** getParams leaves out the output layer's bias. */
  dropOutputBias?: boolean;
  /** a^l = σ(z^l) for a layer that is not a softmax output. */
  activate?(activation: Activation, z: number, layer: number, L: number): number;
  /** The softmax output row (cross-entropy). */
  softmax?(z: Float64Array): Float64Array;
  /** Leave b^l out of z^l. */
  noBias?: boolean;
  /** Terms of each dot product Σ_k w_jk a_k summed, given the fan-in (an unrolled kernel's tail). */
  dotTerms?(fanIn: number): number;
  /** A kernel of this many neurons: neurons j ≥ lanes are never written (z_j = 0). */
  lanes?: number;
  /** Rows staged in blocks of this many, the input offset never advanced: row r is computed from input row r mod block. */
  rowBlock?: number;
  /** σ′ as applied in BP1/BP2, from z and a = σ(z). */
  prime?(activation: Activation, z: number, a: number): number;
  /** The example cost C_x. */
  cost?(cost: Cost, a: Float64Array, y: Float64Array, z: Float64Array): number;
  /** Divide the summed example costs by this (default m). */
  costDivisor?(m: number): number;
  /** ∇_a C_x. */
  costGradient?(cost: Cost, a: Float64Array, y: Float64Array): Float64Array;
  /** BP2 without ⊙ σ′(z^l). */
  bp2NoPrime?: boolean;
  /** BP2 with W^{l+1} read as if it were already transposed (its flat array reshaped n_l × n_{l+1}). */
  bp2NoTranspose?: boolean;
  /** BP2 with |W^{l+1}| in place of W^{l+1}. */
  bp2AbsWeights?: boolean;
  /** BP2 carried at most this many layers down from the output; the δ below stay 0. */
  bp2Depth?: number;
  /** BP4 with z^{l−1} in place of a^{l−1} (for l ≥ 2). */
  bp4UsesZ?: boolean;
  /** Factor of Σ_x for the weight gradients (default 1/m). */
  weightGradFactor?(m: number): number;
  /** Factor of Σ_x for the bias gradients (default 1/m). */
  biasGradFactor?(m: number): number;
  /** The sums over the batch of BP3 and BP4 stop after this many rows (still divided by m). */
  reductionRows?: number;
  /** θ ← θ + sign · η ∇C (default −1). */
  stepSign?: number;
  /** The step's learning rate multiplied by this. */
  etaFactor?: number;
  /** step returns the batch's cost after the update, not before. */
  postStepCost?: boolean;
  /** step applies the gradient computed by the previous step since setParams (a pipelined update). */
  staleGradient?: boolean;
  /** step computes its gradient on the batch of the previous step since setParams (a stale input buffer). */
  staleBatch?: boolean;
  /** Momentum: not applied, not reset by setParams, or damped (v ← μv − (1 − μ)η∇C). */
  momentum?: 'ignored' | 'kept-by-setParams' | 'dampened';
  /** Weight decay: on the biases too, decoupled (θ ← θ − η∇C − λθ), or not applied. */
  weightDecay?: 'on-biases' | 'decoupled' | 'ignored';
  /** The epoch loop's fault. */
  epoch?: EpochFault;
}

/** σ(z) for every activation name (the formulas, in plain loops). */
function act(a: Activation, z: number): number {
  return activations[a].f(z);
}

/** A backend that computes everything itself, in float64, with one {@link Mutation}. */
export class MutantBackend implements Backend {
  readonly dtype = 'float64' as const;
  readonly device = 'js';
  readonly spec: NetworkSpec;
  private params: Params;
  private velocity: Params | undefined;
  private lastGradient: Params | undefined;
  private lastBatch: Batch | undefined;
  /** While betweenSteps runs under `stale-pause-params`: what getParams shows. */
  private shown: Params | undefined;

  constructor(
    readonly name: string,
    spec: NetworkSpec,
    params: Params,
    private readonly m: Mutation,
  ) {
    this.spec = Object.freeze({
      sizes: Object.freeze([...spec.sizes]),
      activation: spec.activation,
      cost: spec.cost,
    });
    this.params = cloneParams(params);
  }

  async setParams(params: Params): Promise<void> {
    this.params = cloneParams(params);
    if (this.m.momentum !== 'kept-by-setParams') this.velocity = undefined;
    this.lastGradient = undefined;
    this.lastBatch = undefined;
  }

  async getParams(): Promise<Params> {
    const p = cloneParams(this.shown ?? this.params);
    if (this.m.dropOutputBias) p.biases[p.biases.length - 1] = new Float64Array(0);
    return p;
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    return this.forwardOwn(x, size);
  }

  private forwardOwn(x: Float64Array, size: number): ForwardTrace {
    const m = this.m;
    const { sizes, activation, cost } = this.spec;
    const L = sizes.length - 1;
    const zs: Float64Array[] = [];
    const as: Float64Array[] = [x.slice(0, size * sizes[0]!)];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!;
      const k0 = sizes[l - 1]!;
      const W = this.params.weights[l - 1]!;
      const b = this.params.biases[l - 1]!;
      const prev = as[l - 1]!;
      const z = new Float64Array(size * n);
      const a = new Float64Array(size * n);
      const terms = m.dotTerms ? m.dotTerms(k0) : k0;
      const written = m.lanes ? Math.min(n, m.lanes) : n;
      for (let r = 0; r < size; r++) {
        const src = m.rowBlock ? r % m.rowBlock : r; // the row of a^{l−1} read for row r
        for (let j = 0; j < written; j++) {
          let s = m.noBias ? 0 : b[j]!;
          for (let k = 0; k < terms; k++) s += W[j * k0 + k]! * prev[src * k0 + k]!;
          z[r * n + j] = s; // fwd.affine
        }
        if (l === L && cost === 'cross-entropy') {
          const row = z.subarray(r * n, (r + 1) * n);
          a.set(m.softmax ? m.softmax(row) : softmax(row), r * n);
        } else
          for (let j = 0; j < n; j++)
            a[r * n + j] = m.activate
              ? m.activate(activation, z[r * n + j]!, l, L)
              : act(activation, z[r * n + j]!);
      }
      zs.push(z);
      as.push(a);
    }
    return { zs, activations: as };
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    const m = this.m;
    const { sizes, activation, cost } = this.spec;
    const L = sizes.length - 1;
    const size = batch.size;
    const t = this.forwardOwn(batch.x, size);
    const nL = sizes[L]!;
    const prime = (z: number, a: number) =>
      m.prime ? m.prime(activation, z, a) : activations[activation].prime(z);
    let total = 0;
    const deltas: Float64Array[] = sizes.slice(1).map((n) => new Float64Array(size * n));
    for (let r = 0; r < size; r++) {
      const a = t.activations[L]!.slice(r * nL, (r + 1) * nL);
      const y = batch.y.slice(r * nL, (r + 1) * nL);
      const z = t.zs[L - 1]!.slice(r * nL, (r + 1) * nL);
      total += m.cost ? m.cost(cost, a, y, z) : costValue(cost, a, y, z);
      const dL = deltas[L - 1]!;
      if (cost === 'cross-entropy') for (let j = 0; j < nL; j++) dL[r * nL + j] = a[j]! - y[j]!;
      else {
        const g = m.costGradient
          ? m.costGradient(cost, a, y)
          : costGradient(cost, a, y, new Float64Array(nL));
        for (let j = 0; j < nL; j++) dL[r * nL + j] = g[j]! * prime(z[j]!, a[j]!); // bp1
      }
    }
    const lowest = m.bp2Depth ? Math.max(1, L - m.bp2Depth) : 1;
    for (let l = L - 1; l >= lowest; l--) {
      const n = sizes[l]!;
      const next = sizes[l + 1]!;
      const W = this.params.weights[l]!;
      for (let r = 0; r < size; r++)
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let j = 0; j < next; j++) {
            let w = m.bp2NoTranspose ? W[k * next + j]! : W[j * n + k]!;
            if (m.bp2AbsWeights) w = Math.abs(w);
            s += w * deltas[l]![r * next + j]!;
          }
          const i = r * n + k;
          deltas[l - 1]![i] = m.bp2NoPrime ? s : s * prime(t.zs[l - 1]![i]!, t.activations[l]![i]!); // bp2
        }
    }
    const wf = m.weightGradFactor ? m.weightGradFactor(size) : 1 / size;
    const bf = m.biasGradFactor ? m.biasGradFactor(size) : 1 / size;
    const rows = m.reductionRows ? Math.min(size, m.reductionRows) : size;
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!;
      const k0 = sizes[l - 1]!;
      const input = m.bp4UsesZ && l >= 2 ? t.zs[l - 2]! : t.activations[l - 1]!;
      const d = deltas[l - 1]!;
      const gW = new Float64Array(n * k0);
      const gB = new Float64Array(n);
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < n; j++) {
          gB[j] += d[r * n + j]! * bf; // bp3
          for (let k = 0; k < k0; k++) gW[j * k0 + k] += input[r * k0 + k]! * d[r * n + j]! * wf; // bp4
        }
      weights.push(gW);
      biases.push(gB);
    }
    const divisor = m.costDivisor ? m.costDivisor(size) : size;
    return { ...t, cost: total / divisor, deltas, gradients: { weights, biases } };
  }

  async step(batch: Batch, sgd: SgdOptions): Promise<number> {
    return this.stepOn(batch, sgd, batch.size);
  }

  /** One step whose mean divides by `divisor` (the batch's size, but for one epoch fault). */
  private async stepOn(batch: Batch, sgd: SgdOptions, divisor: number): Promise<number> {
    validateSgd(sgd);
    const m = this.m;
    const used = m.staleBatch && this.lastBatch ? this.lastBatch : batch;
    this.lastBatch = { size: batch.size, x: batch.x.slice(), y: batch.y.slice() };
    const t = await this.backprop(used);
    let grad = t.gradients;
    let cost = t.cost;
    if (divisor !== batch.size) {
      const k = batch.size / divisor;
      grad = {
        weights: grad.weights.map((g) => g.map((v) => v * k)),
        biases: grad.biases.map((g) => g.map((v) => v * k)),
      };
      cost *= k;
    }
    if (m.staleGradient) {
      const fresh = grad;
      grad = this.lastGradient ?? fresh;
      this.lastGradient = fresh;
    }
    const eta = sgd.eta * (m.etaFactor ?? 1);
    const sign = m.stepSign ?? -1;
    const mu = m.momentum === 'ignored' ? 0 : (sgd.momentum ?? 0);
    const lambda = m.weightDecay === 'ignored' ? 0 : (sgd.weightDecay ?? 0);
    if (mu > 0) this.velocity ??= zeroParams(this.spec);
    for (const kind of ['weights', 'biases'] as const)
      this.params[kind].forEach((th, l) => {
        const g = grad[kind][l]!;
        const v = mu > 0 ? this.velocity![kind][l]! : undefined;
        const decays = kind === 'weights' || m.weightDecay === 'on-biases';
        for (let i = 0; i < th.length; i++) {
          const decoupled = m.weightDecay === 'decoupled';
          const gi = g[i]! + (decays && !decoupled ? lambda * th[i]! : 0); // ∇C + λW
          if (v) {
            v[i] = mu * v[i]! + sign * (m.momentum === 'dampened' ? 1 - mu : 1) * eta * gi; // v ← μv − η∇C
            th[i] = th[i]! + v[i]!;
          } else th[i] = th[i]! + sign * eta * gi;
          if (decays && decoupled) th[i] = th[i]! - lambda * th[i]!;
        }
      });
    if (m.postStepCost) cost = (await this.backprop(used)).cost;
    return cost;
  }

  /**
   * The epoch: the seeded shuffle, one step per mini-batch from `startStep` on, run in groups
   * of up to four steps that end where `pauseEvery` asks; `onSteps` and `betweenSteps` after each
   * group. Every {@link EpochFault} is a change to this loop.
   */
  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    const fault = this.m.epoch;
    const B = options.batchSize;
    const policy = fault === 'drop-ignored' ? 'keep' : (options.lastBatch ?? 'keep');
    let batches = epochBatches(data.count, B, fault === 'seed-ignored' ? 0 : options.seed, policy);
    if (fault === 'drop-whole-batch' && policy === 'drop' && data.count % B === 0)
      batches = batches.slice(0, -1);
    if (fault === 'repeat-skip') batches = repeatSkip(batches, B);
    let first = epochStart(options, batches.length);
    if (fault === 'start-step-ignored') first = 0;
    if (fault === 'start-step-early') first = Math.max(0, first - 1);
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes[this.spec.sizes.length - 1]!;
    const dropped = fault === 'options-dropped';
    const sgd = {
      eta: options.eta,
      momentum: dropped ? 0 : (options.momentum ?? 0),
      weightDecay: dropped ? 0 : (options.weightDecay ?? 0),
    };
    if (fault === 'velocity-reset-per-epoch') this.velocity = undefined;
    const x = new Float64Array(B * n0);
    const y = new Float64Array(B * nL);
    const costs = new Float64Array(batches.length - first);
    let done = first;
    while (done < batches.length) {
      const k = Math.min(
        4,
        batches.length - done,
        fault === 'pause-ignored' ? 4 : stepsToPause(options, done),
      );
      const before = cloneParams(this.params);
      const reported = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        const rows = batches[done + i]!;
        const short = rows.length < B;
        fillInputs(data, rows, x); // the buffer keeps the previous batch's rows past the last one's
        fillTargets(data, rows, y);
        const batch =
          short && fault === 'padded-last-batch'
            ? { size: B, x, y }
            : { size: rows.length, x: x.subarray(0, rows.length * n0), y: y.subarray(0, rows.length * nL) };
        const divisor = short && fault === 'last-batch-over-full-size' ? B : batch.size;
        costs[done - first + i] = await this.stepOn(batch, sgd, divisor);
        reported[i] =
          fault === 'on-steps-post-step' ? (await this.backprop(batch)).cost : costs[done - first + i]!;
      }
      options.onSteps?.(done, reported);
      done += k;
      if (fault === 'stale-pause-params') this.shown = before; // the hook reads a copy from before the group
      try {
        const pause = options.betweenSteps?.(done);
        if (pause) await pause;
      } finally {
        this.shown = undefined;
      }
    }
    return { batches, costs };
  }

  async dispose(): Promise<void> {}
}

/** The first shuffled example visited twice and the second never, cut into batches of B again. */
function repeatSkip(batches: Uint32Array[], B: number): Uint32Array[] {
  const all = new Uint32Array(batches.reduce((s, b) => s + b.length, 0));
  let o = 0;
  for (const b of batches) {
    all.set(b, o);
    o += b.length;
  }
  if (all.length >= 2) all[1] = all[0]!;
  const out: Uint32Array[] = [];
  for (let s = 0; s < all.length; s += B) out.push(all.subarray(s, Math.min(s + B, all.length)));
  return out;
}

/** A named mutant, the clause it is meant to break, and the family that first reaches it. */
export interface Mutant {
  readonly name: string;
  /** The clause that must kill it. */
  readonly target: string;
  readonly description: string;
  readonly mutation: Mutation;
  /**
   * A case family that kills it where the suite's original cases (families `small` and `fixture`)
   * let it through; absent when the original cases kill it, or when only a newer clause does.
   */
  readonly family?: FamilyId;
  /** What kind of implementation makes this mistake. */
  readonly kind: 'formula' | 'kernel' | 'port' | 'adapter' | 'optimizer' | 'epoch';
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** The mutants; every clause is the target of at least one. */
export const MUTANTS: readonly Mutant[] = Object.freeze([
  {
    name: 'output-bias-missing',
    target: 'net.shape',
    kind: 'adapter',
    description: 'getParams reports no bias for the output layer',
    mutation: { dropOutputBias: true },
  },
  {
    name: 'bias-missing',
    target: 'fwd.affine',
    kind: 'formula',
    description: 'z^l = W^l a^{l−1}, the bias left out',
    mutation: { noBias: true },
  },
  {
    name: 'output-activation-skipped',
    target: 'fwd.act',
    kind: 'formula',
    description: 'a^L = z^L: σ not applied on the output layer',
    mutation: { activate: (a, z, l, L) => (l === L ? z : act(a, z)) },
  },
  {
    name: 'sigma-prime-as-sigma',
    target: 'act.sigmoid',
    kind: 'formula',
    description: 'σ′(z) computed as σ(z)',
    mutation: { prime: (a, z) => (a === 'sigmoid' ? sig(z) : activations[a].prime(z)) },
  },
  {
    name: 'relu-prime-wrong-at-positive',
    target: 'act.relu',
    kind: 'formula',
    description: 'ReLU′(z) computed as ReLU(z): z instead of 1 for z > 0',
    mutation: { prime: (a, z) => (a === 'relu' ? Math.max(0, z) : activations[a].prime(z)) },
  },
  {
    name: 'softmax-unnormalised',
    target: 'act.softmax',
    kind: 'formula',
    description: 'softmax without the division by Σ_k e^{z_k − max}',
    mutation: {
      softmax: (z) => {
        const max = Math.max(...z);
        return z.map((v) => Math.exp(v - max));
      },
    },
  },
  {
    name: 'quadratic-without-half',
    target: 'cost.quadratic',
    kind: 'formula',
    description: 'the quadratic cost reported without its ½ (the video’s Σ(a−y)²)',
    mutation: { cost: (cost, a, y, z) => (cost === 'quadratic' ? 2 : 1) * costValue(cost, a, y, z) },
  },
  {
    name: 'squared-error-with-half',
    target: 'cost.squared-error',
    kind: 'formula',
    description: 'the squared error reported with Nielsen’s ½',
    mutation: { cost: (cost, a, y, z) => (cost === 'squared-error' ? 0.5 : 1) * costValue(cost, a, y, z) },
  },
  {
    name: 'cross-entropy-log2',
    target: 'cost.cross-entropy',
    kind: 'formula',
    description: 'cross-entropy with log₂ in place of ln',
    mutation: {
      cost: (cost, a, y, z) => (cost === 'cross-entropy' ? Math.LOG2E : 1) * costValue(cost, a, y, z),
    },
  },
  {
    name: 'cost-sum-not-mean',
    target: 'cost.mean',
    kind: 'formula',
    description: 'the batch cost summed over the examples, not averaged',
    mutation: { costDivisor: () => 1 },
  },
  {
    name: 'bp2-absolute-weights',
    target: 'chain.scalar',
    kind: 'formula',
    description: '∂C/∂a^{l−1} through |w^l| (the sign of the weight lost)',
    mutation: { bp2AbsWeights: true },
  },
  {
    name: 'gradient-one-percent-high',
    target: 'chain.fd',
    kind: 'formula',
    description: 'every gradient 1% too large',
    mutation: { weightGradFactor: (m) => 1.01 / m, biasGradFactor: (m) => 1.01 / m },
  },
  {
    name: 'squared-error-gradient-without-2',
    target: 'bp1',
    kind: 'formula',
    description: 'δ^L = (a − y) ⊙ σ′(z^L) for the squared error, whose gradient is 2(a − y)',
    mutation: {
      costGradient: (cost, a, y) => {
        const g = costGradient(cost, a, y, new Float64Array(a.length));
        return cost === 'squared-error' ? g.map((v) => v / 2) : g;
      },
    },
  },
  {
    name: 'bp2-without-sigma-prime',
    target: 'bp2',
    kind: 'formula',
    description: 'δ^l = (W^{l+1})ᵀ δ^{l+1}, the ⊙ σ′(z^l) missing',
    mutation: { bp2NoPrime: true },
  },
  {
    name: 'bp2-w-not-transposed',
    target: 'bp2',
    kind: 'port',
    description: 'W^{l+1} used where (W^{l+1})ᵀ belongs',
    mutation: { bp2NoTranspose: true },
  },
  {
    name: 'bias-gradient-times-batch',
    target: 'bp3',
    kind: 'port',
    description: 'the bias gradient off by a factor of the batch size (Σ_x δ, not the mean)',
    mutation: { biasGradFactor: () => 1 },
  },
  {
    name: 'bp4-z-not-a',
    target: 'bp4',
    kind: 'formula',
    description: '∂C/∂w^l_jk = z^{l−1}_k δ^l_j (z where a belongs)',
    mutation: { bp4UsesZ: true },
  },
  {
    name: 'gradient-sum-not-mean',
    target: 'grad.mean',
    kind: 'port',
    description: 'the batch gradient is the sum of the per-example gradients',
    mutation: { weightGradFactor: () => 1, biasGradFactor: () => 1 },
  },
  {
    name: 'sgd-sign-flipped',
    target: 'sgd.step',
    kind: 'formula',
    description: 'θ′ = θ + η∇C',
    mutation: { stepSign: 1 },
  },
  {
    name: 'epoch-repeats-one-skips-another',
    target: 'sgd.epoch',
    kind: 'epoch',
    description: 'an epoch that visits one example twice and another never',
    mutation: { epoch: 'repeat-skip' },
  },
  {
    name: 'sgd-step-four-times-eta',
    target: 'sgd.descent',
    kind: 'formula',
    description: 'the step taken with 4η',
    mutation: { etaFactor: 4 },
  },
  {
    name: 'identity-acts-as-relu',
    target: 'lin.collapse',
    kind: 'formula',
    description: 'the identity activation clips negative values (acts as ReLU)',
    mutation: {
      activate: (a, z) => (a === 'identity' ? Math.max(0, z) : act(a, z)),
      prime: (a, z) => (a === 'identity' ? (z > 0 ? 1 : 0) : activations[a].prime(z)),
    },
  },
  // Kernels: faults that only show on shapes the original cases never had.
  {
    name: 'unrolled-dot-tail-dropped',
    target: 'fwd.affine',
    kind: 'kernel',
    family: 'wide',
    description:
      'z = W a + b summed 8 terms at a time for fan-ins of 8 or more, the last (fan-in mod 8) terms dropped (an unrolled kernel with a wrong tail)',
    mutation: { dotTerms: (k) => (k >= 8 ? 8 * Math.floor(k / 8) : k) },
  },
  {
    name: 'sixteen-neuron-kernel',
    target: 'fwd.affine',
    kind: 'kernel',
    family: 'wide',
    description: 'a forward kernel of 16 lanes: neurons beyond the 16th are never written (z = 0)',
    mutation: { lanes: 16 },
  },
  {
    name: 'rows-staged-in-blocks-of-16',
    target: 'fwd.affine',
    kind: 'kernel',
    family: 'batch',
    description:
      'the batch staged 16 rows at a time without advancing the input: row r is computed from row r mod 16',
    mutation: { rowBlock: 16 },
  },
  {
    name: 'batch-sum-over-16-rows',
    target: 'bp3',
    kind: 'kernel',
    family: 'batch',
    description:
      'the sums over the batch for ∂C/∂b and ∂C/∂W stop after 16 rows (one workgroup), still divided by m',
    mutation: { reductionRows: 16 },
  },
  {
    name: 'backward-three-layers-deep',
    target: 'bp2',
    kind: 'kernel',
    family: 'deep',
    description:
      'BP2 carried at most three layers down from the output (a backward pass of fixed depth); the δ below stay 0',
    mutation: { bp2Depth: 3 },
  },
  {
    name: 'softmax-without-max',
    target: 'act.softmax',
    kind: 'kernel',
    family: 'saturated',
    description:
      'softmax as e^{z_j} / Σ_k e^{z_k}, the maximum not subtracted: e^z overflows to ∞ past z ≈ 709',
    mutation: {
      softmax: (z) => {
        const e = z.map(Math.exp);
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      },
    },
  },
  {
    name: 'cross-entropy-as-minus-ln-a',
    target: 'cost.cross-entropy',
    kind: 'port',
    family: 'saturated',
    description:
      'C_x = −Σ y_j ln a_j from the softmax output: ∞ once a_j underflows to 0 (a logit gap past about 745)',
    mutation: {
      cost: (cost, a, y, z) => {
        if (cost !== 'cross-entropy') return costValue(cost, a, y, z);
        let c = 0;
        for (let j = 0; j < a.length; j++) if (y[j] !== 0) c -= y[j]! * Math.log(a[j]!);
        return c;
      },
    },
  },
  {
    name: 'sigmoid-as-exp-ratio',
    target: 'fwd.act',
    kind: 'port',
    family: 'saturated',
    description: 'σ(z) = e^z / (1 + e^z): ∞/∞ = NaN past z ≈ 709',
    mutation: {
      activate: (a, z) => (a === 'sigmoid' ? Math.exp(z) / (1 + Math.exp(z)) : act(a, z)),
    },
  },
  {
    name: 'sigma-prime-from-exponentials',
    target: 'act.sigmoid',
    kind: 'port',
    family: 'saturated',
    description: 'σ′(z) = e^{−z} / (1 + e^{−z})²: ∞/∞ = NaN below z ≈ −709',
    mutation: {
      prime: (a, z) => (a === 'sigmoid' ? Math.exp(-z) / (1 + Math.exp(-z)) ** 2 : activations[a].prime(z)),
    },
  },
  // Adapters and optimizers: every equation the backend reports holds; what it does does not.
  {
    name: 'post-step-cost',
    target: 'sgd.step',
    kind: 'adapter',
    description: 'step returns the cost after its update, not before',
    mutation: { postStepCost: true },
  },
  {
    name: 'stale-gradient',
    target: 'sgd.step',
    kind: 'adapter',
    description:
      'z, a, δ and gradients reported consistently, but each step applies the gradient of the step before it (a pipelined update)',
    mutation: { staleGradient: true },
  },
  {
    name: 'stale-batch',
    target: 'sgd.step',
    kind: 'adapter',
    description:
      'each step computes its gradient on the previous step’s batch (an input buffer not refreshed)',
    mutation: { staleBatch: true },
  },
  {
    name: 'momentum-ignored',
    target: 'sgd.momentum',
    kind: 'optimizer',
    description: 'momentum μ accepted and not applied: plain SGD',
    mutation: { momentum: 'ignored' },
  },
  {
    name: 'momentum-kept-by-setParams',
    target: 'sgd.momentum',
    kind: 'optimizer',
    description: 'the velocity survives setParams: new parameters start with the old momentum',
    mutation: { momentum: 'kept-by-setParams' },
  },
  {
    name: 'momentum-dampened',
    target: 'sgd.momentum',
    kind: 'optimizer',
    description: 'v ← μv − (1 − μ)η∇C (an exponential average, as in some ports)',
    mutation: { momentum: 'dampened' },
  },
  {
    name: 'weight-decay-on-biases',
    target: 'sgd.weight-decay',
    kind: 'optimizer',
    description: 'L2 weight decay applied to the biases too',
    mutation: { weightDecay: 'on-biases' },
  },
  {
    name: 'weight-decay-decoupled',
    target: 'sgd.weight-decay',
    kind: 'optimizer',
    description: 'θ ← θ − η∇C − λθ: the decay not scaled by η (decoupled, as in AdamW)',
    mutation: { weightDecay: 'decoupled' },
  },
  {
    name: 'weight-decay-ignored',
    target: 'sgd.weight-decay',
    kind: 'optimizer',
    description: 'weight decay λ accepted and not applied',
    mutation: { weightDecay: 'ignored' },
  },
  // Epoch loops.
  {
    name: 'shuffle-seed-ignored',
    target: 'sgd.epoch',
    kind: 'epoch',
    description: 'every epoch shuffled with the same seed, whatever seed it is given',
    mutation: { epoch: 'seed-ignored' },
  },
  {
    name: 'last-batch-padded',
    target: 'sgd.epoch',
    kind: 'epoch',
    description:
      'the short last batch stepped on the full buffer: its rows, then the previous batch’s leftovers, mean over the full batch size',
    mutation: { epoch: 'padded-last-batch' },
  },
  {
    name: 'last-batch-mean-over-full-size',
    target: 'sgd.epoch',
    kind: 'epoch',
    description: 'the short last batch’s cost and gradient divided by the full batch size',
    mutation: { epoch: 'last-batch-over-full-size' },
  },
  {
    name: 'drop-ignored',
    target: 'sgd.last-batch',
    kind: 'epoch',
    description: 'lastBatch “drop” treated as “keep”: the short last batch is stepped on',
    mutation: { epoch: 'drop-ignored' },
  },
  {
    name: 'drop-removes-a-full-batch',
    target: 'sgd.last-batch',
    kind: 'epoch',
    description: 'with “drop”, when the batch size divides the data set, its last full batch is dropped too',
    mutation: { epoch: 'drop-whole-batch' },
  },
  {
    name: 'on-steps-post-step-cost',
    target: 'sgd.on-steps',
    kind: 'epoch',
    description: 'onSteps reports each batch’s cost after its step (the epoch result keeps the right ones)',
    mutation: { epoch: 'on-steps-post-step' },
  },
  {
    name: 'pause-ignored',
    target: 'sgd.on-steps',
    kind: 'epoch',
    description: 'steps run in groups of four whatever pauseEvery says; betweenSteps only after each group',
    mutation: { epoch: 'pause-ignored' },
  },
  {
    name: 'pause-sees-stale-parameters',
    target: 'sgd.on-steps',
    kind: 'epoch',
    description:
      'betweenSteps called where asked, but getParams then shows the parameters from before the group (not read back)',
    mutation: { epoch: 'stale-pause-params' },
  },
  {
    name: 'epoch-drops-momentum-and-decay',
    target: 'sgd.momentum-epochs',
    kind: 'epoch',
    description: 'the epoch loop steps without the momentum and weight decay it is given (plain SGD)',
    mutation: { epoch: 'options-dropped' },
  },
  {
    name: 'velocity-reset-every-epoch',
    target: 'sgd.momentum-epochs',
    kind: 'epoch',
    description: 'each epoch starts again from v = 0, though nothing called setParams',
    mutation: { epoch: 'velocity-reset-per-epoch' },
  },
  {
    name: 'start-step-ignored',
    target: 'sgd.resume',
    kind: 'epoch',
    description: 'a resumed epoch starts again at its first batch, whatever startStep says',
    mutation: { epoch: 'start-step-ignored' },
  },
  {
    name: 'start-step-one-early',
    target: 'sgd.resume',
    kind: 'epoch',
    description: 'a resumed epoch starts one batch early, repeating the last step before the checkpoint',
    mutation: { epoch: 'start-step-early' },
  },
]);

/** A registry entry for a mutant (not registered by default): the suite runs it like any backend. */
export function mutantEntry(mutant: Mutant): BackendEntry {
  return {
    name: `mutant:${mutant.name}`,
    dtype: 'float64',
    description: `mutant: ${mutant.description} (should fail ${mutant.target})`,
    async probe() {
      return { available: true, device: 'js' };
    },
    async create(spec, params) {
      return new MutantBackend(`mutant:${mutant.name}`, spec, params, mutant.mutation);
    },
  };
}

/** The faultless {@link MutantBackend} (no mutation): a control that must pass every clause. */
export const controlEntry: BackendEntry = Object.freeze({
  name: 'mutant:none',
  dtype: 'float64' as const,
  description: 'the mutants’ own implementation with no fault (a control: it must pass every clause)',
  async probe() {
    return { available: true as const, device: 'js' };
  },
  async create(spec: NetworkSpec, params: Params) {
    return new MutantBackend('mutant:none', spec, params, {});
  },
});
