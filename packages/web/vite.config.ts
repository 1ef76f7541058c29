import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defaultMnistDir } from '@backprop/data';
import { defineConfig, type Plugin } from 'vite';
import { handler } from './src/server.ts';

/**
 * `node:*` imports in a browser bundle. @backprop/core and @backprop/data import node:fs and
 * friends at the top of modules whose other exports the page uses (model files are parsed, not
 * read from disk; MNIST is fetched, not read). Each such import becomes a module with the same
 * export names, every one a function that throws "not available in a browser" if ever called,
 * so a Node-only path taken by mistake fails loudly instead of silently.
 */
function nodeBuiltinsUnavailable(): Plugin {
  const PREFIX = '\0node-unavailable:';
  return {
    name: 'backprop:node-builtins-unavailable',
    enforce: 'pre',
    resolveId(id) {
      if (id.startsWith('node:') && builtinModules.includes(id.slice(5).split('/')[0]!))
        return PREFIX + id.slice(5);
      return null;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const names = Object.keys(await import(`node:${name}`)).filter(
        (k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k),
      );
      return [
        'const unavailable = (what) => function () {',
        "  throw new Error(what + ' is not available in a browser (a Node-only code path was called from the web app)');",
        '};',
        ...names.map((n) => `export const ${n} = unavailable('node:${name} ${n}');`),
        'export default {};',
      ].join('\n');
    },
  };
}

/** The MNIST files under /mnist/ in the dev server too, from the same handler as `backprop serve`. */
function mnistFiles(): Plugin {
  const serve = handler(fileURLToPath(new URL('./dist/', import.meta.url)), defaultMnistDir());
  return {
    name: 'backprop:mnist',
    configureServer(server) {
      server.middlewares.use((req, res, next) => (req.url?.startsWith('/mnist/') ? serve(req, res) : next()));
    },
  };
}

const alias = {
  // The stdio engine protocol spawns processes: the page has none (conformance imports it for --engine).
  '@backprop/protocol': fileURLToPath(new URL('./src/stubs/protocol.ts', import.meta.url)),
};

export default defineConfig({
  plugins: [nodeBuiltinsUnavailable(), mnistFiles()],
  resolve: { alias },
  worker: { format: 'es', plugins: () => [nodeBuiltinsUnavailable()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000, sourcemap: false },
  server: { port: 5178, strictPort: false },
});
