import { existsSync } from 'node:fs';
import { loadModel, writeFileAtomic } from '@backprop/core';
import { type Command, UsageError } from '../command.js';
import { choice, helpText, integer, parseFlags, text, toggle } from '../flags.js';
import { weightsImage } from '../weights-image.js';

/** The flags of `backprop weights`. */
const FLAGS = {
  out: text({ section: 'Flags', placeholder: 'FILE', help: 'the PNG to write', default: 'weights.png' }),
  layer: integer({ section: 'Flags', placeholder: 'L', help: 'which weight matrix W^L to draw', default: 1 }),
  scale: choice(['tile', 'global'] as const, {
    section: 'Flags',
    placeholder: 'S',
    help: 'how weights map to colours',
    meanings: {
      tile: 'each tile scaled by its own max |w|; shows each pattern',
      global: "all tiles by the layer's max |w|; shows which neurons have strong weights",
    },
    default: 'tile',
  }),
  zoom: integer({ section: 'Flags', help: 'screen pixels per weight', defaultText: '4 for tiles' }),
  columns: integer({ section: 'Flags', help: 'tiles per row', defaultText: '⌈√n⌉: 4 × 4 for 16 neurons' }),
  heatmap: toggle({ section: 'Flags', help: 'draw layer 1 as a heat map too' }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop weights MODEL.json [--out weights.png] [flags]: draw what the network learned',
    description: `Layer 1 of a network on 28×28 images is drawn as one 28×28 tile per first-layer neuron: tile j
shows the 784 weights w^1_jk, pixel k for input pixel k. Positive weights are blue, negative
red-orange, weights near zero black; the bar at the bottom runs from −max |w| through 0 to +max |w|.
Deeper layers (--layer 2, 3, …) are heat maps of W^l: one row per neuron of layer l, one column
per neuron of layer l−1.`,
    after: { Example: '  backprop weights runs/experiments/noise-model.json --out weights.png' },
  },
  FLAGS,
);

/** `backprop weights`. */
export const command: Command = {
  summary: "draw each first-layer neuron's weights as a 28×28 tile (or a deeper layer as a heat map)",
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, FLAGS, { positionals: true });
    if (positionals.length !== 1)
      throw new UsageError('name one model file, e.g. backprop weights model.json --out weights.png');
    const { layer } = values;
    if (!existsSync(positionals[0]!))
      throw new UsageError(
        `model file '${positionals[0]}' does not exist; 'backprop train' writes one (model.json)`,
      );
    const model = loadModel(positionals[0]!);
    const L = model.spec.sizes.length - 1;
    if (layer > L)
      throw new UsageError(
        `--layer must be from 1 to ${L}: ${positionals[0]} has ${L} weight matrices (sizes ${model.spec.sizes.join('-')})`,
      );
    const image = weightsImage(model.spec.sizes, model.params, {
      layer,
      scale: values.scale,
      zoom: values.zoom,
      columns: values.columns,
      heatmap: values.heatmap,
    });
    const out = values.out;
    writeFileAtomic(out, image.png);
    const n = model.spec.sizes[layer]!;
    const m = model.spec.sizes[layer - 1]!;
    const what =
      image.kind === 'tiles'
        ? `${n} tiles of ${Math.sqrt(m)}×${Math.sqrt(m)} (W^1 of ${model.spec.sizes.join('-')})`
        : `a ${n}×${m} heat map of W^${layer}`;
    const range =
      image.scales.length === 1
        ? `full colour = |w| ${image.scales[0]!.toPrecision(3)}`
        : `each tile scaled by its own max |w| (${Math.min(...image.scales).toPrecision(3)} to ${Math.max(...image.scales).toPrecision(3)})`;
    console.log(`wrote ${out}: ${what}, ${image.width}×${image.height} px; ${range}`);
    return 0;
  },
};
