/**
 * GET /histogram's computation: the stretched finite pixels' histogram, the raw (min/max
 * normalized) histogram, percentiles with keys that cannot collide (p_0_5 ... p_99_5), stats, and
 * the display that was really applied. NaN/inf are excluded everywhere.
 * Counts, min, max, mean and std cover every finite pixel; since the display mapping is
 * non-decreasing, the stretched range is [map(min), map(max)] and a second pass over bands can
 * count exactly. Percentiles are exact for planes held whole (sampled for huge band-read planes).
 */
import { buildDisplayMapping, type AppliedDisplay, type DisplayOptions } from '../display.js';
import { histogram, histogramNormalized, UniformBins, type Histogram } from '../histogram.js';
import { percentilesByBuckets, percentilesOfMapped } from '../quantiles.js';
import { SampledStatistics, statisticsOf, type DisplayStatistics } from '../statistics.js';
import { openImage, planeBands, readWholePlane, type ViewerLimits } from './source.js';

/** Planes with at most this many finite pixels are histogrammed from one mapped copy (8 bytes each). */
export const MAX_MAPPED_VALUES = 32_000_000;

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
}

function toJson(h: Histogram): HistogramJson {
  return { counts: h.counts, bin_centers: h.binCenters, bin_edges: h.binEdges, n_bins: h.nBins };
}

/** The histogram result from bands (an array, or a function that streams them again for each pass). */
export async function histogramOf(source: ArrayLike<number>[] | (() => AsyncGenerator<ArrayLike<number>>), stats: DisplayStatistics, req: Pick<HistogramFileRequest, 'bins' | 'display'>): Promise<Omit<HistogramResult, 'cube_info'>> {
  {
    const mapping = buildDisplayMapping(stats, req.display);
    const { count, min, max } = stats.summary;
    const bands = async function* () {
      if (Array.isArray(source)) yield* source;
      else yield* source();
    };
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
    if (Array.isArray(source) && source.length === 1 && !stats.sampled && count <= MAX_MAPPED_VALUES) {
      // The plane is in memory: map each finite pixel once into one array; histogram, moments
      // and percentiles then work on it without calling the mapping again.
      const data = source[0]!;
      // One pass: raw bin, mapped value, stretched bin and the sum; a second for the std.
      const rawBins = new UniformBins(req.bins, 0, span === 0 ? 0 : 1);
      const bins = new UniformBins(req.bins, sMin, sMax);
      const rawCounts = new Float64Array(req.bins);
      const counts = new Float64Array(req.bins);
      const values = new Float64Array(count);
      const total = fusedPass(data, values, min, span, rawBins, rawCounts, bins, counts, mapping.affine, mapping.map);
      const mean = total / values.length;
      let ss = 0;
      for (let i = 0; i < values.length; i++) {
        const d = values[i]! - mean;
        ss += d * d;
      }
      const raw = rawBins.result(rawCounts);
      const h = bins.result(counts);
      const ps = percentilesByBuckets(values, HISTOGRAM_PERCENTILES.map((p) => p), sMin, sMax);
      return {
        histogram: toJson(h),
        raw_histogram: toJson(raw),
        percentiles: Object.fromEntries(HISTOGRAM_PERCENTILES.map((p, i) => [percentileKey(p), ps[i]!])),
        stats: { min: sMin, max: sMax, mean, std: Math.sqrt(ss / values.length) },
        stretch: mapping.applied,
      };
    }
    const counts = new Float64Array(req.bins);
    const rawCounts = new Float64Array(req.bins);
    let sum = 0;
    let n = 0;
    // Two passes for std (numpy computes it around the mean): sums first, then squared deviations.
    for await (const band of bands()) {
      const h = histogram(band, req.bins, sMin, sMax, mapping.map);
      const r = histogramNormalized(band, req.bins, min, span);
      for (let i = 0; i < req.bins; i++) {
        counts[i] += h.counts[i]!;
        rawCounts[i] += r.counts[i]!;
      }
      for (let i = 0; i < band.length; i++) {
        const v = band[i]!;
        if (v - v !== 0) continue;
        sum += mapping.map(v);
        n++;
      }
    }
    const mean = sum / n;
    let ss = 0;
    for await (const band of bands()) {
      for (let i = 0; i < band.length; i++) {
        const v = band[i]!;
        if (v - v !== 0) continue;
        const d = mapping.map(v) - mean;
        ss += d * d;
      }
    }
    const shape = histogram([], req.bins, sMin, sMax);
    const rawShape = histogram([], req.bins, 0, span === 0 ? 0 : 1);
    const ps = percentilesOfMapped(stats.finiteValues(), HISTOGRAM_PERCENTILES.map((p) => p), mapping.map);
    return {
      histogram: { ...toJson(shape), counts: Array.from(counts) },
      raw_histogram: { ...toJson(rawShape), counts: Array.from(rawCounts) },
      percentiles: Object.fromEntries(HISTOGRAM_PERCENTILES.map((p, i) => [percentileKey(p), ps[i]!])),
      stats: { min: sMin, max: sMax, mean, std: Math.sqrt(ss / n) },
      stretch: mapping.applied,
    };
  }
}

export async function histogramFile(req: HistogramFileRequest): Promise<HistogramResult> {
  const img = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    const cube_info = { n_slices: img.slice.nSlices, current_slice: img.slice.current };
    if (img.inMemory) {
      const plane = await readWholePlane(img, req.limits);
      return { ...(await histogramOf([plane.data], statisticsOf(plane.data), req)), cube_info };
    }
    const stats = new SampledStatistics(img.width * img.height);
    for await (const band of planeBands(img, req.limits)) stats.add(band);
    return { ...(await histogramOf(() => planeBands(img, req.limits), stats, req)), cube_info };
  } finally {
    await img.file.close();
  }
}

/**
 * The in-memory histogram pass, kept in its own small function so the JIT optimises it as one
 * loop: raw bin of the min/max-normalised value, mapped value (stored), stretched bin, and the sum.
 */
function fusedPass(
  data: ArrayLike<number>,
  values: Float64Array,
  min: number,
  span: number,
  rawBins: UniformBins,
  rawCounts: Float64Array,
  bins: UniformBins,
  counts: Float64Array,
  affine: { readonly vmin: number; readonly span: number } | undefined,
  map: (v: number) => number,
): number {
  const nb = bins.bins;
  const rFirst = rawBins.first;
  const rLast = rawBins.last;
  const rNorm = nb / (rLast - rFirst);
  const rEdges = Float64Array.from(rawBins.edges);
  const sFirst = bins.first;
  const sLast = bins.last;
  const sNorm = nb / (sLast - sFirst);
  const sEdges = Float64Array.from(bins.edges);
  const aMin = affine ? affine.vmin : 0;
  const aSpan = affine ? affine.span : 1;
  let j = 0;
  let total = 0;
  for (let i = 0, n = data.length; i < n; i++) {
    const v = data[i]!;
    if (v - v !== 0) continue;
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
    if (affine) {
      m = (v - aMin) / aSpan;
      m = m < 0 ? 0 : m > 1 ? 1 : m;
    } else {
      m = map(v);
    }
    values[j++] = m;
    total += m;
    if (m >= sFirst && m <= sLast) {
      let k = Math.trunc((m - sFirst) * sNorm);
      if (k === nb) k--;
      if (m < sEdges[k]!) k--;
      else if (k !== nb - 1 && m >= sEdges[k + 1]!) k++;
      counts[k] += 1;
    }
  }
  return total;
}
