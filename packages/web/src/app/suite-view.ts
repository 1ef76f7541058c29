import type { ConformanceReport } from '@backprop/conformance';
import type { BackendStatus } from './backends.js';
import { byId, download } from './download.js';
import type { SuiteEvent, SuiteRequest } from './messages.js';

/**
 * The Suite view: the backends this browser offers (each probed by starting it), the suite run
 * on those chosen, the clause matrix in the CLI's table format, and the JSON report to download.
 */
export class SuiteView {
  private readonly worker = new Worker(new URL('./suite-worker.ts', import.meta.url), { type: 'module' });
  private json: string | undefined;
  private readonly done: ConformanceReport[] = [];

  constructor() {
    this.worker.onmessage = (ev: MessageEvent<SuiteEvent>) => this.handle(ev.data);
    this.worker.onerror = (ev) => this.status(`the suite worker failed: ${ev.message}`, 'error');
    byId('suite-run').addEventListener('click', () => this.run());
    byId('suite-download').addEventListener('click', () => {
      if (this.json) download('conformance.json', this.json);
    });
    this.send({ type: 'list' });
  }

  private send(m: SuiteRequest): void {
    this.worker.postMessage(m);
  }

  private status(text: string, state?: string): void {
    const el = byId('suite-status');
    el.textContent = text;
    if (state) el.dataset.state = state;
  }

  private run(): void {
    const backends = [...document.querySelectorAll<HTMLInputElement>('#suite-backends input:checked')].map(
      (i) => i.value,
    );
    const runs = Number(byId<HTMLInputElement>('suite-runs').value);
    const runsOnWebgpu = Number(byId<HTMLInputElement>('suite-runs-webgpu').value);
    const seed = Number(byId<HTMLInputElement>('suite-seed').value);
    if (backends.length === 0) {
      this.status('choose at least one backend', 'error');
      return;
    }
    if (!(Number.isInteger(runs) && runs >= 1) || !(Number.isInteger(runsOnWebgpu) && runsOnWebgpu >= 1)) {
      this.status('random cases per clause: an integer ≥ 1', 'error');
      return;
    }
    if (!Number.isInteger(seed)) {
      this.status('seed: an integer', 'error');
      return;
    }
    byId<HTMLButtonElement>('suite-run').disabled = true;
    byId<HTMLButtonElement>('suite-download').disabled = true;
    this.done.length = 0;
    byId('suite-table').textContent = '';
    this.status(`running on ${backends.join(', ')}…`, 'running');
    this.send({ type: 'run', backends, runs, runsOnWebgpu, seed });
  }

  private listBackends(list: BackendStatus[]): void {
    const box = byId('suite-backends');
    box.replaceChildren(
      ...list.map((b) => {
        const label = document.createElement('label');
        if (!b.available) label.className = 'unavailable';
        label.dataset.backend = b.name;
        label.dataset.available = String(b.available);
        label.dataset.detail = b.detail;
        const input = Object.assign(document.createElement('input'), {
          type: 'checkbox',
          value: b.name,
          checked: b.available,
          disabled: !b.available,
        });
        label.append(
          input,
          ` ${b.name} (${b.dtype}) — ${b.available ? `available on ${b.detail}` : `unavailable: ${b.detail}`}`,
        );
        return label;
      }),
    );
    box.dataset.ready = 'true';
  }

  private handle(e: SuiteEvent): void {
    switch (e.type) {
      case 'backends': {
        this.listBackends(e.list);
        return;
      }
      case 'status': {
        this.status(e.text);
        return;
      }
      case 'clause': {
        this.status(`${e.backend}: ${e.index}/${e.total} clauses (${e.result.id} ${e.result.status})`);
        return;
      }
      case 'report':
        this.done.push(e.report);
        return;
      case 'done': {
        this.json = e.json;
        const table = byId('suite-table');
        table.textContent = e.table;
        table.dataset.passed = String(e.reports.every((r) => r.passed));
        byId<HTMLButtonElement>('suite-download').disabled = false;
        byId<HTMLButtonElement>('suite-run').disabled = false;
        const failed = e.reports.filter((r) => !r.passed).map((r) => r.backend);
        this.status(
          failed.length === 0
            ? `every clause passed on ${e.reports.map((r) => r.backend).join(', ')}`
            : `failed on ${failed.join(', ')}`,
          'done',
        );
        return;
      }
      case 'error':
        byId<HTMLButtonElement>('suite-run').disabled = false;
        {
          this.status(e.message, 'error');
          return;
        }
    }
  }
}
