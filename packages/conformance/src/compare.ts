import type { Tolerance } from './tolerance.js';

/** Raised inside a check to stop it at the first failure (the message names the quantity). */
export class ClauseFailure extends Error {
  override name = 'ClauseFailure';
}

/**
 * Accumulates the comparisons of one case: the worst normalised error seen, and a failure at
 * the first value out of tolerance. Labels are built lazily, only for the message of a failure.
 */
export class Comparison {
  /** Worst normalised error of this case (see {@link Tolerance}). */
  worst = 0;
  /** Number of values compared. */
  count = 0;
  /** Components skipped as not applicable (e.g. a finite difference across a ReLU kink). */
  skipped = 0;
  private readonly floorRatio: number;
  private readonly tinyRatio: number;

  constructor(readonly tol: Tolerance) {
    this.floorRatio = tol.rel > 0 ? tol.abs / tol.rel : 0;
    this.tinyRatio = tol.rel > 0 ? (tol.tiny ?? 0) / tol.rel : 0;
  }

  /**
   * Check `|actual − expected| ≤ rel·magnitude + abs·scale + tiny`; throws {@link ClauseFailure}
   * when not. `magnitude` bounds the rounding of the formula (Σ|terms|); `scale` defaults to it;
   * `tiny` is the dtype's floor (see {@link Tolerance}).
   */
  near(
    label: () => string,
    actual: number,
    expected: number,
    magnitude: number,
    scale: number = magnitude,
  ): void {
    this.count++;
    const diff = Math.abs(actual - expected);
    let e: number;
    if (Number.isNaN(actual) || Number.isNaN(expected) || !Number.isFinite(diff))
      e = Number.POSITIVE_INFINITY;
    else if (diff === 0) e = 0;
    else {
      const d = Math.abs(magnitude) + this.floorRatio * Math.abs(scale) + this.tinyRatio;
      e = d > 0 ? diff / d : Number.POSITIVE_INFINITY;
    }
    if (e > this.worst) this.worst = e;
    if (!(e <= this.tol.rel))
      throw new ClauseFailure(
        `${label()}: backend ${fmt(actual)}, formula ${fmt(expected)} (|Δ| ${fmt(diff)}, error ${fmt(e)} > ${this.tol.rel})`,
      );
  }

  /** Record a normalised error computed by the check itself (e.g. |r − 1| of a descent test). */
  error(label: () => string, e: number): void {
    this.count++;
    if (Number.isNaN(e)) e = Number.POSITIVE_INFINITY;
    if (e > this.worst) this.worst = e;
    if (!(e <= this.tol.rel)) throw new ClauseFailure(`${label()} (error ${fmt(e)} > ${this.tol.rel})`);
  }

  /** An exact equality of integers, shapes or identifiers. */
  equal<T>(label: () => string, actual: T, expected: T): void {
    this.count++;
    if (actual !== expected) {
      this.worst = Number.POSITIVE_INFINITY;
      throw new ClauseFailure(`${label()}: backend ${String(actual)}, expected ${String(expected)}`);
    }
  }

  /** A property that must hold. */
  holds(label: () => string, ok: boolean): void {
    this.count++;
    if (!ok) {
      this.worst = Number.POSITIVE_INFINITY;
      throw new ClauseFailure(label());
    }
  }
}

/** A number for messages: short but exact enough to see the difference. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? String(Number(x.toPrecision(10))) : x.toExponential(3);
}
