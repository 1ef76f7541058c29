import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningServer, startServer } from '../src/server.js';

const app = mkdtempSync(join(tmpdir(), 'backprop-web-app-'));
let s: RunningServer;

/** A raw request (fetch would normalise the path before sending it). */
function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${s.url.replace(/\/$/, '')}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  writeFileSync(join(app, 'index.html'), '<!doctype html><p>app</p>');
  s = await startServer({ port: 0, appDir: app });
});
afterAll(async () => {
  await s.close();
  rmSync(app, { recursive: true, force: true });
});

describe('the web app’s server', () => {
  test('serves the page and the four MNIST files, from this machine', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<p>app</p>');
    const images = await get('/mnist/train-images-idx3-ubyte', 'HEAD');
    expect(images.status).toBe(200);
    expect(Number(images.headers['content-length'])).toBe(47_040_016);
    expect((await get('/mnist/t10k-labels-idx1-ubyte', 'HEAD')).headers['content-length']).toBe('10008');
  });

  test('nothing else: other names, paths outside the app, other methods', async () => {
    expect(await get('/mnist/package.json')).toMatchObject({
      status: 404,
      body: 'no MNIST file package.json\n',
    });
    expect((await get('/%2e%2e%2fpackage.json')).status).toBe(403);
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/', 'POST')).status).toBe(405);
  });

  test('refuses to start without a built page, or on a port in use, saying what to do', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'backprop-web-empty-'));
    await expect(startServer({ port: 0, appDir: empty })).rejects.toThrow(
      /the web app is not built .*--filter @backprop\/web build/,
    );
    rmSync(empty, { recursive: true, force: true });
    const port = Number(new URL(s.url).port);
    await expect(startServer({ port, appDir: app })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is taken; pick another with --port`,
    );
  });
});
