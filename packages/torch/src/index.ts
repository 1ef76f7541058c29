/**
 * @backprop/torch — PyTorch as backprop backends, `torch` (float64) and `torch-float32`, through the
 * engine protocol: `python/torch_engine.py` runs in a Python that can import torch and NumPy
 * (`BACKPROP_TORCH_PYTHON`, else the first of python3, /usr/bin/python3, python that can), and
 * answers with autograd's gradients and δ (`retain_grad`) and torch.optim.SGD's steps.
 */
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Availability,
  type BackendEntry,
  type BackendOptions,
  checkBackendOptions,
  type Dtype,
  type NetworkSpec,
  type Params,
  registerBackend,
} from '@backprop/core';
import {
  EngineError,
  PYTHON_DIR,
  pythonCandidates,
  StdioEngine,
  type StdioEngineOptions,
} from '@backprop/protocol';

/** The PyTorch engine script. */
export const TORCH_ENGINE: string = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'python',
  'torch_engine.py',
);

/** The environment variable naming the Python interpreter to run PyTorch with. */
export const TORCH_PYTHON_ENV = 'BACKPROP_TORCH_PYTHON';

/** Options of {@link torchEntry}. */
export interface TorchEntryOptions extends Pick<StdioEngineOptions, 'timeouts' | 'onMessage' | 'extensions'> {
  /** Interpreters to try, in order (default: BACKPROP_TORCH_PYTHON alone, else python3, /usr/bin/python3, python). */
  readonly pythons?: readonly string[];
  /** torch.set_num_threads in the engine (default: BACKPROP_TORCH_THREADS, else 1). */
  readonly threads?: number;
}

/** The last line an engine wrote to stderr before it failed (e.g. "ModuleNotFoundError: No module named 'torch'"), or the error's first line. */
function why(e: unknown): string {
  if (e instanceof EngineError && e.stderrTail) return e.stderrTail.trim().split('\n').pop()!;
  return (e as Error).message.split('\n')[0]!;
}

/**
 * The registry entry of PyTorch computing in `dtype`. Its probe starts the engine for real with
 * each candidate interpreter until one answers the handshake; the reason it gives when none does
 * lists each interpreter and what went wrong there.
 */
export function torchEntry(dtype: Dtype, options: TorchEntryOptions = {}): BackendEntry {
  const name = dtype === 'float64' ? 'torch' : 'torch-float32';
  let found: Promise<{ engine: StdioEngine } | { reason: string }> | undefined;
  const find = () => {
    found ??= (async () => {
      const tried: string[] = [];
      for (const python of options.pythons ?? pythonCandidates(TORCH_PYTHON_ENV)) {
        const engine = new StdioEngine(
          // Without `threads`, the engine reads BACKPROP_TORCH_THREADS (default 1).
          [
            python,
            TORCH_ENGINE,
            '--dtype',
            dtype,
            ...(options.threads !== undefined ? ['--threads', String(options.threads)] : []),
          ],
          {
            name,
            env: { PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(delimiter) },
            ...(options.timeouts ? { timeouts: options.timeouts } : {}),
            ...(options.onMessage ? { onMessage: options.onMessage } : {}),
            ...(options.extensions ? { extensions: options.extensions } : {}),
          },
        );
        try {
          const hello = await engine.start();
          if (hello.dtype !== dtype) throw new Error(`the engine computes in ${hello.dtype}, not ${dtype}`);
          return { engine };
        } catch (e) {
          await engine.close();
          tried.push(`${python}: ${why(e)}`);
        }
      }
      return {
        reason: `no Python here runs PyTorch (${tried.join('; ')}); install it (Debian: apt-get install python3-torch python3-numpy) or name the interpreter in ${TORCH_PYTHON_ENV}`,
      };
    })();
    return found;
  };
  const entry: BackendEntry = {
    name,
    dtype,
    description: `PyTorch through the engine protocol (${dtype}, autograd, torch.optim.SGD)`,
    async probe(): Promise<Availability> {
      const f = await find();
      if ('reason' in f) return { available: false, reason: f.reason };
      const a = await f.engine.probe();
      // The engine names itself after the backend; the version that matters is PyTorch's.
      return a.available && f.engine.hello
        ? { ...a, version: `PyTorch ${f.engine.hello.engine.version}` }
        : a;
    },
    async create(spec: NetworkSpec, params: Params, options: BackendOptions = {}) {
      checkBackendOptions(entry, options);
      const f = await find();
      if ('reason' in f) throw new Error(`${name} is unavailable: ${f.reason}`);
      return f.engine.create(spec, params);
    },
  };
  return entry;
}

/** PyTorch in float64. */
export const torchEntry64: BackendEntry = torchEntry('float64');
/** PyTorch in float32. */
export const torchEntry32: BackendEntry = torchEntry('float32');

/** Register torch and torch-float32 with the backend registry; calling it again does nothing. */
export function registerTorchBackends(): void {
  for (const e of [torchEntry64, torchEntry32]) registerBackend(e);
}
