import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochBatches, Rng } from '../src/index.js';

const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('shuffling (Rng.permutation)', () => {
  it('is a permutation of 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 300 }), (seed, n) => {
        expect(sorted(new Rng(seed).permutation(n))).toEqual(range(n));
      }),
    );
  });

  it('the same seed gives the same order, different seeds differ', () => {
    const a = new Rng(7).permutation(1000);
    expect(new Rng(7).permutation(1000)).toEqual(a);
    expect(new Rng(8).permutation(1000)).not.toEqual(a);
    expect(a).not.toEqual(Uint32Array.from(range(1000))); // it does shuffle
  });

  it('moves every element to every position about equally often (first position, n = 5)', () => {
    const counts = new Array(5).fill(0);
    const rng = new Rng(3);
    for (let t = 0; t < 50000; t++) counts[rng.permutation(5)[0]!]++;
    // Expected 10,000 each; binomial sd ≈ 89, so ±500 is > 5 sd.
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });
});

describe('epochBatches (clause sgd.epoch)', () => {
  it("under 'keep' the batches cover every example exactly once; only the last may be smaller", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 64 }),
        (seed, count, b) => {
          fc.pre(b <= count);
          const batches = epochBatches(count, b, seed, 'keep');
          expect(batches.length).toBe(Math.ceil(count / b));
          for (const batch of batches.slice(0, -1)) expect(batch.length).toBe(b);
          expect(batches.at(-1)!.length).toBe(count - b * (batches.length - 1));
          expect(sorted(batches.flatMap((x) => Array.from(x)))).toEqual(range(count));
        },
      ),
    );
  });

  it("under 'drop' every batch has the full size and no example repeats", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 64 }),
        (seed, count, b) => {
          fc.pre(b <= count);
          const batches = epochBatches(count, b, seed, 'drop');
          expect(batches.length).toBe(Math.floor(count / b));
          for (const batch of batches) expect(batch.length).toBe(b);
          const seen = batches.flatMap((x) => Array.from(x));
          expect(new Set(seen).size).toBe(seen.length);
        },
      ),
    );
  });

  it('is reproducible from the seed and reshuffles with another seed', () => {
    expect(epochBatches(100, 10, 5)).toEqual(epochBatches(100, 10, 5));
    expect(epochBatches(100, 10, 5)).not.toEqual(epochBatches(100, 10, 6));
  });

  it('refuses a batch larger than the data or not a positive integer', () => {
    expect(() => epochBatches(10, 11, 1)).toThrow(/batch size 11 is larger than the 10 examples/);
    expect(() => epochBatches(10, 0, 1)).toThrow(/positive integer, got 0/);
    expect(() => epochBatches(10, 2.5, 1)).toThrow(/positive integer, got 2.5/);
  });
});
