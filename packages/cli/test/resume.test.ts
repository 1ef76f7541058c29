import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeFloats, encodeFloats, loadModel, readCheckpoint, readRunFile } from '@backprop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Interrupted training, with real child processes: `backprop train --checkpoint-every N` is
 * killed once a checkpoint exists, `backprop train --resume` continues it, and the final
 * parameters must equal those of a run that was never interrupted (and never checkpointed),
 * byte for byte.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// About 1 ms per step and 3,000 steps: long enough to be killed in the middle.
const RUN = [
  'train',
  '--layers',
  '784,100,10',
  '--train-count',
  '10000',
  '--validation-count',
  '500',
  '--epochs',
  '3',
  '--quiet',
];

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
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
  const exit = new Promise<Exit>((done) =>
    child.on('close', (code, signal) => done({ code, signal, output })),
  );
  return { child, exit };
}

const run = (args: readonly string[]) => start(args).exit;

/** Resolves once `path` exists and `ready(path)` holds; rejects if the process ends first. */
async function waitFor(path: string, exit: Promise<Exit>, ready: () => boolean = () => true): Promise<void> {
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  for (;;) {
    if (existsSync(path) && ready()) return;
    if (ended) throw new Error(`the run ended before ${path} was ready:\n${(await exit).output}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The `params` of a model file exactly as written: the JSON text of every weight and bias. */
function paramsText(modelPath: string): string {
  return JSON.stringify(JSON.parse(readFileSync(modelPath, 'utf8')).params);
}

const costs = (runPath: string) => {
  const r = readRunFile(runPath);
  return {
    steps: r.curve.steps.map((p) => [p.step, p.epoch, p.cost]),
    epochs: r.curve.epochs.map((e) => [e.epoch, e.step, e.trainCost, e.validation, e.test]),
    final: r.final?.test,
  };
};

let plain = '';
beforeAll(async () => {
  // The reference: the same run, uninterrupted and without checkpoints.
  const r = await run([...RUN, '--out', join(dir, 'plain')]);
  expect(r.code, r.output).toBe(0);
  plain = join(dir, 'plain');
}, 60_000);

describe('backprop train --checkpoint-every / --resume', () => {
  it('SIGTERM in the middle: exit 143, a complete checkpoint, and --resume ends bit-identical to an uninterrupted run', async () => {
    const out = join(dir, 'term');
    const checkpoint = join(out, 'checkpoint.json');
    const { child, exit } = start([...RUN, '--checkpoint-every', '200', '--out', out]);
    await waitFor(checkpoint, exit);
    child.kill('SIGTERM');
    const stopped = await exit;
    expect(stopped.code, stopped.output).toBe(143);
    expect(stopped.output).toMatch(/--resume/);
    expect(stopped.output).not.toMatch(/^\s+at /m);
    // Stopped in the middle: no model file yet, a checkpoint that reads back and is short of the end.
    expect(existsSync(join(out, 'model.json'))).toBe(false);
    const cp = readCheckpoint(checkpoint);
    expect(cp.state.step).toBeGreaterThan(0);
    expect(cp.state.step).toBeLessThan(3000);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const resumed = await run(['train', '--resume', out, '--quiet']);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(new RegExp(`resuming .* at step ${cp.state.step}`));
    expect(paramsText(join(out, 'model.json'))).toBe(paramsText(join(plain, 'model.json')));
    // The whole curve too: every logged cost and every evaluation, as if never interrupted.
    expect(costs(join(out, 'run.json'))).toEqual(costs(join(plain, 'run.json')));
    expect(loadModel(join(out, 'model.json')).spec.sizes).toEqual([784, 100, 10]);
  }, 60_000);

  it('with momentum: the velocity is checkpointed, and --resume ends bit-identical to an uninterrupted run', async () => {
    const withMomentum = [...RUN, '--momentum', '0.5'];
    const plainOut = join(dir, 'momentum-plain');
    const uninterrupted = await run([...withMomentum, '--out', plainOut]);
    expect(uninterrupted.code, uninterrupted.output).toBe(0);
    const out = join(dir, 'momentum');
    const checkpoint = join(out, 'checkpoint.json');
    const { child, exit } = start([...withMomentum, '--checkpoint-every', '200', '--out', out]);
    await waitFor(checkpoint, exit);
    child.kill('SIGTERM');
    const stopped = await exit;
    expect(stopped.code, stopped.output).toBe(143);
    expect(readCheckpoint(checkpoint).state.velocity).not.toBeNull();
    const resumed = await run(['train', '--resume', out, '--quiet']);
    expect(resumed.code, resumed.output).toBe(0);
    expect(paramsText(join(out, 'model.json'))).toBe(paramsText(join(plainOut, 'model.json')));
  }, 60_000);

  it('SIGINT: exit 130; SIGKILL while checkpoints are being rewritten leaves the last one whole', async () => {
    const out = join(dir, 'kill');
    const checkpoint = join(out, 'checkpoint.json');
    // SIGINT first.
    let p = start([...RUN, '--checkpoint-every', '100', '--out', out]);
    await waitFor(checkpoint, p.exit);
    p.child.kill('SIGINT');
    const interrupted = await p.exit;
    expect(interrupted.code, interrupted.output).toBe(130);
    const first = readCheckpoint(checkpoint).state.step;

    // Resume, then SIGKILL (no handler runs) once the checkpoint has been rewritten a few times:
    // only the atomic rename protects it.
    p = start(['train', '--resume', checkpoint, '--quiet']);
    await waitFor(checkpoint, p.exit, () => {
      try {
        return JSON.parse(readFileSync(checkpoint, 'utf8')).position.step >= first + 500;
      } catch {
        return false; // never a partial file: a parse failure here fails the readCheckpoint below
      }
    });
    p.child.kill('SIGKILL');
    const killed = await p.exit;
    expect(killed.signal).toBe('SIGKILL');
    const cp = readCheckpoint(checkpoint);
    expect(cp.state.step).toBeGreaterThanOrEqual(first + 500);

    const resumed = await run(['train', '--resume', out, '--quiet']);
    expect(resumed.code, resumed.output).toBe(0);
    expect(paramsText(join(out, 'model.json'))).toBe(paramsText(join(plain, 'model.json')));
    expect(costs(join(out, 'run.json'))).toEqual(costs(join(plain, 'run.json')));
    // A completed run needs its checkpoint no more.
    expect(existsSync(checkpoint)).toBe(false);
  }, 60_000);

  it('divergence: stops with the step, η and a suggestion; the last good checkpoint stays', async () => {
    const out = join(dir, 'diverged');
    const r = await run([
      'train',
      '--layers',
      '784,16,10',
      '--train-count',
      '2000',
      '--validation-count',
      '0',
      '--activation',
      'identity',
      '--eta',
      '0.05',
      '--epochs',
      '3',
      '--checkpoint-every',
      '5',
      '--out',
      out,
    ]);
    expect(r.code, r.output).toBe(1);
    const m =
      /the cost became (NaN|-?Infinity) at step (\d+) \(epoch \d+\) with learning rate η = 0\.05; training diverged\. Try a smaller learning rate, e\.g\. --eta 0\.005/.exec(
        r.output,
      );
    expect(m, r.output).not.toBeNull();
    const divergedAt = Number(m![2]);
    expect(r.output).not.toMatch(/^\s+at /m);
    expect(r.output).toMatch(/last good checkpoint/);
    const cp = readCheckpoint(join(out, 'checkpoint.json')); // validates: every parameter finite
    expect(cp.state.step).toBeLessThan(divergedAt);
    expect(cp.state.step % 5).toBe(0);
    expect(readRunFile(join(out, 'run.json')).status).toBe('diverged');
  }, 60_000);

  it('refuses to change the run on --resume, and a missing checkpoint is a usage error', async () => {
    const a = await run(['train', '--resume', join(dir, 'no-such-checkpoint.json')]);
    expect(a.code, a.output).toBe(2);
    expect(a.output).toMatch(/--resume/);
    const b = await run(['train', '--resume', join(dir, 'term'), '--eta', '1']);
    expect(b.code, b.output).toBe(2);
    expect(b.output).toMatch(/--eta/);
    const c = await run([...RUN, '--checkpoint-every', '0']);
    expect(c.code, c.output).toBe(2);
    expect(c.output).toMatch(/--checkpoint-every/);
    // A damaged checkpoint is refused with the field named, before any training.
    const good = readFileSync(join(dir, 'diverged', 'checkpoint.json'), 'utf8');
    const damaged = JSON.parse(good);
    const w = decodeFloats(damaged.params.weights[0])!;
    w[123] = Number.NaN;
    damaged.params.weights[0] = encodeFloats(w);
    const path = join(dir, 'damaged.json');
    writeFileSync(path, JSON.stringify(damaged));
    const d = await run(['train', '--resume', path]);
    expect(d.code, d.output).toBe(1);
    expect(d.output).toMatch(
      /params\.weights\[0\] \(W\^1, 16×784\)\[123\] should be a finite number, got NaN/,
    );
    expect(d.output).not.toMatch(/^\s+at /m);
  });
});
