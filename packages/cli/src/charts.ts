import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';

/**
 * Training-curve charts for `backprop compare`: a Vega-Lite specification rendered headless
 * by Vega to SVG (no browser, no canvas), and to PNG by resvg with the DejaVu fonts.
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
  readonly accuracy: number;
  /** "validation" or "test". */
  readonly set: string;
}

const FONT = 'DejaVu Sans';
const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts'];

/** The Vega-Lite spec: cost against step and against time, accuracy against epoch and against time. */
export function curvesSpec(
  steps: readonly StepRow[],
  epochs: readonly EpochRow[],
  title: string,
  runs: readonly string[],
): vl.TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: 'run', scale: { domain: [...runs] } } as const;
  const panel = (
    data: readonly object[],
    x: string,
    xTitle: string,
    y: string,
    yTitle: string,
    extra: object = {},
  ) => ({
    data: { values: data as object[] },
    mark: { type: 'line', strokeWidth: 1.5, clip: true, ...extra },
    width: 380,
    height: 220,
    encoding: {
      // Wall time on a log axis: backends differ in speed by more than an order of magnitude.
      x: {
        field: x,
        type: 'quantitative',
        title: xTitle,
        ...(x === 'seconds' ? { scale: { type: 'log' } } : {}),
      },
      y: { field: y, type: 'quantitative', title: yTitle, scale: { zero: false } },
      color,
      strokeDash: { field: 'run', type: 'nominal', title: 'run', scale: { domain: [...runs] } },
    },
  });
  const acc = epochs.filter(
    (e) => e.set === (epochs.some((p) => p.set === 'validation') ? 'validation' : 'test'),
  );
  const accSet = acc[0]?.set ?? 'test';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, font: FONT },
    config: { font: FONT, view: { stroke: '#ccc' }, legend: { orient: 'bottom', labelLimit: 400 } },
    vconcat: [
      {
        hconcat: [
          panel(steps, 'step', 'SGD step', 'cost', 'mini-batch cost (before the step)'),
          panel(steps, 'seconds', 'wall time (s, log scale)', 'cost', 'mini-batch cost'),
        ],
      },
      {
        hconcat: [
          panel(acc, 'epoch', 'epoch', 'accuracy', `${accSet} accuracy`, { point: true }),
          panel(acc, 'seconds', 'wall time (s, log scale)', 'accuracy', `${accSet} accuracy`, {
            point: true,
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
