import type { Backend, Capability, Dtype } from './backend.js';
import { createReferenceBackend } from './reference.js';
import type { NetworkSpec, Params } from './spec.js';

/**
 * Whether a backend can run here; when not, one line saying why and how to enable it. An available
 * backend may say what it can do (an outside engine says so in its handshake); absent means everything.
 * It may also say which engine, in which version, does the computing (e.g. "onnxruntime-node 1.29.0",
 * "torch 1.13.0"), for listings and reports.
 */
export type Availability =
  | {
      readonly available: true;
      readonly device: string;
      readonly capabilities?: readonly Capability[];
      readonly version?: string;
    }
  | { readonly available: false; readonly reason: string };

/**
 * How a backend is to run, given when it is created. Each entry says which of these it takes
 * ({@link BackendEntry.options}); giving one to a backend that does not take it is an error
 * ({@link BackendOptionError}), never silently ignored. Today the ONNX Runtime backends of
 * `@backprop/gpu` take all three and `reference` none.
 */
export interface BackendOptions {
  /**
   * `fast` (the ONNX backends' default): many SGD steps per engine call over a data set kept
   * resident; `naive`: one call per mini-batch, inputs and parameters sent each time (the
   * baseline). Both give the same curve.
   */
  readonly mode?: 'naive' | 'fast';
  /** In fast mode, the SGD steps run by one engine call (ONNX: unrolled into one graph; default 32). */
  readonly stepsPerRun?: number;
  /** Threads of the engine's CPU kernels (ONNX Runtime's `intraOpNumThreads`; default: its own choice). */
  readonly intraOpThreads?: number;
}

/** The name of one of the {@link BackendOptions}. */
export type BackendOption = keyof BackendOptions;

/** Every {@link BackendOption}, each with what it is, for messages. */
export const BACKEND_OPTIONS: Readonly<Record<BackendOption, string>> = Object.freeze({
  mode: 'training mode naive|fast',
  stepsPerRun: 'SGD steps per engine call',
  intraOpThreads: 'intra-op threads',
});

/**
 * What the conformance suite is to expect of one clause on a backend, and why (like TF.js's test
 * filters and ONNX's backend-test xfail lists): `xfail`, the clause runs and must fail (if it
 * passes, the expectation is stale and the run fails); `skip`, it is not run.
 */
export interface ClauseExpectation {
  readonly status: 'xfail' | 'skip';
  /** Why, in one line (a known defect of the engine, with a link or a minimal case). */
  readonly reason: string;
}

/** A backend known to the registry by name. */
export interface BackendEntry {
  readonly name: string;
  readonly dtype: Dtype;
  /** One line for listings, e.g. "ONNX Runtime, WebGPU execution provider". */
  readonly description: string;
  /** The {@link BackendOptions} that `create` takes; none when absent. */
  readonly options?: readonly BackendOption[];
  /**
   * Known conformance failures, by clause id ({@link ClauseExpectation}); none when absent. The
   * suite reports each with its reason and fails the run when an expected failure passes.
   */
  readonly expectations?: Readonly<Record<string, ClauseExpectation>>;
  /** Decide availability by really starting the backend (never by guessing). Cached by the registry. */
  probe(): Promise<Availability>;
  /**
   * A backend for `spec`, holding `params`, run as `options` say. Rejects, with a
   * {@link BackendOptionError}, an option it does not take (see {@link checkBackendOptions}).
   */
  create(spec: NetworkSpec, params: Params, options?: BackendOptions): Promise<Backend>;
}

/** No backend of that name is registered; `known` lists the names that are. */
export class UnknownBackendError extends Error {
  override name = 'UnknownBackendError';
  constructor(
    readonly backend: string,
    readonly known: readonly string[],
  ) {
    super(`unknown backend '${backend}'; known: ${known.join(', ') || 'none'}`);
  }
}

/** The backend is registered but cannot run here; `reason` says why and how to enable it. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`backend '${backend}' is not available here: ${reason}`);
  }
}

/** An option given to a backend that does not take it; `takenBy` names the registered backends that do. */
export class BackendOptionError extends RangeError {
  override name = 'BackendOptionError';
  constructor(
    readonly backend: string,
    readonly option: string,
    readonly takenBy: readonly string[],
  ) {
    super(
      option in BACKEND_OPTIONS
        ? `backend '${backend}' does not take the option ${option} (${BACKEND_OPTIONS[option as BackendOption]}); ` +
            (takenBy.length > 0
              ? `the backends that take it: ${takenBy.join(', ')}`
              : 'no registered backend takes it')
        : `unknown backend option '${option}'; the options are ${Object.keys(BACKEND_OPTIONS).join(', ')}`,
    );
  }
}

/**
 * The float64 reference backend of this package (`createReferenceBackend`), always available.
 * It is in the registry from the start: nothing needs to register it.
 */
export const referenceEntry: BackendEntry = Object.freeze({
  name: 'reference',
  dtype: 'float64' as const,
  description: 'float64 TypeScript reference (@backprop/core)',
  options: Object.freeze([]),
  async probe(): Promise<Availability> {
    return { available: true, device: 'js' };
  },
  async create(spec: NetworkSpec, params: Params, options: BackendOptions = {}): Promise<Backend> {
    checkBackendOptions(referenceEntry, options);
    return createReferenceBackend(spec, params);
  },
});

const entries = new Map<string, BackendEntry>([[referenceEntry.name, referenceEntry]]);
const probes = new Map<string, Promise<Availability>>();

/**
 * Add a backend by name. Registering the very entry already registered under its name does
 * nothing (so registration functions may be called more than once); another entry with a
 * name already taken is an error.
 */
export function registerBackend(entry: BackendEntry): void {
  const known = entries.get(entry.name);
  if (known === entry) return;
  if (known) throw new Error(`a backend named '${entry.name}' is already registered`);
  entries.set(entry.name, entry);
}

/** The registered backends, in registration order (`reference` first). */
export function listBackends(): BackendEntry[] {
  return [...entries.values()];
}

/** The backend called `name`, or an {@link UnknownBackendError} listing the known names. */
export function getBackend(name: string): BackendEntry {
  const entry = entries.get(name);
  if (!entry) throw new UnknownBackendError(name, [...entries.keys()]);
  return entry;
}

/** The backend's availability, probed once per process (a probe that throws is "unavailable" with its message). */
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

/**
 * Throw a {@link BackendOptionError} for the first option set in `options` (not undefined)
 * that `entry` does not take, naming the registered backends that take it. Entries call it in
 * `create`; {@link openBackend} calls it before probing.
 */
export function checkBackendOptions(entry: BackendEntry, options: BackendOptions): void {
  const takes = new Set<string>(entry.options ?? []);
  for (const [option, value] of Object.entries(options)) {
    if (value === undefined || (takes.has(option) && option in BACKEND_OPTIONS)) continue;
    const takenBy = listBackends()
      .filter((e) => (e.options ?? []).includes(option as BackendOption))
      .map((e) => e.name);
    throw new BackendOptionError(entry.name, option, takenBy);
  }
}

/**
 * Open the backend called `name` for `spec`, holding `params`: the one way to get a backend by
 * name. Checks, before any work, that the name is registered ({@link UnknownBackendError},
 * listing the known ones) and that it takes every option given ({@link BackendOptionError});
 * then probes it ({@link BackendUnavailableError} with the reason when it cannot run here); then
 * creates it.
 */
export async function openBackend(
  name: string,
  spec: NetworkSpec,
  params: Params,
  options: BackendOptions = {},
): Promise<Backend> {
  const entry = getBackend(name);
  checkBackendOptions(entry, options);
  const av = await availability(entry);
  if (!av.available) throw new BackendUnavailableError(name, av.reason);
  return entry.create(spec, params, options);
}
