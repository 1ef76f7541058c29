import type { Backend, Params } from '@backprop/core';
import { type DataSet, fillInputs, fillTargets, type Rng } from '@backprop/data';

/** Sum `scale · g` into `acc`, layer by layer. */
function addScaled(acc: Params, g: Params, scale: number): void {
  for (let l = 0; l < acc.weights.length; l++) {
    const aw = acc.weights[l]!;
    const gw = g.weights[l]!;
    for (let i = 0; i < aw.length; i++) aw[i]! += scale * gw[i]!;
    const ab = acc.biases[l]!;
    const gb = g.biases[l]!;
    for (let i = 0; i < ab.length; i++) ab[i]! += scale * gb[i]!;
  }
}

function zerosLike(p: Params): Params {
  return {
    weights: p.weights.map((w) => new Float64Array(w.length)),
    biases: p.biases.map((b) => new Float64Array(b.length)),
  };
}

/** The gradient of the mean cost over `indices` of `data` at the backend's current parameters (BP1–BP4). */
export async function batchGradient(
  backend: Backend,
  data: DataSet,
  indices: ArrayLike<number>,
): Promise<Params> {
  const sizes = backend.spec.sizes;
  const x = new Float64Array(indices.length * sizes[0]!);
  const y = new Float64Array(indices.length * sizes[sizes.length - 1]!);
  fillInputs(data, indices, x);
  fillTargets(data, indices, y);
  return (await backend.backprop({ size: indices.length, x, y })).gradients;
}

/**
 * The full gradient ∇C over the first `count` examples: the mean of per-chunk mean gradients
 * weighted by chunk size (clause `grad.mean`: the batch gradient is the mean of the examples').
 */
export async function fullGradient(
  backend: Backend,
  data: DataSet,
  count: number,
  chunk = 1000,
): Promise<Params> {
  let acc: Params | undefined;
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    const idx = Uint32Array.from({ length: size }, (_, i) => start + i);
    const g = await batchGradient(backend, data, idx);
    acc ??= zerosLike(g);
    addScaled(acc, g, size / count);
  }
  if (!acc) throw new RangeError('cannot take the gradient of an empty set');
  return acc;
}

/** ‖g − G‖ / ‖G‖ and cos(g, G) over all weights and biases. */
export function compareGradients(g: Params, G: Params): { relativeError: number; cosine: number } {
  let dd = 0;
  let gg = 0;
  let GG = 0;
  let gG = 0;
  const parts = (p: Params) => [...p.weights, ...p.biases];
  const gp = parts(g);
  const Gp = parts(G);
  for (let i = 0; i < gp.length; i++) {
    const a = gp[i]!;
    const b = Gp[i]!;
    for (let k = 0; k < a.length; k++) {
      const d = a[k]! - b[k]!;
      dd += d * d;
      gg += a[k]! * a[k]!;
      GG += b[k]! * b[k]!;
      gG += a[k]! * b[k]!;
    }
  }
  return { relativeError: Math.sqrt(dd / GG), cosine: gG / Math.sqrt(gg * GG) };
}

/** `size` distinct indices below `count`, uniformly at random (a partial Fisher–Yates shuffle of `scratch`). */
export function sampleIndices(rng: Rng, count: number, size: number, scratch: Uint32Array): Uint32Array {
  for (let i = 0; i < size; i++) {
    const j = i + rng.nextInt(count - i);
    const t = scratch[i]!;
    scratch[i] = scratch[j]!;
    scratch[j] = t;
  }
  return scratch.slice(0, size);
}

/** Mean |∂C/∂W^l| for each layer l = 1..L. */
export function meanAbsWeightGradient(g: Params): number[] {
  return g.weights.map((w) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += Math.abs(w[i]!);
    return s / w.length;
  });
}
