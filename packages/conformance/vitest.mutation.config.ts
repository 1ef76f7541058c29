// The vitest configuration of `pnpm mutation` (stryker.config.mjs at the repository root): the
// conformance suite on the reference is the only test, and @backprop/core resolves to its
// TypeScript sources, which StrykerJS mutates; core's own unit tests are not run, so the score
// says how much of core's maths the suite itself pins down (docs/conformance.md).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: { '@backprop/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/mutation/*.conformance.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
