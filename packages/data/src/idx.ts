import { constants as bufferConstants } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { InputFileError, readInputFile } from './input-file.js';

/**
 * IDX, the file format of MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * `0x00 0x00 TYPE NDIMS`, then NDIMS big-endian uint32 dimension sizes, then the elements,
 * big-endian, row-major (the last dimension varies fastest). Files are often gzipped.
 */

/** The element types IDX defines, by name. */
export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

/** The typed array that holds each element type in memory. */
export interface IdxArrays {
  ubyte: Uint8Array;
  byte: Int8Array;
  short: Int16Array;
  int: Int32Array;
  float: Float32Array;
  double: Float64Array;
}

/** Any typed array an IDX file can be read into. */
export type IdxData = IdxArrays[IdxType];

/** An n-dimensional array as stored in an IDX file. */
export interface IdxArray<T extends IdxType = IdxType> {
  /** Element type. */
  readonly type: T;
  /** Size of each dimension, outermost first (MNIST images: [count, rows, cols]). */
  readonly dims: readonly number[];
  /** The elements in row-major order; `data.length` is the product of `dims`. */
  readonly data: IdxArrays[T];
}

/** The IDX type code (third magic byte) and element size of each type. */
export const IDX_TYPES: Readonly<Record<IdxType, { readonly code: number; readonly bytes: number }>> =
  Object.freeze({
    ubyte: { code: 0x08, bytes: 1 },
    byte: { code: 0x09, bytes: 1 },
    short: { code: 0x0b, bytes: 2 },
    int: { code: 0x0c, bytes: 4 },
    float: { code: 0x0d, bytes: 4 },
    double: { code: 0x0e, bytes: 8 },
  });

const TYPE_BY_CODE = new Map<number, IdxType>(
  Object.entries(IDX_TYPES).map(([name, t]) => [t.code, name as IdxType]),
);

/** A malformed, missing or inconsistent data file. `file` is the path (or name) of the file at fault. */
export class IdxError extends Error {
  override name = 'IdxError';
  /** The file the problem is in. */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.file = file;
  }
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parse the bytes of an IDX file (gzipped or plain) into an array. `name` names the file in
 * errors. Every inconsistency is an {@link IdxError}: wrong magic, unknown type, a header or
 * data shorter than the dimensions declare, bytes left over, or a zero dimension. Nothing is
 * allocated before the dimensions have been checked against the bytes actually present.
 * `ubyte` data is returned as a view of `bytes` (no copy).
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (isGzip(bytes)) bytes = gunzipIdx(bytes, name);
  if (bytes.length < 4)
    throw new IdxError(
      name,
      `truncated header: ${bytes.length} bytes, an IDX file starts with a 4-byte magic number`,
    );
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new IdxError(
      name,
      `wrong magic number ${[...bytes.subarray(0, 4)].map(hex).join(' ')}: an IDX file starts with 0x00 0x00 TYPE NDIMS (is this an IDX file?)`,
    );
  const type = TYPE_BY_CODE.get(bytes[2]!);
  if (type === undefined)
    throw new IdxError(
      name,
      `unsupported element type ${hex(bytes[2]!)}; IDX types are 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double`,
    );
  const ndims = bytes[3]!;
  if (ndims === 0)
    throw new IdxError(name, 'the header declares 0 dimensions; an IDX array needs at least one');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes)
    throw new IdxError(
      name,
      `truncated header: ${ndims} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = IDX_TYPES[type].bytes;
  const available = bytes.length - headerBytes;
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new IdxError(name, `dimension ${i} has size 0`);
    dims.push(d);
    elements *= d;
    // Checked per dimension so that absurd sizes stop here, long before the product could overflow.
    if (elements * size > available)
      throw new IdxError(
        name,
        `truncated data: dimensions [${dims.join(', ')}${i < ndims - 1 ? ', …' : ''}] of ${type} need ` +
          `${i < ndims - 1 ? 'more than ' : ''}${elements * size} bytes after the header, the file has ${available}`,
      );
  }
  if (elements * size < available)
    throw new IdxError(
      name,
      `${available - elements * size} trailing bytes: dimensions [${dims.join(', ')}] of ${type} need ${elements * size} bytes after the header, the file has ${available}`,
    );
  return { type, dims, data: decode(type, view, headerBytes, elements) } as IdxArray;
}

/**
 * The byte length an IDX header declares (header plus elements); null when `head` is too short
 * to hold the whole header; 'invalid' when its magic number or type is wrong (then the parse of
 * `head` alone says why). May be far beyond any real file, even Infinity: it is only a bound.
 */
function declaredLength(head: Uint8Array): number | null | 'invalid' {
  if (head.length < 4) return null;
  const type = TYPE_BY_CODE.get(head[2]!);
  if (head[0] !== 0 || head[1] !== 0 || type === undefined) return 'invalid';
  const headerBytes = 4 + 4 * head[3]!;
  if (head.length < headerBytes) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let elements = 1;
  for (let i = 0; i < head[3]!; i++) elements *= view.getUint32(4 + 4 * i, false);
  return headerBytes + elements * IDX_TYPES[type].bytes;
}

/**
 * Decompress a gzipped IDX file without inflating more than its header declares. A small
 * gzip can inflate a thousandfold (64 KiB of gzip, 64 MiB of zeros), so the header is read
 * first from the inflated start of the stream, and the whole stream is then inflated with
 * that length (+1, to detect trailing bytes) as the output limit.
 */
function gunzipIdx(bytes: Uint8Array, name: string): Uint8Array {
  const fail = (e: unknown): never => {
    throw new IdxError(name, `starts like gzip (1f 8b) but does not decompress: ${(e as Error).message}`);
  };
  // Inflate growing prefixes of the compressed bytes until the header is complete (a gzip
  // header's optional name and comment fields can push it past the first bytes).
  let limit: number | null = null;
  for (let prefix = 256; limit === null && prefix < bytes.length; prefix *= 4) {
    let head: Uint8Array = new Uint8Array(0);
    try {
      head = gunzipSync(bytes.subarray(0, prefix), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      fail(e);
    }
    const declared = declaredLength(head);
    if (declared === 'invalid') return head; // not IDX: its first bytes are enough to say so
    limit = declared;
  }
  const maxOutputLength = Math.min(limit === null ? Infinity : limit + 1, bufferConstants.MAX_LENGTH);
  try {
    return gunzipSync(bytes, { maxOutputLength });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return fail(e);
    throw new IdxError(
      name,
      limit !== null && limit < bufferConstants.MAX_LENGTH
        ? `trailing bytes: decompresses to more than the ${limit} bytes its header declares`
        : `decompresses to more than ${bufferConstants.MAX_LENGTH} bytes, more than this runtime can hold`,
    );
  }
}

function decode(type: IdxType, view: DataView, offset: number, n: number): IdxData {
  switch (type) {
    case 'ubyte':
      return new Uint8Array(view.buffer, view.byteOffset + offset, n);
    case 'byte':
      return new Int8Array(view.buffer, view.byteOffset + offset, n);
    case 'short': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'double': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Read an IDX file, plain or gzipped (detected by its content, not its name). Errors are {@link IdxError}s naming `path`. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(path); // a FIFO or a device is refused before reading: it would block
  } catch (e) {
    if (e instanceof InputFileError) throw new IdxError(path, e.clause);
    throw e;
  }
  return parseIdx(bytes, path);
}

/** Options for {@link encodeIdx} and {@link writeIdx}. */
export interface IdxWriteOptions {
  /** Gzip the result. `writeIdx` defaults to true when the path ends in `.gz`. */
  readonly gzip?: boolean;
}

/**
 * Encode an array as IDX bytes (big-endian). The data must be the typed array of its type
 * (`Uint8Array` for ubyte, …) with exactly the product of `dims` elements.
 */
export function encodeIdx(array: IdxArray, options: IdxWriteOptions = {}): Uint8Array {
  const { type, dims, data } = array;
  const t = IDX_TYPES[type];
  if (t === undefined)
    throw new RangeError(
      `encodeIdx: unknown IDX type '${type}'; use one of ${Object.keys(IDX_TYPES).join(', ')}`,
    );
  if (dims.length < 1 || dims.length > 255)
    throw new RangeError(`encodeIdx: IDX holds 1 to 255 dimensions, got ${dims.length}`);
  let n = 1;
  for (const d of dims) {
    if (!(Number.isInteger(d) && d >= 1 && d <= 0xffffffff))
      throw new RangeError(`encodeIdx: dimension sizes must be integers in [1, 2^32), got ${d}`);
    n *= d;
  }
  const expected = {
    ubyte: Uint8Array,
    byte: Int8Array,
    short: Int16Array,
    int: Int32Array,
    float: Float32Array,
    double: Float64Array,
  }[type];
  if (!(data instanceof expected)) throw new TypeError(`encodeIdx: ${type} data must be a ${expected.name}`);
  if (data.length !== n)
    throw new RangeError(
      `encodeIdx: dimensions [${dims.join(', ')}] hold ${n} elements, data has ${data.length}`,
    );
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + n * t.bytes);
  const view = new DataView(out.buffer);
  out[2] = t.code;
  out[3] = dims.length;
  for (let i = 0; i < dims.length; i++) view.setUint32(4 + 4 * i, dims[i]!, false);
  for (let i = 0; i < n; i++) {
    const o = header + i * t.bytes;
    const v = data[i]!;
    switch (type) {
      case 'ubyte':
        view.setUint8(o, v);
        break;
      case 'byte':
        view.setInt8(o, v);
        break;
      case 'short':
        view.setInt16(o, v, false);
        break;
      case 'int':
        view.setInt32(o, v, false);
        break;
      case 'float':
        view.setFloat32(o, v, false);
        break;
      case 'double':
        view.setFloat64(o, v, false);
        break;
    }
  }
  return options.gzip ? new Uint8Array(gzipSync(out)) : out;
}

/** Write an array as an IDX file; gzipped when `options.gzip` is set or, by default, when `path` ends in `.gz`. */
export function writeIdx(path: string, array: IdxArray, options: IdxWriteOptions = {}): void {
  writeFileSync(path, encodeIdx(array, { gzip: options.gzip ?? path.endsWith('.gz') }));
}
