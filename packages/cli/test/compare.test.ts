import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_FORMAT, RUN_VERSION, type RunFile, writeRunFile } from '@backprop/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/command.js';
import { command, configDifferences, formatTable, labelRuns, summarise } from '../src/commands/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run file with made-up but consistent curves: cost(step) = 1/step + shift, accuracy(epoch) = 0.8 + 0.05 epoch + accShift. */
function runFile(
  backend: string,
  device: string,
  shift: number,
  accShift: number,
  secondsPerEpoch: number,
  seed = 1,
): RunFile {
  const steps = Array.from({ length: 30 }, (_, i) => ({
    step: (i + 1) * 10,
    epoch: Math.floor(i / 10) + 1,
    cost: 1 / (i + 1) + shift,
    seconds: ((i + 1) * secondsPerEpoch) / 10,
  }));
  const epochs = [1, 2, 3].map((e) => ({
    epoch: e,
    step: e * 100,
    seconds: e * secondsPerEpoch + 0.1,
    epochSeconds: secondsPerEpoch,
    trainCost: 0.1,
    validation: { accuracy: 0.8 + 0.05 * e + accShift, cost: 0.1 },
    test: { accuracy: 0.79 + 0.05 * e + accShift, cost: 0.1 },
  }));
  const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
  confusion[0]![0] = 10;
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    name: `${backend} run`,
    status: 'completed',
    error: null,
    config: {
      spec: { sizes: [784, 16, 16, 10], activation: 'sigmoid', cost: 'quadratic' },
      init: 'normal',
      parameterCount: 13002,
      epochs: 3,
      batchSize: 10,
      eta: 3,
      momentum: 0,
      weightDecay: 0,
      seed,
      lastBatch: 'keep',
      logEvery: 10,
      data: {
        source: 'test',
        dir: null,
        trainCount: 1000,
        validationCount: 100,
        testCount: 10,
        inputSize: 784,
        classes: 10,
      },
    },
    backend: { name: backend, dtype: backend === 'reference' ? 'float64' : 'float32', device },
    environment: {
      node: process.version,
      platform: 'linux',
      arch: 'x64',
      cpu: 'test',
      cpuCount: 1,
      onnxruntime: null,
      time: new Date(0).toISOString(),
    },
    curve: { steps, epochs },
    final: {
      test: { count: 10, accuracy: epochs[2]!.test.accuracy, cost: 0.1, confusion },
      totalSeconds: 3 * secondsPerEpoch,
      trainSeconds: 3 * secondsPerEpoch,
    },
    modelFile: null,
  };
}

function write(name: string, run: RunFile): string {
  const p = join(dir, name);
  writeRunFile(p, run);
  return p;
}

describe('backprop compare', () => {
  const a = write('reference.json', runFile('reference', 'js', 0, 0, 2));
  const b = write('onnx-cpu.json', runFile('onnx-cpu', 'cpu', 3e-6, 0.0001, 1));
  const c = write('onnx-webgpu.json', runFile('onnx-webgpu', 'webgpu', -2e-5, -0.0002, 15));

  it('measures each curve’s largest divergence from the first run, the final accuracy and seconds per epoch', () => {
    const runs = labelRuns(
      [a, b, c],
      [a, b, c].map((p) => JSON.parse(readFileSync(p, 'utf8')) as RunFile),
    );
    const rows = summarise(runs);
    expect(rows.map((r) => r.label)).toEqual(['reference', 'onnx-cpu', 'onnx-webgpu']);
    expect(rows[0]!.maxCostDivergence).toBe(0);
    expect(rows[1]!.maxCostDivergence).toBeCloseTo(3e-6, 12);
    expect(rows[2]!.maxCostDivergence).toBeCloseTo(2e-5, 12);
    expect(rows[1]!.maxAccuracyDivergence).toBeCloseTo(1e-4, 12); // validation accuracy is used when every run has it
    expect(rows[2]!.maxAccuracyDivergence).toBeCloseTo(2e-4, 12);
    expect(rows[1]!.stepsCompared).toBe(30);
    expect(rows[2]!.epochsCompared).toBe(3);
    expect(rows[2]!.secondsPerEpoch).toBe(15);
    expect(rows[1]!.finalAccuracy).toBeCloseTo(0.94 + 0.0001, 12);
    const table = formatTable(rows);
    expect(table).toMatch(
      /onnx-webgpu\s+webgpu\s+float32\s+93\.98%\s+15\.00\s+2\.00e-5 \(30 steps\)\s+0\.0002 \(3 epochs\)/,
    );
  });

  it('labels runs of the same backend by file and names settings that differ', () => {
    const r1 = runFile('onnx-cpu', 'cpu', 0, 0, 1);
    const r2 = runFile('onnx-cpu', 'cpu', 0, 0, 1, 2);
    const runs = labelRuns(['x/one.json', 'y/two.json'], [r1, r2]);
    expect(runs.map((r) => r.label)).toEqual(['onnx-cpu (one)', 'onnx-cpu (two)']);
    expect(configDifferences(runs)).toEqual(['seed']);
  });

  it('prints the table and writes SVG, PNG and a self-contained HTML page', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const svg = join(dir, 'c.svg');
    const png = join(dir, 'c.png');
    const html = join(dir, 'c.html');
    try {
      expect(await command.run([a, b, c, '--out', svg, '--out', png, '--out', html])).toBe(0);
      expect(log.mock.calls.map((x) => x.join(' ')).join('\n')).toMatch(/onnx-cpu\s+cpu/);
    } finally {
      log.mockRestore();
    }
    const s = readFileSync(svg, 'utf8');
    expect(s.startsWith('<svg')).toBe(true);
    expect(s).toContain('role-legend');
    for (const label of [
      'reference',
      'onnx-cpu',
      'onnx-webgpu',
      'SGD step',
      'wall time (s, log scale)',
      'validation accuracy',
    ])
      expect(s).toContain(label);
    const p = readFileSync(png);
    expect(p.subarray(1, 4).toString()).toBe('PNG');
    expect(p.readUInt32BE(16)).toBeGreaterThan(800); // width in the IHDR chunk: two panels side by side, at 2×
    const h = readFileSync(html, 'utf8');
    expect(h).toContain('<svg');
    expect(h).toContain('<table>');
    expect(h).not.toMatch(/<script|<link|src="http/); // nothing fetched: opens offline
  }, 60_000);

  it('refuses an unknown output format and reports a bad run file by name', async () => {
    await expect(command.run([a, '--out', join(dir, 'x.pdf')])).rejects.toThrow(UsageError);
    await expect(command.run([])).rejects.toThrow(UsageError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'something-else' }));
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await command.run([a, bad])).toBe(1);
      expect(err.mock.calls[0]!.join(' ')).toContain('bad.json');
    } finally {
      err.mockRestore();
    }
  });
});
