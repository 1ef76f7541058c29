// When onnxruntime-web cannot load its WebAssembly, ort-web-wasm is unavailable and its probe says
// exactly why: the file it looked for, and where the files are meant to be. (A file of its own:
// onnxruntime-web initialises once per process.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, expect, it } from 'vitest';
import { probeOrtWeb } from '../src/web.js';

const empty = mkdtempSync(join(tmpdir(), 'backprop-no-wasm-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

it('a missing .wasm makes ort-web-wasm unavailable, naming the missing file and where the files belong, in one line', async () => {
  ort.env.wasm.wasmPaths = `${empty}/`;
  const a = await probeOrtWeb('wasm');
  expect(a.available).toBe(false);
  if (a.available) return;
  expect(a.reason).not.toContain('\n');
  expect(a.reason).toContain(
    'cannot create a session on the wasm execution provider of onnxruntime-web 1.30.0',
  );
  expect(a.reason).toContain(join(empty, 'ort-wasm-simd-threaded'));
  expect(a.reason).toContain('node_modules/onnxruntime-web/dist');
});
