import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { FONT } from './chart-spec.js';

/**
 * Training-curve charts for `backprop compare`: the Vega-Lite specification of chart-spec.ts
 * rendered headless by Vega to SVG (no browser, no canvas), and to PNG by resvg with the DejaVu fonts.
 */

export { curveRows, curvesSpec, type EpochRow, FONT, type StepRow } from './chart-spec.js';

const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts'];

/** Render a Vega-Lite spec to an SVG document, headless. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG document to PNG (resvg, DejaVu fonts, white background). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { fontDirs: FONT_DIRS, loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return r.render().asPng();
}
