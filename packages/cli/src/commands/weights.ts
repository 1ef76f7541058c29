import { existsSync } from 'node:fs';
import { loadModel, writeFileAtomic } from '@backprop/core';
import { type Command, choiceFlag, integerFlag, parseFlags, UsageError } from '../args.js';
import { weightsImage } from '../weights-image.js';

const help = `backprop weights MODEL.json [--out weights.png] [flags]: draw what the network learned

Layer 1 of a network on 28×28 images is drawn as one 28×28 tile per first-layer neuron: tile j
shows the 784 weights w^1_jk, pixel k for input pixel k. Positive weights are blue, negative
red-orange, weights near zero black; the bar at the bottom runs from −max |w| through 0 to +max |w|.
Deeper layers (--layer 2, 3, …) are heat maps of W^l: one row per neuron of layer l, one column
per neuron of layer l−1.

Flags:
  --out FILE        the PNG to write (default weights.png)
  --layer L         which weight matrix W^L to draw (default 1)
  --scale S         tile: each tile scaled by its own max |w| (default; shows each pattern)
                    global: all tiles by the layer's max |w| (shows which neurons have strong weights)
  --zoom N          screen pixels per weight (default 4 for tiles)
  --columns N       tiles per row (default ⌈√n⌉: 4 × 4 for 16 neurons)
  --heatmap         draw layer 1 as a heat map too

Example:
  backprop weights runs/experiments/noise-model.json --out weights.png`;

export const command: Command = {
  summary: "draw each first-layer neuron's weights as a 28×28 tile (or a deeper layer as a heat map)",
  help,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      {
        out: { type: 'string' },
        layer: { type: 'string' },
        scale: { type: 'string' },
        zoom: { type: 'string' },
        columns: { type: 'string' },
        heatmap: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1)
      throw new UsageError('name one model file, e.g. backprop weights model.json --out weights.png');
    const layer = integerFlag('layer', values.layer, 1);
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
      scale: choiceFlag('scale', values.scale, ['tile', 'global'] as const, 'tile'),
      zoom: values.zoom === undefined ? undefined : integerFlag('zoom', values.zoom, 4),
      columns: values.columns === undefined ? undefined : integerFlag('columns', values.columns, 4),
      heatmap: values.heatmap === true,
    });
    const out = values.out ?? 'weights.png';
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
