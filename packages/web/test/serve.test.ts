import { spawn } from 'node:child_process';
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
});
