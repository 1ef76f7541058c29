import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultMnistDir, IDX_TYPES, type IdxArray, IdxError, isGzip, parseIdx } from '../src/index.js';

/**
 * IDX fuzzing: mutated real MNIST files and random bytes must never hang, never allocate more
 * than the bytes justify, and either parse into an array consistent with the byte count or
 * fail with the data package's own {@link IdxError} — never a RangeError, TypeError or a crash.
 *
 * The tests run {@link RUNS} cases per property (200 by default); `pnpm fuzz` runs the same
 * properties with BACKPROP_FUZZ_RUNS=20000. BACKPROP_FUZZ_SEED replays a reported failure.
 */
const RUNS = Number(process.env.BACKPROP_FUZZ_RUNS ?? 200);
const SEED =
  process.env.BACKPROP_FUZZ_SEED === undefined ? undefined : Number(process.env.BACKPROP_FUZZ_SEED);
/** A case that takes longer than this is a hang, as far as a 16 KB input is concerned. */
const CASE_MS = 250;
const BIG_RUN = RUNS > 1000;
const TEST_TIMEOUT = Math.max(60_000, RUNS * 20);

const mnistDir = defaultMnistDir();
/** The first `bytes` bytes of a real MNIST file: its header and the start of its data. */
function realPrefix(file: string, bytes: number): Uint8Array {
  return new Uint8Array(readFileSync(join(mnistDir, file)).subarray(0, bytes));
}
const imagesHead = realPrefix('t10k-images-idx3-ubyte', 16 + 4 * 784); // 4 images
const labelsHead = realPrefix('t10k-labels-idx1-ubyte', 8 + 64);

/** A real header with its counts rewritten so that the prefix is a complete, valid file. */
function consistent(head: Uint8Array, count: number, itemBytes: number, headerBytes: number): Uint8Array {
  const out = head.slice(0, headerBytes + count * itemBytes);
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}
const seeds: Uint8Array[] = [
  consistent(imagesHead, 4, 784, 16),
  consistent(labelsHead, 64, 1, 8),
  imagesHead, // header says 10,000 images: truncated as it stands
  labelsHead,
];

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'dim'; index: number; value: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'gzip' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Most flips land in the header, where they matter most.
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.oneof(fc.nat(15), fc.nat(4000)),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(15), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('dim' as const),
    index: fc.nat(3),
    value: fc.oneof(
      fc.constantFrom(0, 1, 2, 28, 0x7fffffff, 0x80000000, 0xffffffff),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat(4000) }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.constant({ kind: 'gzip' as const }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[m.at % out.length] ^= m.xor;
      return out;
    }
    case 'set': {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[m.at % out.length] = m.value;
      return out;
    }
    case 'dim': {
      const at = 4 + 4 * m.index;
      if (bytes.length < at + 4) return bytes;
      const out = bytes.slice();
      new DataView(out.buffer).setUint32(at, m.value, false);
      return out;
    }
    case 'truncate':
      return bytes.slice(0, Math.min(m.keep, bytes.length));
    case 'extend': {
      const out = new Uint8Array(bytes.length + m.bytes.length);
      out.set(bytes);
      out.set(m.bytes, bytes.length);
      return out;
    }
    case 'gzip':
      return new Uint8Array(gzipSync(bytes));
  }
}

/** The bytes the parser should see after gzip, or null when they do not decompress. */
function plain(bytes: Uint8Array): Uint8Array | null {
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch {
    return null;
  }
}

/**
 * Parse `bytes` and check the outcome: an IdxError, or an array whose dims, type and length
 * account for every byte. Also checks the time taken and the memory allocated on the way.
 */
function check(bytes: Uint8Array): 'parsed' | 'rejected' {
  const inner = plain(bytes);
  // What the parser may allocate: the decompressed bytes (when gzipped) and one decoded copy of them.
  const justified = 2 * (inner?.length ?? bytes.length) + bytes.length;
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: IdxArray | undefined;
  let error: unknown;
  try {
    result = parseIdx(bytes, 'fuzz.idx');
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(ms, `parsing ${bytes.length} bytes took ${ms.toFixed(0)} ms`).toBeLessThan(CASE_MS);
  // 1 MiB of slack for Buffer's pool slabs and zlib's own buffers.
  expect(grown, `parsing ${bytes.length} bytes allocated ${grown} bytes`).toBeLessThanOrEqual(
    justified + 2 ** 20,
  );
  if (error !== undefined) {
    if (!(error instanceof IdxError))
      throw new Error(`parseIdx threw ${String(error)} instead of an IdxError`, { cause: error });
    expect(error.file).toBe('fuzz.idx');
    expect(error.message.startsWith('fuzz.idx: ')).toBe(true);
    return 'rejected';
  }
  // Parsed: the header and the data account for exactly the bytes present.
  const r = result!;
  expect(inner).not.toBeNull();
  const size = IDX_TYPES[r.type].bytes;
  const elements = r.dims.reduce((a, b) => a * b, 1);
  expect(r.dims.length).toBeGreaterThanOrEqual(1);
  expect(r.dims.every((d) => Number.isInteger(d) && d >= 1)).toBe(true);
  expect(r.data.length).toBe(elements);
  expect(4 + 4 * r.dims.length + elements * size).toBe(inner!.length);
  expect(inner![2]).toBe(IDX_TYPES[r.type].code);
  return 'parsed';
}

const params = (runs: number): fc.Parameters<unknown> => ({ numRuns: runs, seed: SEED, endOnFailure: true });

describe(`IDX fuzzing (${RUNS} cases per property)`, () => {
  it('the seeds are what they claim: two valid files, two truncated ones', () => {
    expect(seeds.map(check)).toEqual(['parsed', 'parsed', 'rejected', 'rejected']);
    expect(check(new Uint8Array(gzipSync(seeds[0]!)))).toBe('parsed');
  });

  it(
    'mutated real MNIST headers and data: a valid array or an IdxError',
    () => {
      const outcomes = { parsed: 0, rejected: 0 };
      fc.assert(
        fc.property(
          fc.constantFrom(...seeds),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          (seed, mutations) => {
            outcomes[check(mutations.reduce(apply, seed))]++;
          },
        ),
        params(RUNS),
      );
      // Both outcomes occur, or the mutations are not exploring the format.
      expect(outcomes.parsed).toBeGreaterThan(0);
      expect(outcomes.rejected).toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'random bytes, raw, behind a plausible magic number, and gzipped',
    () => {
      const magic = fc
        .tuple(
          fc.constantFrom(...Object.values(IDX_TYPES).map((t) => t.code)),
          fc.integer({ min: 0, max: 4 }),
          fc.uint8Array({ maxLength: 256 }),
        )
        .map(([code, ndims, rest]) => Uint8Array.of(0, 0, code, ndims, ...rest));
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 2048 }),
        magic,
        magic.map((b) => new Uint8Array(gzipSync(b))),
        fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.of(0x1f, 0x8b, ...b)),
      );
      fc.assert(
        fc.property(bytes, (b) => {
          check(b);
        }),
        params(RUNS),
      );
    },
    TEST_TIMEOUT,
  );

  it('a header that declares gigabytes is rejected without allocating them', () => {
    for (const dims of [[0xffffffff, 0xffffffff, 0xffffffff], [60000, 28, 28], [0x7fffffff]]) {
      const head = new Uint8Array(4 + 4 * dims.length + 100);
      head[2] = IDX_TYPES.double.code;
      head[3] = dims.length;
      dims.forEach((d, i) => {
        new DataView(head.buffer).setUint32(4 + 4 * i, d, false);
      });
      expect(check(head)).toBe('rejected');
      expect(check(new Uint8Array(gzipSync(head)))).toBe('rejected');
    }
  });

  it('a small gzip that inflates far beyond what its header declares is rejected without inflating it all', () => {
    // 10 ubytes declared, 64 MiB of zeros behind them: a 64 KiB gzip bomb.
    const raw = new Uint8Array(12 + 10 + 64 * 2 ** 20);
    raw[2] = IDX_TYPES.ubyte.code;
    raw[3] = 1;
    raw[7] = 10;
    const bomb = new Uint8Array(gzipSync(raw, { level: 9 }));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    let error: unknown;
    try {
      parseIdx(bomb, 'bomb.idx.gz');
    } catch (e) {
      error = e;
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toMatch(/trailing|more than/);
    expect(grown, `inflated ${grown} bytes for a file declaring 22`).toBeLessThan(8 * 2 ** 20);
  });

  it.runIf(BIG_RUN)('reports the case count', () => {
    console.log(`fuzzed ${RUNS} cases per property`);
  });
});
