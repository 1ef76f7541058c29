import type { Backend, Capability, Dtype, NetworkSpec, Params } from '@backprop/core';
import type { Comparison } from './compare.js';
import type { CaseFamily } from './families.js';
import type { CheckKind, Tolerance } from './tolerance.js';

/** What a check is given: the backend under test (one per network shape) and a comparison. */
export interface CheckContext {
  readonly dtype: Dtype;
  readonly tol: Tolerance;
  readonly cmp: Comparison;
  /** The backend under test for `spec`, holding `params` (created once per spec, then `setParams`). */
  backend(spec: NetworkSpec, params: Params): Promise<Backend>;
}

/**
 * One formula of the specification, made checkable. The check recomputes the formula in float64
 * from the quantities the backend itself reports and compares them; it never consults another
 * backend.
 */
export interface Clause<C = unknown> {
  /** Stable id, e.g. `bp2`. */
  readonly id: string;
  readonly title: string;
  /** The formula, in the notation of docs/spec.md. */
  readonly formula: string;
  /** Link to its section: `docs/spec.md#…`. */
  readonly section: string;
  readonly kind: CheckKind;
  /**
   * What the clause reads from or asks of the backend, beyond its parameters; on a backend lacking
   * any of these the clause is "not applicable" (status `n/a`), never passed.
   */
  readonly needs: readonly Capability[];
  /** True for clauses beyond the document (softmax, cross-entropy, momentum, weight decay, the epoch's hooks). */
  readonly extension?: boolean;
  /**
   * The case families it runs, in order (docs/spec.md#case-families): random cases from fast-check
   * (a failure is shrunk within its family) and fixed ones such as the MNIST fixture.
   */
  readonly families: readonly CaseFamily<C>[];
  /** The case in words (a shrunk counterexample is printed with this). */
  describe(c: C): string;
  /** Throws ClauseFailure (via ctx.cmp) at the first value out of tolerance. */
  check(ctx: CheckContext, c: C): Promise<void>;
}

/** The link to a clause's section: docs/spec.md carries an anchor `<a id="ID">` before each clause. */
export function specLink(id: string): string {
  return `docs/spec.md#${id}`;
}
