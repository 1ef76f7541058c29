import { DOCUMENT_SPEC, type NetworkSpec } from '@backprop/core';
import { describe, expect, it } from 'vitest';
import {
  debugGraph,
  decodeModel,
  forwardGraph,
  GraphBuilder,
  OPSET,
  readbackGraph,
  stepGraph,
  stepsGraph,
  uploadGraph,
} from '../src/index.js';
import { CONCAT_FAN_IN } from '../src/onnx/graphs.js';

const ops = (bytes: Uint8Array) =>
  decodeModel(bytes).graph!.node.map((n) => ({ op: n.opType!, name: n.name! }));

describe('GraphBuilder', () => {
  it('encodes a model with opset 17 that decodes to the same nodes, inputs and outputs', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['batch', 3]);
    g.output('y', g.op('Sigmoid', [x], 'fwd.act/a1'), 'float32', ['batch', 3]);
    const m = decodeModel(g.encode());
    expect(Number(m.opsetImport[0]!.version)).toBe(OPSET);
    expect(OPSET).toBeGreaterThanOrEqual(17);
    expect(m.graph!.input.map((v) => v.name)).toEqual(['x']);
    expect(m.graph!.output.map((v) => v.name)).toEqual(['y']);
    expect(
      m.graph!.input[0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)),
    ).toEqual(['batch', 3]);
    expect(ops(g.encode()).map((n) => n.op)).toEqual(['Sigmoid']);
  });

  it('names a computed value as the graph output itself, and copies inputs and repeated outputs with Reshape', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['batch', 3]);
    const a = g.op('Sigmoid', [x], 'fwd.act/a1');
    g.output('a', a, 'float32', ['batch', 3]);
    // A node added later that reads the renamed value reads the output.
    g.output('b', g.op('Relu', [a], 'relu'), 'float32', ['batch', 3]);
    g.output('a_again', a, 'float32', ['batch', 3]);
    g.output('x_out', x, 'float32', ['batch', 3]);
    const m = decodeModel(g.encode());
    const nodes = m.graph!.node.map((n) => ({ op: n.opType, input: n.input, output: n.output }));
    expect(nodes.map((n) => n.op)).toEqual(['Sigmoid', 'Relu', 'Reshape', 'Reshape']);
    expect(nodes[0]!.output).toEqual(['a']);
    expect(nodes[1]!.input).toEqual(['a']);
    expect(nodes[2]!.input[0]).toBe('a');
    expect(nodes[3]!.input[0]).toBe('x');
    // The shape is all zeros: every dimension kept, the batch included.
    const shape = m.graph!.initializer.find((t) => t.name === nodes[2]!.input[1])!;
    expect(Array.from(new BigInt64Array(Uint8Array.from(shape.rawData).buffer))).toEqual([0n, 0n]);
    expect(m.graph!.output.map((v) => v.name)).toEqual(['a', 'b', 'a_again', 'x_out']);
    expect(() => g.output('b', x, 'float32', ['batch', 3])).toThrow(/already used/);
  });

  it('refuses an input declared twice and keeps node names unique', () => {
    const g = new GraphBuilder('t');
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/declared twice/);
    g.op('Relu', ['x'], 'same');
    g.op('Relu', ['x'], 'same');
    const names = g.nodeList.map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('stores constants once per value and as raw float32 / int64 data', () => {
    const g = new GraphBuilder('t');
    expect(g.scalar(0.5)).toBe(g.scalar(0.5));
    expect(g.scalar(0.5)).not.toBe(g.scalar(2));
    const m = decodeModel(g.encode());
    const c = m.graph!.initializer.find((t) => t.name === g.scalar(0.5))!;
    expect(new Float32Array(Uint8Array.from(c.rawData).buffer)[0]).toBe(0.5);
  });
});

describe('network graphs', () => {
  const spec = DOCUMENT_SPEC;
  it('name nodes after the clauses they implement', () => {
    const names = ops(stepGraph(spec, { momentum: false, weightDecay: false }).encode()).map((n) => n.name);
    for (const clause of [
      'fwd.affine',
      'fwd.act',
      'act.sigmoid',
      'cost.quadratic',
      'cost.mean',
      'bp1',
      'bp2',
      'bp3',
      'bp4',
      'grad.mean',
      'sgd.step',
    ])
      expect(
        names.some((n) => n.startsWith(`${clause}/`) || n.includes(`/${clause}/`)),
        clause,
      ).toBe(true);
  });

  it('debug graph reports every z, a, δ, gradient and the cost', () => {
    const out = decodeModel(debugGraph(spec).encode()).graph!.output.map((v) => v.name);
    for (let l = 1; l <= 3; l++)
      for (const q of ['z', 'a', 'delta', 'gW', 'gb']) expect(out).toContain(`${q}${l}`);
    expect(out).toContain('cost');
  });

  it('train graphs use plain ops only: no training operators, no shape arithmetic, no Identity (GPU sessions forbid CPU fallback; WebGPU in a browser has no Identity kernel)', () => {
    const allowed = new Set([
      'Gemm',
      'MatMul',
      'Add',
      'Sub',
      'Mul',
      'Sigmoid',
      'Relu',
      'Softmax',
      'ReduceSum',
      'ReduceMax',
      'Exp',
      'Log',
      'Greater',
      'Where',
      'Gather',
      'Concat',
      'Reshape', // an output that is a graph input or repeats another (identity activation: a = z)
    ]);
    const specs: NetworkSpec[] = [
      spec,
      { sizes: [4, 3, 2], activation: 'relu', cost: 'cross-entropy' },
      { sizes: [2, 2], activation: 'identity', cost: 'squared-error' },
    ];
    for (const s of specs)
      for (const g of [
        forwardGraph(s),
        debugGraph(s),
        readbackGraph(s, true),
        uploadGraph(s.sizes[0]!),
        stepGraph(s, { momentum: true, weightDecay: true }),
        stepsGraph(s, { momentum: false, weightDecay: false }, 3),
      ])
        for (const n of ops(g.encode()))
          expect(allowed.has(n.op), `${n.op} (${n.name}) in ${g.name}`).toBe(true);
  });

  it("stacks the k steps' costs with Concats of at most 7 inputs (WebGPU binds 8 storage buffers per shader)", () => {
    for (const k of [1, 7, 8, 32, 50]) {
      const m = decodeModel(stepsGraph(spec, { momentum: false, weightDecay: false }, k).encode());
      const concats = m.graph!.node.filter((n) => n.opType === 'Concat');
      for (const c of concats) expect(c.input.length).toBeLessThanOrEqual(CONCAT_FAN_IN);
      expect(CONCAT_FAN_IN).toBe(7);
      // Every step's cost reaches `costs` exactly once: the tree's leaves are the k costs, in order.
      const producer = new Map(m.graph!.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
      const leaves = (v: string): string[] => {
        const n = producer.get(v)!;
        return n.opType === 'Concat' ? n.input.flatMap(leaves) : [n.name!];
      };
      expect(leaves('costs')).toEqual(Array.from({ length: k }, (_, i) => `cost.mean/C@${i}`));
    }
  });

  it('unrolls k steps, each gathering its own row of the order', () => {
    const nodes = ops(stepsGraph(spec, { momentum: false, weightDecay: false }, 4).encode());
    expect(nodes.filter((n) => n.name.startsWith('sgd.epoch/batch')).length).toBe(4);
    expect(nodes.filter((n) => n.op === 'Sigmoid').length).toBe(4 * 3);
  });
});
