import type { Backend, Capability, Dtype, NetworkSpec, Params } from '@backprop/core';

/**
 * Whether a backend can run here; when not, one line saying why and how to enable it. An available
 * backend may say what it can do (an outside engine says so in its handshake); absent means everything.
 */
export type Availability =
  | { readonly available: true; readonly device: string; readonly capabilities?: readonly Capability[] }
  | { readonly available: false; readonly reason: string };

/** A backend known to the registry by name. */
export interface BackendEntry {
  readonly name: string;
  readonly dtype: Dtype;
  /** One line for listings, e.g. "ONNX Runtime, WebGPU execution provider". */
  readonly description: string;
  /** Decide availability by really starting the backend (never by guessing). Cached by the registry. */
  probe(): Promise<Availability>;
  /** A backend for `spec`, holding `params`. */
  create(spec: NetworkSpec, params: Params): Promise<Backend>;
}

const entries = new Map<string, BackendEntry>();
const probes = new Map<string, Promise<Availability>>();

/** Add a backend by name; a second entry with the same name is an error. */
export function registerBackend(entry: BackendEntry): void {
  if (entries.has(entry.name)) throw new Error(`a backend named '${entry.name}' is already registered`);
  entries.set(entry.name, entry);
}

/** The registered backends, in registration order. */
export function listBackends(): BackendEntry[] {
  return [...entries.values()];
}

/** The backend called `name`, or an error listing the known names. */
export function getBackend(name: string): BackendEntry {
  const entry = entries.get(name);
  if (!entry)
    throw new Error(`unknown backend '${name}'; registered: ${[...entries.keys()].join(', ') || 'none'}`);
  return entry;
}

/** The backend's availability, probed once per process. */
export function availability(entry: BackendEntry): Promise<Availability> {
  let p = probes.get(entry.name);
  if (!p) {
    p = entry.probe().catch((e: unknown) => ({
      available: false as const,
      reason: e instanceof Error ? e.message : String(e),
    }));
    probes.set(entry.name, p);
  }
  return p;
}

/** Backends that must be available (`BACKPROP_REQUIRE_BACKENDS=reference,onnx-cpu`): unavailable is a failure, not a skip. */
export function requiredBackends(env: Record<string, string | undefined> = process.env): string[] {
  return (env.BACKPROP_REQUIRE_BACKENDS ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
}
