/**
 * @backprop/data — the data side of the network: MNIST and any IDX file, train/validation/test
 * splits, seeded shuffling and mini-batches, and small synthetic sets for tests.
 */

export { epochBatches, type LastBatchPolicy } from './batches.js';
export { type DataSet, fillInputs, fillTargets, makeDataSet, oneHot, slice } from './dataset.js';
export {
  DigitImageError,
  MNIST_BOX,
  MNIST_SIDE,
  type MnistImage,
  type PixelImage,
  toMnistImage,
} from './digit-image.js';
export {
  encodeIdx,
  IDX_TYPES,
  type IdxArray,
  type IdxArrays,
  type IdxData,
  IdxError,
  type IdxType,
  type IdxWriteOptions,
  isGzip,
  parseIdx,
  readIdx,
  writeIdx,
} from './idx.js';
export { defaultMnistDir, loadMnist, MNIST_CLASSES, MNIST_FILES, type Mnist, parseMnist } from './mnist.js';
export { deriveSeed, Rng } from './rng.js';
export { type SplitOptions, type Splits, splitMnist } from './splits.js';
export { labelHistogram, meanFeature } from './summary.js';
export { BLOB_MIN_DISTANCE, type BlobsOptions, blobs, xor } from './synthetic.js';
