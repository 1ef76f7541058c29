import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, NetworkSpec, Params } from '@backprop/core';
import { PROTOCOL_EPOCH_EXPECTATIONS, StdioEngine, type StdioEngineOptions } from '@backprop/protocol';
import type { BackendFactory } from './pool.js';
import type { Availability, BackendEntry } from './registry.js';
import { type ConformanceTarget, resolveTarget } from './runner.js';

/**
 * A target for the suite from a command line that starts an engine speaking the protocol
 * (docs/protocol.md), e.g. `engineEntry("python3 my_net.py")`. The engine is started once here for
 * its handshake (name, dtype, capabilities); one process then serves every network the suite
 * creates. When it cannot start, the entry is unavailable and says why (its stderr included), so a
 * required engine fails and an optional one is skipped, never silently passed.
 */
export async function engineEntry(
  command: string | readonly string[],
  options: StdioEngineOptions = {},
): Promise<BackendEntry> {
  const engine = new StdioEngine(command, options);
  const av: Availability = await engine.probe();
  const hello = engine.hello;
  const label = typeof command === 'string' ? command : command.join(' ');
  return {
    name: engine.name,
    dtype: hello?.dtype ?? 'float64',
    description: hello
      ? `${hello.engine.name} ${hello.engine.version} over the engine protocol (${label})`
      : `engine protocol: ${label}`,
    // An engine with its own epoch loop but without train-epoch-range meets the limits of a
    // whole-epoch train_epoch (no start step, no pauses).
    ...(hello?.capabilities.includes('train-epoch') && !hello.extensions.includes('train-epoch-range')
      ? { expectations: PROTOCOL_EPOCH_EXPECTATIONS }
      : {}),
    probe: async () => av,
    create: (spec: NetworkSpec, params: Params): Promise<Backend> => engine.create(spec, params),
  };
}

const isEntry = (v: unknown): v is BackendEntry =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as BackendEntry).name === 'string' &&
  typeof (v as BackendEntry).probe === 'function' &&
  typeof (v as BackendEntry).create === 'function';

/**
 * A target for the suite from a JavaScript module: its default export (or its export `entry`, or
 * `backend`) is a `BackendEntry` or a factory `(spec, params) => Backend`. A relative path is taken
 * from `cwd` (default: the working directory). Rejects, naming the module and what it exports,
 * when it holds neither.
 */
export async function loadEntry(path: string, cwd: string = process.cwd()): Promise<ConformanceTarget> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load ${path}: ${(e as Error).message}`);
  }
  for (const key of ['default', 'entry', 'backend']) {
    const v = mod[key];
    if (isEntry(v)) return v;
    if (typeof v === 'function') return v as BackendFactory;
  }
  throw new Error(
    `${path} exports no backend: export default a BackendEntry {name, dtype, description, probe, create} or a factory (spec, params) => Backend (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`,
  );
}

/**
 * A loaded target as a registry entry (a factory's name, dtype and capabilities come from a tiny
 * backend it makes), so it can be listed, required and run like a registered backend.
 */
export async function asEntry(target: ConformanceTarget): Promise<BackendEntry> {
  if (typeof target !== 'function') return target;
  const info = await resolveTarget(target);
  const av: Availability = {
    available: true,
    device: info.device ?? 'js',
    capabilities: [...info.capabilities],
  };
  return {
    name: info.name,
    dtype: info.dtype,
    description: info.description,
    probe: async () => av,
    create: async (spec, params) => target(spec, params),
  };
}
