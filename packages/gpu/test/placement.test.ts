import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initParams, type NetworkSpec } from '@backprop/core';
import { makeDataSet, Rng } from '@backprop/data';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EP_NAMES,
  forwardGraph,
  nodeProviders,
  OnnxBackend,
  type Placement,
  PlacementError,
  placementOf,
  placementSettings,
  profilingOptions,
  watchPlacement,
} from '../src/index.js';
import { ort, ortNode } from '../src/runtime.js';

const spec: NetworkSpec = { sizes: [6, 4, 3], activation: 'sigmoid', cost: 'quadratic' };

function feeds(): Record<string, ort.Tensor> {
  const f = (n: number, dims: number[]) =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: n }, (_, i) => (i % 5) / 5),
      dims,
    );
  return { x: f(12, [2, 6]), W1: f(24, [4, 6]), b1: f(4, [4]), W2: f(12, [3, 4]), b2: f(3, [3]) };
}

describe('node placement from the ONNX Runtime profile', () => {
  it('reads each node kernel and its provider, ignoring other events, and names the nodes that ran elsewhere', () => {
    const profile = [
      { cat: 'Session', name: 'model_loading_array', args: {} },
      { cat: 'Node', name: 'bp1/δ2_fence_before', args: { op_name: 'Mul' } },
      {
        cat: 'Node',
        name: 'bp1/δ2_kernel_time',
        args: { op_name: 'Mul', provider: 'CUDAExecutionProvider' },
      },
      { cat: 'Node', name: 'fwd.affine/z1_kernel_time', args: { provider: 'CUDAExecutionProvider' } },
      { cat: 'Node', name: 'shape/m_kernel_time', args: { provider: 'CPUExecutionProvider' } },
    ];
    expect([...nodeProviders(profile)]).toEqual([
      ['bp1/δ2', 'CUDAExecutionProvider'],
      ['fwd.affine/z1', 'CUDAExecutionProvider'],
      ['shape/m', 'CPUExecutionProvider'],
    ]);
    const p = placementOf('step', 'cuda', profile);
    expect(p).toEqual({
      graph: 'step',
      provider: 'cuda',
      nodes: 3,
      byProvider: { CUDAExecutionProvider: 2, CPUExecutionProvider: 1 },
      elsewhere: ['shape/m (CPUExecutionProvider)'],
      ok: false,
    });
    expect(placementOf('step', 'cuda', profile.slice(0, 4)).ok).toBe(true);
    expect(placementOf('empty', 'cpu', []).ok).toBe(false); // no node seen proves nothing
    expect(() => nodeProviders({})).toThrow(TypeError);
  });

  it('is turned on by BACKPROP_VERIFY_PLACEMENT or BACKPROP_PLACEMENT_LOG', () => {
    expect(placementSettings({})).toBeUndefined();
    expect(placementSettings({ BACKPROP_VERIFY_PLACEMENT: '0' })).toBeUndefined();
    expect(placementSettings({ BACKPROP_VERIFY_PLACEMENT: '1' })).toEqual({});
    expect(placementSettings({ BACKPROP_PLACEMENT_LOG: '/x/p.jsonl' })).toEqual({ log: '/x/p.jsonl' });
  });

  it('a session whose nodes ran on another provider than the one asked for fails its first run, once', async () => {
    // A CPU session checked as if CUDA had been asked for: the check must see the CPU provider.
    const prof = profilingOptions();
    const s = watchPlacement(
      await ort.InferenceSession.create(forwardGraph(spec).encode(), {
        executionProviders: ['cpu'],
        ...prof.options,
      }),
      'cuda',
      'forward',
      prof.dir,
      {},
    );
    const err = await s.run(feeds()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlacementError);
    expect(String(err)).toMatch(
      /forward: \d+ of \d+ nodes did not run on CUDAExecutionProvider: fwd\.affine\/z1 \(CPUExecutionProvider\)/,
    );
    expect(existsSync(prof.dir)).toBe(false); // the profile is read and removed
    await expect(s.run(feeds())).resolves.toHaveProperty('a2'); // later runs are not profiled
    await s.release();
  });

  it('a session released before any run leaves no profile behind', async () => {
    const prof = profilingOptions();
    const s = watchPlacement(
      await ort.InferenceSession.create(forwardGraph(spec).encode(), {
        executionProviders: ['cpu'],
        ...prof.options,
      }),
      'cpu',
      'forward',
      prof.dir,
      {},
    );
    await s.release();
    expect(existsSync(prof.dir)).toBe(false);
  });
});

describe('BACKPROP_PLACEMENT_LOG on onnx-cpu', () => {
  const saved = process.env.BACKPROP_PLACEMENT_LOG;
  const dir = mkdtempSync(join(tmpdir(), 'placement-test-'));
  afterEach(() => {
    if (saved === undefined) delete process.env.BACKPROP_PLACEMENT_LOG;
    else process.env.BACKPROP_PLACEMENT_LOG = saved;
  });

  it('logs one line per session: every node of every graph the backend used ran on the CPU provider', async () => {
    const log = join(dir, 'placement.jsonl');
    process.env.BACKPROP_PLACEMENT_LOG = log;
    const rng = new Rng(3);
    const count = 40;
    const data = makeDataSet({
      name: 'tiny',
      count,
      inputSize: 6,
      classes: 3,
      features: Float64Array.from({ length: count * 6 }, () => rng.nextFloat()),
      featureScale: 1,
      labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    });
    const b = await OnnxBackend.create(ortNode, 'onnx-cpu', 'cpu', spec, initParams(spec, 1), {
      stepsPerRun: 4,
    });
    try {
      const { costs } = await b.trainEpoch(data, { batchSize: 6, eta: 0.5, seed: 2, lastBatch: 'keep' });
      expect(costs.length).toBe(7);
      await b.forward(data.features as Float64Array, 2);
    } finally {
      await b.dispose();
    }
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Placement);
    // forward (created first), the 4-step graph, the 2-step remainder graph, the one-step graph for the last batch.
    expect(lines.map((l) => l.graph).sort()).toEqual(['forward', 'step', 'steps:2', 'steps:4']);
    for (const l of lines) {
      expect(l.ok).toBe(true);
      expect(l.provider).toBe('cpu');
      expect(l.nodes).toBeGreaterThan(0);
      expect(Object.keys(l.byProvider)).toEqual([EP_NAMES.cpu]);
    }
    // The unrolled graph holds its steps' nodes: more than the one-step graph.
    const nodes = (g: string) => lines.find((l) => l.graph === g)!.nodes;
    expect(nodes('steps:4')).toBeGreaterThan(nodes('step'));
    rmSync(dir, { recursive: true, force: true });
  });
});
