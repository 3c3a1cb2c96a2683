/**
 * Rendering a plane streamed in row bands, with statistics exactly as on the whole plane:
 * - one pass resamples and counts finite pixels per row (plus min and max);
 * - the zscale sample is astropy's (every stride-th finite value, stride from the finite count):
 *   taken during the pass when every pixel is finite, otherwise read back from just the rows that
 *   hold the sampled values, found through the per-row counts;
 * - percentiles (levels) and histogram equalisation need every finite value: a second pass
 *   collects them (or a systematic sample of at most `maxValues` for enormous planes).
 */
import type { PixelArray } from '../../core/image-plane.js';
import type { ImagePlane } from '../../core/image-plane.js';
import type { DisplayOptions } from '../display.js';
import type { FiniteSummary } from '../finite.js';
import { AreaResampler, fitInside } from '../resample.js';
import type { DisplayStatistics } from '../statistics.js';
import { planeBands, planeReaders, type OpenedImage, type ViewerLimits } from './source.js';
import { hduScaling } from '../../fits/index.js';
import { Float32Scan } from '../float32-keys.js';

export const ZSCALE_SAMPLES = 1000;
/** Finite values collected for exact percentiles; beyond, a systematic sample. */
export const MAX_COLLECTED_VALUES = 32_000_000;

export interface ReducedPlane {
  readonly reduced: ImagePlane<Float32Array>;
  readonly stats: DisplayStatistics;
}

export async function reduceBands(img: OpenedImage, limits: ViewerLimits, box: { width: number; height: number }, display: DisplayOptions): Promise<ReducedPlane> {
  const { width, height } = img;
  const total = width * height;
  const size = fitInside(width, height, box.width, box.height);
  const resampler = new AreaResampler(width, height, size.width, size.height, undefined, { minMax: usesMinMax(display) });
  // The zscale sample if every pixel turns out finite: flat indices 0, s, 2s, ...
  const { stride0, pre } = allFiniteSample(total);
  let offset = 0;
  for await (const band of planeBands(img, limits)) {
    resampler.pushRows(band);
    takeSample(pre, stride0, offset, band);
    offset += band.length;
  }
  const reduced = resampler.finish();
  const summary = resampler.summary;

  return { reduced, stats: await displayStatistics(img, limits, display, summary, pre, resampler.rowFiniteCounts, resampler.rowFirstFinite) };
}

/** False for zscale displays, whose limits come from the zscale sample and not from the data's min and max. */
export function usesMinMax(display: DisplayOptions): boolean {
  return display.stretch !== 'zscale';
}

/**
 * What the display needs once a first pass has the count/min/max, the per-row finite counts and the
 * zscale sample assuming every pixel is finite: the real zscale sample (a second, targeted read when
 * some are not) and, for histeq or black/white points, the finite values. `rowFirst` (optional,
 * `AreaResampler.rowFirstFinite`): rows whose finite values are one run, and where it starts.
 */
export async function displayStatistics(
  img: OpenedImage, limits: ViewerLimits, display: DisplayOptions, summary: FiniteSummary, pre: Float64Array, rowCounts: Int32Array, rowFirst?: Int32Array,
): Promise<DisplayStatistics> {
  const zscale = display.stretch === 'zscale'
    ? await zscaleSampleOf(planeReaders(img, limits), img.width, img.height, summary.count, pre, rowCounts, rowFirst)
    : new Float64Array(0);
  const needValues = display.stretch === 'histeq' || (display.blackPoint ?? 0) > 0 || (display.whitePoint ?? 1) < 1;
  const values = needValues && summary.count > 0 ? await collectFinite(img, limits, summary) : { values: new Float64Array(0), sampled: false };
  let handedOut = false;
  return {
    summary,
    sampled: values.sampled,
    zscaleSample: () => zscale.slice(),
    finiteValues: () => {
      // The first caller may reorder the array; later ones get a copy.
      if (handedOut) return values.values.slice();
      handedOut = true;
      return values.values;
    },
  };
}

/**
 * The display statistics of a streamed plane without resampling it (for the histogram): one pass
 * for count/min/max and per-row finite counts, then the zscale sample and, when the display needs
 * them, the finite values, exactly as `reduceBands` gets them. Float32 planes are scanned through
 * their bits (see float32-keys.ts), which also gives `buckets`: the finite values' 65,536-bucket
 * key histogram, for exact percentiles in one more pass.
 */
export async function scanStatistics(img: OpenedImage, limits: ViewerLimits, display: DisplayOptions): Promise<{ stats: DisplayStatistics; buckets?: Float64Array }> {
  const { width, height } = img;
  const total = width * height;
  const rowCounts = new Int32Array(height);
  const { stride0, pre } = allFiniteSample(total);
  const acc = { count: 0, min: Infinity, max: -Infinity };
  const keys = yieldsFloat32(img) ? new Float32Scan(width, rowCounts) : undefined;
  let offset = 0;
  for await (const band of planeBands(img, limits)) {
    if (keys) keys.add(asFloat32(band), offset / width);
    else scanBand(band, width, offset / width, rowCounts, acc);
    takeSample(pre, stride0, offset, band);
    offset += band.length;
  }
  const summary: FiniteSummary = keys ? keys.finish() : acc.count === 0 ? { count: 0, min: NaN, max: NaN } : { count: acc.count, min: acc.min, max: acc.max };
  const stats = await displayStatistics(img, limits, display, summary, pre, rowCounts);
  return keys ? { stats, buckets: keys.buckets } : { stats };
}

/** The zscale sample's flat indices (0, stride0, 2 stride0, ...) if every one of `total` pixels turns out finite. */
export function allFiniteSample(total: number): { stride0: number; pre: Float64Array } {
  const stride0 = Math.max(1, Math.trunc(Math.max(1, total / ZSCALE_SAMPLES)));
  return { stride0, pre: new Float64Array(Math.min(ZSCALE_SAMPLES, Math.ceil(total / stride0))) };
}

/** Copies the sampled pixels of `band` (flat offset `offset`) into `pre`; returns the range of entries filled. */
export function takeSample(pre: Float64Array, stride0: number, offset: number, band: ArrayLike<number>): [number, number] {
  const end = offset + band.length;
  const from = Math.ceil(offset / stride0);
  let j = from;
  for (; j < pre.length && j * stride0 < end; j++) pre[j] = band[j * stride0 - offset]!;
  return [Math.min(from, j), j];
}

/** True when `planeBands` yields Float32Array bands (BITPIX 8, 16 and -32, not smoothed). */
export function yieldsFloat32(img: OpenedImage): boolean {
  return !img.smoothed && hduScaling(img.hdu).output === 'float32';
}

/** The band as float32 (it is one whenever `yieldsFloat32`; the copy is a safety net, exact for float32 values). */
export function asFloat32(band: PixelArray): Float32Array {
  return band instanceof Float32Array ? band : Float32Array.from(band);
}

function scanBand(band: PixelArray, width: number, firstRow: number, rowCounts: Int32Array, acc: { count: number; min: number; max: number }): void {
  let { count, min, max } = acc;
  for (let r = 0, rows = band.length / width; r < rows; r++) {
    let c = 0;
    for (let i = r * width, end = i + width; i < end; i++) {
      const v = band[i]!;
      if (v - v !== 0) continue;
      c++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    rowCounts[firstRow + r] = c;
    count += c;
  }
  acc.count = count;
  acc.min = min;
  acc.max = max;
}

/**
 * astropy's zscale sample, reading back only the rows that hold sampled values; of a row whose
 * finite values are one run starting at `rowFirst[row]` (>= 0), only the sampled pixels.
 */
/** Rows [y0, y1) of a plane, in pieces with their first row (a piece is valid until the next one is asked for). */
export type PlaneRowReader = (y0: number, y1: number) => AsyncIterable<{ y0: number; data: PixelArray }> | Iterable<{ y0: number; data: PixelArray }>;

/** Where the zscale sample is read back from: rows, and (optionally) single pixels (`planeReaders`). */
export interface SampleReaders {
  readonly rows: PlaneRowReader;
  readonly pixel?: (x: number, y: number) => Promise<number>;
}

/**
 * astropy's zscale sample of a plane of `count` finite values: `pre` (taken during the first pass)
 * when every pixel is finite, otherwise read back through `readers` (see sampleByRank).
 */
export async function zscaleSampleOf(
  readers: SampleReaders, width: number, height: number, count: number, pre: Float64Array, rowCounts: Int32Array, rowFirst?: Int32Array,
): Promise<Float64Array> {
  return count === width * height ? pre : sampleByRank(readers, width, rowCounts, count, rowFirst);
}

async function sampleByRank(readers: SampleReaders, width: number, rowCounts: Int32Array, count: number, rowFirst?: Int32Array): Promise<Float64Array> {
  if (count === 0) return new Float64Array(0);
  const stride = Math.max(1, Math.trunc(Math.max(1, count / ZSCALE_SAMPLES)));
  const size = Math.min(ZSCALE_SAMPLES, Math.ceil(count / stride));
  // Which row holds each sampled rank, and how many finite values come before that row.
  const rowOf = new Int32Array(size);
  const before = new Float64Array(size);
  let row = 0;
  let seen = 0;
  for (let j = 0; j < size; j++) {
    const rank = j * stride;
    while (seen + rowCounts[row]! <= rank) seen += rowCounts[row++]!;
    rowOf[j] = row;
    before[j] = seen;
  }
  const out = new Float64Array(size);
  const { rows: read, pixel } = readers;
  // Samples in rows of one run of finite values: the pixel alone; the others' rows are read.
  const needed: number[] = [];
  for (let j = 0; j < size; j++) {
    const first = pixel && rowFirst ? rowFirst[rowOf[j]!]! : -1;
    if (first >= 0) out[j] = await pixel!(first + j * stride - before[j]!, rowOf[j]!);
    else needed.push(j);
  }
  // Read runs of consecutive needed rows together.
  let i = 0;
  while (i < needed.length) {
    const first = rowOf[needed[i]!]!;
    let last = first;
    let k = i;
    while (k + 1 < needed.length && rowOf[needed[k + 1]!]! <= last + 1) last = rowOf[needed[++k]!]!;
    let ii = i;
    for await (const piece of read(first, last + 1)) {
      const rows = piece.data.length / width;
      while (ii <= k && rowOf[needed[ii]!]! < piece.y0 + rows) {
        const jj = needed[ii]!;
        const r = rowOf[jj]! - piece.y0;
        out[jj] = nthFinite(piece.data, r * width, width, jj * stride - before[jj]!, rowCounts[rowOf[jj]!]!);
        ii++;
      }
    }
    i = k + 1;
  }
  return out;
}

/** The n-th finite value of data[start, start + length), which holds `count` finite values. */
function nthFinite(data: PixelArray, start: number, length: number, n: number, count: number): number {
  // from both ends to the first finite values: when the span between them is `count` long, every
  // value in it is finite (a row with a NaN border) and the n-th is read directly
  let a = start;
  let b = start + length - 1;
  while (a <= b && data[a]! - data[a]! !== 0) a++;
  while (b >= a && data[b]! - data[b]! !== 0) b--;
  if (b - a + 1 === count) return n < count ? data[a + n]! : NaN;
  let seen = 0;
  for (let i = a; i <= b; i++) {
    const v = data[i]!;
    if (v - v !== 0) continue;
    if (seen === n) return v;
    seen++;
  }
  return NaN;
}

/** Every finite value (second pass), or a systematic sample when there are too many. */
async function collectFinite(img: OpenedImage, limits: ViewerLimits, summary: FiniteSummary): Promise<{ values: Float64Array; sampled: boolean }> {
  const step = Math.max(1, Math.ceil(summary.count / MAX_COLLECTED_VALUES));
  const values = new Float64Array(Math.ceil(summary.count / step));
  let seen = 0;
  let n = 0;
  for await (const band of planeBands(img, limits)) {
    for (let i = 0; i < band.length; i++) {
      const v = band[i]!;
      if (v - v !== 0) continue;
      if (seen++ % step === 0 && n < values.length) values[n++] = v;
    }
  }
  return { values: n === values.length ? values : values.subarray(0, n), sampled: step > 1 };
}
