import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const CLI = join(import.meta.dirname, '../../cli/dist/bin.js');

describe('backprop serve', () => {
  test('prints the URL, serves the page and MNIST, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (c) => (out += c));
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (c) => {
        out += c;
        const m = /backprop web app: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) ok(m[1]!);
      });
      child.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>backprop');
    const labels = await fetch(`${url}mnist/train-labels-idx1-ubyte`);
    expect((await labels.arrayBuffer()).byteLength).toBe(60_008);
    const code = new Promise<number | null>((ok) => child.on('exit', ok));
    child.kill('SIGINT');
    expect(await code).toBe(0);
  });

  test('without a built app, says how to build it', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--app', '/nonexistent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    expect(await new Promise((ok) => child.on('exit', ok))).toBe(1);
    expect(err).toMatch(/no built web app at \/nonexistent .*npx -y pnpm@12\.4\.2 build/);
  });

  test('a port out of range is a usage error (exit 2) naming the flag, before anything starts', async () => {
    for (const [port, message] of [
      ['70000', /--port must be at most 65535, got 70000/],
      ['-1', /--port must be an integer ≥ 0, got -1/],
      ['http', /--port must be a number, got 'http'/],
    ] as const) {
      const child = spawn(process.execPath, [CLI, 'serve', `--port=${port}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c) => (err += c));
      expect(await new Promise((ok) => child.on('exit', ok))).toBe(2);
      expect(err).toMatch(message);
      expect(err).toMatch(/Try 'backprop serve --help'/);
    }
  });

  test('--help lists every flag with its default', () => {
    const help = execFileSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/--port N +port to listen on, 0 to 65535 .*\(default 5178\)/s);
    expect(help).toMatch(/--host ADDRESS .*\(default 127\.0\.0\.1\)/s);
    expect(help).toMatch(/--app DIR .*packages\/web of this checkout/s);
  });
});
