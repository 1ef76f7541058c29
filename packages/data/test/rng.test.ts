import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng } from '../src/index.js';

const take = (n: number, f: () => number): number[] => Array.from({ length: n }, f);

describe('Rng (xoshiro128** seeded by splitmix32)', () => {
  it('matches the reference implementation from state {1, 2, 3, 4}', () => {
    // Blackman & Vigna's xoshiro128starstar.c; the same vector is in Rust's rand_xoshiro tests.
    const rng = Rng.fromState([1, 2, 3, 4]);
    expect(take(10, () => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('golden values: any change to the seeding or the stream is caught', () => {
    const a = new Rng(1);
    expect(take(5, () => a.nextUint32())).toEqual([
      2442144158, 3238099751, 3819917871, 2104621829, 2021136066,
    ]);
    const b = new Rng(42);
    expect(take(3, () => b.nextFloat())).toEqual([
      0.6606157208001621, 0.1117019639532224, 0.0791056456144914,
    ]);
    expect(take(2, () => b.nextNormal())).toEqual([2.117721376234048, -1.9715376804885307]);
    expect(deriveSeed(1, 'init')).toBe(deriveSeed(1, 'init'));
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(1, 'shuffle'));
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(2, 'init'));
  });

  it('nextFloat is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Rng(11);
    const xs = take(100000, () => rng.nextFloat());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // Standard error of the mean: sqrt(1/12 / 1e5) ≈ 0.0009; 0.005 is > 5 se.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('nextNormal has mean 0, variance 1 and no skew on 10^5 samples', () => {
    const rng = new Rng(12);
    const xs = take(100000, () => rng.nextNormal());
    const n = xs.length;
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const skew = xs.reduce((s, x) => s + (x - mean) ** 3, 0) / n;
    // se(mean) ≈ 0.0032, se(variance) ≈ sqrt(2/n) ≈ 0.0045, se(skew) ≈ sqrt(6/n) ≈ 0.0077.
    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    expect(Math.abs(skew)).toBeLessThan(0.04);
    // About 68.3% within one standard deviation.
    expect(Math.abs(xs.filter((x) => Math.abs(x) < 1).length / n - 0.6827)).toBeLessThan(0.01);
  });

  it('nextInt is unbiased across a bound that does not divide 2^32', () => {
    const rng = new Rng(13);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 90000; i++) counts[rng.nextInt(3)]++;
    for (const c of counts) expect(Math.abs(c - 30000)).toBeLessThan(700); // sd ≈ 141
    expect(() => rng.nextInt(0)).toThrow(/nextInt bound/);
  });

  it('refuses a non-finite seed and an all-zero state', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/all zero/);
  });
});
