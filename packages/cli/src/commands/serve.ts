import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { helpText, integer, parseFlags, text } from '../flags.js';

/** The flags of `backprop serve`. */
const FLAGS = {
  port: integer({
    section: 'Flags',
    help: 'port to listen on, 0 to 65535 (0 picks a free one)',
    default: 5178,
    min: 0,
  }),
  host: text({
    section: 'Flags',
    placeholder: 'ADDRESS',
    help: 'address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface)',
    default: '127.0.0.1',
  }),
  app: text({
    section: 'Flags',
    placeholder: 'DIR',
    help: "the web app package, built by the checkout's 'npx -y pnpm@12.4.2 build'",
    defaultText: 'packages/web of this checkout',
  }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop serve [--port N] [--host ADDRESS] [--app DIR]',
    description: `Serve the web app: train the 784-16-16-10 network in the page (the reference in a Web Worker,
onnxruntime-web on wasm and WebGPU, TF.js on cpu, wasm, webgl and webgpu) with the charts of
'backprop compare', download the run and model files, draw a digit and watch every layer's
activations, and run the conformance suite on each backend the browser offers. MNIST and
onnxruntime-web's .wasm files are served from this machine: the page works offline. Prints the
URL; Ctrl-C stops.`,
    after: { Example: '  backprop serve --port 8080' },
  },
  FLAGS,
);

/** What packages/web's lib/server.js exports (the app is not a dependency of the published CLI). */
interface WebServer {
  startServer(options: { port: number; host: string; appDir: string }): Promise<{
    readonly url: string;
    close(): Promise<void>;
  }>;
}

/** packages/web beside this package, in a checkout of the repository. */
const DEFAULT_APP = fileURLToPath(new URL('../../../web/', import.meta.url));

/** `backprop serve`. */
export const command: Command = {
  summary: 'serve the web app: train in the page, draw a digit, run the suite in the browser',
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values } = parseFlags(argv, FLAGS);
    if (values.port > 65535) throw new UsageError(`--port must be at most 65535, got ${values.port}`);
    const app = resolve(values.app ?? DEFAULT_APP);
    const entry = join(app, 'lib', 'server.js');
    if (!existsSync(entry)) {
      console.error(
        `backprop serve: no built web app at ${app} (${entry} is missing). The app is the private package packages/web ` +
          `of the backprop repository: in a checkout, run 'npx -y pnpm@12.4.2 build' first, or pass --app DIR.`,
      );
      return 1;
    }
    const { startServer } = (await import(pathToFileURL(entry).href)) as WebServer;
    let server: Awaited<ReturnType<WebServer['startServer']>>;
    try {
      server = await startServer({ port: values.port, host: values.host, appDir: join(app, 'dist') });
    } catch (e) {
      console.error(`backprop serve: ${(e as Error).message}`);
      return 1;
    }
    console.log(`backprop web app: ${server.url} (MNIST served from this machine; Ctrl-C stops)`);
    await new Promise<void>((ok) => {
      process.once('SIGINT', () => ok());
      process.once('SIGTERM', () => ok());
    });
    await server.close();
    return 0;
  },
};
