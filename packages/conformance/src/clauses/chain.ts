import { type Backend, type BackpropTrace, cloneParams, type Params } from '@backprop/core';
import { Rng } from '@backprop/data';
import { type CaseShape, describeCase, type NetCase, netCases } from '../cases.js';
import { type Clause, specLink } from '../clause.js';
import { NOT_MNIST, netFamilies } from '../families.js';
import { actPrime, costGradFactor } from '../oracle.js';

/** The one-neuron-per-layer chains of the video, one example, both squared costs. */
const CHAIN: CaseShape = {
  costs: ['squared-error', 'quadratic'],
  layers: [1, 4],
  width: [1, 1],
  outputs: [1, 1],
  batch: [1, 1],
};

export const chainScalar: Clause<NetCase> = {
  id: 'chain.scalar',
  title: 'the chain rule on a one-neuron-per-layer network',
  formula:
    '∂C₀/∂w^L = a^{L−1} σ′(z^L) ∂C₀/∂a^L, ∂C₀/∂b^L = σ′(z^L) ∂C₀/∂a^L, ∂C₀/∂a^{L−1} = w^L σ′(z^L) ∂C₀/∂a^L, repeated down the chain; ∂C₀/∂a^L = 2(a^L − y) (video) or a^L − y (Nielsen)',
  section: specLink('chain.scalar'),
  kind: 'identity',
  needs: ['forward', 'gradients'],
  families: [
    { id: 'small', arbitrary: () => netCases(CHAIN) },
    { id: 'deep', share: 0.5, arbitrary: () => netCases({ ...CHAIN, layers: [4, 12] }) },
    {
      id: 'saturated',
      share: 0.5,
      arbitrary: () => netCases({ ...CHAIN, activations: ['sigmoid'], amplify: [4, 9] }),
    },
  ],
  describe: describeCase,
  async check(ctx, c) {
    const { cmp } = ctx;
    const { sizes, activation, cost } = c.spec;
    const L = sizes.length - 1;
    const b = await ctx.backend(c.spec, c.params);
    const p = await b.getParams();
    const t = await b.backprop(c.batch);
    // ∂C₀/∂a^L, then down the chain; `size` is the same product with every σ′ taken as 1 (the absolute floor's scale).
    let dCda = costGradFactor(cost) * (t.activations[L]![0]! - c.batch.y[0]!);
    let size = costGradFactor(cost) * (Math.abs(t.activations[L]![0]!) + Math.abs(c.batch.y[0]!));
    let mag = size;
    for (let l = L; l >= 1; l--) {
      const s = actPrime(activation, t.zs[l - 1]![0]!);
      const aPrev = t.activations[l - 1]![0]!;
      const w = p.weights[l - 1]![0]!;
      cmp.near(
        () => `∂C₀/∂w${l} = a${l - 1} σ′(z${l}) ∂C₀/∂a${l}`,
        t.gradients.weights[l - 1]![0]!,
        aPrev * s * dCda,
        Math.abs(aPrev) * s * mag,
        Math.abs(aPrev) * size,
      ); // chain.scalar
      cmp.near(
        () => `∂C₀/∂b${l} = σ′(z${l}) ∂C₀/∂a${l}`,
        t.gradients.biases[l - 1]![0]!,
        s * dCda,
        s * mag,
        size,
      ); // chain.scalar
      dCda = w * s * dCda; // ∂C₀/∂a^{l−1} = w^l σ′(z^l) ∂C₀/∂a^l
      mag = Math.abs(w) * s * mag;
      size = Math.abs(w) * size;
    }
  },
};

/** Up to this many gradient components are differenced per case (all of them when there are fewer). */
export const FD_COMPONENTS = 16;

interface Component {
  readonly kind: 'weights' | 'biases';
  readonly layer: number;
  readonly index: number;
}

/** The components to difference: every one for a small network, else a seeded sample. */
function components(sizes: readonly number[], seed: number): Component[] {
  const all: Component[] = [];
  for (let l = 1; l < sizes.length; l++) {
    for (let i = 0; i < sizes[l]! * sizes[l - 1]!; i++) all.push({ kind: 'weights', layer: l, index: i });
    for (let i = 0; i < sizes[l]!; i++) all.push({ kind: 'biases', layer: l, index: i });
  }
  if (all.length <= FD_COMPONENTS) return all;
  const order = new Rng(seed).permutation(all.length);
  return Array.from(order.subarray(0, FD_COMPONENTS), (i) => all[i]!);
}

/** Which z^l are positive, in ReLU layers: a finite difference is only valid if this stays the same. */
function reluPattern(t: BackpropTrace): string {
  return t.zs.map((z) => Array.from(z, (v) => (v > 0 ? '1' : '0')).join('')).join('|');
}

export const chainFd: Clause<NetCase> = {
  id: 'chain.fd',
  title: 'every gradient component matches a finite difference of the cost',
  formula: '∂C/∂θ_i ≈ (C(θ − 2h e_i) − 8C(θ − h e_i) + 8C(θ + h e_i) − C(θ + 2h e_i)) / 12h',
  section: specLink('chain.fd'),
  kind: 'fd',
  needs: ['forward', 'gradients'], // z^l: a ReLU that changes side within ±2h voids the difference
  // Not the mnist family: 4 evaluations of 16 components on 64 images of 784 pixels is the
  // slowest case of the suite on an engine across a process boundary; the fixture has MNIST.
  families: netFamilies({ layers: [1, 3], width: [1, 4], batch: [1, 3] }, {}, NOT_MNIST),
  describe: describeCase,
  async check(ctx, c) {
    const { cmp, tol } = ctx;
    const h = tol.h!;
    const relu = c.spec.activation === 'relu';
    const b: Backend = await ctx.backend(c.spec, c.params);
    const base = await b.getParams();
    const t0 = await b.backprop(c.batch);
    const pattern = relu ? reluPattern(t0) : '';
    const work: Params = cloneParams(base);
    for (const comp of components(c.spec.sizes, c.seed)) {
      const target = work[comp.kind][comp.layer - 1]!;
      const theta = base[comp.kind][comp.layer - 1]![comp.index]!;
      const costs: number[] = [];
      let kink = false;
      for (const step of [-2, -1, 1, 2]) {
        target[comp.index] = theta + step * h;
        await b.setParams(work);
        const t = await b.backprop(c.batch); // the backend's own cost
        if (relu && reluPattern(t) !== pattern) kink = true;
        costs.push(t.cost);
      }
      target[comp.index] = theta;
      if (kink) {
        cmp.skipped++; // a ReLU changed side within ±2h: the cost is not differentiable there
        continue;
      }
      const fd = (costs[0]! - 8 * costs[1]! + 8 * costs[2]! - costs[3]!) / (12 * h); // chain.fd
      const g = t0.gradients[comp.kind][comp.layer - 1]![comp.index]!;
      const name =
        comp.kind === 'weights' ? `∂C/∂W${comp.layer}[${comp.index}]` : `∂C/∂b${comp.layer}[${comp.index}]`;
      cmp.near(
        () => `${name} vs finite difference (h = ${h})`,
        g,
        fd,
        Math.max(Math.abs(g), Math.abs(fd)),
        Math.max(1, Math.abs(t0.cost)),
      );
    }
    await b.setParams(base);
  },
};
