import { loadData, UsageError } from '@backprop/cli/kit';
import { type DataSet, type Splits, slice } from '@backprop/data';

/** The MNIST splits an experiment uses: the first examples of each standard split. */
export interface Digits {
  /** The first `trainCount` of the 50,000 training examples. */
  readonly train: DataSet;
  /** The first `validationCount` of the 10,000 validation examples (training images 50,000–59,999). */
  readonly validation: DataSet;
  /** The first `testCount` of the 10,000 test examples. */
  readonly test: DataSet;
  /** Where the images came from (a directory or the bundled package). */
  readonly source: string;
}

/** How much of MNIST an experiment uses; every count defaults to the whole split. */
export interface DigitsOptions {
  readonly trainCount?: number;
  readonly validationCount?: number;
  readonly testCount?: number;
  /** A directory of MNIST-format IDX files (e.g. Fashion-MNIST); the bundled MNIST by default. */
  readonly dataDir?: string;
}

const cache = new Map<string, Splits & { readonly source: string }>();

/**
 * The data as `backprop train` loads it (the CLI's `loadData`: Nielsen's split, a usage error
 * for a directory that is not a data set), once per process and directory; then the leading
 * examples of each split: subsets are prefixes, so a small budget sees the same first examples
 * as a large one.
 */
export function loadDigits(options: DigitsOptions = {}): Digits {
  const key = options.dataDir ?? '';
  let split = cache.get(key);
  if (!split) {
    const loaded = loadData({ dir: options.dataDir, trainCount: 50000, validationCount: 10000 });
    split = { ...loaded.splits, source: loaded.mnist.source };
    cache.set(key, split);
  }
  const take = (d: DataSet, count: number | undefined, what: string): DataSet => {
    if (count === undefined || count === d.count) return d;
    if (!(Number.isInteger(count) && count >= 1 && count <= d.count))
      throw new UsageError(
        `--${what} must be an integer from 1 to ${d.count} (the size of ${d.name}), got ${count}`,
      );
    return slice(d, 0, count);
  };
  return {
    train: take(split.train, options.trainCount, 'train-count'),
    validation: take(split.validation, options.validationCount, 'validation-count'),
    test: take(split.test, options.testCount, 'test-count'),
    source: split.source,
  };
}
