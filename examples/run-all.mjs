// Run every example as its own process, as a user would (`node examples/NAME.mjs`), and fail if
// any fails. `pnpm examples` (at the repository root) builds the packages first, then runs this.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'backprop-examples-'));
const examples = [
  ['xor.mjs', out],
  ['mnist.mjs', out],
  ['custom-backend.mjs'],
  ['my-network.mjs'],
  ['check-python-network.mjs'],
  ['onnx-inference.mjs'],
  ['onnx-inference.mjs', join(out, 'mnist.model.json')], // the model mnist.mjs saved
];

const failed = [];
for (const [file, ...args] of examples) {
  const label = [file, ...args.map((a) => a.replace(out, '$OUT'))].join(' ');
  console.log(`\n── node examples/${label}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, file), ...args], { stdio: 'inherit', timeout: 120_000 });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status === 0) console.log(`── ok (${seconds} s)`);
  else {
    console.log(`── FAILED: exit ${r.status ?? r.signal ?? r.error?.message} (${seconds} s)`);
    failed.push(label);
  }
}
rmSync(out, { recursive: true, force: true });
console.log(
  failed.length === 0
    ? `\nall ${examples.length} example runs passed`
    : `\n${failed.length} of ${examples.length} example runs failed: ${failed.join(', ')}`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
