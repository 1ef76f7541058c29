import { endianness } from 'node:os';
import type { Params } from '@backprop/core';

/**
 * A float array on the wire: its shape and the base64 of its values as little-endian float64, so
 * every value crosses exactly, NaN, ±Infinity and −0 included. Row-major: the last index varies fastest.
 */
export interface WireArray {
  readonly dtype: 'float64';
  readonly shape: readonly number[];
  readonly data: string;
}

/** A number on the wire: JSON's number, or one of the three values JSON cannot write, spelled out. */
export type WireScalar = number | 'NaN' | 'Infinity' | '-Infinity';

/** Weights and biases on the wire: `weights[l-1]` has shape [n_l, n_{l-1}], `biases[l-1]` [n_l]. */
export interface WireParams {
  readonly weights: readonly WireArray[];
  readonly biases: readonly WireArray[];
}

/** A message or value that breaks the protocol (the engine is then stopped). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

const LITTLE = endianness() === 'LE';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Swap the bytes of each 8-byte word in place (for a big-endian host). */
function swap8(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 8)
    for (let j = 0; j < 4; j++) {
      const t = bytes[i + j]!;
      bytes[i + j] = bytes[i + 7 - j]!;
      bytes[i + 7 - j] = t;
    }
}

/** `values` (exactly `shape`'s product of them) as a {@link WireArray}. */
export function encodeArray(values: Float64Array, shape: readonly number[]): WireArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n)
    throw new RangeError(`encodeArray: ${values.length} values do not fill shape [${shape.join(', ')}]`);
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let buf = Buffer.from(bytes);
  if (!LITTLE) {
    buf = Buffer.from(buf); // a copy to swap
    swap8(buf);
  }
  return { dtype: 'float64', shape: [...shape], data: buf.toString('base64') };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The values of a {@link WireArray}, checked: its form, that the data fills the shape, and, when
 * `shape` is given, that it is that shape. `what` names the value in the error.
 */
export function decodeArray(value: unknown, what: string, shape?: readonly number[]): Float64Array {
  if (!isRecord(value)) throw new ProtocolError(`${what} is not an array object {dtype, shape, data}`);
  if (value.dtype !== 'float64')
    throw new ProtocolError(
      `${what} has dtype ${JSON.stringify(value.dtype)}; the protocol carries "float64"`,
    );
  const s = value.shape;
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0))
    throw new ProtocolError(`${what} has shape ${JSON.stringify(s)}, not a list of non-negative integers`);
  if (shape && (s.length !== shape.length || s.some((d, i) => d !== shape[i])))
    throw new ProtocolError(`${what} has shape [${s.join(', ')}], expected [${shape.join(', ')}]`);
  const data = value.data;
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data))
    throw new ProtocolError(`${what}.data is not base64`);
  const n = (s as number[]).reduce((a, b) => a * b, 1);
  const buf = Buffer.from(data, 'base64');
  if (buf.length !== 8 * n)
    throw new ProtocolError(
      `${what}.data holds ${buf.length} bytes; shape [${s.join(', ')}] needs ${8 * n} (float64, little-endian)`,
    );
  const out = new Float64Array(n);
  const bytes = new Uint8Array(out.buffer);
  bytes.set(buf);
  if (!LITTLE) swap8(bytes);
  return out;
}

/** A number for the wire: NaN and ±Infinity as strings, everything else as itself. */
export function encodeScalar(x: number): WireScalar {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  return x;
}

/** A {@link WireScalar} back to a number; anything else is a {@link ProtocolError} naming `what`. */
export function decodeScalar(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new ProtocolError(
    `${what} is ${JSON.stringify(value)}, not a number (or "NaN", "Infinity", "-Infinity")`,
  );
}

/** Parameters for the wire, shaped by the layer sizes. */
export function encodeParams(sizes: readonly number[], p: Params): WireParams {
  return {
    weights: p.weights.map((w, i) => encodeArray(w, [sizes[i + 1]!, sizes[i]!])),
    biases: p.biases.map((b, i) => encodeArray(b, [sizes[i + 1]!])),
  };
}

/** Parameters (or gradients) from the wire, each checked against the layer sizes. */
export function decodeParams(value: unknown, what: string, sizes: readonly number[]): Params {
  if (!isRecord(value)) throw new ProtocolError(`${what} is not an object {weights, biases}`);
  const L = sizes.length - 1;
  const list = (key: 'weights' | 'biases') => {
    const v = value[key];
    if (!Array.isArray(v) || v.length !== L)
      throw new ProtocolError(
        `${what}.${key} ${Array.isArray(v) ? `has ${v.length} entries` : 'is not a list'}; the network has ${L} layers`,
      );
    return v;
  };
  const weights = list('weights').map((w, i) =>
    decodeArray(w, `${what}.weights[${i}] (W${i + 1})`, [sizes[i + 1]!, sizes[i]!]),
  );
  const biases = list('biases').map((b, i) =>
    decodeArray(b, `${what}.biases[${i}] (b${i + 1})`, [sizes[i + 1]!]),
  );
  return { weights, biases };
}
