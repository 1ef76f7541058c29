// A registry entry for OnnxBackend on one provider of one runtime (onnxruntime-node's entries in
// `entries.ts`, onnxruntime-web's in `web.ts`). Runtime-neutral: no Node-only imports.
import {
  type Availability,
  type BackendEntry,
  type BackendOption,
  type BackendOptions,
  checkBackendOptions,
  type NetworkSpec,
  type Params,
} from '@backprop/core';
import { OnnxBackend, type OnnxBackendOptions } from './backend.js';
import type { OnnxRuntime, Provider } from './ort.js';

/** What {@link runtimeEntry} makes an entry of. */
export interface RuntimeEntrySpec {
  /** The ONNX Runtime the backends run on. */
  readonly runtime: OnnxRuntime;
  /** The provider of `runtime` the backends run on. */
  readonly provider: Provider;
  /** The registry name, e.g. `ort-web-wasm`. */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** The {@link BackendOptions} the entry takes (others are refused with a BackendOptionError). */
  readonly takes: readonly BackendOption[];
  /** Decides availability by really starting the provider (the entry's `probe`). */
  readonly probe: () => Promise<Availability>;
  /** The entry's own defaults; options given to `create` override them. */
  readonly defaults?: OnnxBackendOptions;
}

/** A float32 registry entry whose `create` opens an {@link OnnxBackend} on `provider` of `runtime`. */
export function runtimeEntry(s: RuntimeEntrySpec): BackendEntry {
  const entry: BackendEntry = {
    name: s.name,
    dtype: 'float32',
    description: s.description,
    options: s.takes,
    probe: s.probe,
    create: async (spec: NetworkSpec, params: Params, given: BackendOptions = {}) => {
      checkBackendOptions(entry, given);
      const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
      return OnnxBackend.create(s.runtime, s.name, s.provider, spec, params, { ...s.defaults, ...defined });
    },
  };
  return entry;
}
