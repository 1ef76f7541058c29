// Engines that misbehave (crash, hang, garbage, truncated or mis-shaped replies, a wrong protocol
// version): the request in progress fails with a message naming it and the engine's stderr; the
// host neither hangs nor crashes; the child is killed. Each case ends on the protocol's own time
// limits (set short here); vitest's timeout is only a backstop.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NetworkSpec, Params } from '@backprop/core';
import { describe, expect, test } from 'vitest';
import { EngineError, EngineProcess, type ProtocolBackend, StdioEngine } from '../src/index.js';

const script = fileURLToPath(new URL('./engines/misbehave.mjs', import.meta.url));
const spec: NetworkSpec = { sizes: [2, 3, 1], activation: 'sigmoid', cost: 'quadratic' };
const params: Params = {
  weights: [new Float64Array(6).fill(0.5), new Float64Array(3).fill(-0.25)],
  biases: [new Float64Array(3), new Float64Array(1)],
};
const batch = { size: 2, x: Float64Array.of(1, 2, 3, 4), y: Float64Array.of(0, 1) };
const timeouts = { hello: 5_000, request: 1_500 };

function engine(mode: string): StdioEngine {
  return new StdioEngine([process.execPath, script, mode], { timeouts });
}

/** Whether a process is still alive (a zombie, killed but not yet reaped by its new parent, is not). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function failingBackprop(
  mode: string,
): Promise<{ error: EngineError; pid: number | undefined; b: ProtocolBackend }> {
  const e = engine(mode);
  const b = await e.create(spec, params);
  const pid = (await e.process()).pid;
  const error = await b.backprop(batch).then(
    () => {
      throw new Error(`backprop on '${mode}' succeeded`);
    },
    (err: unknown) => err as EngineError,
  );
  return { error, pid, b };
}

/** The child is gone soon after the failure (killed, or it exited itself). */
async function expectGone(pid: number | undefined): Promise<void> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  expect(alive(pid)).toBe(false);
}

describe('a well-behaved engine', () => {
  test('answers, and is shut down when its last network is disposed', async () => {
    const e = engine('ok');
    const b = await e.create(spec, params);
    const pid = (await e.process()).pid;
    expect(b.name).toBe('misbehave-ok');
    expect(b.capabilities).toEqual(['forward', 'deltas', 'gradients']);
    const t = await b.backprop(batch);
    expect(t.zs.map((z) => z.length)).toEqual([6, 2]);
    expect(Array.from((await b.getParams()).weights[1]!)).toEqual([-0.25, -0.25, -0.25]);
    await expect(b.step(batch, { eta: 1 })).rejects.toThrow(
      "misbehave-ok does not provide an SGD step: its handshake lists no 'step' capability",
    );
    await b.dispose();
    await expectGone(pid);
  });
});

describe('a misbehaving engine fails the request in progress, names it, and is killed', () => {
  const cases: [string, RegExp][] = [
    [
      'garbage',
      /backprop \(request 3\) failed: it wrote "Traceback\? no: this is not JSON" in its answer to backprop \(request 3\), which is not a JSON line/,
    ],
    [
      'slow',
      /backprop \(request 3\) failed: it did not answer backprop \(request 3\) within 1500 ms and was stopped/,
    ],
    [
      'truncated',
      /backprop \(request 3\) failed: it exited with code 0 in the middle of a reply \(it wrote "\{\\"id\\":3,\\"ok\\":true/,
    ],
    [
      'shapes',
      /backprop \(request 3\) failed: it broke the protocol in its answer: zs\[0\] \(z1\) has shape \[2, 4\], expected \[2, 3\]/,
    ],
    ['short-data', /deltas\[0\] \(δ1\)\.data holds 36 bytes; shape \[2, 3\] needs 48/],
    [
      'wrong-id',
      /answered with .* in its answer to backprop \(request 3\): a reply must be an object with "id": 3/,
    ],
    ['no-result', /in its answer to backprop \(request 3\): a reply is \{"id", "ok": true, "result"/],
    ['bad-cost', /cost is "lots", not a number/],
  ];
  for (const [mode, message] of cases)
    test(mode, async () => {
      const { error, pid, b } = await failingBackprop(mode);
      expect(error).toBeInstanceOf(EngineError);
      expect(error.op).toBe('backprop');
      expect(error.message).toMatch(/^engine 'misbehave-[a-z-]+': /);
      expect(error.message).toMatch(message);
      await expectGone(pid);
      // Later requests on that network fail at once, saying why; parameters restart the engine.
      await expect(b.getParams()).rejects.toThrow(/cannot send get_params: it /);
      await b.setParams(params);
      expect(Array.from((await b.getParams()).biases[1]!)).toEqual([0]);
      await b.dispose();
    });

  test('a stray line after a good reply stops the engine; the next request says why', async () => {
    const e = engine('chatty');
    const b = await e.create(spec, params);
    const pid = (await e.process()).pid;
    await b.backprop(batch);
    await expectGone(pid);
    await expect(b.getParams()).rejects.toThrow(
      /get_params: it wrote "debug: done" while no request was in progress/,
    );
  });

  test('crash mid-reply: the message carries the stderr tail', async () => {
    const { error, pid } = await failingBackprop('crash');
    expect(error.message).toMatch(
      /backprop \(request 3\) failed: it exited with code 3 in the middle of a reply \(it wrote "\{\\"id\\": "/,
    );
    expect(error.message).toMatch(/engine stderr \(last lines\):\n {4}Traceback \(most recent call last\):/);
    expect(error.stderrTail).toMatch(/ZeroDivisionError: boom$/);
    await expectGone(pid);
  });

  test('an error reply fails that request only; the engine stays up', async () => {
    const { error, b } = await failingBackprop('error');
    expect(error.message).toBe(
      "engine 'misbehave-error' failed backprop (request 3): backprop is not implemented yet",
    );
    expect(Array.from((await b.getParams()).weights[0]!)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    await b.dispose();
  });
});

describe('an engine that cannot start says why', () => {
  test('wrong protocol version', async () => {
    const e = engine('version');
    await expect(e.start()).rejects.toThrow(
      /hello \(request 1\) failed: it broke the protocol in its answer: the engine speaks protocol version 2; this host speaks version 1/,
    );
    const av = await e.probe();
    expect(av.available).toBe(false);
  });

  test('an unknown capability', async () => {
    await expect(engine('bad-capability').start()).rejects.toThrow(
      /hello.capabilities holds "telepathy"; known: forward, deltas/,
    );
  });

  test('exits at start, with its stderr', async () => {
    const av = await engine('exit-at-start').probe();
    expect(av.available).toBe(false);
    if (!av.available) {
      expect(av.reason).toMatch(/hello \(request 1\) failed: it exited with code 1/);
      expect(av.reason).toMatch(/ModuleNotFoundError: No module named 'torch'/);
    }
  });

  test('never answers the handshake', async () => {
    const e = new StdioEngine([process.execPath, script, 'silent-start'], { timeouts: { hello: 800 } });
    await expect(e.start()).rejects.toThrow(
      /did not answer hello \(request 1\) within 800 ms and was stopped/,
    );
  });

  test('no such program', async () => {
    await expect(new StdioEngine('no-such-engine-here --flag').start()).rejects.toThrow(
      /engine 'no-such-engine-here': hello \(request 1\) failed: it could not be started \(no-such-engine-here --flag\): spawn no-such-engine-here ENOENT/,
    );
  });

  test('a process that is not an engine at all', async () => {
    await expect(new StdioEngine(['echo', 'hello world'], { timeouts }).start()).rejects.toThrow(
      /wrote "hello world" in its answer to hello \(request 1\), which is not a JSON line/,
    );
  });
});

describe('EngineProcess', () => {
  test('close() shuts the engine down', async () => {
    const p = await EngineProcess.start([process.execPath, script, 'ok'], { timeouts });
    expect(alive(p.pid)).toBe(true);
    await p.close();
    expect(alive(p.pid)).toBe(false);
    expect(p.stoppedReason).toMatch(/exited with code 0|shut down/);
  });

  test('an engine left undisposed does not keep Node running, and is killed when Node exits', async () => {
    // A program that starts an engine (here: one that ignores shutdown and stdin's end) and forgets it.
    const dist = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
    const program = `const m = await import(${JSON.stringify(dist)}); const p = await m.EngineProcess.start([process.execPath, ${JSON.stringify(script)}, 'stubborn']); console.log(p.pid);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    await expectGone(pid);
  });

  test('close() kills an engine that ignores shutdown', async () => {
    const p = await EngineProcess.start([process.execPath, script, 'stubborn'], { timeouts });
    await p.close();
    expect(alive(p.pid)).toBe(false);
    expect(p.stoppedReason).toMatch(/was stopped after shutdown|killed by SIGKILL/);
  });
});
