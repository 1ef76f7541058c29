import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, DOCUMENT_SPEC, initParams } from '@backprop/core';
import { fillInputs, loadMnist, slice } from '@backprop/data';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, exportOnnx, writeOnnx } from '../src/index.js';
import { relErr } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function argmax(a: ArrayLike<number>, row: number, n: number): { best: number; margin: number } {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[row * n + j]! > a[row * n + best]!) best = j;
  let second = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) if (j !== best) second = Math.max(second, a[row * n + j]!);
  return { best, margin: a[row * n + best]! - second };
}

describe('export to .onnx', () => {
  it('writes a model that a fresh InferenceSession runs to the reference predictions on the MNIST test images', async () => {
    const mnist = loadMnist();
    const spec = DOCUMENT_SPEC;
    const ref = createReferenceBackend(spec, initParams(spec, 1));
    await ref.trainEpoch(slice(mnist.train, 0, 50_000), { batchSize: 10, eta: 3, seed: 2 });
    const params = await ref.getParams();
    const path = join(dir, 'mnist.onnx');
    writeOnnx(path, spec, params);

    const test = mnist.test;
    const rows = Uint32Array.from({ length: test.count }, (_, i) => i);
    const x64 = new Float64Array(test.count * 784);
    fillInputs(test, rows, x64);
    const expected = (await ref.forward(x64, test.count)).activations[3]!;

    // A fresh session with default options, as any ONNX Runtime user would open the file.
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(x64), [test.count, 784]),
    });
    await session.release();
    const output = out.output!.data as Float32Array;
    const labels = out.label!.data as BigInt64Array;
    expect(relErr(output, expected)).toBeLessThan(1e-4);

    let clearDisagreements = 0;
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      const r = argmax(expected, i, 10);
      if (Number(labels[i]) === test.labels[i]) correct++;
      // float32 may only pick a different class where the reference's top two are within float32 noise.
      if (Number(labels[i]) !== r.best && r.margin > 1e-5) clearDisagreements++;
    }
    expect(clearDisagreements).toBe(0);
    expect(correct / test.count).toBeGreaterThan(0.85); // one epoch on 50k images: the model really learned
  }, 60_000);

  it('stores the parameters as initializers and declares opset 17', () => {
    const spec = { sizes: [3, 2], activation: 'sigmoid' as const, cost: 'quadratic' as const };
    const params = { weights: [Float64Array.of(1, 2, 3, 4, 5, 6)], biases: [Float64Array.of(-1, 1)] };
    const m = decodeModel(exportOnnx(spec, params));
    expect(Number(m.opsetImport[0]!.version)).toBe(17);
    expect(m.graph!.input.map((v) => v.name)).toEqual(['input']);
    expect(m.graph!.output.map((v) => v.name)).toEqual(['output', 'label']);
    const W = m.graph!.initializer.find((t) => t.name === 'W1')!;
    expect(Array.from(new Float32Array(Uint8Array.from(W.rawData).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
