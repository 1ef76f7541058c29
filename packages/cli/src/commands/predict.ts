import { forward, loadModel, type Model } from '@backprop/core';
import { MNIST_SIDE } from '@backprop/data';
import { paint } from '../colour.js';
import { type Command, InputError, UsageError } from '../command.js';
import { checkExample, DATA_FLAGS, loadFlaggedData, splitFlag } from '../datasets.js';
import { readDigitPng } from '../digit-png.js';
import { helpText, integer, parseFlags, toggle } from '../flags.js';
import { ASCII_SHADES, BLOCK_SHADES, bar, renderImage } from '../terminal.js';

/** The flags of `backprop predict`. */
const FLAGS = {
  index: integer({
    section: 'An IDX image instead of a picture',
    help: 'predict example N of the data (counted from 0 within --split) instead of IMAGE.png',
    min: 0,
  }),
  split: splitFlag('test', 'the set --index counts in'),
  ...DATA_FLAGS,
  json: toggle({
    section: 'Output',
    help: 'print one JSON object: the class, the ten outputs, the 784 pixels the network saw (and the label of an IDX image)',
  }),
  ascii: toggle({ section: 'Output', help: 'draw the digit with ASCII shades instead of Unicode blocks' }),
} as const;

const HELP = helpText(
  {
    usage: `backprop predict MODEL.json IMAGE.png [--json]
backprop predict MODEL.json --index N [--split test] [--data-dir DIR] [--json]`,
    description: `Show a trained network a digit and print what it answers: the class (the largest output), the
ten outputs a^L, and the digit as the network saw it, 28×28.

IMAGE.png is a picture of one digit of any size and colours (a photo of a digit on paper, a
drawing). It is made into an MNIST image the way MNIST's were made: grey levels; dark strokes on
a light background inverted (MNIST's ink is bright); the digit's bounding box scaled, keeping its
aspect ratio, to fit 20×20 pixels; placed in the 28×28 field with its centre of mass at the centre.
The web app's drawing pad uses the same function (toMnistImage in @backprop/data).`,
    after: {
      Examples: `  backprop predict runs/one/model.json my-seven.png
  backprop predict runs/one/model.json --index 0          # the first MNIST test image, a 7
  backprop predict runs/one/model.json digit.png --json`,
    },
  },
  FLAGS,
);

/** What the network answered, and what it was shown. */
export interface Prediction {
  /** The class: the index of the largest output (the first on ties). */
  readonly predicted: number;
  /** The output activations a^L. */
  readonly outputs: number[];
  /** The 784 pixels (0–255) the network was shown, row-major. */
  readonly pixels: Uint8Array;
}

/** Run `model` on one image of `pixels` (bytes 0–255, scaled by 1/255 as in training). */
export function predict(model: Model, pixels: ArrayLike<number>): Prediction {
  const x = Float64Array.from(pixels, (p) => p / 255);
  const { activations } = forward(model.spec, model.params, x, 1);
  const out = Array.from(activations[activations.length - 1]!);
  let predicted = 0;
  for (let j = 1; j < out.length; j++) if (out[j]! > out[predicted]!) predicted = j;
  return { predicted, outputs: out, pixels: Uint8Array.from(pixels) };
}

/** The lines `predict` prints: the answer, the outputs as bars, the digit (`shape` rows × columns). */
export function predictionLines(
  p: Prediction,
  heading: string,
  options: { ascii?: boolean; label?: number; shape?: readonly number[] } = {},
): string[] {
  const { ascii = false, label, shape = [MNIST_SIDE, MNIST_SIDE] } = options;
  const [rows, cols] = shape.length === 2 ? (shape as [number, number]) : [1, p.pixels.length];
  const c = paint(process.stdout);
  const top = Math.max(1e-12, ...p.outputs.map(Math.abs));
  const verdict =
    label === undefined
      ? ''
      : label === p.predicted
        ? ` — the label is ${label}: right`
        : ` — the label is ${label}: wrong`;
  return [
    heading,
    `predicted ${c.bold(String(p.predicted))} (output ${p.outputs[p.predicted]!.toFixed(4)})${verdict}`,
    'outputs a^L:',
    ...p.outputs.map((v, j) => {
      const line = `  ${j}  ${v.toFixed(4).padStart(7)}  ${bar(Math.max(0, v) / top, 30)}`;
      return j === p.predicted ? c.bold(line) : line;
    }),
    `the digit as the network saw it (${rows}×${cols}):`,
    ...renderImage(p.pixels, rows, cols, {
      scale: 1 / 255,
      shades: ascii ? ASCII_SHADES : BLOCK_SHADES,
      frame: true,
    }),
  ];
}

/** `backprop predict`. */
export const command: Command = {
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values: v, positionals, given } = parseFlags(argv, FLAGS, { positionals: true });
    const [modelPath, imagePath, ...extra] = positionals;
    if (modelPath === undefined)
      throw new UsageError(
        'give the model file and a PNG of a digit, e.g. backprop predict model.json digit.png',
      );
    if (extra.length > 0) throw new UsageError(`one model file and one image, got also '${extra.join(' ')}'`);
    if (imagePath !== undefined && v.index !== undefined)
      throw new UsageError(`give IMAGE.png or --index N, not both (got ${imagePath} and --index ${v.index})`);
    if (imagePath === undefined && v.index === undefined)
      throw new UsageError(
        'give a PNG of a digit (backprop predict model.json digit.png) or --index N for an IDX image',
      );
    if (imagePath !== undefined)
      for (const flag of ['split', 'dir', 'data-dir', 'train-count', 'validation-count'] as const)
        if (given.has(flag)) throw new UsageError(`--${flag} goes with --index N, not with an image file`);
    const model = loadModel(modelPath);
    const sizes = model.spec.sizes;
    let label: number | undefined;
    let pixels: ArrayLike<number>;
    let heading: string;
    let shape: readonly number[] = [MNIST_SIDE, MNIST_SIDE];
    let source: Record<string, unknown>;
    if (imagePath !== undefined) {
      if (sizes[0] !== MNIST_SIDE * MNIST_SIDE)
        throw new InputError(
          `${modelPath} takes ${sizes[0]} inputs; a picture is made into ${MNIST_SIDE}×${MNIST_SIDE} = 784 pixels, so it needs a network of 784 inputs (or use --index N with its own data)`,
        );
      const picture = readDigitPng(imagePath);
      pixels = picture.pixels;
      const b = picture.box;
      heading =
        `${imagePath}: ${picture.width}×${picture.height} px, ${picture.inverted ? 'dark strokes on light (inverted)' : 'light strokes on dark'}; ` +
        `digit ${b.width}×${b.height} px at (${b.x}, ${b.y}), fitted into 20×20 and centred by its centre of mass`;
      source = {
        image: imagePath,
        width: picture.width,
        height: picture.height,
        inverted: picture.inverted,
        box: b,
      };
    } else {
      const data = loadFlaggedData(v);
      const d = data.splits[v.split];
      const n = checkExample(v.index!, d, v.split);
      if (d.inputSize !== sizes[0])
        throw new InputError(`${modelPath} takes ${sizes[0]} inputs, but ${d.name} has ${d.inputSize}`);
      pixels = d.features.subarray(n * d.inputSize, (n + 1) * d.inputSize);
      label = d.labels[n];
      shape = d.shape;
      heading = `${v.split} example ${n} of ${data.source}: label ${label}`;
      source = { data: data.source, split: v.split, index: n, label };
    }
    const p = predict(model, pixels);
    if (v.json)
      console.log(
        JSON.stringify({
          model: modelPath,
          ...source,
          predicted: p.predicted,
          ...(label === undefined ? {} : { correct: label === p.predicted }),
          outputs: p.outputs,
          pixels: Array.from(p.pixels),
        }),
      );
    else
      console.log(
        predictionLines(p, heading, {
          ascii: v.ascii,
          shape,
          ...(label === undefined ? {} : { label }),
        }).join('\n'),
      );
    return 0;
  },
};
