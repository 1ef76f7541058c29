import { type MnistImage, readInputFile, toMnistImage } from '@backprop/data';
import { PNG } from 'pngjs';
import { InputError } from './command.js';

/**
 * A person's digit from a PNG file, made into the 28×28 image the network is shown by the one
 * preprocessing the web app uses too ({@link toMnistImage} in @backprop/data: grey levels, dark
 * strokes on light inverted, the digit's box fitted into 20×20, centred by its centre of mass).
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The most pixels a picture may have (a 10,000 × 10,000 photo): its RGBA copy is 400 MB. */
export const MAX_PICTURE_PIXELS = 100_000_000;

/** What {@link readDigitPng} read and made. */
export interface DigitPicture extends MnistImage {
  /** The PNG's size in pixels. */
  readonly width: number;
  readonly height: number;
}

/**
 * Read the PNG at `path` and make it an MNIST-style image. Refused with an {@link InputError}
 * naming the file: a file that is not a regular file (before reading), not a PNG (by its
 * signature), larger than {@link MAX_PICTURE_PIXELS} (from its header, before decoding),
 * malformed, or of one colour (no digit).
 */
export function readDigitPng(path: string): DigitPicture {
  const bytes = readInputFile(path);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    throw new InputError(
      `${path} is not a PNG image (it does not start with the PNG signature); save the digit as PNG`,
    );
  // IHDR is the first chunk: width and height at bytes 16–23, big-endian.
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width === 0 || height === 0 || width * height > MAX_PICTURE_PIXELS)
    throw new InputError(
      `${path} is a ${width}×${height} PNG; a picture of a digit has at most ${MAX_PICTURE_PIXELS.toLocaleString('en-US')} pixels: scale it down`,
    );
  let png: PNG;
  try {
    png = PNG.sync.read(bytes); // RGBA, 8 bits per channel whatever the file's colour type
  } catch (e) {
    throw new InputError(`${path} is not a readable PNG image: ${(e as Error).message}`);
  }
  try {
    return {
      ...toMnistImage({ width: png.width, height: png.height, data: png.data, channels: 4 }),
      width,
      height,
    };
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
}
