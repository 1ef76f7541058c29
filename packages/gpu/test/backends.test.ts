import {
  type Backend,
  createReferenceBackend,
  DOCUMENT_SPEC,
  initParams,
  type NetworkSpec,
} from '@backprop/core';
import { epochBatches, Rng } from '@backprop/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBackend, onnxCpuEntry, onnxWebgpuEntry, ortNode } from '../src/index.js';
import { maxRelParams, relErr, stripes, usable } from './helpers.js';

// Cross-check against the float64 reference (separate from conformance, which checks each
// backend against the formulas): float32 results within 1e-4 of the largest component.
const TOL = 1e-4;

const specs: NetworkSpec[] = [
  DOCUMENT_SPEC,
  { sizes: [784, 12, 10], activation: 'relu', cost: 'cross-entropy' },
  { sizes: [784, 8, 10], activation: 'sigmoid', cost: 'squared-error' },
];

function batch(size: number, seed: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: size * 784 }, () => Math.fround(rng.nextFloat()));
  const y = new Float64Array(size * 10);
  for (let i = 0; i < size; i++) y[i * 10 + rng.nextInt(10)] = 1;
  return { size, x, y };
}

for (const entry of [onnxCpuEntry, onnxWebgpuEntry]) {
  const provider = entry === onnxCpuEntry ? 'cpu' : 'webgpu';
  const u = await usable(entry);
  describe.skipIf(!u.run)(`${entry.name} against reference${u.run ? '' : ` (skipped: ${u.reason})`}`, () => {
    for (const spec of specs) {
      const label = `${spec.sizes.join('-')} ${spec.activation} ${spec.cost}`;
      it(`forward, backprop and three SGD steps (${label})`, async () => {
        const params = initParams(spec, 11);
        const ref = createReferenceBackend(spec, params);
        const b = await entry.create(spec, params);
        try {
          expect(b.device).toBe(provider);
          const bt = batch(7, 3);
          const f = await b.forward(bt.x, bt.size);
          const rf = await ref.forward(bt.x, bt.size);
          for (let l = 0; l < spec.sizes.length - 1; l++) {
            expect(relErr(f.zs[l]!, rf.zs[l]!), `z${l + 1}`).toBeLessThan(TOL);
            expect(relErr(f.activations[l + 1]!, rf.activations[l + 1]!), `a${l + 1}`).toBeLessThan(TOL);
          }
          const t = await b.backprop(bt);
          const rt = await ref.backprop(bt);
          expect(Math.abs(t.cost - rt.cost) / rt.cost).toBeLessThan(TOL);
          for (let l = 0; l < spec.sizes.length - 1; l++) {
            expect(relErr(t.deltas[l]!, rt.deltas[l]!), `δ${l + 1}`).toBeLessThan(TOL);
            expect(relErr(t.gradients.weights[l]!, rt.gradients.weights[l]!), `∂C/∂W${l + 1}`).toBeLessThan(
              TOL,
            );
            expect(relErr(t.gradients.biases[l]!, rt.gradients.biases[l]!), `∂C/∂b${l + 1}`).toBeLessThan(
              TOL,
            );
          }
          const sgd = { eta: 0.5, momentum: 0.9, weightDecay: 1e-3 };
          for (let s = 0; s < 3; s++) {
            const c = await b.step(bt, sgd);
            const rc = await ref.step(bt, sgd);
            expect(Math.abs(c - rc) / rc, `cost before step ${s}`).toBeLessThan(TOL);
          }
          expect(maxRelParams(await b.getParams(), await ref.getParams())).toBeLessThan(TOL);
        } finally {
          await b.dispose();
        }
      }, 60_000);
    }

    describe('an epoch', () => {
      const spec = DOCUMENT_SPEC;
      const data = stripes(203, 5);
      const options = { batchSize: 10, seed: 9, eta: 3, lastBatch: 'keep' as const };
      const params = initParams(spec, 4);
      let ref: Backend;
      const results: Record<
        string,
        {
          costs: Float64Array;
          params: Awaited<ReturnType<Backend['getParams']>>;
          batches: Uint32Array[];
          firsts: number[];
        }
      > = {};
      beforeAll(async () => {
        ref = createReferenceBackend(spec, params);
        const r = await ref.trainEpoch(data, options);
        results.reference = { costs: r.costs, params: await ref.getParams(), batches: r.batches, firsts: [] };
        const variants = [
          ['naive', { mode: 'naive' }],
          ['fast', { mode: 'fast', feed: 'resident' }],
          // CUDA's way of feeding (only each run's rows), checked here on this provider.
          ['per-run', { mode: 'fast', feed: 'per-run' }],
        ] as const;
        for (const [key, opts] of variants) {
          // 20 full batches + one of 3 at 6 steps per run: runs of 6, 6, 6, 2, then the partial batch alone.
          const b = await OnnxBackend.create(ortNode, entry.name, provider, spec, params, {
            ...opts,
            stepsPerRun: 6,
          });
          const firsts: number[] = [];
          const e = await b.trainEpoch(data, { ...options, onSteps: (first) => firsts.push(first) });
          results[key] = { costs: e.costs, params: await b.getParams(), batches: e.batches, firsts };
          await b.dispose();
        }
      }, 120_000);
      afterAll(() => ref?.dispose());

      it('visits exactly the mini-batches of epochBatches, in order (sgd.epoch)', () => {
        const expected = epochBatches(data.count, options.batchSize, options.seed, options.lastBatch);
        for (const mode of ['naive', 'fast', 'per-run'])
          expect(results[mode]!.batches.map((b) => Array.from(b))).toEqual(
            expected.map((b) => Array.from(b)),
          );
        expect(results.fast!.firsts).toEqual([0, 6, 12, 18, 20]);
        expect(results.naive!.firsts).toEqual(Array.from({ length: 21 }, (_, i) => i));
      });

      it('fast mode (unrolled steps, resident or per-run rows) equals naive mode (one run per batch)', () => {
        for (const key of ['fast', 'per-run']) {
          expect(relErr(results[key]!.costs, results.naive!.costs), key).toBeLessThan(TOL);
          expect(maxRelParams(results[key]!.params, results.naive!.params), key).toBeLessThan(TOL);
        }
        expect(results['per-run']!.firsts).toEqual(results.fast!.firsts);
      });

      it('follows the reference curve and ends at the same parameters', () => {
        expect(relErr(results.fast!.costs, results.reference!.costs)).toBeLessThan(TOL);
        expect(maxRelParams(results.fast!.params, results.reference!.params)).toBeLessThan(1e-3);
        expect(results.fast!.costs.at(-1)!).toBeLessThan(results.fast!.costs[0]!);
      });
    });
  });
}
