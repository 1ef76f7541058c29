import {
  type Backend,
  type BackendEntry,
  type BackendOption,
  BackendOptionError,
  type BackendOptions,
  BackendUnavailableError,
  checkBackendOptions,
  getBackend,
  listBackends,
  type NetworkSpec,
  openBackend as openRegistered,
  type Params,
  UnknownBackendError,
} from '@backprop/core';
import { UsageError } from './command.js';

/** The `backprop train` flag that sets each {@link BackendOptions} field. */
export const OPTION_FLAGS: Readonly<Record<BackendOption, string>> = Object.freeze({
  mode: '--onnx-mode',
  stepsPerRun: '--steps-per-run',
  intraOpThreads: '--onnx-threads',
});

/** An optional package whose backends the CLI registers: its name, how to load it, and its registration function. */
export type OptionalBackends = readonly [pkg: string, load: () => Promise<unknown>, register: string];

/** A package loaded by a name only known when it runs: a bundler leaves it out of the bundle. */
const unbundled = (pkg: string) => () => import(pkg);

/**
 * The optional packages of the CLI's backends. @backprop/gpu is imported by its literal name so
 * that a bundle of the CLI (the GPU kit's) carries it; the engine packages are not, so that
 * TF.js and the protocol stay out of such bundles (there they are reported as not loadable).
 */
const OPTIONAL_BACKENDS: readonly OptionalBackends[] = [
  ['@backprop/gpu', () => import('@backprop/gpu'), 'registerOnnxBackends'],
  ['@backprop/gpu/web', unbundled('@backprop/gpu/web'), 'registerOrtWebBackends'],
  ['@backprop/tfjs', unbundled('@backprop/tfjs'), 'registerTfjsBackends'],
  ['@backprop/torch', unbundled('@backprop/torch'), 'registerTorchBackends'],
];

/**
 * Load each package of `list` and call its registration function. Resolves to why each one that
 * could not be registered was left out (it did not load, or has no such function), by package.
 */
export async function registerOptional(list: readonly OptionalBackends[]): Promise<Map<string, string>> {
  const notes = new Map<string, string>();
  for (const [pkg, load, fn] of list)
    try {
      const register = ((await load()) as Record<string, unknown>)[fn];
      if (typeof register !== 'function') notes.set(pkg, `${pkg} does not export ${fn}()`);
      else register();
    } catch (e) {
      notes.set(pkg, `${pkg} could not be loaded: ${(e as Error).message}`);
    }
  return notes;
}

let registered: Promise<Map<string, string>> | undefined;

/**
 * Register the backends of the optional packages in core's registry, once per process:
 * @backprop/gpu (onnx-cpu, onnx-webgpu, onnx-cuda), @backprop/gpu/web (ort-web-wasm), @backprop/tfjs (tfjs-cpu, tfjs-wasm) and
 * @backprop/torch (torch, torch-float32); `reference` is there from the start. Resolves to why
 * each package that could not be registered was left out, by package name (empty when all were).
 */
export function registerBackends(): Promise<Map<string, string>> {
  registered ??= registerOptional(OPTIONAL_BACKENDS);
  return registered;
}

/** Why some optional backends are missing, as one clause, or '' (after {@link registerBackends}). */
export async function missingNote(): Promise<string> {
  if (!registered) return '';
  const notes = [...(await registered).values()];
  return notes.length > 0 ? ` (some backends are missing: ${notes.join('; ')})` : '';
}

/** The names of every backend the CLI knows (after {@link registerBackends}). */
export async function backendNames(): Promise<string[]> {
  await registerBackends();
  return listBackends().map((e) => e.name);
}

/**
 * The registry entry called `name`, checked to take `options`: a {@link UsageError} naming the
 * known backends, or the flag and the backends that take it. Loads @backprop/gpu (and with it
 * onnxruntime-node, TF.js and the others) only when the answer needs it: a name not registered yet, or an option the
 * backend does not take (to name those that do). For checks before any work.
 */
export async function backendEntry(name: string, options: BackendOptions = {}): Promise<BackendEntry> {
  const check = async () => {
    try {
      const entry = getBackend(name);
      checkBackendOptions(entry, options);
      return entry;
    } catch (e) {
      if (!(e instanceof UnknownBackendError || e instanceof BackendOptionError) || registered) throw e;
      await registerBackends();
      const entry = getBackend(name);
      checkBackendOptions(entry, options);
      return entry;
    }
  };
  try {
    return await check();
  } catch (e) {
    const note = await missingNote(); // why optional backends are missing, if they are
    if (e instanceof UnknownBackendError)
      throw new UsageError(`--backend: ${e.message}${note}; see 'backprop conformance --list'`);
    if (e instanceof BackendOptionError && e.option in OPTION_FLAGS) {
      const flag = OPTION_FLAGS[e.option as BackendOption];
      throw new UsageError(
        e.takenBy.length > 0
          ? `${flag} applies to the backends that take it (${e.takenBy.join(', ')}), not to ${e.backend}`
          : `${flag} applies to no registered backend${note}`,
      );
    }
    throw e;
  }
}

/**
 * The one way the CLI opens a backend by name (`train`, `experiment`): the name and the
 * options checked as {@link backendEntry} does, then core's `openBackend` (probe, with the
 * reason when the backend cannot run here, then create).
 */
export async function openBackend(
  name: string,
  spec: NetworkSpec,
  params: Params,
  options: BackendOptions = {},
): Promise<Backend> {
  await backendEntry(name, options);
  try {
    return await openRegistered(name, spec, params, options);
  } catch (e) {
    if (e instanceof BackendUnavailableError)
      throw new Error(`${e.message}; see 'backprop doctor', or use another --backend`);
    throw e;
  }
}
