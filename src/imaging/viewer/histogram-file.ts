/**
 * GET /histogram's computation: the stretched finite pixels' histogram, the raw (min/max
 * normalized) histogram, percentiles with keys that cannot collide (p_0_5 ... p_99_5), stats, and
 * the display that was really applied. NaN/inf are excluded everywhere.
 * The plane is streamed in bands (bounded memory whatever its size) and every figure is exact:
 * since the display mapping is non-decreasing, the stretched range is [map(min), map(max)], so
 * bins are known before the counting pass, and percentiles come from quantile buckets.
 */
import { buildDisplayMapping, type AppliedDisplay, type DisplayMapping, type DisplayOptions } from '../display.js';
import { histogram, UniformBins, type Histogram } from '../histogram.js';
import { BucketQuantiles } from '../quantiles.js';
import type { DisplayStatistics } from '../statistics.js';
import { openImage, planeBands, withSmoothing, type OpenedImage, type ViewerLimits } from './source.js';
import type { SmoothOptions } from '../smoothing.js';
import { asFloat32, scanStatistics } from './band-render.js';
import { floatOfKey } from '../float32-keys.js';
import { Float32BinPass, type Float32BinSetup, type Float32BinTotals } from '../float32-histogram.js';
import { lerp, percentileRanks } from '../quantiles.js';

export const HISTOGRAM_PERCENTILES = [0.5, 1, 5, 25, 50, 75, 95, 99, 99.5] as const;

export function percentileKey(p: number): string {
  return `p_${String(p).replace('.', '_')}`;
}

export interface HistogramJson {
  counts: number[];
  bin_centers: number[];
  bin_edges: number[];
  n_bins: number;
}

export interface HistogramResult {
  histogram: HistogramJson;
  raw_histogram: HistogramJson;
  percentiles: Record<string, number | null>;
  stats: { min: number | null; max: number | null; mean: number | null; std: number | null };
  cube_info: { n_slices: number; current_slice: number };
  stretch: AppliedDisplay;
}

export interface HistogramFileRequest {
  readonly path: string;
  readonly sliceIndex: number;
  readonly bins: number;
  readonly display: DisplayOptions;
  readonly limits: ViewerLimits;
  /** Smoothing of the full-resolution plane (GET /histogram smooth_*). */
  readonly smooth?: SmoothOptions | null;
}

function toJson(h: Histogram): HistogramJson {
  return { counts: h.counts, bin_centers: h.binCenters, bin_edges: h.binEdges, n_bins: h.nBins };
}

export async function histogramFile(req: HistogramFileRequest): Promise<HistogramResult> {
  const opened = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    const img = await withSmoothing(opened, req.smooth, req.limits);
    const cube_info = { n_slices: img.slice.nSlices, current_slice: img.slice.current };
    const { stats, buckets } = await scanStatistics(img, req.limits, req.display);
    const result = buckets ? await float32Histogram(img, req, stats, buckets) : await streamedHistogram(img, req, stats);
    return { ...result, cube_info };
  } finally {
    await opened.file.close();
  }
}

/**
 * The histogram of a streamed plane in two more passes and bounded memory: pass B bins the raw and
 * the mapped values, sums them and counts them into quantile buckets; pass C adds the squared
 * deviations (numpy's two-pass std) and collects the few buckets holding the percentile ranks.
 */
async function streamedHistogram(img: OpenedImage, req: HistogramFileRequest, stats: DisplayStatistics): Promise<Omit<HistogramResult, 'cube_info'>> {
  const mapping = buildDisplayMapping(stats, req.display);
  const { count, min, max } = stats.summary;
  if (count === 0) {
    const empty = toJson(histogram([], req.bins, 0, 1));
    return {
      histogram: empty,
      raw_histogram: empty,
      percentiles: Object.fromEntries(HISTOGRAM_PERCENTILES.map((p) => [percentileKey(p), null])),
      stats: { min: null, max: null, mean: null, std: null },
      stretch: mapping.applied,
    };
  }
  const span = max - min;
  const sMin = mapping.map(min);
  const sMax = mapping.map(max);
  const rawBins = new UniformBins(req.bins, 0, span === 0 ? 0 : 1);
  const bins = new UniformBins(req.bins, sMin, sMax);
  const rawCounts = new Float64Array(req.bins);
  const counts = new Float64Array(req.bins);
  const quantiles = new BucketQuantiles(sMin, sMax);
  let total = 0;
  for await (const band of planeBands(img, req.limits)) {
    total += binBand(band, min, span, rawBins, rawCounts, bins, counts, quantiles, mapping.affine, mapping.map);
  }
  const mean = total / count;
  quantiles.plan(HISTOGRAM_PERCENTILES.map((p) => p));
  let ss = 0;
  for await (const band of planeBands(img, req.limits)) ss += deviationBand(band, mean, quantiles, mapping.affine, mapping.map);
  const ps = quantiles.result();
  return {
    histogram: toJson(bins.result(counts)),
    raw_histogram: toJson(rawBins.result(rawCounts)),
    percentiles: Object.fromEntries(HISTOGRAM_PERCENTILES.map((p, i) => [percentileKey(p), ps[i]!])),
    stats: { min: sMin, max: sMax, mean, std: Math.sqrt(ss / count) },
    stretch: mapping.applied,
  };
}

/**
 * The same figures for a float32 plane in one more pass instead of two: the scan's bucket histogram
 * of the raw values locates the percentile ranks (the display mapping is non-decreasing, so the
 * stretched percentiles are the mapped raw order statistics), and the pass bins, sums and counts
 * the few buckets holding those ranks together. The standard deviation comes from sums shifted by
 * a value near the median (equal to numpy's two-pass figure to ~1e-15). Counters are int32 within
 * a band (float64 increments of the same few bins run several times slower in V8).
 */
async function float32Histogram(img: OpenedImage, req: HistogramFileRequest, stats: DisplayStatistics, buckets: Float64Array): Promise<Omit<HistogramResult, 'cube_info'>> {
  if (stats.summary.count === 0) return streamedHistogram(img, req, stats);
  const plan = float32CountPlan(req, stats, buckets);
  const pass = new Float32BinPass(plan.setup, buckets, plan.mapping.map);
  for await (const band of planeBands(img, req.limits)) pass.add(asFloat32(band));
  return float32Result(plan, pass.merge([pass.counts()]), stats.summary.count);
}

/** What the counting pass of a float32 plane depends on, from the first pass (the same in every worker that counts a part). */
export interface Float32CountPlan {
  readonly mapping: DisplayMapping;
  readonly rawBins: UniformBins;
  readonly bins: UniformBins;
  readonly ranks: ReadonlyArray<[number, number, number]>;
  readonly setup: Float32BinSetup;
}

/** The bins, ranks and shift of the counting pass (stats of a plane with finite values). */
export function float32CountPlan(req: Pick<HistogramFileRequest, 'bins' | 'display'>, stats: DisplayStatistics, buckets: Float64Array): Float32CountPlan {
  const { count, min, max } = stats.summary;
  const mapping = buildDisplayMapping(stats, req.display);
  const { affine, map } = mapping;
  const span = max - min;
  const rawBins = new UniformBins(req.bins, 0, span === 0 ? 0 : 1);
  const bins = new UniformBins(req.bins, mapping.map(min), mapping.map(max));
  const ranks = HISTOGRAM_PERCENTILES.map((p) => percentileRanks(p, count));
  // shift for the sums: the mapped lower edge of the median's bucket
  let b = 0;
  for (let seen = buckets[0]!; seen <= count / 2 && b < 65_535; ) seen += buckets[++b]!;
  const shift = mapped(floatOfKey(((b ^ 0x8000) << 16) | 0), affine, map);
  const setup: Float32BinSetup = { bins: req.bins, min, max, rawEdges: rawBins.edges, edges: bins.edges, affine, shift, ranks: ranks.flatMap(([r0, r1]) => [r0, r1]) };
  return { mapping, rawBins, bins, ranks, setup };
}

/** The histogram's figures from the merged counts. */
export function float32Result(plan: Float32CountPlan, acc: Float32BinTotals, count: number): Omit<HistogramResult, 'cube_info'> {
  const { mapping, ranks } = plan;
  const { affine, map } = mapping;
  const sMin = mapping.map(plan.setup.min);
  const sMax = mapping.map(plan.setup.max);
  const ps = ranks.map(([r0, r1, frac]) => lerp(mapped(acc.value(r0), affine, map), mapped(acc.value(r1), affine, map), frac));
  const d = acc.s1 / count;
  const shift = plan.setup.shift;
  return {
    histogram: toJson(plan.bins.result(acc.counts)),
    raw_histogram: toJson(plan.rawBins.result(acc.rawCounts)),
    percentiles: Object.fromEntries(HISTOGRAM_PERCENTILES.map((p, i) => [percentileKey(p), !(sMax > sMin) ? sMin : ps[i]!])),
    stats: { min: sMin, max: sMax, mean: shift + d, std: Math.sqrt(Math.max(0, acc.s2 / count - d * d)) },
    stretch: mapping.applied,
  };
}

type Affine = { readonly vmin: number; readonly span: number } | undefined;

function mapped(v: number, affine: Affine, map: (v: number) => number): number {
  if (!affine) return map(v);
  const d = (v - affine.vmin) / affine.span;
  return d < 0 ? 0 : d > 1 ? 1 : d;
}

function binBand(
  band: ArrayLike<number>, min: number, span: number, rawBins: UniformBins, rawCounts: Float64Array,
  bins: UniformBins, counts: Float64Array, quantiles: BucketQuantiles, affine: Affine, map: (v: number) => number,
): number {
  // Everything inlined (no calls per pixel): this loop is the histogram's cost.
  const nb = bins.bins;
  const rFirst = rawBins.first;
  const rNorm = nb / (rawBins.last - rFirst);
  const rLast = rawBins.last;
  const rEdges = Float64Array.from(rawBins.edges);
  const sFirst = bins.first;
  const sLast = bins.last;
  const sNorm = nb / (sLast - sFirst);
  const sEdges = Float64Array.from(bins.edges);
  const qCounts = quantiles.counts;
  const qLo = quantiles.lo;
  const qScale = quantiles.scale;
  const qMax = qCounts.length - 1;
  const aMin = affine ? affine.vmin : 0;
  const aSpan = affine ? affine.span : 1;
  const isAffine = affine !== undefined;
  let total = 0;
  let n = 0;
  for (let i = 0, len = band.length; i < len; i++) {
    const v = band[i]!;
    if (v - v !== 0) continue;
    n++;
    let r = span === 0 ? 0 : (v - min) / span;
    r = r < 0 ? 0 : r > 1 ? 1 : r;
    if (r >= rFirst && r <= rLast) {
      let k = Math.trunc((r - rFirst) * rNorm);
      if (k === nb) k--;
      if (r < rEdges[k]!) k--;
      else if (k !== nb - 1 && r >= rEdges[k + 1]!) k++;
      rawCounts[k] += 1;
    }
    let m: number;
    if (isAffine) {
      m = (v - aMin) / aSpan;
      m = m < 0 ? 0 : m > 1 ? 1 : m;
    } else {
      m = map(v);
    }
    if (m >= sFirst && m <= sLast) {
      let k = Math.trunc((m - sFirst) * sNorm);
      if (k === nb) k--;
      if (m < sEdges[k]!) k--;
      else if (k !== nb - 1 && m >= sEdges[k + 1]!) k++;
      counts[k] += 1;
    }
    let q = Math.floor((m - qLo) * qScale);
    q = q < 0 ? 0 : q > qMax ? qMax : q;
    qCounts[q]++;
    total += m;
  }
  quantiles.added(n);
  return total;
}

function deviationBand(band: ArrayLike<number>, mean: number, quantiles: BucketQuantiles, affine: Affine, map: (v: number) => number): number {
  let ss = 0;
  for (let i = 0, n = band.length; i < n; i++) {
    const v = band[i]!;
    if (v - v !== 0) continue;
    const m = mapped(v, affine, map);
    const d = m - mean;
    ss += d * d;
    quantiles.collect(m);
  }
  return ss;
}
