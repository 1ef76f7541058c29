import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DigitImageError,
  loadMnist,
  MNIST_BOX,
  MNIST_SIDE,
  type PixelImage,
  toMnistImage,
} from '../src/index.js';

const RUNS = Number(process.env.BACKPROP_FUZZ_RUNS ?? 100);

/** A bilevel digit: `shape[y][x]` true for ink, drawn `fg` on `bg` with `margin` pixels of paper around it. */
function paint(
  shape: boolean[][],
  fg: [number, number, number],
  bg: [number, number, number],
  margin: { top: number; left: number; bottom: number; right: number },
  scale = 1,
): PixelImage {
  const h = shape.length * scale + margin.top + margin.bottom;
  const w = shape[0]!.length * scale + margin.left + margin.right;
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sy = Math.floor((y - margin.top) / scale);
      const sx = Math.floor((x - margin.left) / scale);
      const on = y >= margin.top && x >= margin.left && (shape[sy]?.[sx] ?? false);
      const c = on ? fg : bg;
      data.set([c[0], c[1], c[2], 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data, channels: 4 };
}

const luma = (c: [number, number, number]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const colour = fc.tuple(
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 0, max: 255 }),
);
/** Two colours whose grey levels differ (the strokes must be told from the paper). */
const colours = fc.tuple(colour, colour).filter(([a, b]) => Math.abs(luma(a) - luma(b)) > 8) as fc.Arbitrary<
  [[number, number, number], [number, number, number]]
>;
/** A shape of 1–40 × 1–40 pixels with at least one pixel of ink. */
const shape = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }))
  .chain(([w, h]) =>
    fc.array(fc.array(fc.boolean(), { minLength: w, maxLength: w }), { minLength: h, maxLength: h }),
  )
  .filter((s) => s.some((row) => row.includes(true)));
const margin = fc.record({
  top: fc.integer({ min: 1, max: 12 }),
  left: fc.integer({ min: 1, max: 12 }),
  bottom: fc.integer({ min: 1, max: 12 }),
  right: fc.integer({ min: 1, max: 12 }),
});
const BLACK: [number, number, number] = [0, 0, 0];
const WHITE: [number, number, number] = [255, 255, 255];
const ONE = { top: 1, left: 1, bottom: 1, right: 1 };

function inkBox(p: Uint8Array) {
  let x0 = MNIST_SIDE;
  let x1 = -1;
  let y0 = MNIST_SIDE;
  let y1 = -1;
  for (let y = 0; y < MNIST_SIDE; y++)
    for (let x = 0; x < MNIST_SIDE; x++)
      if (p[y * MNIST_SIDE + x]! > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1, x0, y0, x1, y1 };
}

function centreOfMass(p: Uint8Array): [number, number] {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < MNIST_SIDE; y++)
    for (let x = 0; x < MNIST_SIDE; x++) {
      const v = p[y * MNIST_SIDE + x]!;
      m += v;
      mx += v * x;
      my += v * y;
    }
  return [mx / m, my / m];
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i]!)), 0);

describe('toMnistImage: properties', () => {
  it('the colours do not matter: any two distinct colours give the black-on-white image, dark or light strokes alike', () => {
    fc.assert(
      fc.property(shape, colours, margin, (s, [fg, bg], m) => {
        const reference = toMnistImage(paint(s, BLACK, WHITE, m));
        const coloured = toMnistImage(paint(s, fg, bg, m));
        expect(maxDiff(coloured.pixels, reference.pixels)).toBe(0);
        expect(coloured.inverted).toBe(luma(fg) < luma(bg));
      }),
      { numRuns: RUNS },
    );
  });

  it('where the digit sits in the picture, and how much paper is around it, do not matter', () => {
    fc.assert(
      fc.property(shape, margin, (s, m) => {
        const a = toMnistImage(paint(s, BLACK, WHITE, ONE)).pixels;
        expect(maxDiff(toMnistImage(paint(s, BLACK, WHITE, m)).pixels, a)).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('the picture’s resolution does not matter: the digit scaled up k times gives the same image (±1 grey level)', () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 2, max: 6 }), (s, k) => {
        const a = toMnistImage(paint(s, BLACK, WHITE, ONE)).pixels;
        expect(maxDiff(toMnistImage(paint(s, BLACK, WHITE, ONE, k)).pixels, a)).toBeLessThanOrEqual(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('the digit fits 20×20 with its longer side 20, keeps its aspect ratio and ink, and its centre of mass is at pixel (14, 14)', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const { pixels, box } = toMnistImage(paint(s, BLACK, WHITE, ONE));
        const out = inkBox(pixels);
        expect(Math.max(out.width, out.height)).toBe(MNIST_BOX);
        const scale = MNIST_BOX / Math.max(box.width, box.height);
        // Each side is the input's times the one scale, rounded up to whole pixels.
        expect(out.width).toBeLessThanOrEqual(Math.ceil(box.width * scale));
        expect(out.height).toBeLessThanOrEqual(Math.ceil(box.height * scale));
        // Area resampling keeps the ink: each input pixel's ink spreads over scale² output pixels.
        const inkIn = s.flat().filter(Boolean).length;
        const inkOut = pixels.reduce((a, v) => a + v, 0) / 255;
        expect(Math.abs(inkOut - inkIn * scale * scale)).toBeLessThanOrEqual(
          0.5 * 28 * 28 * (1 / 255) + 1e-9,
        );
        // Centred to the nearest pixel, unless that would push the digit out of the field.
        const [cx, cy] = centreOfMass(pixels);
        const clampedX = out.x0 === 0 || out.x1 === MNIST_SIDE - 1;
        const clampedY = out.y0 === 0 || out.y1 === MNIST_SIDE - 1;
        if (!clampedX) expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5 + 0.05);
        if (!clampedY) expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5 + 0.05);
      }),
      { numRuns: RUNS },
    );
  });

  it('grey, grey+alpha, RGB and RGBA pixels of the same picture give the same image; transparency is paper', () => {
    fc.assert(
      fc.property(shape, margin, (s, m) => {
        const rgba = paint(s, BLACK, WHITE, m);
        const n = rgba.width * rgba.height;
        const pick = (channels: number[]) => {
          const out = new Uint8Array(n * channels.length);
          for (let i = 0; i < n; i++)
            channels.forEach((c, j) => {
              out[i * channels.length + j] = rgba.data[i * 4 + c]!;
            });
          return out;
        };
        const want = toMnistImage(rgba).pixels;
        const size = { width: rgba.width, height: rgba.height };
        expect(toMnistImage({ ...size, data: pick([0]), channels: 1 }).pixels).toEqual(want);
        expect(toMnistImage({ ...size, data: pick([0, 3]), channels: 2 }).pixels).toEqual(want);
        expect(toMnistImage({ ...size, data: pick([0, 1, 2]), channels: 3 }).pixels).toEqual(want);
        // Black ink on a transparent canvas: alpha carries the strokes.
        const transparent = Uint8Array.from(rgba.data as Uint8Array);
        for (let i = 0; i < n; i++) if (transparent[i * 4] === 255) transparent[i * 4 + 3] = 0;
        expect(toMnistImage({ ...size, data: transparent, channels: 4 }).pixels).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('toMnistImage: cases', () => {
  it('a vertical bar (a "1") becomes a 20-pixel bar centred in the field', () => {
    const bar = Array.from({ length: 50 }, () => [true, true, true, true, true]);
    const { pixels, inverted, box } = toMnistImage(
      paint(bar, BLACK, WHITE, { top: 30, left: 7, bottom: 3, right: 90 }),
    );
    expect(inverted).toBe(true);
    expect(box).toEqual({ x: 7, y: 30, width: 5, height: 50 });
    // 5 × 50 scaled by 0.4: 2 × 20 pixels of full ink; centre of mass (0.5, 9.5) moved to (14, 14)
    // to the nearest pixel (halves round up): columns 14–15, rows 5–24.
    for (let y = 0; y < MNIST_SIDE; y++)
      for (let x = 0; x < MNIST_SIDE; x++)
        expect(pixels[y * MNIST_SIDE + x]).toBe(x >= 14 && x <= 15 && y >= 5 && y <= 24 ? 255 : 0);
  });

  it('a one-pixel dot becomes a 20×20 block at the centre', () => {
    const { pixels } = toMnistImage(paint([[true]], WHITE, BLACK, { top: 3, left: 3, bottom: 3, right: 3 }));
    expect(inkBox(pixels)).toMatchObject({ width: 20, height: 20, x0: 5, y0: 5 });
  });

  it('real MNIST digits, redrawn as a photo would show them (7× larger, dark blue on cream, off-centre), come back as MNIST drew them', () => {
    const { test } = loadMnist();
    const correlations: number[] = [];
    const N = 200;
    for (let e = 0; e < N; e++) {
      const original = test.features.subarray(e * 784, (e + 1) * 784) as Uint8Array;
      const k = 7;
      const W = 28 * k + 61;
      const H = 28 * k + 23;
      const fg = [20, 30, 120];
      const bg = [250, 240, 215];
      const data = new Uint8Array(W * H * 4);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const sx = Math.floor((x - 40) / k);
          const sy = Math.floor((y - 9) / k);
          const ink = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? original[sy * 28 + sx]! / 255 : 0;
          data.set([...[0, 1, 2].map((c) => bg[c]! + ink * (fg[c]! - bg[c]!)), 255], (y * W + x) * 4);
        }
      const { pixels, inverted } = toMnistImage({ width: W, height: H, data, channels: 4 });
      expect(inverted).toBe(true);
      // Pearson correlation of the two 784-pixel images.
      const mean = (a: ArrayLike<number>) =>
        (Array.prototype.reduce.call(a, (s: number, v) => s + (v as number), 0) as number) / a.length;
      const ma = mean(original);
      const mb = mean(pixels);
      let sab = 0;
      let saa = 0;
      let sbb = 0;
      for (let i = 0; i < 784; i++) {
        const a = original[i]! - ma;
        const b = pixels[i]! - mb;
        sab += a * b;
        saa += a * a;
        sbb += b * b;
      }
      correlations.push(sab / Math.sqrt(saa * sbb));
    }
    // Nearly every digit comes back as MNIST has it (correlation ≥ 0.99; most are exact). A few
    // of MNIST's own are not centred by their centre of mass (test image 63, a 3, sits 2 pixels
    // left of it): there the two differ by that shift.
    const close = correlations.filter((c) => c >= 0.99).length;
    expect(close).toBeGreaterThanOrEqual(N - 3);
    expect(correlations[63]).toBeLessThan(0.9);
    expect(Math.min(...correlations)).toBeGreaterThan(0.75);
  });

  it('refuses a blank picture and malformed pixels, saying why', () => {
    const blank = { width: 10, height: 10, data: new Uint8Array(100).fill(200), channels: 1 as const };
    expect(() => toMnistImage(blank)).toThrow(DigitImageError);
    expect(() => toMnistImage(blank)).toThrow(/single colour \(grey 200\): there is no digit/);
    expect(() => toMnistImage({ width: 0, height: 3, data: [], channels: 1 })).toThrow(/positive integers/);
    expect(() => toMnistImage({ width: 2, height: 2, data: [0, 0, 0], channels: 1 })).toThrow(
      /has 4 bytes, but 3 were given/,
    );
    expect(() => toMnistImage({ width: 1, height: 1, data: [0], channels: 5 as 1 })).toThrow(
      /1 to 4 channels/,
    );
  });
});
