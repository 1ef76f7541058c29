import { DOCUMENT_SPEC, initParams } from '@backprop/core';
import { type DataSet, fillInputs, fillTargets, loadMnist, slice } from '@backprop/data';
import type { NetCase } from './cases.js';

/** Seed of the fixture's parameters (`initParams(DOCUMENT_SPEC, 1, 'normal')`, as network.py draws them). */
export const FIXTURE_SEED = 1;
/** Examples in the fixture's mini-batch. */
export const FIXTURE_BATCH = 10;
/** Examples in the fixture's epoch (clause sgd.epoch). */
export const FIXTURE_EPOCH = 20;

/** The document's network on real MNIST: one mini-batch and a small slice for an epoch. */
export interface Fixture {
  readonly net: NetCase;
  /** The first `FIXTURE_EPOCH` (20) training images. */
  readonly data: DataSet;
}

let cached: Fixture | undefined;
let train: DataSet | undefined;
const given = new WeakMap<DataSet, Fixture>();

/**
 * The MNIST training set the cases take real rows from: `fetched` where there is no file system
 * (a browser page passes the images it fetched), else `loadMnist().train`, loaded once per process.
 */
export function mnistTrain(fetched?: DataSet): DataSet {
  if (fetched) return fetched;
  train ??= loadMnist().train;
  return train;
}

/**
 * The fixed fixture: 784-16-16-10 sigmoid with the quadratic cost, seed-1 N(0,1) parameters, and
 * the first 10 images of the MNIST training set. `train` is that training set where there is no
 * file system to read it from (a browser page passes the images it fetched); by default it is
 * loaded once per process by `loadMnist()`.
 */
export function mnistFixture(train?: DataSet): Fixture {
  if (train) {
    let f = given.get(train);
    if (!f) given.set(train, (f = fixtureOf(train)));
    return f;
  }
  return (cached ??= fixtureOf(mnistTrain()));
}

function fixtureOf(train: DataSet): Fixture {
  if (train.inputSize !== DOCUMENT_SPEC.sizes[0] || train.count < FIXTURE_EPOCH)
    throw new RangeError(
      `${train.name}: the MNIST fixture needs at least ${FIXTURE_EPOCH} images of ${DOCUMENT_SPEC.sizes[0]} pixels, got ${train.count} of ${train.inputSize}`,
    );
  const mnist = { train };
  const n0 = DOCUMENT_SPEC.sizes[0]!;
  const nL = DOCUMENT_SPEC.sizes[DOCUMENT_SPEC.sizes.length - 1]!;
  const indices = Array.from({ length: FIXTURE_BATCH }, (_, i) => i);
  const x = new Float64Array(FIXTURE_BATCH * n0);
  const y = new Float64Array(FIXTURE_BATCH * nL);
  fillInputs(mnist.train, indices, x);
  fillTargets(mnist.train, indices, y);
  return Object.freeze({
    net: {
      spec: DOCUMENT_SPEC,
      params: initParams(DOCUMENT_SPEC, FIXTURE_SEED, 'normal'),
      batch: { size: FIXTURE_BATCH, x, y },
      eta: 3,
      seed: FIXTURE_SEED,
      label: `MNIST fixture: 784-16-16-10 sigmoid quadratic, initParams seed ${FIXTURE_SEED}, train[0..${FIXTURE_BATCH - 1}]`,
    },
    data: slice(mnist.train, 0, FIXTURE_EPOCH, `mnist/train[0:${FIXTURE_EPOCH}]`),
  });
}
