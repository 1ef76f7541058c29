// Helpers shared by the benchmarks (not a benchmark itself: run.mjs runs *.bench.mjs only).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** The median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Parse a benchmark's command line leniently: `pnpm bench` hands its arguments to every
 * benchmark, so flags meant for a sibling are reported once and skipped; the benchmark's own
 * flags are parsed as usual.
 */
export function parseBenchArgs(name, options, argv = process.argv.slice(2)) {
  const { values, tokens } = parseArgs({ args: argv, options, strict: false, tokens: true });
  const unknown = tokens.filter((t) => t.kind === 'option' && !(t.name in options)).map((t) => `--${t.name}`);
  if (unknown.length) console.log(`${name}: ignoring ${unknown.join(' ')} (not flags of this benchmark)`);
  return values;
}

/** A flag's value as a positive integer, or a RangeError naming the flag. */
export function positiveInt(values, name) {
  const n = Number(values[name]);
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError(`--${name} must be a positive integer, got '${values[name]}'`);
  return n;
}

/** A comma-separated flag value as a list. */
export function list(text) {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Where and on what a benchmark ran: Node, CPU, load averages (1, 5, 15 min), start time. */
export function environment() {
  return {
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`,
    loadBefore: loadavg(),
    started: new Date().toISOString(),
  };
}

export const formatLoad = (l) => l.map((x) => x.toFixed(2)).join(' ');

/** Write `value` as pretty JSON to DIR/FILE (creating DIR) and return the path. */
export function writeJson(dir, file, value) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

/**
 * A fixed-width text table. `align[i]` is 'l' or 'r' (default: the first column left, the rest
 * right).
 */
export function table(head, rows, align = []) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) =>
        (align[i] ?? (i === 0 ? 'l' : 'r')) === 'l'
          ? String(c).padEnd(widths[i])
          : String(c).padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Run a benchmark's main function; a RangeError (a bad flag) prints its message alone and
 * exits with 2, anything else is a real failure and keeps its stack.
 */
export async function runMain(name, fn) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    console.error(`${name}: ${e.message}`);
    process.exitCode = 2;
  }
}
