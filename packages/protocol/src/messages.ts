import {
  ACTIVATIONS,
  type Activation,
  CAPABILITIES,
  type Capability,
  COSTS,
  type Cost,
  type Dtype,
} from '@backprop/core';
import { ProtocolError } from './wire.js';

/**
 * The version of the engine protocol this host speaks (docs/protocol.md). An engine answering the
 * handshake with another version is stopped: versions are not mixed.
 */
export const PROTOCOL_VERSION = 1;

/** The requests of the protocol, in the order a session usually sends them. */
export type Op =
  | 'hello'
  | 'create'
  | 'set_params'
  | 'get_params'
  | 'forward'
  | 'backprop'
  | 'step'
  | 'train_epoch'
  | 'load_data'
  | 'drop_data'
  | 'dispose'
  | 'shutdown';

/** Every request name. */
export const OPS: readonly Op[] = Object.freeze([
  'hello',
  'create',
  'set_params',
  'get_params',
  'forward',
  'backprop',
  'step',
  'train_epoch',
  'load_data',
  'drop_data',
  'dispose',
  'shutdown',
]);

/**
 * Additions to protocol version 1 that an engine announces in its handshake (`extensions`); the
 * host uses one only where the engine announced it, so engines and hosts without it keep working:
 * - `train-epoch-range`: `train_epoch` takes `start_step` and `steps` and runs just those steps of
 *   the epoch's (whole, seeded) shuffle, so the host can resume an epoch and pause inside it;
 * - `load-data`: `load_data` holds a data set in the engine under an id for the session, and
 *   `train_epoch` may name it (`data`) instead of carrying `x` and `y` each time.
 */
export type Extension = 'train-epoch-range' | 'load-data';

/** Every extension this host knows (others an engine announces are ignored). */
export const EXTENSIONS: readonly Extension[] = Object.freeze(['train-epoch-range', 'load-data']);

/** What an engine says about itself in its answer to `hello`. */
export interface Hello {
  /** The protocol version it speaks; must equal {@link PROTOCOL_VERSION}. */
  readonly protocol: number;
  readonly engine: { readonly name: string; readonly version: string };
  /** The element type it computes in; it picks the tolerances. */
  readonly dtype: Dtype;
  /** What it reports and does (see `Capability` in @backprop/core). */
  readonly capabilities: readonly Capability[];
  /** Where it computes, e.g. "cpu", "cuda", "numpy". */
  readonly device?: string;
  /** The activations it implements (all of them when absent). */
  readonly activations?: readonly Activation[];
  /** The costs it implements (all of them when absent). */
  readonly costs?: readonly Cost[];
  /** The {@link Extension}s it announced that this host knows (empty for a plain version-1 engine). */
  readonly extensions: readonly Extension[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList<T extends string>(v: unknown, what: string, allowed: readonly T[]): T[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what} is not a list`);
  for (const x of v)
    if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x))
      throw new ProtocolError(`${what} holds ${JSON.stringify(x)}; known: ${allowed.join(', ')}`);
  return v as T[];
}

/** The engine's answer to `hello`, checked; a wrong protocol version is an error naming both versions. */
export function parseHello(v: unknown): Hello {
  if (!isRecord(v)) throw new ProtocolError('the answer to hello is not an object');
  if (v.protocol !== PROTOCOL_VERSION)
    throw new ProtocolError(
      `the engine speaks protocol version ${JSON.stringify(v.protocol)}; this host speaks version ${PROTOCOL_VERSION} (update the engine or its client library)`,
    );
  const e = v.engine;
  if (!isRecord(e) || typeof e.name !== 'string' || e.name.length === 0 || typeof e.version !== 'string')
    throw new ProtocolError('hello.engine must be {name: non-empty string, version: string}');
  if (v.dtype !== 'float64' && v.dtype !== 'float32')
    throw new ProtocolError(`hello.dtype is ${JSON.stringify(v.dtype)}; expected "float64" or "float32"`);
  if (v.device !== undefined && typeof v.device !== 'string')
    throw new ProtocolError('hello.device must be a string');
  const ext = v.extensions;
  if (ext !== undefined && !(Array.isArray(ext) && ext.every((x) => typeof x === 'string')))
    throw new ProtocolError('hello.extensions must be a list of strings');
  // Unknown extensions are a newer engine's additions this host does not use: ignored, not refused.
  const extensions = ((ext ?? []) as string[]).filter((x): x is Extension =>
    (EXTENSIONS as readonly string[]).includes(x),
  );
  return {
    protocol: v.protocol,
    engine: { name: e.name, version: e.version },
    dtype: v.dtype,
    capabilities: stringList(v.capabilities, 'hello.capabilities', CAPABILITIES),
    extensions,
    ...(v.device !== undefined ? { device: v.device as string } : {}),
    ...(v.activations !== undefined
      ? { activations: stringList(v.activations, 'hello.activations', ACTIVATIONS) }
      : {}),
    ...(v.costs !== undefined ? { costs: stringList(v.costs, 'hello.costs', COSTS) } : {}),
  };
}
