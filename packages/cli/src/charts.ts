import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';

/**
 * Training-curve charts for `backprop compare`: a Vega-Lite specification rendered headless
 * by Vega to SVG (no browser, no canvas), to PNG by resvg with the DejaVu fonts, and to an
 * interactive page (Vega itself in the page: values on hover, zoom and pan on the x axis).
 */

/** One point of a step curve: the cost of a mini-batch before its step. */
export interface StepRow {
  readonly run: string;
  readonly step: number;
  readonly seconds: number;
  readonly cost: number;
}

/** One point of an epoch curve: accuracy on a held-out set after the epoch. */
export interface EpochRow {
  readonly run: string;
  readonly epoch: number;
  readonly seconds: number;
  /** Accuracy in [0, 1] (drawn in percent, as the CLI prints it). */
  readonly accuracy: number;
  /** "validation" or "test". */
  readonly set: string;
}

/** Where a diverged run's curve ends: marked on the cost panels, whose scale it does not set. */
export interface DivergedMark {
  readonly run: string;
  readonly step: number;
  readonly seconds: number;
}

/** Options of {@link curvesSpec}. */
export interface CurveOptions {
  /**
   * The cost axis's range. A diverged run's cost grows by orders of magnitude before it becomes
   * NaN and would flatten every other curve: the range is the other runs', and the diverged
   * run is clipped to it (drawn along the top edge) and marked where it ends.
   */
  readonly costDomain?: readonly [number, number];
  /** The diverged runs' last points, marked "diverged" on the cost panels. */
  readonly diverged?: readonly DivergedMark[];
}

const FONT = 'DejaVu Sans';
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts'];

/** The Vega-Lite spec: cost against step and against time, accuracy (%) against epoch and against time. */
export function curvesSpec(
  steps: readonly StepRow[],
  epochs: readonly EpochRow[],
  title: string,
  runs: readonly string[],
  options: CurveOptions = {},
): vl.TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: 'run', scale: { domain: [...runs] } } as const;
  const dash = { field: 'run', type: 'nominal', title: 'run', scale: { domain: [...runs] } } as const;
  let panels = 0;
  const panel = (
    data: readonly object[],
    x: string,
    xTitle: string,
    y: string,
    yTitle: string,
    extra: { points?: boolean; yScale?: object; marks?: readonly object[]; tooltip: object[] },
  ) => {
    const name = `zoom${++panels}`;
    // Wall time on a log axis: backends differ in speed by more than an order of magnitude.
    const xScale = x === 'seconds' ? { scale: { type: 'log' } } : {};
    // Epochs are whole numbers: ticks at whole epochs only.
    const xAxis = x === 'epoch' ? { axis: { tickMinStep: 1, format: 'd' } } : {};
    const layers: object[] = [
      {
        // Zoom and pan on the x axis (wheel, drag; double-click resets) in the interactive page.
        params: [{ name, select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }],
        mark: {
          type: 'line',
          strokeWidth: 1.5,
          clip: true,
          // Points carry the values shown on hover: visible on epoch curves, invisible on step curves.
          point: extra.points ? { size: 30 } : { size: 40, opacity: 0 },
          tooltip: true,
        },
        encoding: {
          x: { field: x, type: 'quantitative', title: xTitle, ...xScale, ...xAxis },
          y: {
            field: y,
            type: 'quantitative',
            title: yTitle,
            scale: { zero: false, ...(extra.yScale ?? {}) },
          },
          color,
          strokeDash: dash,
          tooltip: extra.tooltip,
        },
      },
    ];
    if (extra.marks && extra.marks.length > 0)
      layers.push({
        data: { values: extra.marks as object[] },
        mark: { type: 'text', align: 'right', baseline: 'top', dy: 3, dx: -2, fontSize: 10, color: '#b00' },
        encoding: {
          x: { field: x, type: 'quantitative' },
          y: { datum: (extra.yScale as { domain: number[] }).domain[1] },
          text: { field: 'label' },
        },
      });
    return { data: { values: data as object[] }, width: 380, height: 220, layer: layers };
  };
  const acc = epochs
    .filter((e) => e.set === (epochs.some((p) => p.set === 'validation') ? 'validation' : 'test'))
    .map((e) => ({ ...e, accuracy: 100 * e.accuracy }));
  const accSet = acc[0]?.set ?? 'test';
  const clip = options.costDomain ? { domain: [...options.costDomain], clamp: true } : undefined;
  const marks = (options.diverged ?? []).map((d) => ({
    ...d,
    label: `✗ ${d.run} diverged (step ${d.step})`,
  }));
  const costTips = [
    { field: 'run', type: 'nominal' },
    { field: 'step', type: 'quantitative', title: 'step' },
    { field: 'cost', type: 'quantitative', title: 'cost', format: '.5f' },
    { field: 'seconds', type: 'quantitative', title: 'seconds', format: '.2f' },
  ];
  const accTips = [
    { field: 'run', type: 'nominal' },
    { field: 'epoch', type: 'quantitative', title: 'epoch' },
    { field: 'accuracy', type: 'quantitative', title: `${accSet} accuracy (%)`, format: '.2f' },
    { field: 'seconds', type: 'quantitative', title: 'seconds', format: '.2f' },
  ];
  const costPanel = (x: string, xTitle: string, yTitle: string) =>
    panel(steps, x, xTitle, 'cost', clip ? `${yTitle} (diverged runs clipped)` : yTitle, {
      tooltip: costTips,
      ...(clip ? { yScale: clip, marks } : {}),
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // One line per clause ("…; the runs differ in …"): a long title would be cut, or widen the
    // chart, as Vega measures text without a font (an estimate longer than the real text).
    title: { text: title.includes('; ') ? title.split('; ') : title, font: FONT },
    config: {
      font: FONT,
      view: { stroke: '#ccc' },
      legend: { orient: 'bottom', labelLimit: 600, columns: 1 },
    },
    vconcat: [
      {
        hconcat: [
          costPanel('step', 'SGD step', 'mini-batch cost (before the step)'),
          costPanel('seconds', 'wall time (s, log scale)', 'mini-batch cost'),
        ],
      },
      {
        hconcat: [
          panel(acc, 'epoch', 'epoch', 'accuracy', `${accSet} accuracy (%)`, {
            points: true,
            tooltip: accTips,
          }),
          panel(acc, 'seconds', 'wall time (s, log scale)', 'accuracy', `${accSet} accuracy (%)`, {
            points: true,
            tooltip: accTips,
          }),
        ],
      },
    ],
  } as vl.TopLevelSpec;
}

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
