import type { Clause } from '../clause.js';
import { actRelu, actSigmoid, actSoftmax } from './activation.js';
import { bp1, bp2, bp3, bp4, gradMean } from './backprop.js';
import { chainFd, chainScalar } from './chain.js';
import { costCrossEntropy, costMean, costQuadratic, costSquaredError } from './cost.js';
import { sgdEpoch, sgdLastBatch, sgdMomentumEpochs, sgdOnSteps, sgdResume } from './epoch.js';
import { fwdAct, fwdAffine, linCollapse, netShape } from './forward.js';
import { sgdDescent, sgdMomentum, sgdStep, sgdWeightDecay } from './sgd.js';

/** The clause catalogue, in the order of docs/spec.md. Ids are stable. */
export const CLAUSES: readonly Clause<unknown>[] = Object.freeze([
  netShape,
  fwdAffine,
  fwdAct,
  actSigmoid,
  actRelu,
  actSoftmax,
  costQuadratic,
  costSquaredError,
  costCrossEntropy,
  costMean,
  chainScalar,
  chainFd,
  bp1,
  bp2,
  bp3,
  bp4,
  gradMean,
  sgdStep,
  sgdEpoch,
  sgdDescent,
  sgdMomentum,
  sgdWeightDecay,
  sgdMomentumEpochs,
  sgdLastBatch,
  sgdOnSteps,
  sgdResume,
  linCollapse,
]);

/** The clause with this id, or an error listing the ids. */
export function getClause(id: string): Clause<unknown> {
  const c = CLAUSES.find((x) => x.id === id);
  if (!c) throw new Error(`unknown clause '${id}'; clauses: ${CLAUSES.map((x) => x.id).join(', ')}`);
  return c;
}

/**
 * The clauses selected by ids or prefixes: `bp2` is one clause, `bp` all four equations, `act`
 * every `act.*`, `cost` every `cost.*`. An empty selection is the whole catalogue.
 */
export function selectClauses(selection: readonly string[] | undefined): Clause<unknown>[] {
  if (!selection || selection.length === 0) return [...CLAUSES];
  const out = new Set<Clause<unknown>>();
  for (const s of selection) {
    const hit = CLAUSES.filter((c) => c.id.startsWith(s));
    if (hit.length === 0)
      throw new Error(`no clause matches '${s}'; clauses: ${CLAUSES.map((x) => x.id).join(', ')}`);
    for (const c of hit) out.add(c);
  }
  return CLAUSES.filter((c) => out.has(c));
}

export * from './activation.js';
export * from './backprop.js';
export * from './chain.js';
export * from './cost.js';
export * from './epoch.js';
export * from './forward.js';
export * from './sgd.js';
