// `pnpm mutation` (StrykerJS) mutates packages/core/src in place; scripts/mutation.mjs restores
// the sources however Stryker ends, but if both were killed the instrumented sources would stay
// and every later build would ship them. This test fails `pnpm test` when that happens.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const core = fileURLToPath(new URL('../../core/src/', import.meta.url));

describe("core's sources", () => {
  it('hold no StrykerJS instrumentation (restore with `pnpm mutation`, or `git checkout packages/core/src`)', () => {
    const files = readdirSync(core, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => readFileSync(core + f, 'utf8').includes('stryNS_9fa48'))).toEqual([]);
  });
});
