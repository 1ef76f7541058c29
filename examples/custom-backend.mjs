// Writing your own backend and holding it to the specification: a toy float32 backend (the
// reference's maths with parameters, inputs and results rounded to float32), registered by
// name and run through the conformance suite, clause by clause.
//   node examples/custom-backend.mjs [--runs N]
import { parseArgs } from 'node:util';
import { formatTable, runConformance } from '@backprop/conformance';
import { checkBackendOptions, createReferenceBackend, getBackend, registerBackend } from '@backprop/core';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });

/** Round to float32, reported as float64 (the Backend contract reports every quantity as float64). */
const f32 = (a) => Float64Array.from(Float32Array.from(a));
const round = (p) => ({ weights: p.weights.map(f32), biases: p.biases.map(f32) });

/**
 * A Backend (see docs/backends.md): name, dtype (which picks the tolerances), device, spec,
 * setParams/getParams, forward, backprop, step and dispose. No trainEpoch: an epoch is then
 * core's genericTrainEpoch (the seeded shuffle, one step per mini-batch, each of exactly its rows).
 */
class Float32Backend {
  name = 'float32-demo';
  dtype = 'float32';
  device = 'js';
  constructor(spec, params) {
    this.spec = spec;
    this.inner = createReferenceBackend(spec, round(params));
  }
  setParams(params) {
    return this.inner.setParams(round(params));
  }
  async getParams() {
    return round(await this.inner.getParams());
  }
  async forward(x, size) {
    const t = await this.inner.forward(f32(x), size);
    return { zs: t.zs.map(f32), activations: t.activations.map(f32) };
  }
  async backprop(batch) {
    const t = await this.inner.backprop({ size: batch.size, x: f32(batch.x), y: f32(batch.y) });
    return {
      zs: t.zs.map(f32),
      activations: t.activations.map(f32),
      cost: Math.fround(t.cost),
      deltas: t.deltas.map(f32),
      gradients: round(t.gradients),
    };
  }
  async step(batch, sgd) {
    const cost = await this.inner.step({ size: batch.size, x: f32(batch.x), y: f32(batch.y) }, sgd);
    // Parameters and momentum velocity back to float32 (setParams alone would reset the velocity).
    const v = await this.inner.getVelocity();
    await this.inner.setParams(round(await this.inner.getParams()));
    await this.inner.setVelocity(v && round(v));
    return Math.fround(cost);
  }
  dispose() {
    return this.inner.dispose();
  }
}

// The registry entry (core's registry): a name, a dtype, a real availability probe, and a
// factory that refuses the backend options it does not take (mode, stepsPerRun, intraOpThreads).
const entry = {
  name: 'float32-demo',
  dtype: 'float32',
  description: 'the reference rounded to float32 (example)',
  probe: async () => ({ available: true, device: 'js' }),
  create: async (spec, params, options = {}) => {
    checkBackendOptions(entry, options);
    return new Float32Backend(spec, params);
  },
};
registerBackend(entry);

// Every clause of docs/spec.md on the backend, by name, with the float32 tolerances.
const report = await runConformance(getBackend('float32-demo'), { runs: Number(values.runs) });
console.log(formatTable([report]));

// The suite can fail: a backend that forgets the factor σ'(z^L) in BP1 (δ^L = ∇_a C instead of
// ∇_a C ⊙ σ'(z^L)) is caught. It is passed as a bare factory, the other way to name a backend.
class ForgetsSigmaPrime extends Float32Backend {
  name = 'forgets-sigma-prime';
  async backprop(batch) {
    const t = await super.backprop(batch);
    if (this.spec.cost !== 'quadratic') return t;
    const L = this.spec.sizes.length - 1;
    const aL = t.activations[L];
    const deltas = t.deltas.slice();
    deltas[L - 1] = aL.map((a, i) => a - batch.y[i]); // ∇_a C of ½Σ(a−y)², with no σ'(z^L)
    return { ...t, deltas };
  }
}
const mutant = await runConformance((spec, params) => new ForgetsSigmaPrime(spec, params), {
  runs: Number(values.runs),
  clauses: ['bp1'],
});
const bp1 = mutant.results[0];
console.log(
  `\nforgets-sigma-prime on bp1: ${bp1.status}${bp1.message ? ` — ${bp1.message.split('\n')[0]}` : ''}`,
);

if (!report.passed || mutant.passed) {
  console.error(
    !report.passed
      ? 'custom-backend: float32-demo failed a clause'
      : 'custom-backend: the bp1 mutant was not caught',
  );
  process.exit(1);
}
