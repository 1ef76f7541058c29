import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { FONT } from './chart-spec.js';

/**
 * Training-curve charts for `backprop compare`: the Vega-Lite specification of chart-spec.ts rendered headless
 * by Vega to SVG (no browser, no canvas), to PNG by resvg with the DejaVu fonts, and to an
 * interactive page (Vega itself in the page: values on hover, zoom and pan on the x axis).
 */

export {
  type CurveOptions,
  curveRows,
  curvesSpec,
  type DivergedMark,
  type EpochRow,
  FONT,
  type StepRow,
} from './chart-spec.js';

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

/**
 * Text safe inside a `<script>` element: no `</script` can end it early. Only that sequence is
 * escaped (`<\/script`, the same string or pattern in JavaScript and JSON): escaping every `</`
 * would break regular expressions such as `/</g` in Vega's minified build.
 */
const scriptSafe = (s: string) => s.replace(/<\/(script)/gi, '<\\/$1');

/**
 * Vega's browser build (vega.min.js of the installed vega package), to inline in a page so that
 * it opens offline; null where it cannot be found (a bundle of the CLI without node_modules).
 */
export function vegaBrowserBuild(): string | null {
  try {
    const main = createRequire(import.meta.url).resolve('vega');
    return readFileSync(join(dirname(main), 'vega.min.js'), 'utf8');
  } catch {
    return null;
  }
}

/**
 * The chart of `spec` for a web page: a `<div>` where Vega (inlined, no network) draws it with
 * values on hover and zoom on the x axes, and the static SVG inside `<noscript>` (and in place,
 * when Vega's build is not at hand).
 */
export function interactiveChart(spec: vl.TopLevelSpec, svg: string): string {
  const build = vegaBrowserBuild();
  if (build === null)
    return `${svg}\n<p><i>(static chart: Vega's browser build was not found to make it interactive)</i></p>`;
  const compiled = JSON.stringify(vl.compile(spec).spec);
  return `<p class="hint">Hover a point for its values; scroll or drag on a panel to zoom and pan its x axis, double-click to reset.</p>
<div id="chart"></div>
<noscript>${svg}</noscript>
<script>${scriptSafe(build)}</script>
<script>
new vega.View(vega.parse(${scriptSafe(compiled)}), { renderer: 'svg', container: '#chart', hover: true })
  .runAsync()
  .then((view) => { window.backpropView = view; });
</script>`;
}
