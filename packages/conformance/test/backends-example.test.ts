// The example of docs/backends.md, run as a test. The text between the markers must appear in
// docs/backends.md verbatim (checked below), so the documentation cannot drift from code that passes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@backprop/conformance';
import { describeConformance } from '@backprop/conformance/vitest';
// example:start
import {
  type Backend,
  type BackendEntry,
  type BackpropTrace,
  type Batch,
  checkBackendOptions,
  createReferenceBackend,
  type ForwardTrace,
  type NetworkSpec,
  type Params,
  type ReferenceBackend,
  registerBackend,
  type SgdOptions,
} from '@backprop/core';
import { describe, expect, test } from 'vitest';

/** Round to float32, reported as float64 (the Backend contract reports every quantity as float64). */
const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
const round = (p: Params): Params => ({ weights: p.weights.map(f32), biases: p.biases.map(f32) });

/** A toy float32 backend: the reference's maths, with parameters, inputs and results stored in float32. */
class Float32Backend implements Backend {
  readonly name = 'float32-demo';
  readonly dtype = 'float32' as const;
  readonly device = 'js';
  private readonly inner: ReferenceBackend;

  constructor(
    readonly spec: NetworkSpec,
    params: Params,
  ) {
    this.inner = createReferenceBackend(spec, round(params));
  }
  setParams(params: Params) {
    return this.inner.setParams(round(params));
  }
  async getParams() {
    return round(await this.inner.getParams());
  }
  async forward(x: Float64Array, size: number): Promise<ForwardTrace> {
    const t = await this.inner.forward(f32(x), size);
    return { zs: t.zs.map(f32), activations: t.activations.map(f32) };
  }
  async backprop(batch: Batch): Promise<BackpropTrace> {
    const t = await this.inner.backprop({ size: batch.size, x: f32(batch.x), y: f32(batch.y) });
    return {
      zs: t.zs.map(f32),
      activations: t.activations.map(f32),
      cost: Math.fround(t.cost),
      deltas: t.deltas.map(f32),
      gradients: round(t.gradients),
    };
  }
  async step(batch: Batch, sgd: SgdOptions) {
    const cost = await this.inner.step({ size: batch.size, x: f32(batch.x), y: f32(batch.y) }, sgd);
    // Parameters and momentum velocity back to float32 (setParams alone would reset the velocity).
    const v = await this.inner.getVelocity();
    await this.inner.setParams(round(await this.inner.getParams()));
    await this.inner.setVelocity(v && round(v));
    return Math.fround(cost);
  }
  // No trainEpoch: an epoch is then core's genericTrainEpoch (the seeded shuffle, one step per mini-batch).
  dispose() {
    return this.inner.dispose();
  }
}

/** The registry entry: a name, a dtype (which picks the tolerances), availability, and a factory. */
const float32DemoEntry: BackendEntry = {
  name: 'float32-demo',
  dtype: 'float32',
  description: 'the reference rounded to float32 (documentation example)',
  probe: async () => ({ available: true, device: 'js' }),
  // It takes none of core's BackendOptions (mode, stepsPerRun, intraOpThreads): refuse them by name.
  create: async (spec, params, options = {}) => {
    checkBackendOptions(float32DemoEntry, options);
    return new Float32Backend(spec, params);
  },
};

registerBackend(float32DemoEntry); // now `backprop conformance --backend float32-demo` would find it

// As a library: one report, every clause.
const report = await runConformance(float32DemoEntry, { runs: 20 });
if (!report.passed)
  throw new Error(
    report.results
      .filter((r) => r.status === 'fail')
      .map((r) => `${r.id}: ${r.message}`)
      .join('\n'),
  );

// In a vitest file: one test per clause, titled "<clause id> [float32-demo] …".
describeConformance(float32DemoEntry);
// example:end

describe('docs/backends.md', () => {
  test('the float32 example passes every clause under the float32 tolerances', () => {
    expect(report.passed).toBe(true);
    expect(report.dtype).toBe('float32');
    expect(report.results.every((r) => r.tolerance >= 1e-5 || r.kind === 'exact')).toBe(true);
  });

  test('carries this example verbatim', () => {
    const self = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const example = self.slice(
      self.indexOf('// example:start\n') + '// example:start\n'.length,
      self.indexOf('// example:end'),
    );
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/backends.md', import.meta.url)), 'utf8');
    expect(doc).toContain(example.trim());
  });
});
