/**
 * Deliberately wrong backends. Each wraps the reference backend (which holds the parameters and
 * runs every stage the fault does not touch) and changes one thing, named after the clause it
 * should break. A mutant that no clause kills would show a hole in the suite.
 */
import {
  type Activation,
  activations,
  type Backend,
  type BackpropTrace,
  type Batch,
  type Cost,
  costGradient,
  costValue,
  createReferenceBackend,
  type EpochOptions,
  type EpochResult,
  type ForwardTrace,
  genericTrainEpoch,
  type NetworkSpec,
  type Params,
  type ReferenceBackend,
  type SgdOptions,
  softmax,
} from '@backprop/core';
import { type DataSet, epochBatches, fillInputs, fillTargets } from '@backprop/data';
import type { BackendEntry } from './registry.js';

/** The one thing a mutant gets wrong; every hook left out behaves as the reference does. */
export interface Mutation {
  /** σ′ as applied in BP1/BP2. */
  prime?(activation: Activation, z: number): number;
  /** a^l = σ(z^l) for a layer that is not a softmax output. */
  activate?(activation: Activation, z: number, layer: number, L: number): number;
  /** The softmax output row (cross-entropy). */
  softmax?(z: Float64Array): Float64Array;
  /** Leave b^l out of z^l. */
  noBias?: boolean;
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
  /** BP4 with z^{l−1} in place of a^{l−1} (for l ≥ 2). */
  bp4UsesZ?: boolean;
  /** Factor of Σ_x for the weight gradients (default 1/m). */
  weightGradFactor?(m: number): number;
  /** Factor of Σ_x for the bias gradients (default 1/m). */
  biasGradFactor?(m: number): number;
  /** θ ← θ + sign · η ∇C (default −1). */
  stepSign?: number;
  /** The step's learning rate multiplied by this. */
  etaFactor?: number;
  /** An epoch that visits the first shuffled example twice and skips the second. */
  epochRepeatSkip?: boolean;
  /** getParams leaves out the output layer's bias. */
  dropOutputBias?: boolean;
}

const touchesForward = (m: Mutation) => !!(m.activate || m.softmax || m.noBias);
const touchesBackward = (m: Mutation) =>
  touchesForward(m) ||
  !!(
    m.prime ||
    m.cost ||
    m.costDivisor ||
    m.costGradient ||
    m.bp2NoPrime ||
    m.bp2NoTranspose ||
    m.bp2AbsWeights ||
    m.bp4UsesZ ||
    m.weightGradFactor ||
    m.biasGradFactor
  );

/** A backend that is the reference but for one {@link Mutation}. */
export class MutantBackend implements Backend {
  readonly dtype = 'float64' as const;
  readonly device = 'js';
  readonly spec: NetworkSpec;
  private readonly inner: ReferenceBackend;

  constructor(
    readonly name: string,
    spec: NetworkSpec,
    params: Params,
    private readonly m: Mutation,
  ) {
    this.inner = createReferenceBackend(spec, params);
    this.spec = this.inner.spec;
  }

  setParams(params: Params): Promise<void> {
    return this.inner.setParams(params);
  }

  async getParams(): Promise<Params> {
    const p = await this.inner.getParams();
    if (this.m.dropOutputBias) p.biases[p.biases.length - 1] = new Float64Array(0);
    return p;
  }

  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    if (!touchesForward(this.m)) return this.inner.forward(x, size);
    return this.forwardOwn(await this.inner.getParams(), x, size);
  }

  private forwardOwn(p: Params, x: Float64Array, size: number): ForwardTrace {
    const { sizes, activation, cost } = this.spec;
    const L = sizes.length - 1;
    const zs: Float64Array[] = [];
    const as: Float64Array[] = [x.slice(0, size * sizes[0]!)];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!;
      const k0 = sizes[l - 1]!;
      const W = p.weights[l - 1]!;
      const b = p.biases[l - 1]!;
      const prev = as[l - 1]!;
      const z = new Float64Array(size * n);
      const a = new Float64Array(size * n);
      for (let r = 0; r < size; r++) {
        for (let j = 0; j < n; j++) {
          let s = this.m.noBias ? 0 : b[j]!;
          for (let k = 0; k < k0; k++) s += W[j * k0 + k]! * prev[r * k0 + k]!;
          z[r * n + j] = s;
        }
        if (l === L && cost === 'cross-entropy') {
          const row = z.subarray(r * n, (r + 1) * n);
          a.set(this.m.softmax ? this.m.softmax(row) : softmax(row), r * n);
        } else
          for (let j = 0; j < n; j++)
            a[r * n + j] = this.m.activate
              ? this.m.activate(activation, z[r * n + j]!, l, L)
              : activations[activation].f(z[r * n + j]!);
      }
      zs.push(z);
      as.push(a);
    }
    return { zs, activations: as };
  }

  async backprop(batch: Batch): Promise<BackpropTrace> {
    if (!touchesBackward(this.m)) return this.inner.backprop(batch);
    const m = this.m;
    const p = await this.inner.getParams();
    const { sizes, activation, cost } = this.spec;
    const L = sizes.length - 1;
    const size = batch.size;
    const t = this.forwardOwn(p, batch.x, size);
    const nL = sizes[L]!;
    const prime = (z: number) => (m.prime ? m.prime(activation, z) : activations[activation].prime(z));
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
        for (let j = 0; j < nL; j++) dL[r * nL + j] = g[j]! * prime(z[j]!); // bp1
      }
    }
    for (let l = L - 1; l >= 1; l--) {
      const n = sizes[l]!;
      const next = sizes[l + 1]!;
      const W = p.weights[l]!;
      for (let r = 0; r < size; r++)
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let j = 0; j < next; j++) {
            let w = m.bp2NoTranspose ? W[k * next + j]! : W[j * n + k]!;
            if (m.bp2AbsWeights) w = Math.abs(w);
            s += w * deltas[l]![r * next + j]!;
          }
          deltas[l - 1]![r * n + k] = m.bp2NoPrime ? s : s * prime(t.zs[l - 1]![r * n + k]!); // bp2
        }
    }
    const wf = m.weightGradFactor ? m.weightGradFactor(size) : 1 / size;
    const bf = m.biasGradFactor ? m.biasGradFactor(size) : 1 / size;
    const weights: Float64Array[] = [];
    const biases: Float64Array[] = [];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l]!;
      const k0 = sizes[l - 1]!;
      const input = m.bp4UsesZ && l >= 2 ? t.zs[l - 2]! : t.activations[l - 1]!;
      const d = deltas[l - 1]!;
      const gW = new Float64Array(n * k0);
      const gB = new Float64Array(n);
      for (let r = 0; r < size; r++)
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
    const m = this.m;
    if (!touchesBackward(m) && m.stepSign === undefined && m.etaFactor === undefined)
      return this.inner.step(batch, sgd);
    const t = await this.backprop(batch);
    const p = await this.inner.getParams();
    const k = (m.stepSign ?? -1) * sgd.eta * (m.etaFactor ?? 1);
    for (const kind of ['weights', 'biases'] as const)
      p[kind].forEach((th, l) => {
        const g = t.gradients[kind][l]!;
        for (let i = 0; i < th.length; i++) th[i] = th[i]! + k * g[i]!;
      });
    await this.inner.setParams(p);
    return t.cost;
  }

  async trainEpoch(data: DataSet, options: EpochOptions): Promise<EpochResult> {
    if (!this.m.epochRepeatSkip) return genericTrainEpoch(this, data, options);
    const order = epochBatches(data.count, options.batchSize, options.seed, options.lastBatch ?? 'keep');
    const all = new Uint32Array(order.reduce((s, b) => s + b.length, 0));
    let o = 0;
    for (const b of order) {
      all.set(b, o);
      o += b.length;
    }
    if (all.length >= 2) all[1] = all[0]!; // the first example again; the second is never seen
    const batches: Uint32Array[] = [];
    for (let s = 0; s < all.length; s += options.batchSize)
      batches.push(all.subarray(s, Math.min(s + options.batchSize, all.length)));
    const n0 = this.spec.sizes[0]!;
    const nL = this.spec.sizes[this.spec.sizes.length - 1]!;
    const costs = new Float64Array(batches.length);
    for (let i = 0; i < batches.length; i++) {
      const B = batches[i]!;
      const x = new Float64Array(B.length * n0);
      const y = new Float64Array(B.length * nL);
      fillInputs(data, B, x);
      fillTargets(data, B, y);
      costs[i] = await this.step({ size: B.length, x, y }, options);
    }
    return { batches, costs };
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

/** A named mutant and the clause it is meant to break. */
export interface Mutant {
  readonly name: string;
  /** The clause that must kill it. */
  readonly target: string;
  readonly description: string;
  readonly mutation: Mutation;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** The mutants; every clause is the target of at least one. */
export const MUTANTS: readonly Mutant[] = Object.freeze([
  {
    name: 'output-bias-missing',
    target: 'net.shape',
    description: 'getParams reports no bias for the output layer',
    mutation: { dropOutputBias: true },
  },
  {
    name: 'bias-missing',
    target: 'fwd.affine',
    description: 'z^l = W^l a^{l−1}, the bias left out',
    mutation: { noBias: true },
  },
  {
    name: 'output-activation-skipped',
    target: 'fwd.act',
    description: 'a^L = z^L: σ not applied on the output layer',
    mutation: { activate: (act, z, l, L) => (l === L ? z : activations[act].f(z)) },
  },
  {
    name: 'sigma-prime-as-sigma',
    target: 'act.sigmoid',
    description: 'σ′(z) computed as σ(z)',
    mutation: { prime: (act, z) => (act === 'sigmoid' ? sig(z) : activations[act].prime(z)) },
  },
  {
    name: 'relu-prime-wrong-at-positive',
    target: 'act.relu',
    description: 'ReLU′(z) computed as ReLU(z): z instead of 1 for z > 0',
    mutation: { prime: (act, z) => (act === 'relu' ? Math.max(0, z) : activations[act].prime(z)) },
  },
  {
    name: 'softmax-unnormalised',
    target: 'act.softmax',
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
    description: 'the quadratic cost reported without its ½ (the video’s Σ(a−y)²)',
    mutation: { cost: (cost, a, y, z) => (cost === 'quadratic' ? 2 : 1) * costValue(cost, a, y, z) },
  },
  {
    name: 'squared-error-with-half',
    target: 'cost.squared-error',
    description: 'the squared error reported with Nielsen’s ½',
    mutation: { cost: (cost, a, y, z) => (cost === 'squared-error' ? 0.5 : 1) * costValue(cost, a, y, z) },
  },
  {
    name: 'cross-entropy-log2',
    target: 'cost.cross-entropy',
    description: 'cross-entropy with log₂ in place of ln',
    mutation: {
      cost: (cost, a, y, z) => (cost === 'cross-entropy' ? Math.LOG2E : 1) * costValue(cost, a, y, z),
    },
  },
  {
    name: 'cost-sum-not-mean',
    target: 'cost.mean',
    description: 'the batch cost summed over the examples, not averaged',
    mutation: { costDivisor: () => 1 },
  },
  {
    name: 'bp2-absolute-weights',
    target: 'chain.scalar',
    description: '∂C/∂a^{l−1} through |w^l| (the sign of the weight lost)',
    mutation: { bp2AbsWeights: true },
  },
  {
    name: 'gradient-one-percent-high',
    target: 'chain.fd',
    description: 'every gradient 1% too large',
    mutation: { weightGradFactor: (m) => 1.01 / m, biasGradFactor: (m) => 1.01 / m },
  },
  {
    name: 'squared-error-gradient-without-2',
    target: 'bp1',
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
    description: 'δ^l = (W^{l+1})ᵀ δ^{l+1}, the ⊙ σ′(z^l) missing',
    mutation: { bp2NoPrime: true },
  },
  {
    name: 'bp2-w-not-transposed',
    target: 'bp2',
    description: 'W^{l+1} used where (W^{l+1})ᵀ belongs',
    mutation: { bp2NoTranspose: true },
  },
  {
    name: 'bias-gradient-times-batch',
    target: 'bp3',
    description: 'the bias gradient off by a factor of the batch size (Σ_x δ, not the mean)',
    mutation: { biasGradFactor: () => 1 },
  },
  {
    name: 'bp4-z-not-a',
    target: 'bp4',
    description: '∂C/∂w^l_jk = z^{l−1}_k δ^l_j (z where a belongs)',
    mutation: { bp4UsesZ: true },
  },
  {
    name: 'gradient-sum-not-mean',
    target: 'grad.mean',
    description: 'the batch gradient is the sum of the per-example gradients',
    mutation: { weightGradFactor: () => 1, biasGradFactor: () => 1 },
  },
  { name: 'sgd-sign-flipped', target: 'sgd.step', description: 'θ′ = θ + η∇C', mutation: { stepSign: 1 } },
  {
    name: 'epoch-repeats-one-skips-another',
    target: 'sgd.epoch',
    description: 'an epoch that visits one example twice and another never',
    mutation: { epochRepeatSkip: true },
  },
  {
    name: 'sgd-step-four-times-eta',
    target: 'sgd.descent',
    description: 'the step taken with 4η',
    mutation: { etaFactor: 4 },
  },
  {
    name: 'identity-acts-as-relu',
    target: 'lin.collapse',
    description: 'the identity activation clips negative values (acts as ReLU)',
    mutation: {
      activate: (act, z) => (act === 'identity' ? Math.max(0, z) : activations[act].f(z)),
      prime: (act, z) => (act === 'identity' ? (z > 0 ? 1 : 0) : activations[act].prime(z)),
    },
  },
]);

/** A registry entry for a mutant (not registered by default): the suite runs it like any backend. */
export function mutantEntry(mutant: Mutant): BackendEntry {
  return {
    name: `mutant:${mutant.name}`,
    dtype: 'float64',
    description: `mutant of reference: ${mutant.description} (should fail ${mutant.target})`,
    async probe() {
      return { available: true, device: 'js' };
    },
    async create(spec, params) {
      return new MutantBackend(`mutant:${mutant.name}`, spec, params, mutant.mutation);
    },
  };
}
