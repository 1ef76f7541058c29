import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg, svgToPng } from '@backprop/cli/kit';
import { writeFileAtomic } from '@backprop/core';
import type { TopLevelSpec } from 'vega-lite';

/** The files an experiment wrote. */
export interface WrittenFiles {
  readonly json: string;
  readonly svg: string;
  readonly png: string;
  /** Extra files (e.g. the trained model of `noise`). */
  readonly extra: string[];
}

/**
 * Write `OUT_DIR/NAME.json` (the result), `NAME.svg` and `NAME.png` (the chart), and any extra
 * files, each atomically. The PNG is the SVG rasterised at ×`pngScale`.
 */
export async function writeExperiment(
  outDir: string,
  name: string,
  result: object,
  chart: TopLevelSpec,
  extra: Record<string, string> = {},
  pngScale = 1.25,
): Promise<WrittenFiles> {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, `${name}.json`);
  const svgPath = join(outDir, `${name}.svg`);
  const pngPath = join(outDir, `${name}.png`);
  writeFileAtomic(json, `${JSON.stringify(result, null, 2)}\n`);
  const svg = await renderSvg(chart);
  writeFileAtomic(svgPath, svg);
  writeFileAtomic(pngPath, svgToPng(svg, pngScale));
  const written: string[] = [];
  for (const [file, text] of Object.entries(extra)) {
    const path = join(outDir, file);
    writeFileAtomic(path, text);
    written.push(path);
  }
  return { json, svg: svgPath, png: pngPath, extra: written };
}
