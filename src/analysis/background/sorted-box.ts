/**
 * Fast per-box statistics for Background2D on float32 images: each box's valid values are radix
 * sorted once (float32 bit patterns, four 8-bit passes), after which every sigma-clipping pass is
 * two sums over a contiguous range and a binary search, and the median is read off directly.
 * Same semantics as `clipToFinalBounds` + the estimators (astropy's fast path: survivors are all
 * values inside the last bounds computed).
 */
import type { BkgEstimatorName, BkgRmsEstimatorName } from './estimators.js';
import { MAD_TO_STD } from '../stats/robust.js';

export class SortedBox {
  private readonly keysA: Uint32Array;
  private readonly keysB: Uint32Array;
  private readonly floatB: Float32Array;
  /** The four 8-bit digit histograms, counted in one pass. */
  private readonly count = new Uint32Array(1024);
  readonly values: Float32Array;
  /** The sorted values (float64). */
  sorted: Float64Array;

  constructor(capacity: number) {
    this.values = new Float32Array(capacity);
    this.keysA = new Uint32Array(this.values.buffer);
    this.keysB = new Uint32Array(capacity);
    this.floatB = new Float32Array(this.keysB.buffer);
    this.sorted = new Float64Array(capacity);
  }

  /** Sorts values[0..n) into `sorted`. */
  sort(n: number): void {
    let src = this.keysA;
    let dst = this.keysB;
    const count = this.count;
    count.fill(0);
    // order-preserving map of IEEE bit patterns to unsigned integers, and all four histograms
    for (let i = 0; i < n; i++) {
      const u = src[i]!;
      const k = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      src[i] = k;
      count[k & 255]!++;
      count[256 + ((k >>> 8) & 255)]!++;
      count[512 + ((k >>> 16) & 255)]!++;
      count[768 + (k >>> 24)]!++;
    }
    for (let pass = 0; pass < 4; pass++) {
      const shift = pass * 8;
      const base = pass * 256;
      // a digit all keys share leaves the order as it is: skip the pass (the high bytes of a
      // box of sky values mostly agree)
      if (count[base + ((src[0]! >>> shift) & 255)] === n) continue;
      let acc = 0;
      for (let b = base; b < base + 256; b++) {
        const c = count[b]!;
        count[b] = acc;
        acc += c;
      }
      for (let i = 0; i < n; i++) {
        const k = src[i]!;
        dst[count[base + ((k >>> shift) & 255)]!++] = k;
      }
      const t = src;
      src = dst;
      dst = t;
    }
    const f = src === this.keysA ? this.values : this.floatB;
    const out = this.sorted;
    for (let i = 0; i < n; i++) {
      const k = src[i]!;
      src[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
      out[i] = f[i]!;
    }
  }
}

function rangeMedian(a: Float64Array, s: number, e: number): number {
  const m = e - s;
  if (m === 0) return NaN;
  return (a[s + ((m - 1) >> 1)]! + a[s + (m >> 1)]!) / 2;
}

function rangeMeanStd(a: Float64Array, s: number, e: number): [number, number] {
  const m = e - s;
  let sum = 0;
  for (let i = s; i < e; i++) sum += a[i]!;
  const mean = sum / m;
  let ss = 0;
  for (let i = s; i < e; i++) {
    const d = a[i]! - mean;
    ss += d * d;
  }
  return [mean, Math.sqrt(ss / m)];
}

/** First index in [s, e) with a[i] >= v. */
function lowerBound(a: Float64Array, s: number, e: number, v: number): number {
  while (s < e) {
    const mid = (s + e) >>> 1;
    if (a[mid]! < v) s = mid + 1;
    else e = mid;
  }
  return s;
}

/** First index in [s, e) with a[i] > v. */
function upperBound(a: Float64Array, s: number, e: number, v: number): number {
  while (s < e) {
    const mid = (s + e) >>> 1;
    if (a[mid]! <= v) s = mid + 1;
    else e = mid;
  }
  return s;
}

/** Sigma clipping of sorted a[0..n) (median centre); returns the surviving range [s, e). */
export function clipSorted(a: Float64Array, n: number, sigmaLower: number, sigmaUpper: number, maxiters: number): [number, number] {
  let s = 0;
  let e = n;
  let lo = -Infinity;
  let hi = Infinity;
  let computed = false;
  for (let it = 0; it < maxiters && e > s; it++) {
    const med = rangeMedian(a, s, e);
    const [, std] = rangeMeanStd(a, s, e);
    lo = med - sigmaLower * std;
    hi = med + sigmaUpper * std;
    computed = true;
    const ns = lowerBound(a, s, e, lo);
    const ne = upperBound(a, ns, e, hi);
    if (ne - ns === e - s) break;
    s = ns;
    e = ne;
  }
  if (!computed) return [0, n];
  const fs = lowerBound(a, 0, n, lo);
  return [fs, upperBound(a, fs, n, hi)];
}

export function sortedBackground(a: Float64Array, s: number, e: number, name: BkgEstimatorName): number {
  if (e <= s) return NaN;
  const med = rangeMedian(a, s, e);
  if (name === 'median') return med;
  const [mean, std] = rangeMeanStd(a, s, e);
  if (name === 'mean') return mean;
  if (name === 'mmm') return 3 * med - 2 * mean;
  if (std === 0) return mean;
  return Math.abs(mean - med) / std < 0.3 ? 2.5 * med - 1.5 * mean : med;
}

export function sortedRms(a: Float64Array, s: number, e: number, name: BkgRmsEstimatorName): number {
  if (e <= s) return NaN;
  if (name === 'std') return rangeMeanStd(a, s, e)[1];
  // MAD: merge the deviations below and above the median, both already in increasing order
  const med = rangeMedian(a, s, e);
  const m = e - s;
  const r1 = (m - 1) >> 1;
  const r2 = m >> 1;
  let left = lowerBound(a, s, e, med) - 1;
  let right = left + 1;
  let v1 = NaN;
  let v2 = NaN;
  for (let k = 0; k <= r2; k++) {
    const dl = left >= s ? med - a[left]! : Infinity;
    const dr = right < e ? a[right]! - med : Infinity;
    let d: number;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (k === r1) v1 = d;
    if (k === r2) v2 = d;
  }
  return MAD_TO_STD * ((v1 + v2) / 2);
}
