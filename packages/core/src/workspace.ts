import type { NetworkSpec } from './spec.js';

/**
 * Preallocated matrices for one batch size (or less): z^l, a^l, δ^l (each rows × n_l,
 * row-major), the gradients, and the non-zero entries of the input rows. A training step
 * allocates nothing; the workspace grows only when a larger batch arrives.
 */
export class Workspace {
  /** Rows the buffers hold. */
  readonly capacity: number;
  /** `zs[l-1]` is z^l. */
  readonly zs: Float64Array[];
  /** `as[l]` is a^l for l ≥ 1; `as[0]` is unused (the input is read where it lies). */
  readonly as: Float64Array[];
  /** `deltas[l-1]` is δ^l. */
  readonly deltas: Float64Array[];
  /** ∂C/∂W^l, same layout as the weights. */
  readonly gradW: Float64Array[];
  /** ∂C/∂b^l. */
  readonly gradB: Float64Array[];
  /** Row r's non-zero inputs are `nzIndex[nzStart[r] .. nzStart[r+1]-1]` with values `nzValue[…]`. */
  readonly nzStart: Int32Array;
  readonly nzIndex: Int32Array;
  readonly nzValue: Float64Array;

  constructor(spec: NetworkSpec, capacity: number) {
    const { sizes } = spec;
    this.capacity = capacity;
    this.zs = [];
    this.as = [new Float64Array(0)];
    this.deltas = [];
    this.gradW = [];
    this.gradB = [];
    for (let l = 1; l < sizes.length; l++) {
      this.zs.push(new Float64Array(capacity * sizes[l]!));
      this.as.push(new Float64Array(capacity * sizes[l]!));
      this.deltas.push(new Float64Array(capacity * sizes[l]!));
      this.gradW.push(new Float64Array(sizes[l]! * sizes[l - 1]!));
      this.gradB.push(new Float64Array(sizes[l]!));
    }
    this.nzStart = new Int32Array(capacity + 1);
    this.nzIndex = new Int32Array(capacity * sizes[0]!);
    this.nzValue = new Float64Array(capacity * sizes[0]!);
  }
}
