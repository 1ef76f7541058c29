import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeIdx,
  type IdxArray,
  IdxError,
  type IdxType,
  parseIdx,
  readIdx,
  writeIdx,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const element: Record<IdxType, fc.Arbitrary<number>> = {
  ubyte: fc.integer({ min: 0, max: 255 }),
  byte: fc.integer({ min: -128, max: 127 }),
  short: fc.integer({ min: -32768, max: 32767 }),
  int: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  float: fc.float(), // float32 values, NaN, ±0 and ±∞ included
  double: fc.double(),
};
const arrayOf = {
  ubyte: Uint8Array,
  byte: Int8Array,
  short: Int16Array,
  int: Int32Array,
  float: Float32Array,
  double: Float64Array,
};

/** A random valid IDX array: any supported type, 1–3 dimensions of 1–4. */
const idxArray: fc.Arbitrary<IdxArray> = fc
  .constantFrom<IdxType>('ubyte', 'byte', 'short', 'int', 'float', 'double')
  .chain((type) =>
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((dims) => {
      const n = dims.reduce((a, b) => a * b, 1);
      return fc
        .array(element[type], { minLength: n, maxLength: n })
        .map((values) => ({ type, dims, data: arrayOf[type].from(values) }) as IdxArray);
    }),
  );

/** A small valid file: 2×3 ubyte. */
const small = (): Uint8Array =>
  encodeIdx({ type: 'ubyte', dims: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });

/** Write `bytes` to a file named `name` and read it back, returning the IdxError thrown. */
function failure(name: string, bytes: Uint8Array): IdxError {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  try {
    readIdx(path);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxError);
    const err = e as IdxError;
    expect(err.file).toBe(path);
    expect(err.message).toContain(path);
    return err;
  }
  throw new Error(`${name} was read without error`);
}

describe('IDX round trip', () => {
  it('encode then parse gives back the same array (plain and gzip)', () => {
    fc.assert(
      fc.property(idxArray, fc.boolean(), (a, gzip) => {
        const bytes = encodeIdx(a, { gzip });
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        const b = parseIdx(bytes, 'mem');
        expect(b.type).toBe(a.type);
        expect(b.dims).toEqual(a.dims);
        expect(b.data).toStrictEqual(a.data); // same typed-array class, NaN = NaN, -0 ≠ +0
      }),
    );
  });

  it('writeIdx then readIdx through files; .gz paths are gzipped', () => {
    fc.assert(
      fc.property(idxArray, fc.boolean(), (a, gz) => {
        const path = join(dir, gz ? 'rt.idx.gz' : 'rt.idx');
        writeIdx(path, a);
        const b = readIdx(path);
        expect(b.dims).toEqual(a.dims);
        expect(b.data).toStrictEqual(a.data);
      }),
      { numRuns: 50 },
    );
  });

  it('writes the documented big-endian layout', () => {
    const bytes = encodeIdx({ type: 'short', dims: [2], data: Int16Array.of(258, -2) });
    expect([...bytes]).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  });

  it('refuses to encode data that does not match its type or dims', () => {
    expect(() => encodeIdx({ type: 'ubyte', dims: [3], data: Uint8Array.of(1, 2) })).toThrow(
      /hold 3 elements, data has 2/,
    );
    expect(() => encodeIdx({ type: 'int', dims: [1], data: Uint8Array.of(1) as never })).toThrow(
      /Int32Array/,
    );
    expect(() => encodeIdx({ type: 'ubyte', dims: [0], data: new Uint8Array(0) })).toThrow(/dimension sizes/);
  });
});

describe('malformed IDX files are IdxErrors naming the file and the problem', () => {
  it('wrong magic', () => {
    const b = small();
    b[0] = 0x08;
    expect(failure('magic', b).message).toMatch(/wrong magic number 0x08 0x00 0x08 0x02/);
  });

  it('unsupported element type', () => {
    const b = small();
    b[2] = 0x0a;
    expect(failure('type', b).message).toMatch(/unsupported element type 0x0a/);
  });

  it('truncated header (inside the magic and inside the dimensions)', () => {
    expect(failure('short-magic', Uint8Array.of(0, 0, 8)).message).toMatch(/truncated header: 3 bytes/);
    expect(failure('short-dims', small().subarray(0, 9)).message).toMatch(
      /truncated header: 2 dimensions need 12 header bytes, the file has 9/,
    );
  });

  it('zero dimensions and zero-size dimensions', () => {
    expect(failure('ndims0', Uint8Array.of(0, 0, 8, 0)).message).toMatch(/0 dimensions/);
    const b = small();
    b[11] = 0;
    expect(failure('dim0', b).message).toMatch(/dimension 1 has size 0/);
  });

  it('truncated data', () => {
    const b = small();
    expect(failure('short-data', b.subarray(0, b.length - 1)).message).toMatch(
      /truncated data: .* need 6 bytes after the header, the file has 5/,
    );
  });

  it('trailing bytes', () => {
    const b = small();
    const longer = new Uint8Array(b.length + 2);
    longer.set(b);
    expect(failure('trailing', longer).message).toMatch(/2 trailing bytes/);
  });

  it('absurd dimensions are refused before anything is allocated', () => {
    // 3 dims of 2^32-1 doubles: ~2^99 bytes declared, 8 present.
    const b = Uint8Array.of(
      0,
      0,
      0x0e,
      3,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      255,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
    );
    expect(failure('absurd', b).message).toMatch(
      /truncated data: dimensions \[4294967295, …\] of double need more than/,
    );
  });

  it('gzip magic with a corrupt stream', () => {
    expect(failure('bad.gz', Uint8Array.of(0x1f, 0x8b, 1, 2, 3)).message).toMatch(/does not decompress/);
  });

  it('a gzipped malformed file is reported like a plain one', () => {
    const b = small();
    expect(failure('short.gz', gzipSync(b.subarray(0, b.length - 1))).message).toMatch(/truncated data/);
  });

  it('missing file', () => {
    const path = join(dir, 'nope');
    expect(() => readIdx(path)).toThrow(IdxError);
    expect(() => readIdx(path)).toThrow(`${path}: no such file`);
  });

  it('property: every strict prefix and every extension of a valid file is an IdxError, never another error', () => {
    fc.assert(
      fc.property(idxArray, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 9 }), (a, cut, extra) => {
        const bytes = encodeIdx(a);
        const prefix = bytes.subarray(0, cut % bytes.length);
        expect(() => parseIdx(prefix, 'prefix')).toThrow(IdxError);
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        expect(() => parseIdx(longer, 'longer')).toThrow(/longer: \d+ trailing bytes/);
      }),
    );
  });
});
