import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, readRunFile } from '@backprop/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { parseTrainFlags } from '../src/commands/train/index.js';
import { main } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-train-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let log: MockInstance;
let err: MockInstance;
beforeEach(() => {
  log = vi.spyOn(console, 'log').mockImplementation(() => {});
  err = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());
const printed = (spy: MockInstance) => spy.mock.calls.map((c) => c.join(' ')).join('\n');

describe('backprop train: ONNX training options', () => {
  it('parses --onnx-mode, --steps-per-run and --onnx-threads for an ONNX backend', () => {
    expect(parseTrainFlags([]).backendOptions).toEqual({});
    expect(parseTrainFlags(['--backend', 'onnx-cpu']).backendOptions).toEqual({});
    expect(parseTrainFlags(['--backend', 'onnx-cpu', '--onnx-mode', 'naive']).backendOptions).toEqual({
      mode: 'naive',
    });
    expect(
      parseTrainFlags([
        '--backend',
        'onnx-webgpu',
        '--onnx-mode',
        'fast',
        '--steps-per-run',
        '64',
        '--onnx-threads',
        '1',
      ]).backendOptions,
    ).toEqual({ mode: 'fast', stepsPerRun: 64, intraOpThreads: 1 });
  });

  it('rejects them with the reason: wrong backend, unknown mode, bad numbers, steps in naive mode', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--onnx-mode', 'naive'],
        /--onnx-mode applies to the backends that take it \(onnx-cpu, onnx-webgpu, onnx-cuda, ort-web-wasm\), not to reference/,
      ],
      [
        ['--onnx-threads', '2', '--backend', 'reference'],
        /--onnx-threads applies to the backends that take it \(onnx-cpu, onnx-webgpu, onnx-cuda\), not to reference/,
      ],
      [['--backend', 'onnx-cpu', '--onnx-mode', 'slow'], /--onnx-mode must be one of naive, fast/],
      [['--backend', 'onnx-cpu', '--steps-per-run', '0'], /--steps-per-run must be an integer ≥ 1/],
      [['--backend', 'onnx-cpu', '--onnx-threads', '1.5'], /--onnx-threads must be an integer ≥ 1/],
      [['--backend', 'onnx-cpu', '--onnx-mode', 'naive', '--steps-per-run', '8'], /naive mode runs one step/],
    ];
    for (const [argv, message] of cases) {
      err.mockClear();
      expect(await main(['train', ...argv]), argv.join(' ')).toBe(2);
      expect(printed(err)).toMatch(message);
    }
  });

  it('trains on onnx-cpu in naive mode and in fast mode with 4 steps per run, one thread: the same curve', async () => {
    const costs: number[][] = [];
    for (const flags of [
      ['--onnx-mode', 'naive'],
      ['--onnx-mode', 'fast', '--steps-per-run', '4', '--onnx-threads', '1'],
    ]) {
      const out = join(dir, `${flags[1]}.json`);
      const argv = ['train', '--backend', 'onnx-cpu', ...flags, '--epochs', '1', '--train-count', '300'];
      expect(
        await main([...argv, '--validation-count', '0', '--log-every', '1', '--quiet', '--out', out]),
      ).toBe(0);
      expect(printed(log)).toMatch(new RegExp(`backend onnx-cpu \\(float32, cpu\\), ${flags[1]} mode`));
      costs.push(readRunFile(out).curve.steps.map((p) => p.cost));
      expect(readRunFile(out).environment.onnxruntime).toBe('1.29.0');
    }
    expect(costs[0]!.length).toBe(30);
    expect(costs[1]).toEqual(costs[0]); // fast and naive run the same float32 maths, step for step
  });

  it('checkpoints a run with momentum on onnx-cpu in fast mode (its velocity is handed over); it ends as the run without', async () => {
    const argv = [
      'train',
      '--backend',
      'onnx-cpu',
      '--epochs',
      '2',
      '--train-count',
      '300',
      '--validation-count',
      '0',
    ];
    const flags = ['--momentum', '0.5', '--eta', '1', '--log-every', '1', '--quiet'];
    const plain = join(dir, 'momentum-plain.json');
    expect(await main([...argv, ...flags, '--out', plain])).toBe(0);
    const out = join(dir, 'momentum-checkpointed.json');
    expect(await main([...argv, ...flags, '--checkpoint-every', '7', '--out', out])).toBe(0);
    expect(printed(log)).toMatch(/backend onnx-cpu \(float32, cpu\), fast mode, 32 steps per run/);
    const costs = (path: string) => readRunFile(path).curve.steps.map((p) => p.cost);
    expect(costs(out)).toHaveLength(60);
    expect(costs(out)).toEqual(costs(plain));
    const params = (path: string) => JSON.stringify(loadModel(path.replace(/\.json$/, '.model.json')).params);
    expect(params(out)).toBe(params(plain));
  });
});
