import { describe, expect, test } from 'vitest';
import {
  decodeArray,
  decodeParams,
  decodeScalar,
  encodeArray,
  encodeParams,
  encodeScalar,
  ProtocolError,
  parseCommand,
} from '../src/index.js';

const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));

describe('float arrays cross exactly', () => {
  test('every bit pattern, NaN, ±Infinity, −0 and subnormals included', () => {
    const v = Float64Array.of(
      0,
      -0,
      1,
      -1.5,
      Math.PI,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
      Number.MAX_VALUE,
      0.1 + 0.2,
    );
    const w = encodeArray(v, [v.length]);
    expect(w).toMatchObject({ dtype: 'float64', shape: [11] });
    expect(bits(decodeArray(JSON.parse(JSON.stringify(w)), 'v', [11]))).toEqual(bits(v));
  });

  test('little-endian on the wire: 1.0 is 00 00 00 00 00 00 f0 3f', () => {
    expect(Buffer.from(encodeArray(Float64Array.of(1), [1]).data, 'base64')).toEqual(
      Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]),
    );
  });

  test('a view into a larger buffer encodes only its own values', () => {
    const big = Float64Array.of(9, 1, 2, 9);
    expect(Array.from(decodeArray(encodeArray(big.subarray(1, 3), [1, 2]), 'v'))).toEqual([1, 2]);
  });

  test('every malformed array is refused, naming it', () => {
    const good = encodeArray(Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(() => decodeArray(good, 'z1', [3, 2])).toThrow('z1 has shape [2, 3], expected [3, 2]');
    expect(() => decodeArray({ ...good, shape: [2, 2] }, 'z1')).toThrow(
      'z1.data holds 48 bytes; shape [2, 2] needs 32',
    );
    expect(() => decodeArray({ ...good, data: `${good.data.slice(0, -4)}!!!!` }, 'z1')).toThrow(
      'z1.data is not base64',
    );
    expect(() => decodeArray({ ...good, dtype: 'float32' }, 'z1')).toThrow('z1 has dtype "float32"');
    expect(() => decodeArray({ ...good, shape: [2, -3] }, 'z1')).toThrow(
      'not a list of non-negative integers',
    );
    expect(() => decodeArray([1, 2, 3], 'z1')).toThrow(ProtocolError);
    expect(() => encodeArray(Float64Array.of(1, 2), [3])).toThrow('2 values do not fill shape [3]');
  });

  test('parameters are shaped by the layer sizes', () => {
    const p = { weights: [Float64Array.of(1, 2, 3, 4, 5, 6)], biases: [Float64Array.of(7, 8)] };
    const w = encodeParams([3, 2], p);
    expect(w.weights[0]!.shape).toEqual([2, 3]);
    expect(decodeParams(w, 'params', [3, 2])).toEqual(p);
    expect(() => decodeParams(w, 'params', [2, 3])).toThrow(
      'params.weights[0] (W1) has shape [2, 3], expected [3, 2]',
    );
    expect(() => decodeParams(w, 'params', [3, 2, 1])).toThrow(
      'params.weights has 1 entries; the network has 2 layers',
    );
  });
});

describe('scalars', () => {
  test('NaN and ±Infinity are spelled out; the rest are JSON numbers', () => {
    for (const x of [0, -2.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(decodeScalar(JSON.parse(JSON.stringify(encodeScalar(x))), 'c')).toBe(x);
    expect(encodeScalar(Number.NaN)).toBe('NaN');
    expect(() => decodeScalar(null, 'cost')).toThrow('cost is null, not a number');
    expect(() => decodeScalar('nan', 'cost')).toThrow(ProtocolError);
  });
});

describe('command lines', () => {
  test('split into words as a shell would for plain words and quotes', () => {
    expect(parseCommand('python3 my_net.py --bug bp2')).toEqual(['python3', 'my_net.py', '--bug', 'bp2']);
    expect(parseCommand(`  "/opt/my python/bin/python3" 'a b' c\\ d "x\\"y"  `)).toEqual([
      '/opt/my python/bin/python3',
      'a b',
      'c d',
      'x"y',
    ]);
    expect(parseCommand("node -e ''")).toEqual(['node', '-e', '']);
    expect(() => parseCommand('python3 "unclosed')).toThrow('unclosed "');
    expect(() => parseCommand('   ')).toThrow('the engine command is empty');
  });
});
