import { readFileSync } from 'node:fs';

/**
 * The one reader of this project's JSON files (model, run and checkpoint files): read the file,
 * parse it, check its `format` tag and `version`, then walk its fields with {@link JsonFields},
 * whose every message names the file and the field: `run.json: config.eta should be a number > 0,
 * got -1`.
 */

/** A JSON object as parsed: its fields not yet checked. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A kind of JSON file: its `format` tag, the versions this build reads, and how errors name it. */
export interface JsonFormat {
  /** The `format` field every such file carries, e.g. "backprop-model". */
  readonly format: string;
  /** The `version` values this build reads, oldest first. */
  readonly versions: readonly number[];
  /** What a person calls it, e.g. "model file". */
  readonly what: string;
  /** The command that writes it, for the hint when a file is not one, e.g. "'backprop train'". */
  readonly writtenBy: string;
  /** The error thrown for a file that cannot be used (its message names the file and the field). */
  readonly error: new (
    message: string,
  ) => Error;
}

/** A file's top level after {@link openJson}: its fields, its version and the walker that names them. */
export interface OpenedJson {
  readonly root: JsonObject;
  readonly version: number;
  readonly fields: JsonFields;
}

/** A test that a number passes, and how a message says what was expected ("an integer ≥ 0"). */
export interface NumberRule {
  /** Whether `n` passes. */
  readonly test: (n: number) => boolean;
  /** What was expected, as the message says it ("a positive integer"). */
  readonly expected: string;
}

/** The number rules the files use. */
export const is = Object.freeze({
  finite: { test: Number.isFinite, expected: 'a finite number' } as NumberRule,
  /** A safe integer ≥ `min` ("a positive integer" for 1), or any safe integer. */
  integer(min?: number): NumberRule {
    return {
      test: (n) => Number.isSafeInteger(n) && (min === undefined || n >= min),
      expected: min === undefined ? 'an integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`,
    };
  },
  positive: { test: (n) => n > 0 && Number.isFinite(n), expected: 'a number > 0' } as NumberRule,
  nonNegative: { test: (n) => n >= 0 && Number.isFinite(n), expected: 'a number ≥ 0' } as NumberRule,
  seconds: { test: (n) => n >= 0 && Number.isFinite(n), expected: 'seconds ≥ 0' } as NumberRule,
  unit: { test: (n) => n >= 0 && n <= 1, expected: 'a number in [0, 1]' } as NumberRule,
  /** [0, 1): a momentum. */
  belowOne: { test: (n) => n >= 0 && n < 1, expected: 'a number in [0, 1)' } as NumberRule,
});

/** A value as a message quotes it: JSON, cut at 60 characters; "missing" for undefined; NaN and ±Infinity as such. */
function describeJson(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Walks the fields of one parsed file. Every check names `source` (the file) and the field, and
 * throws the file kind's error: `source: field should be EXPECTED, got VALUE`.
 */
export class JsonFields {
  constructor(
    /** The file (its path), as messages name it. */
    readonly source: string,
    private readonly error: new (message: string) => Error,
  ) {}

  /** Throw `source: message`. */
  problem(message: string): never {
    throw new this.error(`${this.source}: ${message}`);
  }

  /** A value as messages quote it: JSON cut at 60 characters, "missing" for undefined, NaN and ±Infinity as such. */
  static describe(v: unknown): string {
    return describeJson(v);
  }

  /** Throw `source: field should be expected, got …` (`got` quoted by {@link JsonFields.describe} unless given as text). */
  fail(field: string, expected: string, got: unknown, gotText = describeJson(got)): never {
    return this.problem(`${field} should be ${expected}, got ${gotText}`);
  }

  /** `value` as an object (not an array, not null). */
  object(value: unknown, field: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return this.fail(field, 'an object', value);
    return value as JsonObject;
  }

  /** `value` as an array. */
  array(value: unknown, field: string): readonly unknown[] {
    if (!Array.isArray(value)) return this.fail(field, 'an array', value);
    return value;
  }

  /** `value` as an array of objects, each checked (`field[i]`). */
  objects(value: unknown, field: string): JsonObject[] {
    return this.array(value, field).map((v, i) => this.object(v, `${field}[${i}]`));
  }

  /** `o[key]` as a number passing `rule` (default: finite). */
  number(o: JsonObject, key: string, field: string, rule: NumberRule = is.finite): number {
    const v = o[key];
    if (typeof v !== 'number' || !rule.test(v)) return this.fail(at(field, key), rule.expected, v);
    return v;
  }

  /** `o[key]` as a finite number, or NaN where JSON holds null (JSON.stringify writes NaN and ±Infinity as null). */
  numberOrNull(o: JsonObject, key: string, field: string): number {
    return o[key] === null ? Number.NaN : this.number(o, key, field);
  }

  /** `o[key]` as a string. */
  string(o: JsonObject, key: string, field: string): string {
    const v = o[key];
    if (typeof v !== 'string') return this.fail(at(field, key), 'a string', v);
    return v;
  }

  /** `o[key]` as a string or null. */
  stringOrNull(o: JsonObject, key: string, field: string): string | null {
    const v = o[key];
    if (!(typeof v === 'string' || v === null)) return this.fail(at(field, key), 'a string or null', v);
    return v;
  }

  /** `o[key]` as one of `choices`. */
  oneOf<T extends string>(o: JsonObject, key: string, field: string, choices: readonly T[]): T {
    const v = o[key];
    if (!(choices as readonly unknown[]).includes(v))
      return this.fail(at(field, key), `one of ${choices.join(', ')}`, v);
    return v as T;
  }

  /** A JSON array of exactly `length` finite numbers, as float64. */
  floats(value: unknown, field: string, length: number): Float64Array {
    if (!Array.isArray(value)) return this.fail(field, `an array of ${length} numbers`, value);
    if (value.length !== length) this.fail(field, `${length} numbers`, value, `${value.length}`);
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      const x = value[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(`${field}[${i}]`, 'a finite number', x);
      out[i] = x as number;
    }
    return out;
  }

  /** A string holding exactly `length` finite float64 values, base64 of their little-endian bytes ({@link encodeFloats}). */
  base64Floats(value: unknown, field: string, length: number): Float64Array {
    const expected = `base64 of ${length} little-endian float64 values`;
    if (typeof value !== 'string') return this.fail(field, expected, value);
    const bytes = Buffer.from(value, 'base64');
    // Buffer skips what is not base64; canonical text is exactly what its bytes encode to.
    if (bytes.toString('base64') !== value)
      return this.fail(field, expected, value, 'a string that is not base64');
    if (bytes.length % 8 !== 0) return this.fail(field, expected, value, `${bytes.length} bytes`);
    if (bytes.length / 8 !== length)
      return this.fail(field, `${length} float64 values`, value, `${bytes.length / 8}`);
    const out = floatsOf(bytes);
    const bad = firstNonFinite(out);
    if (bad >= 0) this.fail(`${field}[${bad}]`, 'a finite number', out[bad]);
    return out;
  }
}

/** `field.key`, or `key` at the top level. */
function at(field: string, key: string): string {
  return field ? `${field}.${key}` : key;
}

/** The index of the first value that is NaN or ±Infinity, or −1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/**
 * Read `path` and parse it as JSON. A file that cannot be read, or is not JSON, throws the
 * format's error naming the file (and, for text that is not JSON, what it should have been).
 */
export function readJson(path: string, format: JsonFormat): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new format.error(`cannot read ${format.what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new format.error(
      `${path} is not JSON (${(e as Error).message}); is it a ${format.what} written by ${format.writtenBy}?`,
    );
  }
}

/**
 * Check the top level of a parsed file: an object whose `format` is the format's tag and whose
 * `version` is one this build reads. Returns its fields and a {@link JsonFields} naming `source`.
 */
export function openJson(json: unknown, source: string, format: JsonFormat): OpenedJson {
  const fields = new JsonFields(source, format.error);
  const root = fields.object(json, '(top level)');
  if (root.format !== format.format)
    fields.fail(
      'format',
      `"${format.format}" (is this a ${format.what} written by ${format.writtenBy}?)`,
      root.format,
    );
  const { versions } = format;
  if (!versions.includes(root.version as number))
    fields.fail(
      'version',
      versions.length === 1
        ? `${versions[0]} (the version this build reads)`
        : `${versions.slice(0, -1).join(', ')} or ${versions.at(-1)} (the versions this build reads)`,
      root.version,
    );
  return { root, version: root.version as number, fields };
}

const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/** float64 values as base64 of their little-endian bytes: exact, and about half the size of their JSON numbers. */
export function encodeFloats(values: Float64Array): string {
  if (LITTLE_ENDIAN)
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i]!, i * 8);
  return bytes.toString('base64');
}

/** The float64 values of {@link encodeFloats}' text, or null when its bytes are not a whole number of them. */
export function decodeFloats(text: string): Float64Array | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length % 8 === 0 ? floatsOf(bytes) : null;
}

/** Little-endian float64 bytes (a multiple of 8) as values. */
function floatsOf(bytes: Buffer): Float64Array {
  const out = new Float64Array(bytes.length / 8);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}
