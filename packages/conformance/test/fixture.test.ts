import { loadMnist, makeDataSet, slice } from '@backprop/data';
import { describe, expect, test } from 'vitest';
import { mnistFixture, referenceEntry, runConformance } from '../src/index.js';

describe('the MNIST fixture', () => {
  test('takes its images from a training set given to it (a browser page has no file system)', () => {
    const train = loadMnist().train;
    // A copy in other memory, as a page holds the images it fetched: the same fixture.
    const copy = makeDataSet({ ...slice(train, 0, 100), features: train.features.slice(0, 100 * 784) });
    const given = mnistFixture(copy);
    expect(given.net.batch.x).toEqual(mnistFixture().net.batch.x);
    expect(given.net.batch.y).toEqual(mnistFixture().net.batch.y);
    expect([...given.data.labels]).toEqual([...mnistFixture().data.labels]);
    expect(mnistFixture(copy)).toBe(given);
  });

  test('refuses a set too small or of other images, saying what it needs', () => {
    const train = loadMnist().train;
    expect(() => mnistFixture(slice(train, 0, 5))).toThrow(
      /needs at least 20 images of 784 pixels, got 5 of 784/,
    );
  });

  test('runConformance passes the given set to the fixture', async () => {
    const train = loadMnist().train;
    const small = slice(train, 0, 19, 'too-small');
    const r = await runConformance(referenceEntry, { clauses: ['bp1'], runs: 1, mnistTrain: small });
    expect(r.results[0]!.status).toBe('fail');
    expect(r.results[0]!.message).toMatch(
      /the fixed cases of family fixture could not be made: too-small: the MNIST fixture needs/,
    );
    const ok = await runConformance(referenceEntry, {
      clauses: ['bp1'],
      runs: 1,
      mnistTrain: slice(train, 0, 20),
    });
    expect(ok.results[0]!.status).toBe('pass');
  });
});
