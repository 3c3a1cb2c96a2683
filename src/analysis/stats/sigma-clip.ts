/**
 * Sigma clipping with astropy's `SigmaClip` semantics (astropy 5.2, axis=None): iterate up to
 * `maxiters` times; each pass computes the centre (median or mean) and the population standard
 * deviation of the surviving values and keeps values within
 * [centre - sigma_lower*std, centre + sigma_upper*std] (inclusive); stop when nothing changes.
 */
import { medianInPlace, type NumArray } from './select.js';

export type CenFunc = 'median' | 'mean';

export interface SigmaClipOptions {
  readonly sigma?: number;
  readonly sigmaLower?: number;
  readonly sigmaUpper?: number;
  /** null = iterate until convergence */
  readonly maxiters?: number | null;
  readonly cenfunc?: CenFunc;
}

export interface ClipResult {
  /** The surviving values occupy values[0..count) (in an arbitrary order). */
  readonly values: Float64Array;
  readonly count: number;
  readonly lower: number;
  readonly upper: number;
  readonly iterations: number;
}

export function meanOf(a: NumArray, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s / n;
}

/** Population standard deviation (ddof=0 by default), two-pass. */
export function stdOf(a: NumArray, n: number, ddof = 0, mean = meanOf(a, n)): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    s += d * d;
  }
  return Math.sqrt(s / (n - ddof));
}

export class SigmaClip {
  readonly sigmaLower: number;
  readonly sigmaUpper: number;
  readonly maxiters: number;
  readonly cenfunc: CenFunc;
  private scratch = new Float64Array(0);

  constructor(options: SigmaClipOptions = {}) {
    const sigma = options.sigma ?? 3;
    this.sigmaLower = options.sigmaLower ?? sigma;
    this.sigmaUpper = options.sigmaUpper ?? sigma;
    this.maxiters = options.maxiters === null ? Infinity : (options.maxiters ?? 5);
    this.cenfunc = options.cenfunc ?? 'median';
  }

  private centre(a: Float64Array, n: number): number {
    if (this.cenfunc === 'mean') return meanOf(a, n);
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    const s = this.scratch;
    for (let i = 0; i < n; i++) s[i] = a[i]!;
    return medianInPlace(s, n);
  }

  /**
   * Clips `values[0..n)` in place (finite values only; callers remove NaN first) and returns
   * how many survive; survivors are compacted to the front.
   */
  clipInPlace(values: Float64Array, n = values.length): ClipResult {
    let count = n;
    let iterations = 0;
    let lower = -Infinity;
    let upper = Infinity;
    while (iterations < this.maxiters && count > 0) {
      iterations++;
      const cen = this.centre(values, count);
      const std = stdOf(values, count);
      lower = cen - std * this.sigmaLower;
      upper = cen + std * this.sigmaUpper;
      let k = 0;
      for (let i = 0; i < count; i++) {
        const v = values[i]!;
        if (v >= lower && v <= upper) values[k++] = v;
      }
      const changed = count - k;
      count = k;
      if (changed === 0) break;
    }
    return { values, count, lower, upper, iterations };
  }
}

/**
 * astropy's fast C path (used whenever SigmaClip runs along an axis, as in Background2D): the
 * same iterations, but the surviving set is every original value inside the *final* bounds, so
 * values clipped early can come back. `values[0..n)` are compacted in place; returns the count.
 */
export function clipToFinalBounds(clip: SigmaClip, values: Float64Array, n: number, scratch: Float64Array): number {
  scratch.set(values.subarray(0, n));
  const r = clip.clipInPlace(scratch, n);
  if (r.iterations === 0) return n;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v >= r.lower && v <= r.upper) values[k++] = v;
  }
  return k;
}

export interface ClippedStats {
  readonly mean: number;
  readonly median: number;
  readonly std: number;
  readonly n: number;
}

/** astropy.stats.sigma_clipped_stats on already-valid values (the array is consumed). */
export function sigmaClippedStatsOf(values: Float64Array, clip: SigmaClip, stdDdof = 0): ClippedStats {
  const r = clip.clipInPlace(values);
  if (r.count === 0) return { mean: NaN, median: NaN, std: NaN, n: 0 };
  const mean = meanOf(values, r.count);
  const std = stdOf(values, r.count, stdDdof, mean);
  const med = medianInPlace(values, r.count);
  return { mean, median: med, std, n: r.count };
}
