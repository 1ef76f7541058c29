import type { Params } from '@backprop/core';
import { PNG } from 'pngjs';

/**
 * Pictures of what a network learned, as PNG pixel grids (no chart library: each weight is a
 * block of pixels). The colour map is diverging: a positive weight is blue, a negative one
 * red-orange, and a weight near zero is black, brightness proportional to |w| / scale.
 */

/** How weights are scaled to colours: by each tile's own max |w| (patterns) or by the layer's (strength). */
export type WeightScale = 'tile' | 'global';

/** Options of {@link weightsImage}. */
export interface WeightsImageOptions {
  /** The layer l whose W^l is drawn (1-based; default 1). */
  readonly layer?: number;
  /** 'tile' (default) or 'global'; heat maps always use the layer's max |w|. */
  readonly scale?: WeightScale;
  /** Screen pixels per weight (default 4 for tiles, chosen to fit for heat maps). */
  readonly zoom?: number;
  /** Tiles per row (default ⌈√n_1⌉). */
  readonly columns?: number;
  /** Pixels between tiles (default 2). */
  readonly gap?: number;
  /** Draw W^l as an n_l × n_{l−1} heat map even when tiles are possible. */
  readonly heatmap?: boolean;
}

/** What was drawn. */
export interface WeightsImage {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  /** 'tiles': one square tile per neuron of layer 1; 'heatmap': one row per neuron, one column per input. */
  readonly kind: 'tiles' | 'heatmap';
  readonly layer: number;
  /** The max |w| that full brightness stands for, per tile (tiles with 'tile' scale) or one for the layer. */
  readonly scales: number[];
  /** Where each neuron j is drawn: its tile, or its row of the heat map (pixels of {@link png}). */
  readonly cells: readonly Box[];
  /** Where the colour bar (−scale … 0 … +scale, left to right) is. */
  readonly bar: Box;
  /** A heat map's columns (neurons of layer l − 1), each {@link Box.width} / columns wide. */
  readonly columns?: number;
}

/** A rectangle of pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const POSITIVE = [70, 150, 255] as const; // blue
const NEGATIVE = [255, 100, 40] as const; // red-orange
const GAP = [112, 112, 112] as const; // mid grey: apart from both black (w ≈ 0) and the colours

/** Write the colour of t ∈ [−1, 1] (t = w / scale, clamped) at byte offset `o` of RGBA `data`. */
export function divergingColour(t: number, data: Uint8Array, o: number): void {
  const c = Math.max(-1, Math.min(1, t));
  const rgb = c >= 0 ? POSITIVE : NEGATIVE;
  const m = Math.abs(c);
  data[o] = Math.round(rgb[0] * m);
  data[o + 1] = Math.round(rgb[1] * m);
  data[o + 2] = Math.round(rgb[2] * m);
  data[o + 3] = 255;
}

function maxAbs(w: ArrayLike<number>, start = 0, end = w.length): number {
  let m = 0;
  for (let i = start; i < end; i++) m = Math.max(m, Math.abs(w[i]!));
  return m;
}

function fill(png: PNG, x0: number, y0: number, w: number, h: number, rgb: readonly number[]): void {
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * png.width + x) * 4;
      png.data[o] = rgb[0]!;
      png.data[o + 1] = rgb[1]!;
      png.data[o + 2] = rgb[2]!;
      png.data[o + 3] = 255;
    }
}

/** A colour bar from −1 (left) through 0 to +1 (right) in the rectangle given. */
function colourBar(png: PNG, x0: number, y0: number, w: number, h: number): void {
  for (let x = 0; x < w; x++) {
    const t = (2 * x) / Math.max(1, w - 1) - 1;
    for (let y = 0; y < h; y++) divergingColour(t, png.data, ((y0 + y) * png.width + x0 + x) * 4);
  }
}

/** The most pixels a weights image may have: 100 million (400 MB of RGBA before compression). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Thrown by {@link weightsImage} for an image over {@link MAX_IMAGE_PIXELS}, before allocating it. */
export class ImageTooLargeError extends RangeError {
  override name = 'ImageTooLargeError';
}

function checkImageSize(width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS)
    throw new ImageTooLargeError(
      `the image would be ${width.toLocaleString('en-US')}×${height.toLocaleString('en-US')} px, more than the ${MAX_IMAGE_PIXELS.toLocaleString('en-US')} pixels a weights image may have`,
    );
}

/**
 * Draw W^layer of a network with layer sizes `sizes`. Layer 1 of a network whose input is a
 * square image (784 = 28 × 28) is drawn as one tile per neuron: neuron j's 784 weights
 * w^1_jk placed at pixel k of a 28 × 28 square, as in the video. Any other layer is a heat map
 * with one row per neuron j of layer l and one column per neuron k of layer l − 1. A colour
 * bar (−max … 0 … +max) runs along the bottom.
 */
export function weightsImage(
  sizes: readonly number[],
  params: Params,
  options: WeightsImageOptions = {},
): WeightsImage {
  const layer = options.layer ?? 1;
  const L = sizes.length - 1;
  if (!(Number.isInteger(layer) && layer >= 1 && layer <= L))
    throw new RangeError(
      `layer must be an integer from 1 to ${L} (this network has ${L} weight matrices), got ${layer}`,
    );
  const rows = sizes[layer]!;
  const cols = sizes[layer - 1]!;
  const W = params.weights[layer - 1]!;
  if (W.length !== rows * cols)
    throw new RangeError(`W^${layer} has ${W.length} entries, expected ${rows}×${cols}`);
  const gap = options.gap ?? 2;
  const side = Math.round(Math.sqrt(cols));
  const tiles = layer === 1 && side * side === cols && !options.heatmap;
  if (tiles) {
    const zoom = options.zoom ?? 4;
    const gridCols = options.columns ?? Math.ceil(Math.sqrt(rows));
    const gridRows = Math.ceil(rows / gridCols);
    const tile = side * zoom;
    const barHeight = Math.max(6, zoom * 2);
    const width = gridCols * tile + (gridCols + 1) * gap;
    const height = gridRows * tile + (gridRows + 1) * gap + barHeight + gap;
    checkImageSize(width, height);
    const png = new PNG({ width, height });
    fill(png, 0, 0, width, height, GAP);
    const layerMax = maxAbs(W);
    const scales: number[] = [];
    const cells: Box[] = [];
    for (let j = 0; j < rows; j++) {
      const scale = options.scale === 'global' ? layerMax : maxAbs(W, j * cols, (j + 1) * cols);
      scales.push(scale);
      const x0 = gap + (j % gridCols) * (tile + gap);
      const y0 = gap + Math.floor(j / gridCols) * (tile + gap);
      cells.push({ x: x0, y: y0, width: tile, height: tile });
      for (let k = 0; k < cols; k++) {
        const t = scale > 0 ? W[j * cols + k]! / scale : 0; // w^1_jk at pixel k
        const px = x0 + (k % side) * zoom;
        const py = y0 + Math.floor(k / side) * zoom;
        for (let dy = 0; dy < zoom; dy++)
          for (let dx = 0; dx < zoom; dx++) divergingColour(t, png.data, ((py + dy) * width + px + dx) * 4);
      }
    }
    const bar = { x: gap, y: height - barHeight - gap, width: width - 2 * gap, height: barHeight };
    colourBar(png, bar.x, bar.y, bar.width, bar.height);
    return {
      png: PNG.sync.write(png),
      width,
      height,
      kind: 'tiles',
      layer,
      scales: options.scale === 'global' ? [layerMax] : scales,
      cells,
      bar,
    };
  }
  const zoom = options.zoom ?? Math.max(1, Math.min(24, Math.floor(800 / cols)));
  const zoomY = Math.max(zoom, Math.min(24, Math.floor(160 / rows)));
  const barHeight = 8;
  const width = cols * zoom + 2 * gap;
  const height = rows * zoomY + 3 * gap + barHeight;
  checkImageSize(width, height);
  const png = new PNG({ width, height });
  fill(png, 0, 0, width, height, GAP);
  const scale = maxAbs(W);
  for (let j = 0; j < rows; j++)
    for (let k = 0; k < cols; k++) {
      const t = scale > 0 ? W[j * cols + k]! / scale : 0; // w^l_jk: row j, column k
      for (let dy = 0; dy < zoomY; dy++)
        for (let dx = 0; dx < zoom; dx++)
          divergingColour(t, png.data, ((gap + j * zoomY + dy) * width + gap + k * zoom + dx) * 4);
    }
  const bar = { x: gap, y: height - barHeight - gap, width: width - 2 * gap, height: barHeight };
  colourBar(png, bar.x, bar.y, bar.width, bar.height);
  const cells = Array.from({ length: rows }, (_, j) => ({
    x: gap,
    y: gap + j * zoomY,
    width: cols * zoom,
    height: zoomY,
  }));
  return {
    png: PNG.sync.write(png),
    width,
    height,
    kind: 'heatmap',
    layer,
    scales: [scale],
    cells,
    bar,
    columns: cols,
  };
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A weight for a label: three significant digits, a true minus sign. */
const weightText = (w: number) => w.toPrecision(3).replace('-', '−');

/**
 * The image of {@link weightsImage} with its labels, as an SVG document: each neuron's number
 * (in the corner of its tile; for a heat map, left of its row and, for the inputs, above its
 * column, every few when they are thin), the colour bar's values (−max |w|, 0, +max |w|, or
 * "max |w|" when every tile has its own scale) and a caption saying what is drawn. The pixels
 * are embedded unscaled.
 */
export function labelledWeightsSvg(image: WeightsImage, caption: string): string {
  const font = 12;
  const heat = image.kind === 'heatmap';
  const left = heat ? 8 + font * String(image.cells.length - 1).length * 0.7 : 0;
  const top = heat ? font + 4 : 0;
  const width = Math.round(image.width + left + 8);
  const text: string[] = [];
  const label = (x: number, y: number, s: string, anchor = 'start', size = font, fill = '#222') => {
    text.push(
      `<text x="${x.toFixed(1)}" y="${(y + top).toFixed(1)}" font-size="${size}" fill="${fill}" text-anchor="${anchor}">${escapeXml(s)}</text>`,
    );
  };
  if (!heat) {
    const size = Math.max(8, Math.min(14, Math.floor(image.cells[0]!.height / 6)));
    image.cells.forEach((c, j) => {
      const w = size * (0.65 * String(j).length + 0.5);
      text.push(
        `<rect x="${left + c.x}" y="${c.y}" width="${w.toFixed(1)}" height="${size + 3}" fill="#000" fill-opacity="0.6"/>`,
      );
      label(left + c.x + 2, c.y + size, String(j), 'start', size, '#fff');
    });
  } else {
    const row = image.cells[0]!;
    const everyRow = Math.max(1, Math.ceil((font + 2) / row.height));
    image.cells.forEach((c, j) => {
      if (j % everyRow === 0)
        label(
          left - 4,
          c.y + c.height / 2 + font / 3,
          String(j),
          'end',
          Math.min(font, Math.max(8, c.height)),
        );
    });
    // The columns: neuron k of the layer before, every few so that the numbers do not touch.
    const columns = image.columns ?? 0;
    const column = row.width / Math.max(1, columns);
    const everyColumn = Math.max(1, Math.ceil((font * 0.7 * String(columns - 1).length + 6) / column));
    for (let k = 0; k < columns; k += everyColumn)
      label(left + row.x + (k + 0.5) * column, -4, String(k), 'middle', Math.min(font, 10));
  }
  const b = image.bar;
  const y = image.height + font;
  const one = image.scales.length === 1;
  const max = Math.max(...image.scales);
  label(left + b.x, y, one ? `−${weightText(max)}` : '−max |w|', 'start');
  label(left + b.x + b.width / 2, y, '0', 'middle');
  label(left + b.x + b.width, y, one ? `+${weightText(max)}` : '+max |w|', 'end');
  // The caption, wrapped to the width (DejaVu Sans: about 0.6 em a character).
  const size = font - 1;
  const perLine = Math.max(20, Math.floor((width - 8) / (size * 0.6)));
  const lines: string[] = [];
  for (const word of caption.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && `${last} ${word}`.length <= perLine)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  lines.forEach((l, i) => {
    label(4, y + (i + 1) * (font + 3) + 2, l, 'start', size, '#444');
  });
  const h = Math.ceil(top + y + (lines.length + 0.5) * (font + 3));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="DejaVu Sans">
<rect width="100%" height="100%" fill="#fff"/>
<image x="${left}" y="${top}" width="${image.width}" height="${image.height}" href="data:image/png;base64,${image.png.toString('base64')}"/>
${text.join('\n')}
</svg>`;
}
