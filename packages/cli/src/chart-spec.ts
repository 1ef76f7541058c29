import type { RunFile } from '@backprop/core';
import type { TopLevelSpec } from 'vega-lite';

/**
 * The Vega-Lite specification of the training-curve charts, shared by `backprop compare` (which
 * renders it headless to SVG and PNG, see charts.ts) and the web app (which renders it in the
 * page with vega-embed). Browser-safe: no Node imports; exported as `@backprop/cli/charts`.
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

/** The charts' font (resvg renders it from the DejaVu fonts on disk). */
export const FONT = 'DejaVu Sans';

/** The Vega-Lite spec: cost against step and against time, accuracy (%) against epoch and against time. */
export function curvesSpec(
  steps: readonly StepRow[],
  epochs: readonly EpochRow[],
  title: string,
  runs: readonly string[],
  options: CurveOptions = {},
): TopLevelSpec {
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
  } as TopLevelSpec;
}

/**
 * A run file's curve points as chart rows, labelled `label` in the legend (NaN costs left out),
 * and what is done with diverged runs (clipped to the others' cost range, marked).
 */
export function curveRows(
  runs: readonly {
    readonly label: string;
    readonly run: Pick<RunFile, 'curve'> & { readonly status?: RunFile['status'] };
  }[],
): {
  steps: StepRow[];
  epochs: EpochRow[];
  options: CurveOptions;
} {
  const steps: StepRow[] = [];
  const epochs: EpochRow[] = [];
  const diverged: DivergedMark[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const { label, run } of runs) {
    let last: StepRow | undefined;
    for (const p of run.curve.steps)
      if (p.cost !== null && Number.isFinite(p.cost)) {
        last = { run: label, step: p.step, seconds: p.seconds, cost: p.cost };
        steps.push(last);
        if (run.status !== 'diverged') {
          lo = Math.min(lo, p.cost);
          hi = Math.max(hi, p.cost);
        }
      }
    if (run.status === 'diverged' && last)
      diverged.push({ run: label, step: last.step, seconds: last.seconds });
    for (const e of run.curve.epochs)
      for (const set of ['validation', 'test'] as const) {
        const s = e[set];
        if (s) epochs.push({ run: label, epoch: e.epoch, seconds: e.seconds, accuracy: s.accuracy, set });
      }
  }
  // Clip only when some run did not diverge: its costs set the range.
  const clip = diverged.length > 0 && Number.isFinite(lo) && hi >= lo;
  const pad = clip ? Math.max(hi - lo, Math.abs(hi) * 1e-3, 1e-12) * 0.05 : 0;
  return {
    steps,
    epochs,
    options: clip ? { costDomain: [lo - pad, hi + pad], diverged } : {},
  };
}
