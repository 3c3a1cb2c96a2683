/**
 * Statistics of one image plane in data units, for a client that maps colours itself: min, max,
 * mean, std, numpy-linear percentiles, astropy's zscale limits and a histogram over a data range
 * (with counts below and above it). The plane streams in row bands; its finite values are
 * collected (a systematic sample above MAX_COLLECTED, flagged `sampled`).
 */
import { ZScaleInterval } from '../intervals.js';
import { zscaleSample } from '../finite.js';
import { lerp, percentileRanks, percentilesOfMapped } from '../quantiles.js';
import { Float32OrderStatistics, NON_FINITE_BITS as NON_FINITE, bitsOf, floatOfKey } from '../float32-keys.js';

// A module-local copy for the loop: an imported binding is a getter call per pixel where the
// modules are compiled to CommonJS (tsx in worker threads: the tests and benches).
const NON_FINITE_BITS: number = NON_FINITE;
import { bunitOf, withImageHdu, type HduRef } from './image-hdu.js';
import { planeBands, type ViewerLimits } from './source.js';
import { float32Exact } from './tiles.js';

export const MAX_COLLECTED = 32_000_000;
export const STATS_PERCENTILES = [0.1, 0.5, 1, 5, 25, 50, 75, 95, 99, 99.5, 99.9] as const;

export interface PlaneStatsRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  readonly sliceIndex: number;
  readonly bins: number;
  /** Histogram range; default a range around the 0.1-99.9 % values (the whole range when compact). */
  readonly lo?: number;
  readonly hi?: number;
  readonly limits: ViewerLimits;
}

export interface PlaneStats {
  readonly hdu: number;
  readonly current_slice: number;
  readonly bunit: string;
  readonly count: number;
  readonly nan_count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  /** Keyed "0.5", "99.5", ... */
  readonly percentiles: Record<string, number | null>;
  readonly zscale: [number, number] | null;
  readonly sampled: boolean;
  readonly histogram: { readonly lo: number; readonly hi: number; readonly counts: number[]; readonly below: number; readonly above: number } | null;
}

export async function planeStatsFile(req: PlaneStatsRequest): Promise<PlaneStats> {
  return withImageHdu(req.path, req.hdu, req.sliceIndex, req.limits, async (img) => {
    const total = img.width * img.height;
    const stride = Math.max(1, Math.ceil(total / MAX_COLLECTED));
    const exact32 = float32Exact(img);
    // float32 holds float32-exact data at half the memory.
    const values = exact32 ? new Float32Array(Math.ceil(total / stride)) : new Float64Array(Math.ceil(total / stride));
    // Float32 planes read in full: finiteness, min, max and a 65,536-bucket histogram of order
    // keys come from the pixels' bits (float32-keys.ts), and the percentiles from one more pass
    // over only the buckets that hold their ranks, instead of a selection over every value.
    const scan = exact32 && stride === 1 ? new FiniteFloat32(values as Float32Array) : null;
    let n = 0;
    let seen = 0;
    let nan = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for await (const band of planeBands(img, req.limits)) {
      if (scan) {
        // float32-exact values (BITPIX 8/16 come as float32 too): a copy loses nothing.
        scan.add(band instanceof Float32Array ? band : Float32Array.from(band));
        continue;
      }
      for (let i = 0; i < band.length; i++) {
        const v = band[i]!;
        if (v - v !== 0) {
          nan++;
          continue;
        }
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        if (seen++ % stride === 0) values[n++] = v;
      }
    }
    let buckets: Float64Array | null = null;
    if (scan) {
      buckets = Float64Array.from(scan.buckets);
      n = seen = scan.n;
      nan = total - scan.n;
      sum = scan.sum;
      if (scan.n > 0) {
        min = floatOfKey(scan.minKey);
        max = floatOfKey(scan.maxKey);
      }
    }
    const base = { hdu: img.hdu.index, current_slice: img.slice.current, bunit: bunitOf(img.hdu), count: seen, nan_count: nan, sampled: stride > 1 };
    if (seen === 0) {
      return { ...base, min: null, max: null, mean: null, std: null, percentiles: Object.fromEntries(STATS_PERCENTILES.map((q) => [String(q), null])), zscale: null, histogram: null };
    }
    const finite = values.subarray(0, n);
    const mean = sum / seen;
    const z = new ZScaleInterval().limitsFromSample(zscaleSample(finite, n, 1000));
    const lo0 = req.lo;
    const hi0 = req.hi;
    // After the zscale sample (which needs the pixel order): the selection reorders `finite`.
    const pct = buckets ? percentilesByKeys(finite as Float32Array, buckets, STATS_PERCENTILES) : percentilesOfMapped(finite, [...STATS_PERCENTILES]);
    const [p01, p999] = [pct[0]!, pct[pct.length - 1]!];
    let lo = lo0 ?? min;
    let hi = hi0 ?? max;
    if (lo0 === undefined && hi0 === undefined && max - min > 20 * (p999 - p01) && p999 > p01) {
      const pad = (p999 - p01) * 0.25;
      lo = Math.max(min, p01 - pad);
      hi = Math.min(max, p999 + pad);
    }
    if (!(hi > lo)) hi = lo + 1;
    const counts = new Int32Array(req.bins + 2);
    const std = Math.sqrt(spreadAndBins(finite, mean, counts, lo, hi) / n);
    return {
      ...base,
      min,
      max,
      mean,
      std,
      percentiles: Object.fromEntries(STATS_PERCENTILES.map((q, i) => [String(q), pct[i]!])),
      zscale: [z.vmin, z.vmax],
      histogram: { lo, hi, counts: Array.from(counts.subarray(0, req.bins)), below: counts[req.bins]!, above: counts[req.bins + 1]! },
    };
  });
}

/**
 * One pass over float32 bands through their bits: the finite values are appended to `out` (in
 * order), summed, and counted into a 65,536-bucket histogram of order keys (float32-keys.ts), with
 * min and max as integer compares of the keys.
 */
class FiniteFloat32 {
  n = 0;
  sum = 0;
  minKey = 0x7fffffff;
  maxKey = -0x80000000;
  /** At most 2^31 - 1 values (MAX_COLLECTED is far below). */
  readonly buckets = new Int32Array(65_536);

  constructor(private readonly out: Float32Array) {}

  add(band: Float32Array): void {
    const bits = bitsOf(band);
    const { out, buckets } = this;
    let j = this.n;
    let sum = this.sum;
    let mn = this.minKey;
    let mx = this.maxKey;
    for (let i = 0, len = bits.length; i < len; i++) {
      const u = bits[i]!;
      if ((u & NON_FINITE_BITS) === NON_FINITE_BITS) continue;
      const k = u ^ ((u >> 31) & 0x7fffffff);
      if (k < mn) mn = k;
      if (k > mx) mx = k;
      buckets[(k >>> 16) ^ 0x8000]++;
      const v = band[i]!;
      out[j++] = v;
      sum += v;
    }
    this.n = j;
    this.sum = sum;
    this.minKey = mn;
    this.maxKey = mx;
  }
}

/**
 * numpy-linear percentiles of the finite float32 `values` (not reordered) from the key bucket
 * histogram of the same values: one pass counts only the buckets holding the wanted ranks.
 */
function percentilesByKeys(values: Float32Array, buckets: Float64Array, qs: readonly number[]): number[] {
  const ranks = qs.map((q) => percentileRanks(q, values.length));
  const order = new Float32OrderStatistics(buckets, ranks.flatMap(([a, b]) => [a, b]));
  order.add(values);
  return ranks.map(([a, b, frac]) => lerp(order.value(a), order.value(b), frac));
}

/**
 * The sum of squared deviations from `mean` (numpy's two-pass std), and in the same pass the
 * histogram: counts[0..bins) over [lo, hi] (the last bin closed), counts[bins] below lo and
 * counts[bins + 1] above hi, where bins = counts.length - 2.
 */
function spreadAndBins(values: ArrayLike<number>, mean: number, counts: Int32Array, lo: number, hi: number): number {
  const bins = counts.length - 2;
  const scale = bins / (hi - lo);
  const last = bins - 1;
  let ss = 0;
  for (let i = 0, n = values.length; i < n; i++) {
    const v = values[i]!;
    const d = v - mean;
    ss += d * d;
    if (v < lo) counts[bins]++;
    else if (v > hi) counts[bins + 1]++;
    else {
      // v >= lo and (v - lo) * scale <= bins (+ rounding): truncation is floor, and an int32 index
      const b = ((v - lo) * scale) | 0;
      counts[b < last ? b : last]++;
    }
  }
  return ss;
}
