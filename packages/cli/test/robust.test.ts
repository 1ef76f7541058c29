import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRunFile } from '@backprop/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath, uniqueDirectory } from '../src/output-files.js';

/**
 * Issue 15 through the built CLI as a user runs it, on real files (FIFOs, links, /proc) with
 * real signals, every process under a timeout: nothing hangs, nothing trained is lost or
 * overwritten, and each refusal names the path and what is wrong, with exit code 2 (bad input)
 * or 1 (the work failed).
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-robust-'));
/** File systems mounted for the tests (a full disk), unmounted before the directory goes. */
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly stdout: string;
}

/** Start the CLI in `dir`; it is killed (and the test fails on its exit) after `timeout` ms. */
function start(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeout?: number } = {},
): { child: ChildProcess; exit: Promise<Exit>; output: () => string } {
  const env = { ...process.env, BACKPROP_DEBUG: '', NO_COLOR: '', FORCE_COLOR: '0', ...options.env };
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 30_000);
  const exit = new Promise<Exit>((done) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, output, stdout });
    }),
  );
  return { child, exit, output: () => output };
}

const cli = (args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) =>
  start(args, options).exit;

/** Resolves once `ready()` holds; rejects when the process ends first. */
async function until(ready: () => boolean, exit: Promise<Exit>): Promise<void> {
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  for (;;) {
    if (ready()) return;
    if (ended) throw new Error(`the process ended first:\n${(await exit).output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at .+[:(]/m);
  expect(output).not.toMatch(/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/);
}

const at = (...p: string[]) => join(dir, ...p);
const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);
const TINY = ['--epochs', '1', '--train-count', '1000', '--validation-count', '0', '--quiet'];
// Long enough to be interrupted in the middle (5 epochs of 100 steps of 784-30-10), short to finish.
const RUN = [
  'train',
  '--layers',
  '784,30,10',
  '--train-count',
  '5000',
  '--validation-count',
  '0',
  '--epochs',
  '4',
];

const model = at('good', 'model.json');
beforeAll(async () => {
  const r = await cli(['train', ...TINY, '--layers', '784,30,10', '--out', 'good'], { timeout: 120_000 });
  expect(r.code, r.output).toBe(0);
  mkfifo(at('pipe.json'));
  mkfifo(at('pipe.png'));
  mkdirSync(at('fifo-data'));
  for (const f of [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ])
    mkfifo(at('fifo-data', f));
  symlinkSync('nowhere.json', at('dangling.json'));
  symlinkSync('loop-b.json', at('loop-a.json'));
  symlinkSync('loop-a.json', at('loop-b.json'));
  writeFileSync(at('a-file'), 'not a directory\n');
  mkdirSync(at('a-directory'));
}, 120_000);

describe('item 1: checks before the first step', () => {
  it('--out /proc/x is refused at once, exit 2, naming why (it spun for minutes ignoring SIGTERM before)', async () => {
    const r = await cli(['train', ...TINY, '--out', '/proc/x'], { timeout: 20_000 });
    expect(r.signal, r.output).toBeNull();
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/cannot create the directory \/proc\/x .*does not allow creating directories/);
    expectNoStack(r.output);
  }, 30_000);

  it('SIGTERM once the outputs are claimed, before or at the first steps: exit 143, locks removed', async () => {
    const p = start([...RUN, '--out', 'early'], { timeout: 20_000 });
    const lock = lockPath(at('early', 'checkpoint.json'));
    await until(() => existsSync(lock), p.exit); // claimed: the backend and the first step come next
    p.child.kill('SIGTERM');
    const r = await p.exit;
    expect(r.signal, r.output).toBeNull(); // it exited itself, not killed by the timeout
    expect(r.code, r.output).toBe(143);
    expect(r.output).toMatch(/stopped by SIGTERM (before the first step; nothing to save|at step \d+)/);
    expect(existsSync(lock)).toBe(false);
  }, 30_000);

  it.each([
    [['--layers', '784,1000000000,10'], /layer 1 has 1,000,000,000 neurons, more than the/],
    [
      ['--layers', ['784', ...Array(1001).fill('1'), '10'].join(',')],
      /1003 sizes, more than the \d+ layers a model file may hold/,
    ],
    [
      ['--backend', 'onnx-cpu', '--onnx-threads', '100000'],
      /--onnx-threads 100000 is more than the \d+ CPUs/,
    ],
    [
      ['--backend', 'onnx-cpu', '--steps-per-run', '1000000000'],
      /--steps-per-run 1000000000 is more than the \d+ steps of an epoch/,
    ],
    [['--out', 'a-file'], /--out .*a-file is a regular file, not a directory/],
    [['--run', 'a-directory'], /--run a-directory is a directory; the run file is a file/],
    [['--out', 'a-file/sub/run.json'], /a-file is a regular file, not a directory/],
  ])(
    'train %j: exit 2 before any work, the problem named',
    async (args, message) => {
      const r = await cli(['train', ...TINY, ...args], { timeout: 20_000 });
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(message);
      expect(r.output).not.toMatch(/^epoch /m); // no training started
      expectNoStack(r.output);
    },
    30_000,
  );

  it('a run that would not fit in memory is refused with the estimate by part', async () => {
    const r = await cli(['train', ...TINY, '--out', 'mem'], { env: { BACKPROP_MAX_MEMORY: '1M' } });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(
      /this run needs about [\d.]+ MB of memory \(parameters .*workspace .*data .*\), more than the 1\.0 MB BACKPROP_MAX_MEMORY=1M/,
    );
    expect(existsSync(at('mem'))).toBe(false);
  }, 30_000);

  it('weights --zoom 1000 is a usage error, not a raw internal', async () => {
    const r = await cli(['weights', model, '--zoom', '1000', '--out', at('w.png')]);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(
      /the image would be [\d,]+×[\d,]+ px, more than the 100,000,000 pixels a weights image may have: give a smaller --zoom/,
    );
    expect(r.output).not.toMatch(/out of range|Invalid typed array/);
  }, 30_000);
});

describe('item 2: interruptions always resumable, nothing overwritten', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s without --checkpoint-every writes a last checkpoint, says how to resume; --resume ends as the uninterrupted run',
    async (signal, code) => {
      const out = `interrupted-${signal}`;
      const p = start([...RUN, '--out', out], { timeout: 60_000 });
      await until(() => /^epoch 1\/4/m.test(p.output()), p.exit);
      p.child.kill(signal);
      const r = await p.exit;
      expect(r.code, r.output).toBe(code);
      const checkpoint = at(out, 'checkpoint.json');
      expect(existsSync(checkpoint)).toBe(true);
      expect(r.output).toContain(`continue with: backprop train --resume ${join(out, 'checkpoint.json')}`);
      expect(existsSync(lockPath(checkpoint))).toBe(false); // locks go with the process
      // Running the same command again instead of --resume does not overwrite it.
      const again = await cli([...RUN, '--out', out]);
      expect(again.code, again.output).toBe(2);
      expect(again.output).toMatch(
        /checkpoint\.json exists \(the checkpoint of an interrupted run; continue it with 'backprop train --resume/,
      );
      const resumed = await cli(['train', '--resume', out], { timeout: 60_000 });
      expect(resumed.code, resumed.output).toBe(0);
      expect(existsSync(checkpoint)).toBe(false);
      const plain = await cli([...RUN, '--out', `plain-${signal}`], { timeout: 60_000 });
      expect(plain.code, plain.output).toBe(0);
      const params = (d: string) =>
        JSON.stringify(JSON.parse(readFileSync(at(d, 'model.json'), 'utf8')).params);
      expect(params(out)).toBe(params(`plain-${signal}`));
    },
    180_000,
  );

  it('on a terminal, Ctrl-C shows the cursor again', async () => {
    // `script` gives the CLI a real terminal; ^C typed on it is SIGINT to the foreground process.
    const command = `${process.execPath} ${bin} ${[...RUN, '--out', 'tty'].join(' ')}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, TERM: 'xterm', NO_COLOR: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => {
      output += d;
    });
    const exit = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await until(
      () => output.includes('\x1b[?25l') && /epoch 1\/4/.test(output),
      exit.then(() => ({ code: 0, signal: null, output, stdout: output })),
    );
    child.stdin!.write('\x03');
    const code = await exit;
    clearTimeout(timer);
    expect(code, output).toBe(130);
    expect(output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(output.lastIndexOf('\x1b[?25l'));
    expect(output).toContain('continue with: backprop train --resume');
  }, 90_000);

  it('a finished run is not overwritten without --force; with --force it is', async () => {
    const before = readFileSync(model, 'utf8');
    const r = await cli(['train', ...TINY, '--layers', '784,30,10', '--out', 'good']);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(
      /good\/run\.json exists \(the run file of an earlier run\): give another --out, or --force to overwrite it/,
    );
    expect(readFileSync(model, 'utf8')).toBe(before);
    const forced = await cli(['train', ...TINY, '--out', 'forced']);
    expect(forced.code).toBe(0);
    const again = await cli(['train', ...TINY, '--out', 'forced', '--force', '--seed', '2']);
    expect(again.code, again.output).toBe(0);
    expect(readRunFile(at('forced', 'run.json')).config.seed).toBe(2);
  }, 60_000);

  it('a second process writing the same output is refused while the first runs', async () => {
    const first = start([...RUN, '--epochs', '30', '--out', 'locked'], { timeout: 60_000 });
    await until(() => /^epoch +1\//m.test(first.output()), first.exit);
    const second = await cli([...RUN, '--out', 'locked', '--force']);
    expect(second.code, second.output).toBe(2);
    expect(second.output).toMatch(
      new RegExp(
        `is being written by another backprop process \\(pid ${first.child.pid}, since .*\\): wait for it to finish, or give another --out`,
      ),
    );
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(143);
  }, 90_000);

  it('the lock of a process killed with SIGKILL (no chance to clean up) does not block the next run', async () => {
    const first = start([...RUN, '--out', 'killed'], { timeout: 60_000 });
    const lock = lockPath(at('killed', 'run.json'));
    await until(() => existsSync(lock), first.exit);
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    expect(existsSync(lock)).toBe(true); // left behind, naming a process that is gone
    const next = await cli(['train', ...TINY, '--out', 'killed']);
    expect(next.code, next.output).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 90_000);

  it('default output directories are unique, even for runs started in the same second', async () => {
    const a = start(['train', ...TINY], { timeout: 60_000 });
    const b = start(['train', ...TINY], { timeout: 60_000 });
    const [ra, rb] = await Promise.all([a.exit, b.exit]);
    expect(ra.code, ra.output).toBe(0);
    expect(rb.code, rb.output).toBe(0);
    const runs = readdirSync(at('runs'));
    expect(runs.length).toBe(2);
    for (const r of runs) expect(existsSync(at('runs', r, 'model.json'))).toBe(true);
    // The same second for certain: the second claim of one name gets -2.
    const base = at('same-second', 'run');
    expect(uniqueDirectory(base).dir).toBe(base);
    expect(uniqueDirectory(base).dir).toBe(`${base}-2`);
    expect(statSync(`${base}-2`).isDirectory()).toBe(true);
  }, 90_000);
});

describe('item 3: files that are not regular files are refused before reading', () => {
  it.each([
    [
      ['train', ...TINY, '--data-dir', 'fifo-data'],
      /train-images-idx3-ubyte: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [['data', 'info', '--data-dir', 'fifo-data'], /ubyte: it is a FIFO \(named pipe\), not a regular file/],
    [['train', '--resume', 'pipe.json'], /pipe\.json is a FIFO \(named pipe\), not a regular file/],
    [
      ['predict', 'pipe.json', 'x.png'],
      /cannot read model file pipe\.json: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [['predict', model, 'pipe.png'], /pipe\.png is a FIFO \(named pipe\), not a regular file/],
    [
      ['evaluate', 'pipe.json'],
      /cannot read model file pipe\.json: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [
      ['compare', 'pipe.json'],
      /cannot read run file pipe\.json: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [
      ['export', 'pipe.json'],
      /cannot read model file pipe\.json: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [
      ['weights', 'pipe.json'],
      /cannot read model file pipe\.json: it is a FIFO \(named pipe\), not a regular file/,
    ],
    [['conformance', '--load', 'pipe.json'], /--load pipe\.json: cannot load it: it is a FIFO/],
    [['evaluate', '/dev/zero'], /\/dev\/zero: it is a character device, not a regular file/],
    [['evaluate', 'a-directory'], /a-directory: it is a directory, not a regular file/],
    [
      ['evaluate', 'dangling.json'],
      /dangling\.json: it is a symbolic link to .*nowhere\.json, which does not exist \(a dangling link\)/,
    ],
    [
      ['compare', 'loop-a.json'],
      /loop-a\.json: it is a symbolic link loop \(.*loop-a\.json → .*loop-b\.json → .*loop-a\.json\)/,
    ],
  ])(
    'backprop %j: exit 2, the path and what it is named',
    async (args, message) => {
      const r = await cli(args, { timeout: 20_000 });
      expect(r.signal, r.output).toBeNull(); // no hang: it ended by itself
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(message);
      expectNoStack(r.output);
    },
    30_000,
  );
});

describe('item 4: a run that learns nothing says so', () => {
  it('sigmoid with --eta 1e6 warns naming η and a value to try; the run file records it', async () => {
    const r = await cli(['train', ...TINY, '--eta', '1e6', '--out', 'stall']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(
      /warning: after epoch 1 .*the network learns nothing\. η = 1000000 is large: sigmoid neurons saturate; try --eta 3/,
    );
    const run = readRunFile(at('stall', 'run.json'));
    expect(run.warnings?.[0]).toMatch(/learns nothing/);
  }, 60_000);

  it('--fail-on-stall makes it an error: exit 1, status stalled, no model file', async () => {
    const r = await cli(['train', ...TINY, '--eta', '1e6', '--fail-on-stall', '--out', 'stall-fail']);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/learns nothing.*\(--fail-on-stall\)/);
    expect(readRunFile(at('stall-fail', 'run.json')).status).toBe('stalled');
    expect(existsSync(at('stall-fail', 'model.json'))).toBe(false);
  }, 60_000);

  it('a run that learns gives no warning', async () => {
    const run = readRunFile(at('good', 'run.json'));
    expect(run.warnings).toBeUndefined();
  });
});

describe('items 5 and 6: a named backend that cannot run is exit 1 with its reason', () => {
  it('conformance --backend onnx-cuda: unavailable here is exit 1 with the reason, never an all-skipped 0', async () => {
    const r = await cli(['conformance', '--backend', 'onnx-cuda', '--clause', 'bp1', '--runs', '2'], {
      timeout: 60_000,
    });
    if (r.code === 0)
      expect(r.output).toMatch(/onnx-cuda: 1 passed, 0 failed/); // a machine with CUDA
    else {
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(/onnx-cuda is unavailable: .+\(it was named, so this is a failure: exit 1\)/);
    }
  }, 90_000);

  it('train --backend onnx-cuda where it cannot run: exit 1 with the reason, nothing written', async () => {
    const r = await cli(['train', ...TINY, '--backend', 'onnx-cuda', '--out', 'cuda'], { timeout: 60_000 });
    if (r.code === 0) return; // a machine with CUDA trains
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/onnx-cuda/);
    expect(r.output.split('\n').filter(Boolean).length).toBeLessThan(6); // the reason, not a dump
    expect(existsSync(at('cuda', 'model.json'))).toBe(false);
  }, 90_000);
});

/** A small tmpfs, where this process may mount one (root, in a container that allows it); null elsewhere. */
function smallFileSystem(name: string, size: string): string | null {
  const path = at(name);
  mkdirSync(path);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  if (r.status !== 0) return null;
  mounts.push(path);
  return path;
}

describe('a full disk', () => {
  const full = smallFileSystem('full', '64k');
  // Mounting needs root and a container that allows it; where it cannot, there is no full disk to test on.
  it.skipIf(full === null)(
    'too little free space is refused before the first step, naming what is needed',
    async () => {
      const r = await cli(['train', ...TINY, '--out', join(full!, 'run')]);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(
        /full\/run has [\d.]+ kB free, but the run file, model file, checkpoint will need about [\d.]+ kB: free some space or give another location/,
      );
      expect(readdirSync(full!)).toEqual([]); // nothing left behind: no directory, no lock
    },
    30_000,
  );

  const filling = smallFileSystem('filling', '2m');
  it.skipIf(filling === null)(
    'a disk that fills up during the run: the trained model is written elsewhere, and the message says where',
    async () => {
      const p = start([...RUN, '--out', join(filling!, 'run')], { timeout: 60_000 });
      await until(() => /^epoch 1\/4/m.test(p.output()), p.exit);
      spawnSync('dd', ['if=/dev/zero', `of=${join(filling!, 'filler')}`, 'bs=64k']); // until it is full
      const r = await p.exit;
      expect(r.code, r.output).toBe(1);
      const m =
        /could not write the model file .*run\/model\.json: no space left on the device \(ENOSPC\); the trained model was written to (\S+) instead/.exec(
          r.output,
        );
      expect(m, r.output).not.toBeNull();
      const rescued = JSON.parse(readFileSync(m![1]!, 'utf8'));
      expect(rescued.spec.sizes).toEqual([784, 30, 10]);
      rmSync(m![1]!);
    },
    90_000,
  );
});
