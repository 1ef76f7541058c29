import { describe, expect, it } from 'vitest';
import { labelHistogram, loadMnist, splitMnist } from '../src/index.js';

const mnist = loadMnist();

describe('splitMnist', () => {
  it("Nielsen's split: 50,000 train, the last 10,000 of the training file validate, 10,000 test", () => {
    const { train, validation, test } = splitMnist(mnist);
    expect([train.count, validation.count, test.count]).toEqual([50000, 10000, 10000]);
    expect([train.name, validation.name, test.name]).toEqual([
      'mnist/train',
      'mnist/validation',
      'mnist/test',
    ]);
    expect(test).toBe(mnist.test);
    // Views, not copies: validation example 0 is training-file example 50,000 in the same memory.
    expect(train.features.buffer).toBe(mnist.train.features.buffer);
    expect(validation.features.buffer).toBe(mnist.train.features.buffer);
    expect(validation.features.byteOffset - mnist.train.features.byteOffset).toBe(50000 * 784);
    expect(validation.labels[0]).toBe(mnist.train.labels[50000]);
    expect([...validation.features.subarray(0, 784)]).toEqual([
      ...mnist.train.features.subarray(50000 * 784, 50001 * 784),
    ]);
    expect(labelHistogram(train).reduce((a, b) => a + b)).toBe(50000);
    expect(labelHistogram(validation)).toEqual(
      labelHistogram(mnist.train).map((n, c) => n - labelHistogram(train)[c]!),
    );
  });

  it('custom counts take the first trainCount and the last validationCount examples', () => {
    const { train, validation } = splitMnist(mnist, { trainCount: 1000, validationCount: 500 });
    expect(train.count).toBe(1000);
    expect(validation.count).toBe(500);
    expect(train.labels[0]).toBe(mnist.train.labels[0]);
    expect(validation.labels[0]).toBe(mnist.train.labels[59500]);
    expect(splitMnist(mnist, { trainCount: 60000, validationCount: 0 }).validation.count).toBe(0);
  });

  it('refuses overlapping or meaningless counts', () => {
    expect(() => splitMnist(mnist, { trainCount: 55000 })).toThrow(
      /trainCount 55000 \+ validationCount 10000 = 65000 is more than the 60000 examples of mnist\/train/,
    );
    expect(() => splitMnist(mnist, { trainCount: 0 })).toThrow(/trainCount must be an integer ≥ 1, got 0/);
    expect(() => splitMnist(mnist, { trainCount: 1.5 })).toThrow(/trainCount/);
    expect(() => splitMnist(mnist, { validationCount: -1 })).toThrow(
      /validationCount must be an integer ≥ 0, got -1/,
    );
  });
});
