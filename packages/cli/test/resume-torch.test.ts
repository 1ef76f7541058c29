import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCheckpoint, readRunFile } from '@backprop/core';
import { type IdxArray, loadMnist, MNIST_FILES, writeIdx } from '@backprop/data';
import { torchEntry64 } from '@backprop/torch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * PyTorch's own epoch (train_epoch of the torch engine, over the protocol) checkpointed and
 * resumed with real child processes: `backprop train --backend torch --checkpoint-every 70` is
 * stopped by SIGTERM once a checkpoint exists, `--resume` continues it, and the final parameters
 * and the whole curve must equal those of a run never interrupted nor checkpointed, byte for
 * byte: the same torch ops run in the same order, the epoch only cut into parts (start_step,
 * steps) at the checkpoints, which fall inside epochs and across their ends (70 ∤ 200).
 * Real MNIST: the first 2,400 training and 500 test images, as IDX files.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-resume-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const torch = await torchEntry64.probe();
const required = (process.env.BACKPROP_REQUIRE_BACKENDS ?? '').split(',').includes('torch');

const data = join(dir, 'mnist');
const run = (backend: string) => [
  'train',
  '--backend',
  backend,
  '--data-dir',
  data,
  '--train-count',
  '2000',
  '--validation-count',
  '200',
  '--batch-size',
  '10',
  '--epochs',
  '3',
  '--quiet',
];

interface Exit {
  readonly code: number | null;
  readonly output: string;
}

function start(args: readonly string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  return { child, exit: new Promise<Exit>((done) => child.on('close', (code) => done({ code, output }))) };
}

async function waitFor(path: string, exit: Promise<Exit>): Promise<void> {
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  while (!existsSync(path)) {
    if (ended) throw new Error(`the run ended before ${path} existed:\n${(await exit).output}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const paramsText = (model: string) => JSON.stringify(JSON.parse(readFileSync(model, 'utf8')).params);
const curve = (runPath: string) => {
  const r = readRunFile(runPath);
  return {
    steps: r.curve.steps.map((p) => [p.step, p.epoch, p.cost]),
    epochs: r.curve.epochs.map((e) => [e.epoch, e.step, e.trainCost, e.validation, e.test]),
    final: r.final?.test,
  };
};

beforeAll(() => {
  if (!torch.available) return;
  const m = loadMnist();
  mkdirSync(data);
  const first = (set: typeof m.train, count: number, images: string, labels: string) => {
    const pixels = set.features as Uint8Array;
    writeIdx(join(data, images), {
      type: 'ubyte',
      dims: [count, ...set.shape],
      data: pixels.subarray(0, count * set.inputSize),
    } as IdxArray);
    writeIdx(join(data, labels), {
      type: 'ubyte',
      dims: [count],
      data: set.labels.subarray(0, count),
    } as IdxArray);
  };
  first(m.train, 2400, MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  first(m.test, 500, MNIST_FILES.testImages, MNIST_FILES.testLabels);
});

describe('backprop train --backend torch --checkpoint-every / --resume', () => {
  for (const backend of ['torch', 'torch-float32']) {
    it(`${backend}: SIGTERM after a checkpoint, then --resume, ends bit-identical to an uninterrupted run`, async (ctx) => {
      if (!torch.available) {
        if (required) throw new Error(torch.reason);
        ctx.skip(torch.reason);
      }
      const plain = join(dir, `${backend}-plain`);
      const p = await start([...run(backend), '--out', plain]).exit;
      expect(p.code, p.output).toBe(0);

      const out = join(dir, `${backend}-cut`);
      const checkpoint = join(out, 'checkpoint.json');
      const { child, exit } = start([...run(backend), '--checkpoint-every', '70', '--out', out]);
      await waitFor(checkpoint, exit);
      child.kill('SIGTERM');
      const stopped = await exit;
      expect(stopped.code, stopped.output).toBe(143);
      const cp = readCheckpoint(checkpoint);
      expect(cp.state.step % 70).toBe(0);
      expect(cp.state.step).toBeLessThan(600);

      const resumed = await start(['train', '--resume', out, '--quiet']).exit;
      expect(resumed.code, resumed.output).toBe(0);
      expect(resumed.output).toMatch(new RegExp(`resuming .* at step ${cp.state.step}`));
      expect(paramsText(join(out, 'model.json'))).toBe(paramsText(join(plain, 'model.json')));
      expect(curve(join(out, 'run.json'))).toEqual(curve(join(plain, 'run.json')));
    }, 120_000);
  }
});
