import { DOCUMENT_SPEC, type NetworkSpec } from '@backprop/core';
import { describe, expect, it } from 'vitest';
import {
  debugGraph,
  decodeModel,
  forwardGraph,
  GraphBuilder,
  OPSET,
  stepGraph,
  stepsGraph,
} from '../src/index.js';

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
    expect(ops(g.encode()).map((n) => n.op)).toEqual(['Sigmoid', 'Identity']);
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

  it('train graphs use plain ops only: no training operators and no shape arithmetic (GPU sessions forbid CPU fallback)', () => {
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
      'Identity',
      'Gather',
      'Concat',
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
        stepGraph(s, { momentum: true, weightDecay: true }),
        stepsGraph(s, { momentum: false, weightDecay: false }, 3),
      ])
        for (const n of ops(g.encode()))
          expect(allowed.has(n.op), `${n.op} (${n.name}) in ${g.name}`).toBe(true);
  });

  it('unrolls k steps, each gathering its own row of the order', () => {
    const nodes = ops(stepsGraph(spec, { momentum: false, weightDecay: false }, 4).encode());
    expect(nodes.filter((n) => n.name.startsWith('sgd.epoch/batch')).length).toBe(4);
    expect(nodes.filter((n) => n.op === 'Sigmoid').length).toBe(4 * 3);
  });
});
