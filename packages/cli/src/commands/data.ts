import { type DataSet, labelHistogram, meanFeature } from '@backprop/data';
import { type Command, UsageError } from '../command.js';
import { checkExample, DATA_FLAGS, loadFlaggedData, SPLITS, type SplitName, splitFlag } from '../datasets.js';
import { helpText, parseFlags, toggle } from '../flags.js';
import { didYouMean } from '../suggest.js';
import { ASCII_SHADES, BLOCK_SHADES, bar, renderImage } from '../terminal.js';

/** The flags of `data show`. */
const SHOW_FLAGS = {
  ...DATA_FLAGS,
  split: splitFlag('train', 'show: the set N counts in'),
  ascii: toggle({
    section: 'Flags',
    help: 'show: draw with the ASCII shades " .:-=+*#%@" instead of the Unicode blocks " ░▒▓█"',
  }),
  json: toggle({
    section: 'Flags',
    help: 'info: the report as one JSON object (source, and per set its examples, shape, mean pixel, examples per label)',
  }),
} as const;

/** The flags of `data info`. */
const INFO_FLAGS = { ...DATA_FLAGS, json: SHOW_FLAGS.json } as const;

const HELP = helpText(
  {
    usage: `backprop data — look at the data the network learns from

Usage:
  backprop data info [--dir DIR] [--train-count N] [--validation-count N] [--json]
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

type Loaded = ReturnType<typeof loadFlaggedData>;

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
  return checkExample(Number(text), d, split);
}

/** The `data info` report as JSON. */
export function infoJson({ mnist, splits, source, bundled }: Loaded): Record<string, unknown> {
  const n = mnist.train.count;
  const first = { train: 0, validation: n - splits.validation.count, test: 0 };
  return {
    source,
    bundled,
    sets: Object.fromEntries(
      SPLITS.map((name) => {
        const d = splits[name];
        return [
          name,
          {
            examples: d.count,
            shape: d.shape,
            meanPixel: d.count > 0 ? meanFeature(d) : null,
            file: name === 'test' ? 'test' : 'training',
            firstExample: first[name],
            perLabel: labelHistogram(d),
          },
        ];
      }),
    ),
  };
}

/** `backprop data`. */
export const command: Command = {
  help: HELP,
  flags: SHOW_FLAGS,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'info') {
      const { values } = parseFlags(rest, INFO_FLAGS);
      const loaded = loadFlaggedData(values);
      console.log(values.json ? JSON.stringify(infoJson(loaded)) : infoLines(loaded).join('\n'));
      return 0;
    }
    if (sub === 'show') {
      const { values, positionals } = parseFlags(rest, SHOW_FLAGS, { positionals: true });
      if (positionals.length > 1)
        throw new UsageError(`show takes one example number, got '${positionals.join(' ')}'`);
      const d = loadFlaggedData(values).splits[values.split];
      console.log(showLines(d, exampleIndex(positionals[0], d, values.split), values.ascii).join('\n'));
      return 0;
    }
    if (sub === undefined) throw new UsageError("missing subcommand: 'info' or 'show'");
    throw new UsageError(
      `unknown subcommand '${sub}': use 'info' or 'show'.${didYouMean(sub, ['info', 'show'])}`,
    );
  },
};
