import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, loadModel } from '@backprop/core';
import { fillInputs, loadMnist } from '@backprop/data';
import { afterAll, afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { checkExport, defaultOnnxPath, onnxRuntime } from '../src/commands/export.js';
import { main } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-export-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let log: MockInstance;
beforeEach(() => {
  log = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());
const printed = () => log.mock.calls.map((c) => c.join(' ')).join('\n');

// onnxruntime-node as a user has it: the copy @backprop/gpu depends on.
const ort = onnxRuntime();

describe('backprop export', () => {
  it('names the .onnx file after the model file', () => {
    expect(defaultOnnxPath('runs/a/model.json')).toBe(join('runs/a', 'model.onnx'));
    expect(defaultOnnxPath('runs/one.model.json')).toBe(join('runs', 'one.onnx'));
  });

  it('exports a trained model that ONNX Runtime runs to the reference predictions on MNIST test images', async () => {
    const out = join(dir, 'one');
    const small = [
      '--layers',
      '784,16,10',
      '--epochs',
      '1',
      '--train-count',
      '5000',
      '--validation-count',
      '0',
    ];
    expect(await main(['train', ...small, '--quiet', '--out', out])).toBe(0);
    const onnx = join(dir, 'exported.onnx');
    expect(await main(['export', join(out, 'model.json'), '--out', onnx, '--check', '200'])).toBe(0);
    expect(existsSync(onnx)).toBe(true);
    expect(printed()).toMatch(/labels agree on 200\/200.* — ok/);

    // Independently of the command's own check: run the file and compare argmax with the reference.
    const model = loadModel(join(out, 'model.json'));
    const test = loadMnist().test;
    const n = 50;
    const x = new Float64Array(n * 784);
    fillInputs(
      test,
      Uint32Array.from({ length: n }, (_, i) => 100 + i),
      x,
    );
    const expected = (await createReferenceBackend(model.spec, model.params).forward(x, n)).activations[2]!;
    const session = await ort.InferenceSession.create(onnx);
    const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [n, 784]) });
    await session.release();
    const labels = result.label!.data as BigInt64Array;
    const output = result.output!.data as Float32Array;
    let agree = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (expected[i * 10 + j]! > expected[i * 10 + best]!) best = j;
      if (Number(labels[i]) === best) agree++;
      for (let j = 0; j < 10; j++)
        expect(Math.abs(output[i * 10 + j]! - expected[i * 10 + j]!)).toBeLessThan(1e-5);
    }
    expect(agree).toBe(n);
  }, 60_000);

  it('fails its check when the .onnx file does not match the model (the check can fail)', async () => {
    const out = join(dir, 'one');
    const model = loadModel(join(out, 'model.json'));
    // Export a different model's parameters to the file, then check it against the first model.
    const other = {
      ...model,
      params: { ...model.params, biases: model.params.biases.map((b) => b.map((v) => v + 1)) },
    };
    const { writeOnnx } = await import('@backprop/gpu');
    const onnx = join(dir, 'other.onnx');
    writeOnnx(onnx, other.spec, other.params);
    const c = await checkExport(onnx, model, 100);
    expect(c.relativeDifference).toBeGreaterThan(1e-4);
  }, 60_000);
});
