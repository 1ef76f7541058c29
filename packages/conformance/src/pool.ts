import type { Backend, NetworkSpec, Params } from '@backprop/core';

/** Makes a backend for a spec holding given parameters. */
export type BackendFactory = (spec: NetworkSpec, params: Params) => Backend | Promise<Backend>;

/**
 * Backends kept per network shape so that consecutive cases on the same spec only call
 * `setParams` (an ONNX session costs 10–100 ms to create, and the ONNX backends share sessions
 * among live backends of the same structure). The least recently used is disposed beyond
 * `capacity`; clauses drawing the same arbitrary with the same seed meet the same specs, so a
 * large capacity lets them share.
 */
export class BackendPool {
  private readonly live = new Map<string, Promise<Backend>>();

  constructor(
    private readonly factory: BackendFactory,
    private readonly capacity = 256,
  ) {}

  /** A backend for `spec` holding `params`. */
  async get(spec: NetworkSpec, params: Params): Promise<Backend> {
    const key = JSON.stringify([spec.sizes, spec.activation, spec.cost]);
    const existing = this.live.get(key);
    if (existing) {
      this.live.delete(key);
      this.live.set(key, existing); // most recently used last
      const b = await existing;
      await b.setParams(params);
      return b;
    }
    const created = Promise.resolve().then(() => this.factory(spec, params));
    this.live.set(key, created);
    created.catch(() => this.live.delete(key));
    while (this.live.size > this.capacity) {
      const [oldKey, old] = this.live.entries().next().value as [string, Promise<Backend>];
      this.live.delete(oldKey);
      await old.then((b) => b.dispose()).catch(() => {});
    }
    return created;
  }

  /** Dispose every backend. */
  async dispose(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    for (const p of all) await p.then((b) => b.dispose()).catch(() => {});
  }
}
