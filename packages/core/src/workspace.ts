import { DenseRows, type Rows } from './kernels.js';
import { SparseRows } from './sparse-input.js';
import type { Gradients, NetworkSpec } from './spec.js';

/**
 * Preallocated matrices for mini-batches of up to `capacity` examples, rows being examples:
 * Z^l, A^l and Δ^l (each m × n_l), the gradients, and the input rows as their non-zero entries.
 * The per-layer lists are indexed by the layer l = 1..L, as in the spec. A training step
 * allocates nothing; the workspace grows only when a larger batch arrives.
 */
export class Workspace {
  /** Rows the buffers hold. */
  readonly capacity: number;
  /** `Z[l]` is Z^l (`Z[0]` is empty). */
  readonly Z: DenseRows[];
  /** `A[l]` is A^l for l ≥ 1 (`A[0]` is empty: the first layer reads {@link Workspace.input}). */
  readonly A: DenseRows[];
  /** `D[l]` is Δ^l (`D[0]` is empty). */
  readonly D: DenseRows[];
  /** A^0 = X as the first layer reads it: the non-zero entries of the input rows. */
  readonly input: SparseRows;
  /** `inputOf[l]` is A^{l−1} as layer l reads it: {@link Workspace.input} for l = 1, `A[l−1]` above (`inputOf[0]` is empty). */
  readonly inputOf: Rows[];
  /** `gradW[l−1]` is ∂C/∂W^l, laid out like the weights. */
  readonly gradW: Float64Array[];
  /** `gradB[l−1]` is ∂C/∂b^l. */
  readonly gradB: Float64Array[];
  /** {@link Workspace.gradW} and {@link Workspace.gradB} as one set of gradients. */
  readonly gradients: Gradients;

  /** Buffers for `spec`'s layers, `capacity` rows each. */
  constructor(spec: NetworkSpec, capacity: number) {
    const { sizes } = spec;
    this.capacity = capacity;
    this.Z = [new DenseRows(0, sizes[0]!)];
    this.A = [new DenseRows(0, sizes[0]!)];
    this.D = [new DenseRows(0, sizes[0]!)];
    this.input = new SparseRows(capacity, sizes[0]!);
    this.inputOf = [this.A[0]!];
    this.gradW = [];
    this.gradB = [];
    for (let l = 1; l < sizes.length; l++) {
      this.Z.push(new DenseRows(capacity, sizes[l]!));
      this.A.push(new DenseRows(capacity, sizes[l]!));
      this.D.push(new DenseRows(capacity, sizes[l]!));
      this.gradW.push(new Float64Array(sizes[l]! * sizes[l - 1]!));
      this.gradB.push(new Float64Array(sizes[l]!));
    }
    this.inputOf.push(this.input, ...this.A.slice(1, -1));
    this.gradients = { weights: this.gradW, biases: this.gradB };
  }
}
