/**
 * The backend registry is `@backprop/core`'s (`registerBackend`, `listBackends`, `getBackend`,
 * `availability`, `openBackend`, `referenceEntry`, …); this module re-exports it for the
 * suite's users and adds what belongs to the harness: which backends CI requires.
 */
export {
  type Availability,
  availability,
  type BackendEntry,
  type BackendOptions,
  type ClauseExpectation,
  getBackend,
  listBackends,
  openBackend,
  referenceEntry,
  registerBackend,
} from '@backprop/core';

/** Backends that must be available (`BACKPROP_REQUIRE_BACKENDS=reference,onnx-cpu`): unavailable is a failure, not a skip. */
export function requiredBackends(env: Record<string, string | undefined> = process.env): string[] {
  return (env.BACKPROP_REQUIRE_BACKENDS ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
}
