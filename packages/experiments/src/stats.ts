/** Small statistics for experiment results, over plain number arrays. */

/** Arithmetic mean (NaN for an empty list). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length > 0 ? s / xs.length : Number.NaN;
}

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = Float64Array.from(xs).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** One bin of a histogram: [lo, hi) (the last bin includes hi), with its count and fraction. */
export interface Bin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  readonly fraction: number;
}

/** Histogram of `xs` over [lo, hi] in `bins` equal bins; values outside are clamped into the end bins. */
export function histogram(xs: ArrayLike<number>, lo: number, hi: number, bins: number): Bin[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (let i = 0; i < xs.length; i++) {
    const b = Math.floor((xs[i]! - lo) / width);
    counts[Math.max(0, Math.min(bins - 1, b))]!++;
  }
  return counts.map((count, b) => ({
    lo: lo + b * width,
    hi: lo + (b + 1) * width,
    count,
    fraction: count / xs.length,
  }));
}

/** Least-squares line y ≈ intercept + slope·x and its coefficient of determination R². */
export interface LineFit {
  readonly slope: number;
  readonly intercept: number;
  readonly r2: number;
}

/** Fit a straight line to the points (xs[i], ys[i]). */
export function fitLine(xs: ArrayLike<number>, ys: ArrayLike<number>): LineFit {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}
