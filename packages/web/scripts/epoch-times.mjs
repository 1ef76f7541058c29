#!/usr/bin/env node
// Seconds per epoch in the page, backend by backend, next to the same backends in Node.
// One epoch of the document's setting (784-16-16-10 sigmoid/quadratic, 50,000 training images,
// batch 10, η = 3, seed 1) in headless chromium (the page's Train view, as a user runs it), then
// `backprop train` with the same flags in Node for the backends Node has. Not a test: a measurement
// for docs/web.md. Usage (after pnpm build):
//   node packages/web/scripts/epoch-times.mjs [--out DIR] [--backends a,b,...] [--node a,b,...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openBrowser } from '../lib/chromium.js';
import { startServer } from '../lib/server.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    backends: {
      type: 'string',
      default: 'reference,tfjs-cpu,tfjs-wasm,tfjs-webgl,tfjs-webgpu,ort-web-wasm,ort-web-webgpu',
    },
    node: { type: 'string', default: 'reference,tfjs-cpu,tfjs-wasm,ort-web-wasm,onnx-cpu,onnx-webgpu' },
    epochs: { type: 'string', default: '1' },
  },
});
const here = import.meta.dirname;
const cli = join(here, '../../cli/dist/bin.js');
const work = mkdtempSync(join(tmpdir(), 'backprop-epoch-times-'));
const rows = [];
// When and under what load each run was measured: the date it ended, and the machine's 1-, 5- and
// 15-minute load averages then (the machine may be shared; the numbers mean little without it).
const when = () => ({
  endedAt: new Date().toISOString(),
  load: loadavg().map((l) => Number(l.toFixed(2))),
  cpus: availableParallelism(),
});

const server = await startServer({ port: 0 });
const browser = await openBrowser();
const { page } = browser;
await page.goto(server.url);
await page.waitForSelector('#train-backend[data-ready=true]', { state: 'attached', timeout: 120_000 });
for (const backend of values.backends.split(',')) {
  await page.selectOption('#train-backend', backend);
  await page.fill('input[name=epochs]', values.epochs);
  const before = await page.$$eval('#epoch-table tbody tr', (r) => r.length);
  await page.click('#train-start');
  await page.waitForSelector('#train-status[data-state=done], #train-status[data-state=error]', {
    timeout: 3_600_000,
  });
  const state = await page.$eval('#train-status', (e) => [e.dataset.state, e.textContent]);
  if (state[0] !== 'done') throw new Error(`${backend} in the page: ${state[1]}`);
  const seconds = await page.$$eval(
    '#epoch-table tbody tr',
    (r, b) => r.slice(b).map((x) => Number(x.dataset.epochSeconds)),
    before,
  );
  const acc = await page.$$eval(
    '#epoch-table tbody tr',
    (r, b) => r.slice(b).map((x) => x.children[4].textContent),
    before,
  );
  rows.push({
    where: 'page',
    backend,
    secondsPerEpoch: seconds.reduce((a, b) => a + b, 0) / seconds.length,
    test: acc.at(-1),
    ...when(),
  });
  console.log(JSON.stringify(rows.at(-1)));
  // Reset the status for the next run.
  await page.$eval('#train-status', (e) => delete e.dataset.state);
}
await page.waitForTimeout(1000);
if (values.out) {
  mkdirSync(values.out, { recursive: true });
  await page.screenshot({ path: join(values.out, 'web-train-backends.png'), fullPage: true });
}
await browser.close();
await server.close();

for (const backend of values.node.split(',').filter(Boolean)) {
  const out = join(work, `${backend}.json`);
  execFileSync(
    process.execPath,
    [
      cli,
      'train',
      '--backend',
      backend,
      '--epochs',
      values.epochs,
      '--quiet',
      '--out',
      out,
      '--model',
      join(work, `${backend}.model.json`),
    ],
    { stdio: 'inherit' },
  );
  const run = JSON.parse(readFileSync(out, 'utf8'));
  const e = run.curve.epochs;
  rows.push({
    where: 'node',
    backend,
    secondsPerEpoch: e.reduce((a, x) => a + x.epochSeconds, 0) / e.length,
    test: `${(100 * run.final.test.accuracy).toFixed(2)}%`,
    ...when(),
  });
  console.log(JSON.stringify(rows.at(-1)));
}
if (values.out) writeFileSync(join(values.out, 'web-epoch-times.json'), `${JSON.stringify(rows, null, 2)}\n`);
