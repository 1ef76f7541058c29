import { describe, expect, it } from 'vitest';
import { backendEntry, registerOptional } from '../src/backends.js';
import { UsageError } from '../src/command.js';

describe('backends by name', () => {
  it('a package that does not load, or lacks its registration function, is left out with the reason', async () => {
    const notes = await registerOptional([
      ['@backprop/no-such-package', () => import('@backprop/no-such-package' as string), 'registerThem'],
      ['@backprop/core', () => import('@backprop/core'), 'registerNoSuchBackends'],
    ]);
    expect(notes.get('@backprop/no-such-package')).toMatch(
      /^@backprop\/no-such-package could not be loaded: /,
    );
    expect(notes.get('@backprop/core')).toBe('@backprop/core does not export registerNoSuchBackends()');
    expect(
      await registerOptional([['@backprop/gpu', () => import('@backprop/gpu'), 'registerOnnxBackends']]),
    ).toEqual(new Map());
  });

  it('an unknown name or an option the backend does not take is a usage error naming the flag', async () => {
    await expect(backendEntry('abacus')).rejects.toThrow(UsageError);
    await expect(backendEntry('abacus')).rejects.toThrow(
      /--backend: unknown backend 'abacus'; known: reference, /,
    );
    await expect(backendEntry('reference', { stepsPerRun: 4 })).rejects.toThrow(
      /--steps-per-run applies to the backends that take it \(onnx-cpu, onnx-webgpu, onnx-cuda, ort-web-wasm\), not to reference/,
    );
    for (const name of ['reference', 'onnx-cpu', 'tfjs-cpu', 'torch'])
      expect((await backendEntry(name)).name).toBe(name);
  });
});
