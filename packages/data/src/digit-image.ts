/**
 * A picture of a handwritten digit, of any size and colours, made into an MNIST-style image the
 * way MNIST's were made (LeCun et al.): the digit's bounding box is scaled, keeping its aspect
 * ratio, to fit a 20×20 box (anti-aliased, hence grey levels), and placed in a 28×28 field so that
 * its centre of mass is at the field's centre. MNIST stores ink as 255 and paper as 0.
 *
 * One function for every caller: the web app's drawing pad and `backprop predict IMAGE.png` both
 * go through {@link toMnistImage}, so a digit is seen the same way wherever it comes from. No
 * Node-only imports: it runs in a browser.
 */

/** MNIST's image side, in pixels. */
export const MNIST_SIDE = 28;
/** The side of the box MNIST's digits were scaled to fit. */
export const MNIST_BOX = 20;

/** Pixels row-major, top row first: 1 channel (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA), one byte each. */
export interface PixelImage {
  readonly width: number;
  readonly height: number;
  /** `width × height × channels` bytes (a canvas's `ImageData.data` is RGBA). */
  readonly data: ArrayLike<number>;
  readonly channels: 1 | 2 | 3 | 4;
}

/** What {@link toMnistImage} made, and what it saw on the way. */
export interface MnistImage {
  /** 784 bytes, row-major, ink 255 and paper 0, as in MNIST's IDX files. */
  readonly pixels: Uint8Array;
  /** True when the input's strokes were darker than its background (and so were inverted). */
  readonly inverted: boolean;
  /** The digit's bounding box in the input, in pixels. */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

/** The picture holds no digit (it is one colour), or its size or pixels are not an image. */
export class DigitImageError extends Error {
  override name = 'DigitImageError';
}

/** Rec. 601 luma of a pixel in 0..255, composited over white where it is transparent (as a page shows it). */
function greyLevels(img: PixelImage): Float64Array {
  const { width, height, data, channels } = img;
  const n = width * height;
  const grey = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    const luma = channels >= 3 ? 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]! : data[p]!;
    const alpha = channels === 2 || channels === 4 ? data[p + channels - 1]! / 255 : 1;
    grey[i] = alpha * luma + (1 - alpha) * 255;
  }
  return grey;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 === 1 ? values[m]! : (values[m - 1]! + values[m]!) / 2;
}

/**
 * Ink in [0, 1] per pixel: the background is the median grey of the border; strokes are what
 * differs from it, in whichever direction the strongest difference goes (dark on light is
 * inverted); levels are stretched so that the strongest stroke is 1 and the background 0.
 */
function inkLevels(img: PixelImage): { ink: Float64Array; inverted: boolean } {
  const grey = greyLevels(img);
  const { width: w, height: h } = img;
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(grey[x]!, grey[(h - 1) * w + x]!);
  for (let y = 1; y < h - 1; y++) border.push(grey[y * w]!, grey[y * w + w - 1]!);
  const background = median(border);
  let darkest = 255;
  let lightest = 0;
  for (const g of grey) {
    darkest = Math.min(darkest, g);
    lightest = Math.max(lightest, g);
  }
  // Strokes go away from the background: darker on light paper, lighter on a dark screen.
  const inverted = background - darkest >= lightest - background;
  const range = inverted ? background - darkest : lightest - background;
  if (!(range > 0))
    throw new DigitImageError(
      `the ${w}×${h} image is a single colour (grey ${Math.round(background)}): there is no digit to read. Draw or scan a digit, dark on light or light on dark.`,
    );
  const ink = new Float64Array(grey.length);
  for (let i = 0; i < grey.length; i++)
    ink[i] = Math.max(0, (inverted ? background - grey[i]! : grey[i]! - background) / range);
  return { ink, inverted };
}

/**
 * Pixels with at least this much ink (of the strongest stroke) bound the digit; fainter ones
 * (anti-aliasing, compression noise, smudges) may lie outside the box and are then dropped.
 */
const BOX_INK = 0.1;

/** The smallest box holding every pixel with at least {@link BOX_INK}. */
function boundingBox(ink: Float64Array, w: number, h: number): MnistImage['box'] {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (ink[y * w + x]! >= BOX_INK) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The box of `ink` scaled by `s` (both axes: the aspect ratio is kept) into a `ow × oh` image,
 * each output pixel the mean ink over the part of the input it covers (area resampling: the
 * anti-aliasing that gives MNIST its grey edges).
 */
function resample(
  ink: Float64Array,
  w: number,
  box: MnistImage['box'],
  s: number,
  ow: number,
  oh: number,
): Float64Array {
  const out = new Float64Array(ow * oh);
  // The weights of input columns (rows) in each output column (row): the length of overlap of
  // [k, k+1) in the input with the output pixel's footprint [j/s, (j+1)/s), clipped to the box.
  const weights = (outSize: number, inSize: number) =>
    Array.from({ length: outSize }, (_, j) => {
      const lo = j / s;
      const hi = Math.min((j + 1) / s, inSize);
      const ws: [number, number][] = [];
      for (let k = Math.floor(lo); k < Math.ceil(hi); k++) {
        const overlap = Math.min(hi, k + 1) - Math.max(lo, k);
        if (overlap > 0) ws.push([k, overlap * s]);
      }
      return ws;
    });
  const cols = weights(ow, box.width);
  const rows = weights(oh, box.height);
  for (let j = 0; j < oh; j++)
    for (let i = 0; i < ow; i++) {
      let sum = 0;
      for (const [ky, wy] of rows[j]!)
        for (const [kx, wx] of cols[i]!) sum += wy * wx * ink[(box.y + ky) * w + box.x + kx]!;
      out[j * ow + i] = sum;
    }
  return out;
}

/**
 * An MNIST-style 28×28 image of the digit in `img`, the way MNIST's images were made:
 * 1. grey levels (Rec. 601 luma; transparent pixels count as white paper);
 * 2. the background is the border's median grey; dark strokes on light paper are inverted, and
 *    the levels stretched so that the background is 0 and the strongest stroke 255;
 * 3. the digit's bounding box (pixels with at least 10% ink) is scaled, keeping its aspect ratio,
 *    so that its longer side is 20 pixels, each pixel the mean over the area it covers;
 * 4. it is placed in the 28×28 field with its centre of mass at pixel (14, 14) (row and column
 *    indices from 0, where MNIST's are) to the nearest pixel, shifted no further than keeps the whole digit in the field.
 * Throws a {@link DigitImageError} for an image of one colour (no digit) or malformed pixels.
 *
 * @example
 * ```ts
 * // A canvas the user drew on (black strokes on white): what the network is shown.
 * const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
 * const { pixels } = toMnistImage({ width, height, data, channels: 4 });
 * const x = Float64Array.from(pixels, (p) => p / 255); // the input a^0 of the network
 * ```
 */
export function toMnistImage(img: PixelImage): MnistImage {
  const { width: w, height: h, channels, data } = img;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w >= 1 && h >= 1))
    throw new DigitImageError(`image size ${w}×${h}: width and height must be positive integers`);
  if (![1, 2, 3, 4].includes(channels))
    throw new DigitImageError(`an image has 1 to 4 channels (grey, grey+alpha, RGB, RGBA), not ${channels}`);
  if (data.length !== w * h * channels)
    throw new DigitImageError(
      `a ${w}×${h} image of ${channels} channel(s) has ${w * h * channels} bytes, but ${data.length} were given`,
    );
  const { ink, inverted } = inkLevels(img);
  const box = boundingBox(ink, w, h);
  const s = MNIST_BOX / Math.max(box.width, box.height);
  const ow = Math.max(1, Math.min(MNIST_BOX, Math.ceil(box.width * s - 1e-9)));
  const oh = Math.max(1, Math.min(MNIST_BOX, Math.ceil(box.height * s - 1e-9)));
  const digit = resample(ink, w, box, s, ow, oh);

  // Centre of mass of the scaled digit in pixel indices; MNIST's are at (14, 14) in indices
  // (the mean over its 70,000 images is (14.01, 13.99)).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let j = 0; j < oh; j++)
    for (let i = 0; i < ow; i++) {
      const v = digit[j * ow + i]!;
      mass += v;
      mx += v * i;
      my += v * j;
    }
  const centre = MNIST_SIDE / 2;
  const place = (com: number, size: number) =>
    Math.min(MNIST_SIDE - size, Math.max(0, Math.round(centre - com / mass)));
  const left = place(mx, ow);
  const top = place(my, oh);

  const pixels = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  for (let j = 0; j < oh; j++)
    for (let i = 0; i < ow; i++)
      pixels[(top + j) * MNIST_SIDE + left + i] = Math.round(255 * Math.min(1, digit[j * ow + i]!));
  return { pixels, inverted, box };
}
