import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCUMENT_SPEC, initParams, type Params, saveModel } from '@backprop/core';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/command.js';
import { command } from '../src/commands/weights.js';
import { divergingColour, weightsImage } from '../src/weights-image.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sizes = [784, 16, 16, 10];

/** RGB of pixel (x, y). */
function pixel(png: PNG, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
}

/** Parameters whose first-layer weights are known: w^1_jk = +1 for k < 392 (top half), −1 below, 0 for neuron 15. */
function knownParams(): Params {
  const p = initParams(DOCUMENT_SPEC, 1);
  const w = p.weights[0]!;
  for (let j = 0; j < 16; j++) for (let k = 0; k < 784; k++) w[j * 784 + k] = j === 15 ? 0 : k < 392 ? 1 : -1;
  return p;
}

describe('divergingColour', () => {
  it('is blue for positive, red-orange for negative, black at zero, and clamps', () => {
    const d = new Uint8Array(16);
    divergingColour(1, d, 0);
    divergingColour(-1, d, 4);
    divergingColour(0, d, 8);
    divergingColour(5, d, 12);
    expect(d[2]).toBeGreaterThan(d[0]!); // blue > red
    expect(d[4]).toBeGreaterThan(d[6]!); // red > blue
    expect([d[8], d[9], d[10]]).toEqual([0, 0, 0]);
    expect([...d.subarray(12, 15)]).toEqual([...d.subarray(0, 3)]);
  });
});

describe('weightsImage', () => {
  it('draws 16 tiles of 28×28 in a 4×4 grid, weight k at pixel k of its tile', () => {
    const img = weightsImage(sizes, knownParams(), { zoom: 2, gap: 1 });
    expect(img.kind).toBe('tiles');
    expect(img.scales).toHaveLength(16);
    const png = PNG.sync.read(img.png);
    expect(png.width).toBe(4 * 56 + 5);
    expect([png.width, png.height]).toEqual([img.width, img.height]);
    // tile 0 sits at (1, 1): its top rows are w = +1 (blue), its bottom rows −1 (red-orange)
    const top = pixel(png, 1 + 10, 1 + 2);
    const bottom = pixel(png, 1 + 10, 1 + 50);
    expect(top[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeGreaterThan(200);
    // tile 15 (row 3, column 3) is all zero weights: black
    expect(pixel(png, 1 + 3 * 57 + 20, 1 + 3 * 57 + 20)).toEqual([0, 0, 0]);
  });

  it('draws deeper layers as an n_l × n_{l-1} heat map', () => {
    const p = knownParams();
    p.weights[2]!.fill(0);
    p.weights[2]![0] = 2; // w^3_00
    const img = weightsImage(sizes, p, { layer: 3, zoom: 10, gap: 0 });
    expect(img.kind).toBe('heatmap');
    expect(img.scales).toEqual([2]);
    const png = PNG.sync.read(img.png);
    expect(png.width).toBe(16 * 10);
    expect(pixel(png, 5, 5)[2]).toBeGreaterThan(200);
    expect(pixel(png, 15, 5)).toEqual([0, 0, 0]);
  });

  it('rejects a layer that does not exist', () => {
    expect(() => weightsImage(sizes, knownParams(), { layer: 4 })).toThrow(
      /layer must be an integer from 1 to 3/,
    );
  });
});

describe('backprop weights (the command)', () => {
  it('writes the PNG of a saved model', async () => {
    const model = join(dir, 'model.json');
    saveModel(model, { spec: DOCUMENT_SPEC, params: knownParams(), provenance: {} });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(dir, 'w.png');
      expect(await command.run([model, '--out', out])).toBe(0);
      expect(PNG.sync.read(readFileSync(out)).width).toBeGreaterThan(400);
      expect(
        await command.run([model, '--out', join(dir, 'w2.png'), '--layer', '2', '--scale', 'global']),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    await expect(command.run([model, '--layer', '9'])).rejects.toThrow(UsageError);
    await expect(command.run([])).rejects.toThrow(UsageError);
  });
});
