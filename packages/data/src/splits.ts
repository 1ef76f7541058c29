import { type DataSet, slice } from './dataset.js';

/** How to cut the training file into training and validation sets. */
export interface SplitOptions {
  /** Examples taken from the start of the training file for training (default 50,000). */
  readonly trainCount?: number;
  /** Examples taken from the end of the training file for validation (default 10,000). */
  readonly validationCount?: number;
}

/** The three sets of an experiment. */
export interface Splits {
  /** The first `trainCount` examples of the training file. */
  readonly train: DataSet;
  /** The last `validationCount` examples of the training file (used to choose hyper-parameters). */
  readonly validation: DataSet;
  /** The whole test file (used only to report the final result). */
  readonly test: DataSet;
}

/**
 * Nielsen's split of MNIST (as in his `mnist_loader.py`): the first 50,000 examples of the
 * training file train, the last 10,000 validate, and the 10,000-example test file tests.
 * The counts are configurable; the two parts of the training file never overlap. The sets
 * are views of the loaded data ({@link slice}), not copies.
 */
export function splitMnist(
  mnist: { readonly train: DataSet; readonly test: DataSet },
  options: SplitOptions = {},
): Splits {
  const { trainCount = 50000, validationCount = 10000 } = options;
  const n = mnist.train.count;
  if (!(Number.isInteger(trainCount) && trainCount >= 1))
    throw new RangeError(`splitMnist: trainCount must be an integer ≥ 1, got ${trainCount}`);
  if (!(Number.isInteger(validationCount) && validationCount >= 0))
    throw new RangeError(`splitMnist: validationCount must be an integer ≥ 0, got ${validationCount}`);
  if (trainCount + validationCount > n)
    throw new RangeError(
      `splitMnist: trainCount ${trainCount} + validationCount ${validationCount} = ${trainCount + validationCount} ` +
        `is more than the ${n} examples of ${mnist.train.name}; lower one of them so that the sets do not overlap`,
    );
  const base = mnist.train.name.replace(/\/train$/, '');
  return Object.freeze({
    train: slice(mnist.train, 0, trainCount, `${base}/train`),
    validation: slice(mnist.train, n - validationCount, n, `${base}/validation`),
    test: mnist.test,
  });
}
