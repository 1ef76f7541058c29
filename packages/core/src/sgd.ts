import type { SgdOptions } from './backend.js';
import type { Gradients, Params } from './spec.js';

/** Throw a RangeError naming the option when SGD options are out of range. */
export function validateSgd(sgd: SgdOptions): void {
  if (!(Number.isFinite(sgd.eta) && sgd.eta > 0))
    throw new RangeError(`learning rate η must be a finite number > 0, got ${sgd.eta}`);
  const mu = sgd.momentum ?? 0;
  if (!(mu >= 0 && mu < 1)) throw new RangeError(`momentum must be in [0, 1), got ${mu}`);
  const wd = sgd.weightDecay ?? 0;
  if (!(Number.isFinite(wd) && wd >= 0))
    throw new RangeError(`weight decay must be a finite number ≥ 0, got ${wd}`);
}

function update(
  theta: Float64Array,
  g: Float64Array,
  eta: number,
  mu: number,
  lambda: number,
  v: Float64Array | undefined,
): void {
  const n = theta.length;
  if (mu === 0 && lambda === 0) {
    for (let i = 0; i < n; i++) theta[i] = theta[i]! - eta * g[i]!; // sgd.step: θ' = θ − η∇C
    return;
  }
  for (let i = 0; i < n; i++) {
    const grad = g[i]! + lambda * theta[i]!; // weight decay: ∇C + λθ
    if (v) {
      v[i] = mu * v[i]! - eta * grad; // momentum: v ← μv − η∇C
      theta[i] = theta[i]! + v[i]!; // θ ← θ + v
    } else theta[i] = theta[i]! - eta * grad; // sgd.step
  }
}

/**
 * One SGD step in place (clause `sgd.step`): θ ← θ − η ∇C. With weight decay λ the weights
 * (not the biases) use ∇C + λW; with momentum μ > 0, `velocity` (zeros at first, same shape as
 * the parameters) holds v ← μv − η∇C and θ ← θ + v.
 */
export function sgdStep(params: Params, grads: Gradients, sgd: SgdOptions, velocity?: Params): void {
  const mu = sgd.momentum ?? 0;
  const lambda = sgd.weightDecay ?? 0;
  if (mu > 0 && !velocity) throw new RangeError('momentum > 0 needs a velocity buffer');
  for (let l = 0; l < params.weights.length; l++) {
    update(
      params.weights[l]!,
      grads.weights[l]!,
      sgd.eta,
      mu,
      lambda,
      mu > 0 ? velocity!.weights[l] : undefined,
    );
    update(params.biases[l]!, grads.biases[l]!, sgd.eta, mu, 0, mu > 0 ? velocity!.biases[l] : undefined);
  }
}
