import { curveRows, curvesSpec } from '@backprop/cli/charts';
import {
  ACTIVATIONS,
  COSTS,
  type EpochPoint,
  INITS,
  MAX_LAYER_SIZE,
  MAX_LAYERS,
  MAX_PARAMETERS,
  parameterCount,
  type RunFile,
  type StepPoint,
} from '@backprop/core';
import embed, { type Result } from 'vega-embed';
import type { BackendStatus } from './backends.js';
import { byId, download } from './download.js';
import type { PageTrainConfig, TrainEvent, TrainRequest } from './messages.js';

/** A run of the page: its label in the chart and table, and its curve so far. */
interface PageRunCurve {
  label: string;
  steps: StepPoint[];
  epochs: EpochPoint[];
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);

/** Read and check the form: the errors `backprop train` would give for the same flags. */
function readConfig(form: HTMLFormElement, runNumber: number): PageTrainConfig {
  const f = new FormData(form);
  const text = (k: string) => String(f.get(k) ?? '').trim();
  const int = (k: string, min: number) => {
    const n = Number(text(k));
    if (!(Number.isInteger(n) && n >= min))
      throw new Error(`${k} must be an integer ≥ ${min}, got '${text(k)}'`);
    return n;
  };
  const sizes = text('sizes')
    .split(/[-,\s]+/)
    .map(Number);
  // The bounds a model file may declare (core's MAX_*): a network the page could not save is refused before training.
  if (sizes.length < 2 || sizes.length > MAX_LAYERS || sizes.some((n) => !(Number.isInteger(n) && n >= 1)))
    throw new Error(
      `layers must be 2 to ${MAX_LAYERS} positive integers separated by dashes, e.g. 784-16-16-10; got '${text('sizes')}'`,
    );
  const wide = sizes.findIndex((n) => n > MAX_LAYER_SIZE);
  if (wide >= 0)
    throw new Error(
      `layer ${wide} has ${sizes[wide]} neurons, more than the ${MAX_LAYER_SIZE} a layer may have`,
    );
  if (parameterCount(sizes) > MAX_PARAMETERS)
    throw new Error(
      `layers ${sizes.join('-')} have ${parameterCount(sizes)} parameters, more than the ${MAX_PARAMETERS} a model file may hold`,
    );
  if (sizes[0] !== 784 || sizes[sizes.length - 1] !== 10)
    throw new Error(
      `layers must start with 784 (MNIST's pixels) and end with 10 (its digits), got ${sizes.join('-')}`,
    );
  const eta = Number(text('eta'));
  if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`η must be a number > 0, got '${text('eta')}'`);
  const pick = <T extends string>(k: string, choices: readonly T[]) => {
    const v = text(k) as T;
    if (!choices.includes(v)) throw new Error(`${k} must be one of ${choices.join(', ')}`);
    return v;
  };
  const backend = text('backend');
  return {
    backend,
    settings: {
      spec: { sizes, activation: pick('activation', ACTIVATIONS), cost: pick('cost', COSTS) },
      init: pick('init', INITS),
      epochs: int('epochs', 1),
      batchSize: int('batchSize', 1),
      eta,
      // The page's form has no momentum, weight decay or drop-last: plain SGD as the lesson has it.
      momentum: 0,
      weightDecay: 0,
      seed: int('seed', 0),
      lastBatch: 'keep',
      logEvery: int('logEvery', 1),
    },
    trainCount: int('trainCount', 1),
    validationCount: int('validationCount', 0),
    name: `page-${backend}-${runNumber}`,
  };
}

/**
 * The Train view: the form, the live status, the epoch table, and the charts of
 * `backprop compare` (the same Vega-Lite spec, drawn by vega-embed), one curve per run.
 */
export class TrainView {
  private readonly worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  private readonly runs: PageRunCurve[] = [];
  private current: PageRunCurve | undefined;
  private lastRun: RunFile | undefined;
  private lastModel: string | null = null;
  private chart: Result | undefined;
  private chartDue = false;
  private chartBusy = false;

  constructor(private readonly onModel: (modelText: string, label: string) => void) {
    const form = byId<HTMLFormElement>('train-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.start(form);
    });
    byId('train-stop').addEventListener('click', () => this.send({ type: 'stop' }));
    byId('download-run').addEventListener('click', () => {
      if (this.lastRun)
        download(`${this.lastRun.name}.run.json`, `${JSON.stringify(this.lastRun, null, 2)}\n`);
    });
    byId('download-model').addEventListener('click', () => {
      if (this.lastRun && this.lastModel) download(`${this.lastRun.name}.model.json`, this.lastModel);
    });
    this.worker.onmessage = (ev: MessageEvent<TrainEvent>) => this.handle(ev.data);
    this.worker.onerror = (ev) => this.status(`the training worker failed: ${ev.message}`, 'error');
    this.send({ type: 'list' });
  }

  private send(m: TrainRequest): void {
    this.worker.postMessage(m);
  }

  private status(text: string, state?: string): void {
    const el = byId('train-status');
    el.textContent = text;
    if (state) el.dataset.state = state;
  }

  private start(form: HTMLFormElement): void {
    let config: PageTrainConfig;
    try {
      config = readConfig(form, this.runs.length + 1);
    } catch (e) {
      this.status((e as Error).message, 'error');
      return;
    }
    const same = this.runs.filter((r) => r.label.startsWith(config.backend)).length;
    this.current = {
      label: same === 0 ? config.backend : `${config.backend} (${same + 1})`,
      steps: [],
      epochs: [],
    };
    this.runs.push(this.current);
    byId<HTMLButtonElement>('train-start').disabled = true;
    byId<HTMLButtonElement>('train-stop').disabled = false;
    const cost = byId('train-cost');
    cost.textContent = '';
    delete cost.dataset.first;
    delete cost.dataset.last;
    this.status(`starting ${config.backend}…`, 'running');
    this.send({ type: 'train', config });
  }

  private finish(): void {
    byId<HTMLButtonElement>('train-start').disabled = false;
    byId<HTMLButtonElement>('train-stop').disabled = true;
  }

  private handle(e: TrainEvent): void {
    const run = this.current;
    switch (e.type) {
      case 'backends': {
        const select = byId<HTMLSelectElement>('train-backend');
        select.replaceChildren(
          ...e.list.map((b) => {
            const o = new Option(b.available ? `${b.name} (${b.detail})` : `${b.name} — unavailable`, b.name);
            o.disabled = !b.available;
            o.title = b.available ? b.description : b.detail;
            return o;
          }),
        );
        select.dataset.ready = 'true';
        this.backends = e.list;
        return;
      }
      case 'status': {
        this.status(e.text);
        return;
      }
      case 'start': {
        this.status(
          `${e.backend.name} (${e.backend.dtype}, ${e.backend.device}): ${e.stepsPerEpoch} steps per epoch`,
        );
        return;
      }
      case 'step': {
        this.status(
          `epoch ${e.epoch}, step ${e.stepInEpoch}/${e.stepsInEpoch}: mini-batch cost ${e.cost.toFixed(4)}, ${e.seconds.toFixed(1)} s`,
        );
        return;
      }
      case 'point': {
        if (!run) return;
        run.steps.push(e.point);
        const cost = byId('train-cost');
        const first = run.steps[0]!.cost;
        cost.dataset.first = String(first);
        cost.dataset.last = String(e.point.cost);
        cost.dataset.points = String(run.steps.length);
        cost.textContent = `cost (mean of each ${run.steps.length > 1 ? run.steps[1]!.step - run.steps[0]!.step : run.steps[0]!.step} steps): first ${first.toFixed(4)} → now ${e.point.cost.toFixed(4)} after ${e.point.step} steps`;
        this.redraw();
        return;
      }
      case 'epoch': {
        if (!run) return;
        run.epochs.push(e.point);
        const row = document.createElement('tr');
        for (const c of [
          run.label,
          String(e.point.epoch),
          e.point.trainCost.toFixed(4),
          pct(e.point.validation?.accuracy),
          pct(e.point.test?.accuracy),
          e.point.epochSeconds.toFixed(2),
        ])
          row.append(Object.assign(document.createElement('td'), { textContent: c }));
        row.dataset.backend = run.label;
        row.dataset.epochSeconds = String(e.point.epochSeconds);
        byId('epoch-table').querySelector('tbody')!.append(row);
        this.redraw();
        return;
      }
      case 'done': {
        this.lastRun = e.run;
        this.lastModel = e.model;
        byId<HTMLButtonElement>('download-run').disabled = false;
        byId<HTMLButtonElement>('download-model').disabled = e.model === null;
        const f = e.run.final;
        this.status(
          f
            ? `done: test accuracy ${pct(f.test.accuracy)} (${f.test.count} images), ${f.trainSeconds.toFixed(2)} s of training`
            : `diverged: ${e.note ?? e.run.error}`,
          f ? 'done' : 'diverged',
        );
        if (e.model && run)
          this.onModel(
            e.model,
            `trained in the page: ${run.label}, ${pct(f?.test.accuracy)} on the test set`,
          );
        this.finish();
        this.redraw();
        return;
      }
      case 'error':
        this.status(e.message, 'error');
        {
          this.finish();
          return;
        }
    }
  }

  /** The backends the worker found (for other views). */
  backends: BackendStatus[] = [];

  /** Redraw the chart at most about twice a second (vega-embed builds a new view each time). */
  private redraw(): void {
    this.chartDue = true;
    if (this.chartBusy) return;
    this.chartBusy = true;
    void (async () => {
      while (this.chartDue) {
        this.chartDue = false;
        const { steps, epochs } = curveRows(this.runs.map((r) => ({ label: r.label, run: { curve: r } })));
        if (steps.length === 0) continue;
        const spec = curvesSpec(
          steps,
          epochs,
          'Training in the page',
          this.runs.map((r) => r.label),
        );
        const next = await embed('#chart', spec, { actions: false, renderer: 'svg' });
        this.chart?.finalize();
        this.chart = next;
        // What the chart shows now (a test waits for the last point to be drawn).
        byId('chart').dataset.points = String(steps.length);
        byId('chart').dataset.epochs = String(epochs.length);
        await new Promise((r) => setTimeout(r, 250));
      }
      this.chartBusy = false;
    })();
  }
}
