import type { NetworkSpec } from '@backprop/core';
import type { GraphBuilder } from './builder.js';

/**
 * The network's maths as ONNX nodes, shared by every graph (forward, debug train step, fast
 * train steps, export). Examples are rows: X is m × n_0, so z^l = a^{l-1} (W^l)ᵀ + b^l is one
 * Gemm with transB. Node names start with the clause id the node implements.
 */

/**
 * Value names of W^l and b^l (index l-1), as they appear in one graph.
 * @internal the graphs' own plumbing
 */
export interface ParamNames {
  readonly weights: readonly string[];
  readonly biases: readonly string[];
}

/**
 * Value names of everything the forward pass computed.
 * @internal the graphs' own plumbing
 */
export interface ForwardValues {
  /** zs[l-1] = z^l */
  readonly zs: string[];
  /** as[l] = a^l, as[0] = x */
  readonly as: string[];
}

/**
 * Value names of everything backpropagation computed.
 * @internal the graphs' own plumbing
 */
export interface BackpropValues extends ForwardValues {
  /** cost of the batch (mean over its rows), shape [1, 1] */
  readonly cost: string;
  /** deltas[l-1] = δ^l per example */
  readonly deltas: string[];
  /** ∂C/∂W^l, ∂C/∂b^l of the mean cost */
  readonly gradW: string[];
  readonly gradB: string[];
}

/** Number of layers L (weights matrices). */
export function depth(spec: NetworkSpec): number {
  return spec.sizes.length - 1;
}

/** Standard names of the parameter inputs: W1, b1, W2, b2, ... */
export function paramInputNames(spec: NetworkSpec, suffix = ''): ParamNames {
  const L = depth(spec);
  return {
    weights: Array.from({ length: L }, (_, i) => `W${i + 1}${suffix}`),
    biases: Array.from({ length: L }, (_, i) => `b${i + 1}${suffix}`),
  };
}

/** Declare W^l (n_l × n_{l-1}) and b^l (n_l) as graph inputs. */
export function declareParams(g: GraphBuilder, spec: NetworkSpec, suffix = ''): ParamNames {
  const names = paramInputNames(spec, suffix);
  for (let l = 1; l <= depth(spec); l++) {
    g.input(names.weights[l - 1]!, 'float32', [spec.sizes[l]!, spec.sizes[l - 1]!]);
    g.input(names.biases[l - 1]!, 'float32', [spec.sizes[l]!]);
  }
  return names;
}

function isSoftmaxOutput(spec: NetworkSpec): boolean {
  return spec.cost === 'cross-entropy';
}

/** a = σ(z) for the spec's activation. */
function activate(g: GraphBuilder, spec: NetworkSpec, z: string, l: number, tag: string): string {
  if (l === depth(spec) && isSoftmaxOutput(spec))
    return g.op('Softmax', [z], `act.softmax/a${l}${tag}`, { axis: -1 });
  switch (spec.activation) {
    case 'sigmoid':
      return g.op('Sigmoid', [z], `fwd.act/act.sigmoid/a${l}${tag}`);
    case 'relu':
      return g.op('Relu', [z], `fwd.act/act.relu/a${l}${tag}`);
    case 'identity':
      return z; // fwd.act with σ(x) = x: a^l is z^l itself (no node: WebGPU in a browser has no Identity kernel)
  }
}

/** σ'(z^l), from z^l and a^l = σ(z^l); undefined for the identity (σ' = 1). */
function activationPrime(
  g: GraphBuilder,
  spec: NetworkSpec,
  z: string,
  a: string,
  l: number,
  tag: string,
): string | undefined {
  switch (spec.activation) {
    case 'sigmoid': {
      const oneMinusA = g.op('Sub', [g.scalar(1), a], `act.sigmoid/one_minus_a${l}${tag}`);
      return g.op('Mul', [a, oneMinusA], `act.sigmoid/σ'(z${l})${tag}`); // σ' = σ(1 − σ)
    }
    case 'relu': {
      // relu' is 1 where z > 0 and 0 elsewhere (Where keeps it on the device, no Cast).
      const positive = g.op('Greater', [z, g.scalar(0)], `act.relu/z${l}>0${tag}`);
      return g.op('Where', [positive, g.scalar(1), g.scalar(0)], `act.relu/σ'(z${l})${tag}`);
    }
    case 'identity':
      return undefined;
  }
}

/**
 * The forward pass: z^l = a^{l-1}(W^l)ᵀ + b^l, a^l = σ(z^l).
 * @internal a building block of the graphs; use `forwardGraph` and the others
 */
export function forwardNodes(
  g: GraphBuilder,
  spec: NetworkSpec,
  x: string,
  p: ParamNames,
  tag = '',
): ForwardValues {
  const zs: string[] = [];
  const as: string[] = [x];
  for (let l = 1; l <= depth(spec); l++) {
    const z = g.op('Gemm', [as[l - 1]!, p.weights[l - 1]!, p.biases[l - 1]!], `fwd.affine/z${l}${tag}`, {
      transB: 1,
    }); // fwd.affine
    zs.push(z);
    as.push(activate(g, spec, z, l, tag)); // fwd.act
  }
  return { zs, as };
}

/**
 * Forward pass, cost, BP1–BP4 and the mean over the batch. `invM` is the value name of the
 * float32 scalar 1/m (an input, so that no node computes the batch size from a shape: GPU
 * providers place shape arithmetic on the CPU, which fallback-free sessions refuse).
 * @internal a building block of the graphs; use `debugGraph` and the others
 */
export function backpropNodes(
  g: GraphBuilder,
  spec: NetworkSpec,
  x: string,
  y: string,
  invM: string,
  p: ParamNames,
  tag = '',
): BackpropValues {
  const L = depth(spec);
  const fwd = forwardNodes(g, spec, x, p, tag);
  const aL = fwd.as[L]!;
  const zL = fwd.zs[L - 1]!;

  // Cost of the batch: the mean over its examples of C_x.
  let cost: string;
  let deltaL: string;
  if (spec.cost === 'cross-entropy') {
    // C_x = −Σ_j y_j ln a^L_j with a^L = softmax(z^L); LogSoftmax avoids ln 0.
    // ln a_j = z_j − max z − ln Σ_k e^{z_k − max z}: written out because the WebGPU provider has no LogSoftmax kernel.
    const axis1 = g.ints([1]);
    const shifted = g.op(
      'Sub',
      [zL, g.op('ReduceMax', [zL], `act.softmax/max_z${tag}`, { axes: [1], keepdims: 1 })],
      `act.softmax/z-max${tag}`,
    );
    const sumExp = g.op(
      'ReduceSum',
      [g.op('Exp', [shifted], `act.softmax/e^z${tag}`), axis1],
      `act.softmax/Σe^z${tag}`,
      { keepdims: 1 },
    );
    const logA = g.op(
      'Sub',
      [shifted, g.op('Log', [sumExp], `act.softmax/lnΣe^z${tag}`)],
      `cost.cross-entropy/ln_a${L}${tag}`,
    );
    const sum = g.op(
      'ReduceSum',
      [g.op('Mul', [y, logA], `cost.cross-entropy/y_ln_a${tag}`)],
      `cost.cross-entropy/sum${tag}`,
      { keepdims: 1 },
    );
    cost = g.op(
      'Mul',
      [g.op('Mul', [sum, invM], `cost.mean/sum_over_m${tag}`), g.scalar(-1)],
      `cost.mean/C${tag}`,
    );
    deltaL = g.op('Sub', [aL, y], `bp1/δ${L}${tag}`); // bp1 with softmax + cross-entropy: δ^L = a^L − y
  } else {
    const diff = g.op('Sub', [aL, y], `cost.${spec.cost}/a-y${tag}`);
    const sq = g.op(
      'ReduceSum',
      [g.op('Mul', [diff, diff], `cost.${spec.cost}/(a-y)^2${tag}`)],
      `cost.${spec.cost}/sum${tag}`,
      { keepdims: 1 },
    );
    const half = spec.cost === 'quadratic' ? 0.5 : 1; // quadratic: ½Σ(a−y)²; squared-error: Σ(a−y)²
    cost = g.op(
      'Mul',
      [g.op('Mul', [sq, invM], `cost.mean/sum_over_m${tag}`), g.scalar(half)],
      `cost.mean/C${tag}`,
    );
    const gradA =
      spec.cost === 'quadratic' ? diff : g.op('Mul', [diff, g.scalar(2)], `cost.squared-error/∇aC${tag}`); // ∇_a C
    const primeL = activationPrime(g, spec, zL, aL, L, tag);
    deltaL = primeL ? g.op('Mul', [gradA, primeL], `bp1/δ${L}${tag}`) : gradA; // bp1: δ^L = ∇_a C ⊙ σ'(z^L)
  }

  const deltas: string[] = new Array(L);
  deltas[L - 1] = deltaL;
  for (let l = L - 1; l >= 1; l--) {
    // bp2: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l); with rows as examples that is δ^{l+1} W^{l+1}.
    const back = g.op('MatMul', [deltas[l]!, p.weights[l]!], `bp2/Wᵀδ${l + 1}${tag}`);
    const prime = activationPrime(g, spec, fwd.zs[l - 1]!, fwd.as[l]!, l, tag);
    deltas[l - 1] = prime ? g.op('Mul', [back, prime], `bp2/δ${l}${tag}`) : back;
  }

  const gradW: string[] = [];
  const gradB: string[] = [];
  const axis0 = g.ints([0]);
  for (let l = 1; l <= L; l++) {
    // bp4: ∂C_x/∂w^l_jk = a^{l-1}_k δ^l_j; summed over the batch by δᵀA, then grad.mean: × 1/m.
    const sumW = g.op('Gemm', [deltas[l - 1]!, fwd.as[l - 1]!], `bp4/Σδaᵀ${l}${tag}`, { transA: 1 });
    gradW.push(g.op('Mul', [sumW, invM], `grad.mean/∂C∂W${l}${tag}`));
    // bp3: ∂C_x/∂b^l_j = δ^l_j; grad.mean: the batch mean.
    const sumB = g.op('ReduceSum', [deltas[l - 1]!, axis0], `bp3/Σδ${l}${tag}`, { keepdims: 0 });
    gradB.push(g.op('Mul', [sumB, invM], `grad.mean/∂C∂b${l}${tag}`));
  }
  return { ...fwd, cost, deltas, gradW, gradB };
}

/** Which optional SGD extensions a train graph carries (each adds inputs). */
export interface SgdFeatures {
  /** λ input: ∇C + λW on weights. */
  readonly weightDecay: boolean;
  /** μ input and a velocity per parameter: v ← μv − η∇C, θ ← θ + v. */
  readonly momentum: boolean;
}

/**
 * Value names of the SGD hyper-parameters (float32 scalars).
 * @internal the graphs' own plumbing
 */
export interface SgdInputs {
  readonly eta: string;
  readonly lambda?: string;
  readonly mu?: string;
}

/**
 * θ' = θ − η∇C (clause sgd.step), with optional weight decay and momentum.
 * Returns the new parameters and, with momentum, the new velocities.
 * @internal a building block of the graphs; use `stepGraph` and `stepsGraph`
 */
export function sgdNodes(
  g: GraphBuilder,
  spec: NetworkSpec,
  p: ParamNames,
  bp: Pick<BackpropValues, 'gradW' | 'gradB'>,
  h: SgdInputs,
  velocity: ParamNames | undefined,
  tag = '',
): { params: ParamNames; velocity?: ParamNames } {
  const weights: string[] = [];
  const biases: string[] = [];
  const vw: string[] = [];
  const vb: string[] = [];
  const update = (
    theta: string,
    grad: string,
    v: string | undefined,
    label: string,
    out: string[],
    vout: string[],
  ) => {
    if (v !== undefined && h.mu !== undefined) {
      const mv = g.op('Mul', [v, h.mu], `sgd.momentum/μv_${label}${tag}`);
      const next = g.op(
        'Sub',
        [mv, g.op('Mul', [grad, h.eta], `sgd.step/η∇_${label}${tag}`)],
        `sgd.momentum/v_${label}${tag}`,
      ); // v ← μv − η∇C
      vout.push(next);
      out.push(g.op('Add', [theta, next], `sgd.step/${label}${tag}`)); // θ ← θ + v
    } else {
      out.push(
        g.op(
          'Sub',
          [theta, g.op('Mul', [grad, h.eta], `sgd.step/η∇_${label}${tag}`)],
          `sgd.step/${label}${tag}`,
        ),
      ); // sgd.step: θ − η∇C
    }
  };
  for (let l = 1; l <= depth(spec); l++) {
    const W = p.weights[l - 1]!;
    let gW = bp.gradW[l - 1]!;
    if (h.lambda !== undefined)
      gW = g.op(
        'Add',
        [gW, g.op('Mul', [W, h.lambda], `sgd.decay/λW${l}${tag}`)],
        `sgd.decay/∇+λW${l}${tag}`,
      );
    update(W, gW, velocity?.weights[l - 1], `W${l}`, weights, vw);
    update(p.biases[l - 1]!, bp.gradB[l - 1]!, velocity?.biases[l - 1], `b${l}`, biases, vb);
  }
  return { params: { weights, biases }, velocity: velocity ? { weights: vw, biases: vb } : undefined };
}
