#!/usr/bin/env node
// Pack smoke test: prove the published packages work without the monorepo.
//
// 1. `pnpm pack` every package (pnpm rewrites `workspace:*` to the real versions);
// 2. inspect each tarball: publishing fields, every `exports`/`main`/`types`/`bin` target present,
//    no workspace specifiers, no build or test leftovers, no absolute path of this checkout in the
//    shipped JavaScript, every source map's sources shipped;
// 3. `npm install` all tarballs into a fresh project under the OS temp directory (outside the
//    workspace, production dependencies only), type-check and run scripts/pack-smoke-consumer.ts
//    there, and run the `backprop` binary.
//
// Run `pnpm build` first. Usage: node scripts/pack-smoke.mjs [--keep]
// Exits 1 with the list of problems when any check fails; the temp directory is kept then.

import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['data', 'core', 'protocol', 'conformance', 'gpu', 'tfjs', 'torch', 'cli'];
const keep = process.argv.includes('--keep');
const problems = [];
const started = Date.now();

function log(message) {
  console.log(`pack-smoke [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function problem(message) {
  problems.push(message);
  console.error(`pack-smoke: FAIL ${message}`);
}

function fail(message) {
  console.error(`pack-smoke: ${message}`);
  process.exit(1);
}

/** The environment for child tools, without what `pnpm run` exports (npm would read its npm_config_* as its own settings). */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|pnpm_)/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_PATH') env[k] = v;
  return { ...env, ...extra };
}

/** Run a command; its output is shown when it fails. */
function run(cmd, args, { cwd, env = cleanEnv(), timeout = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const ok = r.status === 0;
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
  return { ok, out, stdout: r.stdout ?? '', why, status: r.status };
}

// pnpm is the version the workspace pins (`packageManager`), through npx as everywhere here.
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(
  /^pnpm@/,
  '',
);
const pnpm = ['npx', ['-y', `pnpm@${pnpmVersion}`]];

// --- 0. builds present -----------------------------------------------------------------------
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
for (const p of PACKAGES) {
  const dir = join(root, 'packages', p);
  if (!existsSync(join(dir, 'dist', 'index.js')))
    fail(`packages/${p}/dist/index.js is missing: run \`pnpm build\` before \`pnpm pack:smoke\`.`);
  // tsc -b rewrites dist/.tsbuildinfo on every build that changed something.
  const info = join(dir, 'dist', '.tsbuildinfo');
  if (existsSync(info) && newestMtime(join(dir, 'src')) > statSync(info).mtimeMs)
    fail(`packages/${p}/src is newer than its build: run \`pnpm build\` before \`pnpm pack:smoke\`.`);
}

const work = mkdtempSync(join(tmpdir(), 'backprop-pack-smoke-'));
if (!relative(root, work).startsWith('..'))
  fail(`the temp directory ${work} is inside the workspace ${root}; set TMPDIR to a directory outside it.`);
const tarballs = join(work, 'tarballs');
const unpacked = join(work, 'unpacked');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(unpacked);
mkdirSync(project);
log(`working in ${work}`);

// --- 1. pack ---------------------------------------------------------------------------------
const packed = {};
for (const p of PACKAGES) {
  const dir = join(root, 'packages', p);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const r = run(pnpm[0], [...pnpm[1], 'pack', '--pack-destination', tarballs], { cwd: dir });
  const file = join(tarballs, `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`);
  if (!r.ok || !existsSync(file)) fail(`pnpm pack failed in packages/${p} (${r.why}):\n${r.out}`);
  packed[p] = { name: manifest.name, file };
}
log(`packed ${PACKAGES.length} packages`);

// --- 2. inspect the tarballs -----------------------------------------------------------------
function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, base));
    else out.push(relative(base, path).split(sep).join('/'));
  }
  return out;
}

/** Every string target in an `exports` value (conditions and subpaths nested any way). */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(exportTargets);
}

const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
for (const p of PACKAGES) {
  const { name, file } = packed[p];
  const dir = join(unpacked, p);
  mkdirSync(dir);
  const t = run('tar', ['-xzf', file, '-C', dir]);
  if (!t.ok) {
    problem(`${name}: cannot unpack ${file}: ${t.out}`);
    continue;
  }
  const pkgDir = join(dir, 'package');
  const files = new Set(listFiles(pkgDir));
  const has = (target) => files.has(posix.normalize(target.replace(/^\.\//, '')));
  const m = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

  for (const field of DEP_FIELDS)
    for (const [dep, spec] of Object.entries(m[field] ?? {}))
      if (/^(workspace|link|file|portal):/.test(spec))
        problem(
          `${name}: ${field}.${dep} is '${spec}' in the packed package.json; publish with pnpm so workspace: specifiers become versions.`,
        );
  if (m.private) problem(`${name}: "private": true would stop it being published.`);
  if (m.type !== 'module') problem(`${name}: "type" should be "module" (the packages are ESM).`);
  if (!m.license) problem(`${name}: no "license" field.`);
  if (!m.repository?.url) problem(`${name}: no "repository.url" field.`);
  if (!m.engines?.node) problem(`${name}: no "engines.node" field.`);
  if (m.sideEffects === undefined)
    problem(`${name}: no "sideEffects" field (false, or the files that have side effects).`);
  if (!files.has('README.md'))
    problem(`${name}: the tarball has no README.md; add packages/${p}/README.md (it is listed in "files").`);
  const dot = m.exports?.['.'];
  if (!dot || typeof dot !== 'object' || !dot.types || !dot.import || !dot.default)
    problem(`${name}: exports["."] must have "types", "import" and "default" conditions.`);
  for (const target of [...exportTargets(m.exports), m.main, m.types].filter(Boolean))
    if (!target.includes('*') && !has(target))
      problem(`${name}: "${target}" is named in package.json but is not in the tarball.`);
  for (const [cmd, target] of Object.entries(
    typeof m.bin === 'string' ? { [m.name]: m.bin } : (m.bin ?? {}),
  )) {
    if (!has(target)) problem(`${name}: bin "${cmd}" → ${target} is not in the tarball.`);
    else if (!readFileSync(join(pkgDir, target), 'utf8').startsWith('#!/usr/bin/env node'))
      problem(`${name}: bin "${cmd}" → ${target} does not start with '#!/usr/bin/env node'.`);
  }
  const unmapped = [];
  for (const f of files) {
    if (
      /\.tsbuildinfo$|(^|\/)(test|tests|__tests__|node_modules|\.turbo)\//.test(f) ||
      /\.test\.[cm]?[jt]s$/.test(f)
    )
      problem(`${name}: ${f} should not be published; narrow "files".`);
    if (/\.(m?js|d\.ts)$/.test(f) && readFileSync(join(pkgDir, f), 'utf8').includes(root))
      problem(`${name}: ${f} contains the workspace path ${root}; it would not exist on a user's machine.`);
    if (f.endsWith('.map')) {
      const map = JSON.parse(readFileSync(join(pkgDir, f), 'utf8'));
      for (const s of map.sources ?? [])
        if (!files.has(posix.normalize(posix.join(posix.dirname(f), map.sourceRoot ?? '', s))))
          unmapped.push(`${f} → ${s}`);
    }
  }
  if (unmapped.length > 0)
    problem(
      `${name}: ${unmapped.length} source map(s) point at sources missing from the tarball (e.g. ${unmapped[0]}); add "src" to "files" or stop emitting maps.`,
    );
  const kb = (statSync(file).size / 1024).toFixed(0);
  log(`${name}: ${files.size} files, ${kb} KiB packed`);
}

// --- 3. install into a fresh project and use the packages ------------------------------------
const dependencies = Object.fromEntries(PACKAGES.map((p) => [packed[p].name, `file:${packed[p].file}`]));
writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify({ name: 'backprop-pack-smoke', version: '0.0.0', private: true, type: 'module', dependencies }, null, 2)}\n`,
);
// onnxruntime-node's install script would fetch the CUDA provider from NuGet, unreachable here;
// the CPU and WebGPU providers ship in the package. ONNXRUNTIME_NODE_INSTALL=skip is its opt-out.
const installEnv = cleanEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' });
const install = run(
  'npm',
  ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
  {
    cwd: project,
    env: installEnv,
  },
);
if (!install.ok) fail(`npm install of the tarballs failed (${install.why}):\n${install.out}\nkept ${work}`);
log('installed the tarballs with npm (production dependencies only)');

// The consumer is TypeScript, type-checked against the installed declarations (the `types`
// conditions), then compiled and run. The workspace's compiler and @types/node are tools here,
// not dependencies of the installed packages.
copyFileSync(join(root, 'scripts', 'pack-smoke-consumer.ts'), join(project, 'consumer.ts'));
writeFileSync(
  join(project, 'tsconfig.json'),
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
        outDir: 'out',
      },
      files: ['consumer.ts'],
    },
    null,
    2,
  )}\n`,
);
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const compiled = run(process.execPath, [tsc, '-p', project], { cwd: project });
if (!compiled.ok)
  problem(`the consumer does not type-check against the installed packages:\n${compiled.out}`);
else {
  log('consumer type-checks against the installed declarations');
  const r = run(process.execPath, [join(project, 'out', 'consumer.js')], { cwd: project, timeout: 150_000 });
  process.stdout.write(`${r.out.trimEnd().replace(/^/gm, '  ')}\n`);
  if (!r.ok) problem(`the consumer failed (${r.why}); see its output above.`);
}

// The CLI through its bin link, as a user would call it.
const bin = join(project, 'node_modules', '.bin', 'backprop');
const cliChecks = [
  { args: ['--help'], expect: /Usage: backprop/ },
  { args: ['data', 'info'], expect: /train\s+50000[\s\S]*test\s+10000/ },
];
for (const { args, expect } of cliChecks) {
  const r = run(bin, args, { cwd: project, timeout: 60_000 });
  const shown = `backprop ${args.join(' ')}`;
  if (!r.ok) problem(`\`${shown}\` failed (${r.why}):\n${r.out}`);
  else if (!expect.test(r.stdout)) problem(`\`${shown}\` printed nothing matching ${expect}:\n${r.out}`);
  else log(`\`${shown}\` ok`);
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  console.error(`\npack-smoke: ${problems.length} problem(s) in ${seconds}s:`);
  for (const p of problems) console.error(`  - ${p.split('\n')[0]}`);
  console.error(`kept ${work} for inspection`);
  process.exit(1);
}
if (!keep) rmSync(work, { recursive: true, force: true });
log(`all packages work from their tarballs (${seconds}s)${keep ? `; kept ${work}` : ''}`);
