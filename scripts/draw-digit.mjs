#!/usr/bin/env node
// Draws digits as a person would on a drawing pad: pen strokes (polylines) stamped with a
// round, anti-aliased pen of a dark colour on a light, slightly tinted background, at a size
// and aspect ratio nothing like MNIST's. Saved as PNG (pngjs, the CLI's decoder) for
// `backprop predict` to read: packages/cli/test/fixtures/drawn-N.png.
//
//   node scripts/draw-digit.mjs            # writes the fixtures
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { PNG } = createRequire(join(root, 'packages/cli/package.json'))('pngjs');

/** Strokes of each digit, as polylines in a 0..1 box (x right, y down). */
const DIGITS = {
  7: [
    [
      [0.18, 0.16],
      [0.5, 0.14],
      [0.82, 0.13],
      [0.7, 0.35],
      [0.58, 0.58],
      [0.47, 0.88],
    ],
    [
      [0.38, 0.52],
      [0.74, 0.5],
    ],
  ],
  4: [
    [
      [0.55, 0.1],
      [0.35, 0.42],
      [0.18, 0.62],
      [0.84, 0.6],
    ],
    [
      [0.66, 0.3],
      [0.64, 0.62],
      [0.63, 0.92],
    ],
  ],
};

/** Distance from (px, py) to the segment a–b. */
function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** A `width`×`height` RGBA picture of `strokes`, pen `pen` px wide. */
export function draw(strokes, width, height, pen) {
  const png = new PNG({ width, height });
  const ink = [20, 30, 110]; // dark blue ballpoint
  const paper = [250, 247, 235]; // off-white paper
  const pts = strokes.map((s) => s.map(([x, y]) => [x * width, y * height]));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let d = Number.POSITIVE_INFINITY;
      for (const s of pts)
        for (let i = 1; i < s.length; i++) d = Math.min(d, segmentDistance(x + 0.5, y + 0.5, s[i - 1], s[i]));
      const cover = Math.max(0, Math.min(1, pen / 2 + 0.5 - d)); // anti-aliased edge, one pixel wide
      const o = 4 * (y * width + x);
      for (let c = 0; c < 3; c++) png.data[o + c] = Math.round(paper[c] + cover * (ink[c] - paper[c]));
      png.data[o + 3] = 255;
    }
  return PNG.sync.write(png);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(root, 'packages/cli/test/fixtures');
  for (const [digit, strokes] of Object.entries(DIGITS)) {
    const path = join(out, `drawn-${digit}.png`);
    writeFileSync(path, draw(strokes, 180, 240, 26));
    console.log(`wrote ${path}`);
  }
}
