import { getBackend, listBackends } from '@backprop/core';
import { describe, expect, it } from 'vitest';
import {
  bindingDir,
  createSession,
  cudaLibrariesMissing,
  GraphBuilder,
  OnnxBackend,
  onnxCudaEntry,
  onnxWebgpuEntry,
  ortNode,
  probeProvider,
  probeRuntime,
  registerOnnxBackends,
} from '../src/index.js';
import { usable } from './helpers.js';

describe('registry entries', () => {
  it('registerOnnxBackends registers onnx-cpu, onnx-webgpu, onnx-cuda once, however often it is called', () => {
    registerOnnxBackends();
    registerOnnxBackends();
    const names = listBackends().map((e) => e.name);
    for (const n of ['onnx-cpu', 'onnx-webgpu', 'onnx-cuda'])
      expect(names.filter((x) => x === n)).toHaveLength(1);
    expect(getBackend('onnx-webgpu').dtype).toBe('float32');
  });

  it('the CPU provider is available and says so, with the runtime and its version', async () => {
    expect(await probeProvider('cpu')).toEqual({
      available: true,
      device: 'cpu',
      version: 'onnxruntime-node 1.29.0',
    });
  });

  it('an OnnxBackend on a provider its runtime lacks is refused before any work, naming what the runtime has', async () => {
    await expect(
      OnnxBackend.create(
        ortNode,
        'x',
        'wasm',
        { sizes: [1, 1], activation: 'sigmoid', cost: 'quadratic' },
        {
          weights: [Float64Array.of(0)],
          biases: [Float64Array.of(0)],
        },
      ),
    ).rejects.toThrow('x: onnxruntime-node 1.29.0 has no wasm execution provider (it has cpu, webgpu, cuda)');
    expect(await probeRuntime(ortNode, 'wasm', 'use ort-web-wasm')).toEqual({
      available: false,
      reason:
        'onnxruntime-node 1.29.0 has no wasm execution provider (it has cpu, webgpu, cuda); use ort-web-wasm',
    });
  });

  it('onnx-cuda is decided by the provider library and a real session, and an unavailable one says why and how in one line', async () => {
    const a = await onnxCudaEntry.probe();
    if (cudaLibrariesMissing()) {
      expect(a.available).toBe(false);
      if (a.available) return;
      expect(a.reason).not.toContain('\n');
      expect(a.reason).toContain('libonnxruntime_providers_cuda.so');
      expect(a.reason).toContain(bindingDir());
      expect(a.reason).toMatch(/CUDA 13.*cuDNN 9/);
    } else if (!a.available) {
      expect(a.reason).not.toContain('\n');
      expect(a.reason).toMatch(/cuda/i);
    } else expect(a.device).toBe('cuda');
  });
});

const webgpu = await usable(onnxWebgpuEntry);
describe.skipIf(!webgpu.run)(
  `no silent CPU fallback on WebGPU${webgpu.run ? '' : ` (skipped: ${webgpu.reason})`}`,
  () => {
    it('a node the WebGPU provider cannot run fails session creation instead of running on the CPU', async () => {
      // Det (a matrix determinant) has no WebGPU kernel in ORT 1.29; only the CPU provider has one.
      const g = new GraphBuilder('det');
      const x = g.input('x', 'float32', [2, 2]);
      g.output('d', g.op('Det', [x], 'det'), 'float32', []);
      await expect(createSession(g.encode(), 'webgpu')).rejects.toThrow(
        /fallback to CPU EP has been explicitly disabled/,
      );
      const cpu = await createSession(g.encode(), 'cpu');
      await cpu.release();
    });
  },
);
