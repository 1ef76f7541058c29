#!/usr/bin/env node
// `pnpm mutation [stryker args]`: StrykerJS (stryker.config.mjs) with a guard around it.
//
// Stryker mutates packages/core/src in place (`inPlace: true`: its sandbox leaves out every
// node_modules folder, and pnpm's packages resolve through their own, so the suite cannot run in
// a copy). Stryker puts the originals back when it ends or is interrupted (Ctrl-C), but a run
// that is killed (SIGKILL, a crash, the machine going away) leaves core instrumented. So this
// script snapshots core's sources first, restores them from the snapshot after Stryker exits
// however it exits, and, when a snapshot is found at the start (the previous run and this
// script were both killed), restores it before anything else. It refuses to start when core's
// sources already hold Stryker's instrumentation without a snapshot to restore from.
// packages/conformance/test/mutation-guard.test.ts fails `pnpm test` if instrumented sources
// are ever left behind.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'packages/core/src');
const snapshot = join(root, 'reports/mutation/core-src.snapshot');
/** Stryker's instrumentation declares this namespace function in every mutated file. */
const MARK = 'stryNS_9fa48';

function instrumented(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && readFileSync(join(dir, f), 'utf8').includes(MARK));
}

function restore(why) {
  console.error(`mutation: ${why}; restoring packages/core/src from ${snapshot}`);
  rmSync(src, { recursive: true, force: true });
  cpSync(snapshot, src, { recursive: true });
  rmSync(snapshot, { recursive: true, force: true });
}

if (existsSync(snapshot)) restore('a snapshot of core from an interrupted run was found');
const left = instrumented(src);
if (left.length > 0) {
  console.error(
    `mutation: packages/core/src holds Stryker's instrumentation (${left.join(', ')}), left by a killed run; ` +
      'restore it first (git checkout packages/core/src, or git stash if you have edits there).',
  );
  process.exit(1);
}
cpSync(src, `${snapshot}.tmp`, { recursive: true });
renameSync(`${snapshot}.tmp`, snapshot); // complete or absent, never half a snapshot

const child = spawn('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  // The vitest runner's setup files, which a killed run leaves at the root (and Biome then checks).
  for (const f of readdirSync(root)) if (/^stryker-setup-\d+\.js$/.test(f)) rmSync(join(root, f));
  if (instrumented(src).length > 0) restore(`Stryker ended (${signal ?? code}) leaving core instrumented`);
  else rmSync(snapshot, { recursive: true, force: true });
  process.exit(code ?? 1);
});
