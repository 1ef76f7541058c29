import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DOCUMENT_SPEC,
  flattenParams,
  initParams,
  type Params,
  readCheckpoint,
  type TrainOptions,
  type TrainState,
  train,
  writeCheckpoint,
} from '@backprop/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OnnxBackend,
  type OnnxBackendOptions,
  onnxCpuEntry,
  onnxWebgpuEntry,
  ortNode,
} from '../src/index.js';
import { maxRelParams, relErr, stripes, usable } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-gpu-epoch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (p: Params) => Buffer.from(flattenParams(p).buffer);
const spec = DOCUMENT_SPEC;
const data = stripes(203, 5); // 20 full batches of 10 and one of 3
const epoch = { batchSize: 10, seed: 9, eta: 3, lastBatch: 'keep' as const };

for (const entry of [onnxCpuEntry, onnxWebgpuEntry]) {
  const provider = entry === onnxCpuEntry ? 'cpu' : 'webgpu';
  const u = await usable(entry);
  /** onnx-cpu runs the same float32 operations whatever the grouping: bit for bit. WebGPU within 1e-6. */
  const same = (a: Params, b: Params, what: string) =>
    provider === 'cpu'
      ? expect(bytes(a).equals(bytes(b)), what).toBe(true)
      : expect(maxRelParams(a, b), what).toBeLessThan(1e-6);
  const sameCosts = (a: Float64Array, b: Float64Array) =>
    provider === 'cpu'
      ? expect(Array.from(a)).toEqual(Array.from(b))
      : expect(relErr(a, b)).toBeLessThan(1e-6);
  const open = (options: OnnxBackendOptions, params = initParams(spec, 4)) =>
    OnnxBackend.create(ortNode, entry.name, provider, spec, params, { stepsPerRun: 6, ...options });

  describe.skipIf(!u.run)(
    `${entry.name}: startStep, betweenSteps, pauseEvery${u.run ? '' : ` (skipped: ${u.reason})`}`,
    () => {
      it('fast mode ends a group at each pause and keeps its groups elsewhere; same parameters as without pauses', async () => {
        const plain = await open({ mode: 'fast' });
        const paused = await open({ mode: 'fast' });
        try {
          const a = await plain.trainEpoch(data, epoch);
          const firsts: number[] = [];
          const dones: number[] = [];
          const b = await paused.trainEpoch(data, {
            ...epoch,
            pauseEvery: 5,
            pauseOffset: 3, // pauses after steps 2, 7, 12, 17 of this epoch
            onSteps: (first) => void firsts.push(first),
            betweenSteps: (done) => void dones.push(done),
          });
          // Groups of at most 6, cut at 2, 7, 12, 17; a group shorter than 6 runs as powers of two
          // (5 = 4 + 1, 3 = 2 + 1: at most log₂ 6 + 1 unrolled graphs per epoch); the last,
          // smaller batch alone.
          expect(firsts).toEqual([0, 2, 6, 7, 11, 12, 16, 17, 19, 20]);
          expect(dones).toEqual([2, 6, 7, 11, 12, 16, 17, 19, 20, 21]); // after every run, the pauses among them
          sameCosts(b.costs, a.costs);
          same(await paused.getParams(), await plain.getParams(), 'parameters after the epoch');
        } finally {
          await plain.dispose();
          await paused.dispose();
        }
      }, 60_000);

      for (const mode of ['fast', 'naive'] as const)
        it(`${mode} mode: stopped by betweenSteps, then resumed at startStep, it ends where the whole epoch does`, async () => {
          const whole = await open({ mode });
          const stopped = await open({ mode });
          try {
            const all = await whole.trainEpoch(data, epoch);
            const halt = new Error('halt');
            await expect(
              stopped.trainEpoch(data, {
                ...epoch,
                pauseEvery: 8,
                betweenSteps: (done) => {
                  if (done === 8) throw halt;
                },
              }),
            ).rejects.toBe(halt);
            const resumed = await open({ mode }, await stopped.getParams());
            try {
              const firsts: number[] = [];
              const rest = await resumed.trainEpoch(data, {
                ...epoch,
                startStep: 8,
                onSteps: (first) => void firsts.push(first),
              });
              expect(rest.batches).toEqual(all.batches);
              expect(rest.costs.length).toBe(13);
              expect(firsts[0]).toBe(8);
              sameCosts(rest.costs, all.costs.subarray(8));
              same(await resumed.getParams(), await whole.getParams(), 'parameters after the epoch');
            } finally {
              await resumed.dispose();
            }
          } finally {
            await whole.dispose();
            await stopped.dispose();
          }
        }, 60_000);

      it('momentum: the velocity is handed over, so a checkpointed run resumes to the same parameters', async () => {
        const options: TrainOptions = { ...epoch, epochs: 2, eta: 0.5, momentum: 0.5 };
        const plain = await open({ mode: 'fast' });
        const checkpointed = await open({ mode: 'fast' });
        try {
          expect(await plain.getVelocity()).toBeNull();
          await train(plain, data, options);
          const states: TrainState[] = [];
          await train(checkpointed, data, {
            ...options,
            checkpointEvery: 9,
            onCheckpoint: (s) => void states.push(s),
          });
          expect(states.map((s) => s.step)).toEqual([9, 18, 27, 36]);
          expect(states[0]!.velocity).not.toBeNull();
          same(await checkpointed.getParams(), await plain.getParams(), 'checkpointed vs plain');
          for (const s of [states[1]!, states[2]!]) {
            const path = join(dir, `${provider}-momentum-${s.step}.json`);
            writeCheckpoint(path, { spec, run: {}, state: s });
            const resumed = await open({ mode: 'fast' }, initParams(spec, 99));
            try {
              await train(resumed, data, { ...options, resume: readCheckpoint(path).state });
              same(await resumed.getParams(), await plain.getParams(), `resumed at step ${s.step}`);
            } finally {
              await resumed.dispose();
            }
          }
          // The velocity matters: resumed without it, the run ends elsewhere (the test can fail).
          const noVelocity = await open({ mode: 'fast' }, initParams(spec, 99));
          try {
            await train(noVelocity, data, { ...options, resume: { ...states[1]!, velocity: null } });
            expect(maxRelParams(await noVelocity.getParams(), await plain.getParams())).toBeGreaterThan(1e-4);
          } finally {
            await noVelocity.dispose();
          }
        } finally {
          await plain.dispose();
          await checkpointed.dispose();
        }
      }, 120_000);

      it('setVelocity refuses a velocity of the wrong shape and round-trips its own exactly', async () => {
        const b = await open({ mode: 'naive' });
        try {
          await b.trainEpoch(data, { ...epoch, momentum: 0.9 });
          const v = (await b.getVelocity())!;
          await b.setVelocity(v);
          expect(bytes((await b.getVelocity())!).equals(bytes(v))).toBe(true);
          await expect(
            b.setVelocity({ weights: v.weights.slice(1), biases: v.biases.slice(1) }),
          ).rejects.toThrow(/expected 3 velocity matrices and vectors/);
          await b.setVelocity(null);
          expect(await b.getVelocity()).toBeNull();
        } finally {
          await b.dispose();
        }
      }, 60_000);
    },
  );
}
