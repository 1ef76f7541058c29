import type { Dtype } from '@backprop/core';

/**
 * How a clause compares numbers:
 * - `exact`: integers and shapes, no tolerance;
 * - `identity`: a formula recomputed in float64 from the backend's own quantities;
 * - `fd`: a gradient against a finite difference of the backend's own cost;
 * - `descent`: the cost drop of a small step against its first-order prediction η‖∇C‖².
 */
export type CheckKind = 'exact' | 'identity' | 'fd' | 'descent';

/**
 * A tolerance. For `exact`, `identity` and `fd` a value passes when
 * `|actual − expected| ≤ rel · magnitude + abs · scale + tiny`, where `magnitude` bounds the
 * rounding of the computation (Σ|terms| for a sum) and `scale` is the size of the quantity before
 * any σ′ factor (so a σ′ that is tiny, or computed as a(1−a) near a = 1, is held to an absolute
 * floor), and `tiny` is a floor in units of the dtype: where every term is below the smallest
 * normal number, the result is at the mercy of denormal handling (flush-to-zero), not of the
 * formula. The reported error is `|actual − expected| / (magnitude + (abs/rel) · scale + tiny/rel)`,
 * which passes when it is at most `rel`. For `descent`, `rel` bounds |r − 1| for r = (C − C′)/(η‖∇C‖²), and
 * `abs` is the smallest predicted drop η‖∇C‖², relative to max(1, C), above the cost's rounding noise.
 * `h` is the finite-difference step.
 */
export interface Tolerance {
  readonly rel: number;
  readonly abs: number;
  /** The absolute floor in units of the dtype (0 when absent). */
  readonly tiny?: number;
  readonly h?: number;
}

/**
 * The floor `tiny` of a dtype: 2¹⁰ times its smallest normal number λ (float32 2⁻¹²⁶, float64
 * 2⁻¹⁰²²). A value below λ is denormal and may be flushed to zero (GPUs, SIMD units, FTZ/DAZ
 * modes); a sum of up to 2¹⁰ terms (the widest here has 784) each flushed moves by at most 2¹⁰ λ.
 * Without it a normalised error divides by a bound of 0 where a = y = 0, and a denormal
 * difference counts as an infinite error.
 */
export const TINY = Object.freeze({ float32: 2 ** -116, float64: 2 ** -1012 });

/**
 * The tolerance table (docs/spec.md, "Tolerances"). Chosen once from the error analysis written
 * there; never widened to make a backend pass.
 *
 * - float64 identity: 1e-12 relative to Σ|terms| (a dot product of n ≤ 784 terms rounds by at most
 *   n·2⁻⁵³·Σ|terms| ≈ 9e-14), absolute floor 1e-13 × scale for σ′ evaluated as a(1−a).
 * - float32 identity: 1e-5 relative (about 80 float32 ulps), absolute floor 1e-5 × scale.
 * - finite differences use the five-point stencil (f(−2h) − 8f(−h) + 8f(h) − f(2h))/12h, truncation
 *   O(h⁴), with h a power of two so θ ± h is exact: float64 h = 2⁻¹⁰, rounding ≈ 2⁻⁵³·C/h ≈ 1e-13,
 *   tolerance 1e-6 relative + 1e-8·max(1, C); float32 h = 2⁻⁷, rounding ≈ 1e-6·C/h ≈ 1e-4·C,
 *   tolerance 1e-2 relative + 1e-3·max(1, C).
 * - descent: |r − 1| ≤ 0.5 on a ladder of steps whose predicted drop is at least 1e-9 (float64) or
 *   1e-4 (float32) of max(1, C).
 * - identity and fd comparisons also pass within {@link TINY} (2¹⁰ smallest normals of the dtype).
 */
export const TOLERANCES: Readonly<Record<Dtype, Readonly<Record<CheckKind, Tolerance>>>> = Object.freeze({
  float64: Object.freeze({
    exact: { rel: 0, abs: 0 },
    identity: { rel: 1e-12, abs: 1e-13, tiny: TINY.float64 },
    fd: { rel: 1e-6, abs: 1e-8, tiny: TINY.float64, h: 2 ** -10 },
    descent: { rel: 0.5, abs: 1e-9 },
  }),
  float32: Object.freeze({
    exact: { rel: 0, abs: 0 },
    identity: { rel: 1e-5, abs: 1e-5, tiny: TINY.float32 },
    fd: { rel: 1e-2, abs: 1e-3, tiny: TINY.float32, h: 2 ** -7 },
    descent: { rel: 0.5, abs: 1e-4 },
  }),
});

/** The tolerance of a kind of check for a dtype. */
export function toleranceFor(dtype: Dtype, kind: CheckKind): Tolerance {
  const t = TOLERANCES[dtype]?.[kind];
  if (!t)
    throw new Error(
      `no tolerance for dtype '${dtype}' and check kind '${kind}'; add one to TOLERANCES in tolerance.ts`,
    );
  return t;
}
