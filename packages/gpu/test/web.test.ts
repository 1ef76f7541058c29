// @backprop/gpu/web: our graphs on onnxruntime-web. Its .wasm loads from node_modules (never the
// network), its probes say what runs and why not, it trains like onnx-cpu on the same graphs, and
// nothing it imports is Node-only (so a page can bundle it).
import {
  type BackendEntry,
  BackendOptionError,
  DOCUMENT_SPEC,
  getBackend,
  initParams,
  listBackends,
  type Params,
} from '@backprop/core';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxCpuEntry } from '../src/index.js';
import { maxRelParams, relErr, stripes, usable } from './helpers.js';

// Any fetch would be a download: fail it loudly, before onnxruntime-web is imported.
const fetched: string[] = [];
globalThis.fetch = async (input: string | URL | Request) => {
  fetched.push(String(input instanceof Request ? input.url : input));
  throw new Error(`fetch(${String(input)}) attempted: onnxruntime-web must load its .wasm from node_modules`);
};
const web = await import('../src/web.js');

describe('ort-web-wasm', () => {
  it('starts from the .wasm files in node_modules, with no fetch, and names the runtime and its version', async () => {
    expect(await web.probeOrtWeb('wasm')).toEqual({
      available: true,
      device: 'wasm',
      version: 'onnxruntime-web 1.30.0',
    });
    expect(fetched).toEqual([]);
  });

  it('registerOrtWebBackends registers ort-web-wasm once, however often it is called; ort-web-webgpu is left to a page', () => {
    web.registerOrtWebBackends();
    web.registerOrtWebBackends();
    const names = listBackends().map((e) => e.name);
    expect(names.filter((n) => n === 'ort-web-wasm')).toHaveLength(1);
    expect(names).not.toContain('ort-web-webgpu');
    expect(getBackend('ort-web-wasm').dtype).toBe('float32');
    expect(getBackend('ort-web-wasm').description).toBe(
      'onnxruntime-web 1.30.0, wasm backend, our ONNX graphs (float32)',
    );
  });

  it("ort-web's WebGPU cannot start in Node, and its probe says why and what to use instead, in one line", async () => {
    const a = await web.ortWebWebgpuEntry.probe();
    expect(a.available).toBe(false);
    if (a.available) return;
    expect(a.reason).not.toContain('\n');
    expect(a.reason).toMatch(
      /^cannot create a session on the webgpu execution provider of onnxruntime-web 1\.30\.0 \(.+\); /,
    );
    expect(a.reason).toContain('needs a browser with WebGPU (navigator.gpu); in Node use onnx-webgpu');
  });

  it('takes mode and stepsPerRun, and refuses intraOpThreads (a process-wide setting in onnxruntime-web)', async () => {
    const spec = { sizes: [2, 2], activation: 'sigmoid', cost: 'quadratic' } as const;
    await expect(
      web.ortWebWasmEntry.create(spec, initParams(spec, 1), { intraOpThreads: 2 }),
    ).rejects.toThrow(BackendOptionError);
    const b = await web.ortWebWasmEntry.create(spec, initParams(spec, 1), { mode: 'naive', stepsPerRun: 3 });
    expect(b).toBeInstanceOf(web.OnnxBackend);
    expect((b as InstanceType<typeof web.OnnxBackend>).mode).toBe('naive');
    await b.dispose();
  });
});

const cpu = await usable(onnxCpuEntry);
describe.skipIf(!cpu.run)(
  `ort-web-wasm and onnx-cpu run the same graphs${cpu.run ? '' : ` (skipped: ${cpu.reason})`}`,
  () => {
    const data = stripes(200, 3);
    const params = initParams(DOCUMENT_SPEC, 7);
    const options = { batchSize: 16, eta: 0.5, seed: 11, momentum: 0.5 };
    const epoch = async (entry: BackendEntry, mode: 'fast' | 'naive') => {
      const b = await entry.create(DOCUMENT_SPEC, params, { mode, stepsPerRun: 5 });
      try {
        const { costs } = await b.trainEpoch!(data, options);
        return { costs, params: await b.getParams() };
      } finally {
        await b.dispose();
      }
    };
    let expected: { costs: Float64Array; params: Params };
    beforeAll(async () => {
      expected = await epoch(onnxCpuEntry, 'fast');
    });

    // Both runtimes compute in float32 with their own kernels (summation orders may differ), so
    // the two agree to float32 rounding over one short epoch, not bit for bit.
    for (const mode of ['fast', 'naive'] as const)
      it(`one epoch with momentum in ${mode} mode: the same per-step costs and parameters as onnx-cpu fast`, async () => {
        const r = await epoch(web.ortWebWasmEntry, mode);
        expect(r.costs.length).toBe(13);
        expect(relErr(r.costs, expected.costs)).toBeLessThan(1e-5);
        expect(maxRelParams(r.params, expected.params)).toBeLessThan(1e-5);
      });
  },
);

describe('the @backprop/gpu/web entry', () => {
  it('imports nothing Node-only: it bundles for a browser, without onnxruntime-node, runtime.ts or placement.ts', async () => {
    const r = await build({
      entryPoints: [new URL('../src/web.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser', // a node:* import fails the build
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      // Other packages' entries are theirs to keep browser-safe; this checks the modules of this one.
      external: ['@backprop/core', '@backprop/data', 'onnxruntime-web', 'onnx-proto'],
    });
    const inputs = Object.keys(r.metafile.inputs).map((p) => p.replace(/^(.*\/)?src\//, ''));
    expect(inputs.sort()).toEqual(
      [
        'backend.ts',
        'entry.ts',
        'onnx/builder.ts',
        'onnx/graphs.ts',
        'onnx/network.ts',
        'ort.ts',
        'probe.ts',
        'web.ts',
      ].sort(),
    );
  });
});
