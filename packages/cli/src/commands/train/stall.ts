import type { Activation, Cost, EpochPoint, StepPoint } from '@backprop/core';

/**
 * A run that learns nothing, told after an epoch: held-out accuracy at chance (no better than
 * always answering the commonest class could be, 1.5 / classes), or, after the first epoch, a
 * cost that has not moved (the last curve point of the epoch within 1% of the first). Either
 * means η is far off: so large that sigmoid neurons saturate (or ReLU ones die), or so small
 * that nothing moves. The warning names η and a value to try.
 */

/** Accuracy at most this many times chance (1 / classes) counts as chance. */
const CHANCE_FACTOR = 1.5;
/** A relative change of the cost below this over the first epoch counts as flat. */
const FLAT = 0.01;

/**
 * A learning rate that trains this network's kind well (Nielsen's 3.0 for sigmoid and the
 * quadratic cost; the run settings the project's digests and docs use for the others).
 */
export function typicalEta(activation: Activation, cost: Cost): number {
  if (cost === 'cross-entropy') return 0.5;
  if (activation === 'relu') return 0.05;
  return cost === 'squared-error' ? 1.5 : 3;
}

/** A learning rate to try instead of `eta`: the typical one when η is far from it, else a tenth. */
export function etaToTry(eta: number, activation: Activation, cost: Cost): number {
  const typical = typicalEta(activation, cost);
  return eta > 3 * typical || eta < typical / 3 ? typical : eta / 10;
}

/** What a stall check needs to know of the run. */
export interface StallContext {
  readonly eta: number;
  readonly activation: Activation;
  readonly cost: Cost;
  readonly classes: number;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * The warning for epoch `e` when the run learns nothing, else null. `points` are the curve's
 * points so far (the cost of each `logEvery` steps), used after epoch 1 for a flat cost.
 */
export function stallWarning(e: EpochPoint, points: readonly StepPoint[], c: StallContext): string | null {
  const score = e.validation ?? e.test;
  const set = e.validation ? 'validation' : 'test';
  const atChance = score !== null && score.accuracy <= CHANCE_FACTOR / c.classes;
  let flat = false;
  let costs = '';
  if (e.epoch === 1) {
    const epoch1 = points.filter((p) => p.epoch === 1);
    const first = epoch1[0];
    const last = epoch1.at(-1);
    if (first && last && first !== last && Number.isFinite(first.cost) && first.cost > 0) {
      flat = Math.abs(last.cost - first.cost) / first.cost < FLAT;
      costs = `${first.cost.toFixed(4)} at step ${first.step} → ${last.cost.toFixed(4)} at step ${last.step}`;
    }
  }
  if (!atChance && !flat) return null;
  const what = [
    atChance ? `the ${set} accuracy is ${pct(score!.accuracy)}, chance for ${c.classes} classes` : '',
    flat ? `the cost is flat (${costs})` : '',
  ]
    .filter(Boolean)
    .join(', and ');
  const typical = typicalEta(c.activation, c.cost);
  const why =
    c.eta > 3 * typical
      ? c.activation === 'relu'
        ? `η = ${c.eta} is large: ReLU neurons die`
        : `η = ${c.eta} is large: ${c.activation} neurons saturate`
      : c.eta < typical / 3
        ? `η = ${c.eta} is small: the parameters barely move`
        : `with η = ${c.eta} it does not learn`;
  return `after epoch ${e.epoch} ${what}: the network learns nothing. ${why}; try --eta ${etaToTry(c.eta, c.activation, c.cost)}`;
}

/** The run learned nothing and --fail-on-stall was given: it stops with this, exit code 1. */
export class StallError extends Error {
  override name = 'StallError';
}
