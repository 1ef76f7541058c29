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
  readonly accuracy: number;
  /** "validation" or "test". */
  readonly set: string;
}

/** The charts' font (resvg renders it from the DejaVu fonts on disk). */
export const FONT = 'DejaVu Sans';

/** The Vega-Lite spec: cost against step and against time, accuracy against epoch and against time. */
export function curvesSpec(
  steps: readonly StepRow[],
  epochs: readonly EpochRow[],
  title: string,
  runs: readonly string[],
): TopLevelSpec {
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
  } as TopLevelSpec;
}

/** A run file's curve points as chart rows, labelled `label` in the legend (NaN costs left out). */
export function curveRows(
  runs: readonly { readonly label: string; readonly run: Pick<RunFile, 'curve'> }[],
): {
  steps: StepRow[];
  epochs: EpochRow[];
} {
  const steps: StepRow[] = [];
  const epochs: EpochRow[] = [];
  for (const { label, run } of runs) {
    for (const p of run.curve.steps)
      if (p.cost !== null && Number.isFinite(p.cost))
        steps.push({ run: label, step: p.step, seconds: p.seconds, cost: p.cost });
    for (const e of run.curve.epochs)
      for (const set of ['validation', 'test'] as const) {
        const s = e[set];
        if (s) epochs.push({ run: label, epoch: e.epoch, seconds: e.seconds, accuracy: s.accuracy, set });
      }
  }
  return { steps, epochs };
}
