/// <reference lib="webworker" />
/**
 * The conformance worker: @backprop/conformance's runner, clause by clause, on each backend the
 * page has, with the MNIST fixture taken from the images fetched from the page's server.
 */
import './worker-setup.js';
import {
  type ConformanceReport,
  formatJson,
  formatTable,
  getBackend,
  runConformance,
  selectClauses,
} from '@backprop/conformance';
import { availability } from '@backprop/core';
import { backendStatuses, registerPageBackends } from './backends.js';
import type { SuiteEvent, SuiteRequest } from './messages.js';
import { fetchMnist } from './mnist.js';

registerPageBackends();
const post = (e: SuiteEvent) => postMessage(e);

self.onmessage = async (ev: MessageEvent<SuiteRequest>) => {
  const msg = ev.data;
  try {
    if (msg.type === 'list') return post({ type: 'backends', list: await backendStatuses() });
    post({ type: 'status', text: 'loading MNIST (the fixture’s images) from the page’s server…' });
    const mnist = await fetchMnist();
    const total = selectClauses(undefined).length;
    const reports: ConformanceReport[] = [];
    for (const name of msg.backends) {
      let index = 0;
      post({ type: 'status', text: `${name}: starting…` });
      const entry = getBackend(name);
      const av = await availability(entry);
      const report = await runConformance(entry, {
        seed: msg.seed,
        runs: av.available && av.device === 'webgpu' ? msg.runsOnWebgpu : msg.runs,
        required: false,
        mnistTrain: mnist.train,
        onResult: (result) => post({ type: 'clause', backend: name, result, index: ++index, total }),
      });
      reports.push(report);
      post({ type: 'report', report });
    }
    post({ type: 'done', reports, table: formatTable(reports), json: formatJson(reports) });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
