/**
 * astropy `sigma_clipped_stats` (axis=None) for large images without moving pixels around. The
 * survivors after each pass are exactly the values inside the intersection [L, U] of all bounds so
 * far, so each pass only scans the original array: one pass for count/sum/min/max, one for the
 * squared deviations and a 65,536-bin histogram, one to gather the few values of the bins that
 * hold the middle rank(s), then a quickselect on those. NaN/±Inf and masked pixels never count.
 * Same results as the compacting implementation (`SigmaClip.clipInPlace`), several times faster.
 */
import type { PixelArray } from '../../core/image-plane.js';
import type { PixelMask } from '../mask.js';
import { selectInPlace } from './select.js';
import type { CenFunc, ClippedStats } from './sigma-clip.js';

const BINS = 65536;

interface PassStats {
  count: number;
  mean: number;
  std: number;
  median: number;
}

class RangeStats {
  private readonly hist = new Uint32Array(BINS);
  private gather = new Float64Array(1024);

  private readonly data: PixelArray;

  constructor(data: PixelArray, mask: PixelMask | undefined) {
    // masked pixels become NaN once, so the hot loops need no mask test
    if (mask) {
      const copy = Float64Array.from(data);
      for (let i = 0; i < copy.length; i++) if (mask[i]) copy[i] = NaN;
      this.data = copy;
    } else this.data = data;
  }

  /**
   * As `stats` in one scan plus the gather: sums of (x - shift) and (x - shift)^2 (shift close to
   * the mean keeps the variance exact to rounding) and the histogram over [lo, hi] itself,
   * which must be finite.
   */
  statsShifted(lo: number, hi: number, shift: number, unlessCount: number): PassStats | undefined {
    const { data } = this;
    const len = data.length;
    const hist = this.hist;
    hist.fill(0);
    const scale = hi > lo ? BINS / (hi - lo) : 0;
    let n = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < len; i++) {
      const v = data[i]!;
      if (v >= lo && v <= hi) {
        n++;
        const d = v - shift;
        s1 += d;
        s2 += d * d;
        let b = Math.floor((v - lo) * scale);
        if (b >= BINS) b = BINS - 1;
        hist[b]!++;
      }
    }
    if (n === unlessCount) return undefined;
    if (n === 0) return { count: 0, mean: NaN, std: NaN, median: NaN };
    const mean = shift + s1 / n;
    const std = Math.sqrt(Math.max(0, (s2 - (s1 * s1) / n) / n));
    return { count: n, mean, std, median: this.medianFromHistogram(n, lo, hi, lo, scale) };
  }

  /**
   * numpy median of the n values in [lo, hi] whose histogram (bins from `min` by `scale`) is built:
   * gathers the values of the bin(s) holding the middle rank(s), usually one, and selects there.
   */
  private medianFromHistogram(n: number, lo: number, hi: number, min: number, scale: number): number {
    const { data } = this;
    const len = data.length;
    const hist = this.hist;
    const r1 = (n - 1) >> 1;
    const r2 = n >> 1;
    let acc = 0;
    let b1 = -1;
    let b2 = -1;
    let before1 = 0;
    for (let b = 0; b < BINS; b++) {
      const c = hist[b]!;
      if (b1 < 0 && acc + c > r1) {
        b1 = b;
        before1 = acc;
      }
      if (acc + c > r2) {
        b2 = b;
        break;
      }
      acc += c;
    }
    const size = hist[b1]! + (b2 !== b1 ? hist[b2]! : 0);
    if (this.gather.length < size) this.gather = new Float64Array(size);
    const g = this.gather;
    let k = 0;
    for (let i = 0; i < len; i++) {
      const v = data[i]!;
      if (v >= lo && v <= hi) {
        let b = Math.floor((v - min) * scale);
        if (b >= BINS) b = BINS - 1;
        if (b === b1 || b === b2) g[k++] = v;
      }
    }
    const at = r1 - before1;
    const v1 = selectInPlace(g, at, 0, k - 1);
    if (r2 === r1) return v1;
    let v2 = Infinity;
    for (let i = at + 1; i < k; i++) if (g[i]! < v2) v2 = g[i]!;
    return (v1 + v2) / 2;
  }

  /**
   * Mean, population std and numpy median of the values in [lo, hi]; undefined (after a single scan)
   * when their count equals `unlessCount`.
   */
  stats(lo: number, hi: number, unlessCount = -1): PassStats | undefined {
    const { data } = this;
    const len = data.length;
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < len; i++) {
      const v = data[i]!;
      if (v >= lo && v <= hi) {
        n++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (n === unlessCount) return undefined;
    if (n === 0) return { count: 0, mean: NaN, std: NaN, median: NaN };
    const mean = sum / n;
    const hist = this.hist;
    hist.fill(0);
    const scale = max > min ? BINS / (max - min) : 0;
    let ss = 0;
    for (let i = 0; i < len; i++) {
      const v = data[i]!;
      if (v >= lo && v <= hi) {
        const d = v - mean;
        ss += d * d;
        let b = Math.floor((v - min) * scale);
        if (b >= BINS) b = BINS - 1;
        hist[b]!++;
      }
    }
    const std = Math.sqrt(ss / n);
    return { count: n, mean, std, median: this.medianFromHistogram(n, lo, hi, min, scale) };
  }
}

export interface StreamingClipOptions {
  readonly sigmaLower: number;
  readonly sigmaUpper: number;
  readonly maxiters: number;
  readonly cenfunc: CenFunc;
  readonly stdDdof?: number;
}

export function streamingSigmaClippedStats(data: PixelArray, mask: PixelMask | undefined, o: StreamingClipOptions): ClippedStats {
  // clipping uses the population std; the final std may use another ddof
  const rs = new RangeStats(data, mask);
  let lo = -Number.MAX_VALUE;
  let hi = Number.MAX_VALUE;
  let current = rs.stats(lo, hi)!;
  if (current.count === 0) return { mean: NaN, median: NaN, std: NaN, n: 0 };
  for (let it = 0; it < o.maxiters; it++) {
    const cen = o.cenfunc === 'median' ? current.median : current.mean;
    const nlo = Math.max(lo, cen - current.std * o.sigmaLower);
    const nhi = Math.min(hi, cen + current.std * o.sigmaUpper);
    // one scan both counts the survivors and, when something was clipped, gives their statistics
    const next = Number.isFinite(nlo) && Number.isFinite(nhi) ? rs.statsShifted(nlo, nhi, current.mean, current.count) : rs.stats(nlo, nhi, current.count);
    if (next === undefined) break; // nothing clipped: converged, the current statistics stand
    lo = nlo;
    hi = nhi;
    current = next;
    if (next.count === 0) break;
  }
  let std = current.std;
  const ddof = o.stdDdof ?? 0;
  if (ddof !== 0 && current.count > ddof) std = current.std * Math.sqrt(current.count / (current.count - ddof));
  return { mean: current.mean, median: current.median, std, n: current.count };
}
