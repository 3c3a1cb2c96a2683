/**
 * Statistics of one image plane in data units, for a client that maps colours itself: min, max,
 * mean, std, numpy-linear percentiles, astropy's zscale limits and a histogram over a data range
 * (with counts below and above it). The plane streams in row bands; its finite values are
 * collected (a systematic sample above MAX_COLLECTED, flagged `sampled`).
 */
import { ZScaleInterval } from '../intervals.js';
import { zscaleSample } from '../finite.js';
import { percentilesOfMapped } from '../quantiles.js';
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
    // float32 holds float32-exact data at half the memory.
    const values = float32Exact(img) ? new Float32Array(Math.ceil(total / stride)) : new Float64Array(Math.ceil(total / stride));
    let n = 0;
    let seen = 0;
    let nan = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for await (const band of planeBands(img, req.limits)) {
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
    const base = { hdu: img.hdu.index, current_slice: img.slice.current, bunit: bunitOf(img.hdu), count: seen, nan_count: nan, sampled: stride > 1 };
    if (seen === 0) {
      return { ...base, min: null, max: null, mean: null, std: null, percentiles: Object.fromEntries(STATS_PERCENTILES.map((q) => [String(q), null])), zscale: null, histogram: null };
    }
    const finite = values.subarray(0, n);
    const mean = sum / seen;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (finite[i]! - mean) ** 2;
    const std = Math.sqrt(ss / n);
    const z = new ZScaleInterval().limitsFromSample(zscaleSample(finite, n, 1000));
    const lo0 = req.lo;
    const hi0 = req.hi;
    // After the zscale sample (which needs the pixel order): the selection reorders `finite`.
    const pct = percentilesOfMapped(finite, [...STATS_PERCENTILES]);
    const [p01, p999] = [pct[0]!, pct[pct.length - 1]!];
    let lo = lo0 ?? min;
    let hi = hi0 ?? max;
    if (lo0 === undefined && hi0 === undefined && max - min > 20 * (p999 - p01) && p999 > p01) {
      const pad = (p999 - p01) * 0.25;
      lo = Math.max(min, p01 - pad);
      hi = Math.min(max, p999 + pad);
    }
    if (!(hi > lo)) hi = lo + 1;
    const counts = new Array<number>(req.bins).fill(0);
    let below = 0;
    let above = 0;
    const scale = req.bins / (hi - lo);
    for (let i = 0; i < n; i++) {
      const v = finite[i]!;
      if (v < lo) below++;
      else if (v > hi) above++;
      else counts[Math.min(req.bins - 1, Math.floor((v - lo) * scale))]!++;
    }
    return {
      ...base,
      min,
      max,
      mean,
      std,
      percentiles: Object.fromEntries(STATS_PERCENTILES.map((q, i) => [String(q), pct[i]!])),
      zscale: [z.vmin, z.vmax],
      histogram: { lo, hi, counts, below, above },
    };
  });
}
