import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type RunFile, RunFileError, readRunFile, writeFileAtomic } from '@backprop/core';
import { curveRows, curvesSpec, renderSvg, svgToPng } from '../charts.js';
import { type Command, UsageError } from '../command.js';
import { helpText, parseFlags, text, texts } from '../flags.js';

/** The flags of `backprop compare`. */
const FLAGS = {
  out: texts({
    section: 'Flags',
    placeholder: 'FILE',
    help: 'write the chart; the extension picks the format: .svg (vector image) or .png (raster image), both open without a browser, or .html (a self-contained page: table, configurations and the chart inline); repeat for several',
  }),
  title: text({ section: 'Flags', help: 'the chart title', defaultText: "the runs' network and data" }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop compare RUN.json [RUN.json ...] [--out FILE]...',
    description: `Overlay the training curves of run files (written by 'backprop train'): mini-batch cost against
step and against wall time, accuracy against epoch and against wall time. Prints a table:
backend, device, final test accuracy, seconds per epoch, and the largest divergence of each
curve from the FIRST run (|Δcost| over the steps both logged, |Δaccuracy| over the epochs).`,
    after: {
      Example: `  backprop train --backend reference --epochs 3 --out runs/reference.json
  backprop train --backend onnx-cpu  --epochs 3 --out runs/onnx-cpu.json
  backprop compare runs/reference.json runs/onnx-cpu.json --out compare.png --out compare.html`,
    },
  },
  FLAGS,
);

/** A run file with the label it gets in the table and the legend. */
export interface LabelledRun {
  readonly file: string;
  readonly label: string;
  readonly run: RunFile;
}

/** One row of the comparison table. */
export interface RunSummary {
  readonly label: string;
  readonly backend: string;
  readonly device: string;
  readonly dtype: string;
  /** Test accuracy after the last epoch; NaN when the run diverged. */
  readonly finalAccuracy: number;
  /** Mean SGD seconds per epoch (evaluation excluded). */
  readonly secondsPerEpoch: number;
  /** Largest |cost − first run's cost| over the steps both runs logged; NaN if none in common. */
  readonly maxCostDivergence: number;
  /** Largest |accuracy − first run's| over the epochs both evaluated; NaN if none in common. */
  readonly maxAccuracyDivergence: number;
  /** Points compared for the two divergences. */
  readonly stepsCompared: number;
  readonly epochsCompared: number;
}

/**
 * Label each run by its backend, adding the run's name (or, when names clash too, the file name)
 * where two runs share a backend.
 */
export function labelRuns(files: readonly string[], runs: readonly RunFile[]): LabelledRun[] {
  const count = (key: (r: RunFile) => string, r: RunFile) => runs.filter((o) => key(o) === key(r)).length;
  return runs.map((run, i) => {
    const sameBackend = count((r) => r.backend.name, run) > 1;
    const sameName = count((r) => `${r.backend.name}/${r.name}`, run) > 1;
    const detail = sameName ? basename(files[i]!, '.json') : run.name;
    return {
      file: files[i]!,
      run,
      label: sameBackend ? `${run.backend.name} (${detail})` : run.backend.name,
    };
  });
}

/** The accuracy curve of a run: per epoch, validation accuracy when the run has it, else test. */
function accuracyCurve(run: RunFile, set: 'validation' | 'test'): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of run.curve.epochs) {
    const s = e[set];
    if (s) m.set(e.epoch, s.accuracy);
  }
  return m;
}

function maxAbsDiff(
  a: Map<number, number | null>,
  b: Map<number, number | null>,
): { max: number; n: number } {
  let max = 0;
  let n = 0;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) continue;
    n++;
    // A cost that became NaN (null in JSON) on one side only is an infinite divergence.
    const d = v === null || w === null ? (v === w ? 0 : Number.POSITIVE_INFINITY) : Math.abs(v - w);
    max = Math.max(max, d);
  }
  return { max: n > 0 ? max : Number.NaN, n };
}

/** The set whose accuracy every run reports: validation if all have it, else test. */
export function accuracySet(runs: readonly LabelledRun[]): 'validation' | 'test' {
  return runs.every((r) => r.run.curve.epochs.some((e) => e.validation)) ? 'validation' : 'test';
}

/** The comparison table's rows; divergences are measured from the first run. */
export function summarise(runs: readonly LabelledRun[]): RunSummary[] {
  if (runs.length === 0) return [];
  const set = accuracySet(runs);
  const steps = (r: RunFile) => new Map(r.curve.steps.map((p) => [p.step, p.cost as number | null]));
  const base = runs[0]!.run;
  const baseSteps = steps(base);
  const baseAcc = accuracyCurve(base, set);
  return runs.map(({ label, run }) => {
    const c = maxAbsDiff(steps(run), baseSteps);
    const a = maxAbsDiff(accuracyCurve(run, set), baseAcc);
    const epochs = run.curve.epochs;
    return {
      label,
      backend: run.backend.name,
      device: run.backend.device,
      dtype: run.backend.dtype,
      finalAccuracy: run.final?.test.accuracy ?? Number.NaN,
      secondsPerEpoch:
        epochs.length > 0 ? epochs.reduce((s, e) => s + e.epochSeconds, 0) / epochs.length : Number.NaN,
      maxCostDivergence: c.max,
      maxAccuracyDivergence: a.max,
      stepsCompared: c.n,
      epochsCompared: a.n,
    };
  });
}

const fmt = (v: number, digits: number, style: 'fixed' | 'exp' = 'fixed') =>
  Number.isNaN(v)
    ? '—'
    : v === Number.POSITIVE_INFINITY
      ? '∞'
      : style === 'exp'
        ? v.toExponential(digits)
        : v.toFixed(digits);

/** Table cells (header first) for the terminal and the HTML page. */
export function tableCells(rows: readonly RunSummary[]): string[][] {
  const header = [
    'run',
    'device',
    'dtype',
    'final test acc',
    's/epoch',
    'max |Δcost| vs first',
    'max |Δacc| vs first',
  ];
  return [
    header,
    ...rows.map((r, i) => [
      r.label,
      r.device,
      r.dtype,
      Number.isNaN(r.finalAccuracy) ? '—' : `${(r.finalAccuracy * 100).toFixed(2)}%`,
      fmt(r.secondsPerEpoch, 2),
      i === 0 ? '(first)' : `${fmt(r.maxCostDivergence, 2, 'exp')} (${r.stepsCompared} steps)`,
      i === 0 ? '(first)' : `${fmt(r.maxAccuracyDivergence, 4)} (${r.epochsCompared} epochs)`,
    ]),
  ];
}

/** A plain-text table with aligned columns. */
export function formatTable(rows: readonly RunSummary[]): string {
  const cells = tableCells(rows);
  const widths = cells[0]!.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  const line = (r: string[]) =>
    r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/** Settings that make curves comparable; lists those that differ between runs. */
export function configDifferences(runs: readonly LabelledRun[]): string[] {
  const key = (r: RunFile): Record<string, unknown> => ({
    network: r.config.spec.sizes.join('-'),
    activation: r.config.spec.activation,
    cost: r.config.spec.cost,
    init: r.config.init,
    'batch size': r.config.batchSize,
    eta: r.config.eta,
    momentum: r.config.momentum,
    'weight decay': r.config.weightDecay,
    seed: r.config.seed,
    'last batch': r.config.lastBatch,
    'log every': r.config.logEvery,
    'training examples': r.config.data.trainCount,
  });
  const first = key(runs[0]!.run);
  const differ = new Set<string>();
  for (const r of runs.slice(1))
    for (const [k, v] of Object.entries(key(r.run))) if (v !== first[k]) differ.add(k);
  return [...differ];
}

function defaultTitle(runs: readonly LabelledRun[]): string {
  const c = runs[0]!.run.config;
  return `${c.spec.sizes.join('-')} ${c.spec.activation}/${c.spec.cost}, η=${c.eta}, batch ${c.batchSize}, seed ${c.seed}, ${c.data.trainCount} training images`;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A self-contained HTML page: title, table, configurations, the SVG chart inline (no scripts, no network). */
export function htmlPage(
  title: string,
  runs: readonly LabelledRun[],
  rows: readonly RunSummary[],
  svg: string,
  notes: readonly string[],
): string {
  const cells = tableCells(rows);
  const tr = (r: string[], tag: string) =>
    `<tr>${r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  const configs = runs
    .map(({ label, file, run }) => {
      const c = run.config;
      return `<li><b>${escapeHtml(label)}</b> — ${escapeHtml(file)}: ${escapeHtml(
        `${c.spec.sizes.join('-')} ${c.spec.activation}/${c.spec.cost}, ${c.epochs} epochs, batch ${c.batchSize}, η=${c.eta}, seed ${c.seed}, ` +
          `${c.data.trainCount} training examples; ${run.backend.name} on ${run.backend.device} (${run.backend.dtype}), ` +
          `node ${run.environment.node}${run.environment.onnxruntime ? `, onnxruntime ${run.environment.onnxruntime}` : ''}, ${run.environment.cpu}; ${run.status}`,
      )}</li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:'DejaVu Sans',sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}</style>
</head><body>
<h1>backprop compare</h1>
<p>${escapeHtml(title)}</p>
<table>${tr(cells[0]!, 'th')}${cells
    .slice(1)
    .map((r) => tr(r, 'td'))
    .join('')}</table>
${notes.map((n) => `<p><b>Note:</b> ${escapeHtml(n)}</p>`).join('\n')}
<p>Divergences are measured from the first run: the largest |Δ| of the mini-batch cost over the steps both runs logged, and of the accuracy over the epochs both evaluated.</p>
${svg}
<h2>Runs</h2><ul>
${configs}
</ul></body></html>
`;
}

/** `backprop compare`. */
export const command: Command = {
  summary: 'overlay the curves of run files; table of accuracy, speed and divergence; SVG/PNG/HTML chart',
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, FLAGS, { positionals: true });
    if (positionals.length === 0)
      throw new UsageError('give at least one run file (written by backprop train --out RUN.json)');
    const outs = values.out;
    for (const o of outs)
      if (!['.svg', '.png', '.html'].includes(extname(o).toLowerCase()))
        throw new UsageError(`--out ${o}: the extension must be .svg, .png or .html`);
    for (const p of positionals)
      if (!existsSync(p) || statSync(p).isDirectory())
        throw new UsageError(
          `RUN.json: ${existsSync(p) ? `'${p}' is a directory; give its run.json` : `no such file '${p}'`} (a run file written by 'backprop train')`,
        );
    let runs: LabelledRun[];
    try {
      runs = labelRuns(
        positionals,
        positionals.map((p) => readRunFile(p)),
      );
    } catch (e) {
      if (e instanceof RunFileError) {
        console.error(`backprop compare: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const rows = summarise(runs);
    const notes: string[] = [];
    const differ = configDifferences(runs);
    if (differ.length > 0)
      notes.push(`the runs differ in ${differ.join(', ')}: their curves are not expected to match`);
    for (const r of runs)
      if (r.run.status === 'diverged') notes.push(`${r.label} diverged: ${r.run.error ?? 'cost became NaN'}`);
    console.log(formatTable(rows));
    for (const n of notes) console.log(`note: ${n}`);
    if (outs.length > 0) {
      const title = values.title ?? defaultTitle(runs);
      const { steps, epochs } = curveRows(runs);
      const svg = await renderSvg(
        curvesSpec(
          steps,
          epochs,
          title,
          runs.map((r) => r.label),
        ),
      );
      for (const o of outs) {
        const ext = extname(o).toLowerCase();
        if (ext === '.svg') writeFileAtomic(o, svg);
        else if (ext === '.png') writeFileAtomic(o, svgToPng(svg));
        else writeFileAtomic(o, htmlPage(title, runs, rows, svg, notes));
        console.log(`wrote ${o}`);
      }
    }
    return 0;
  },
};
