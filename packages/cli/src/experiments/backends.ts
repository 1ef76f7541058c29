import type { Backend, NetworkSpec, Params } from '@backprop/core';
import { openBackend, backendNames as registered } from '../backends.js';

/** The names `--backend` accepts here (the registered backends). */
export function backendNames(): Promise<string[]> {
  return registered();
}

/**
 * A backend by registry name holding `params`, opened as every CLI command opens one
 * (`openBackend` of ../backends.ts): the name must be registered and the backend available;
 * if not, the error says why and which names exist.
 */
export function createBackend(name: string, spec: NetworkSpec, params: Params): Promise<Backend> {
  return openBackend(name, spec, params);
}

/** What a result records about the backend that produced it. */
export interface BackendInfo {
  readonly name: string;
  readonly dtype: string;
  readonly device: string;
}

/** The {@link BackendInfo} of `backend`. */
export function backendInfo(backend: Backend): BackendInfo {
  return { name: backend.name, dtype: backend.dtype, device: backend.device };
}
