import { type Backend, createReferenceBackend, type NetworkSpec, type Params } from '@backprop/core';
import { type BackendEntry, listBackends, registerBackend } from './registry.js';

/** The float64 reference backend of @backprop/core, always available. */
export const referenceEntry: BackendEntry = Object.freeze({
  name: 'reference',
  dtype: 'float64' as const,
  description: 'float64 TypeScript reference (@backprop/core)',
  async probe() {
    return { available: true as const, device: 'js' };
  },
  async create(spec: NetworkSpec, params: Params): Promise<Backend> {
    return createReferenceBackend(spec, params);
  },
});

/** Register the backends this package provides (`reference`); calling it again does nothing. */
export function registerBuiltins(): void {
  if (!listBackends().some((e) => e.name === referenceEntry.name)) registerBackend(referenceEntry);
}
