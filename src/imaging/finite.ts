/**
 * Helpers over pixel arrays where NaN and ±Infinity mean "no data": every statistic in the imaging
 * core looks only at finite values.
 */
export type NumericArray = Float32Array | Float64Array;

export interface FiniteSummary {
  /** Number of finite values. */
  readonly count: number;
  /** Smallest and largest finite value (NaN when count is 0). */
  readonly min: number;
  readonly max: number;
}

export function summarizeFinite(data: ArrayLike<number>): FiniteSummary {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) continue; // NaN or ±Infinity
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return count === 0 ? { count, min: NaN, max: NaN } : { count, min, max };
}

/** The finite values, in data order, as float64 (exact for float32 input). */
export function finiteValues(data: ArrayLike<number>, count?: number): Float64Array {
  const n = count ?? summarizeFinite(data).count;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < data.length && j < n; i++) {
    const v = data[i]!;
    if (v - v === 0) out[j++] = v;
  }
  return out;
}

/**
 * astropy ZScaleInterval's sample: `values[isfinite][::stride][:n]` with
 * `stride = int(max(1, finiteCount / n))`. Needs the finite count (one pass) but no copy.
 */
export function zscaleSample(data: ArrayLike<number>, finiteCount: number, nSamples: number): Float64Array {
  const stride = Math.max(1, Math.trunc(Math.max(1, finiteCount / nSamples)));
  const size = Math.min(nSamples, Math.ceil(finiteCount / stride));
  const out = new Float64Array(size);
  if (finiteCount === data.length) {
    // Every value is finite: the sample is a plain stride, no scan needed.
    for (let j = 0; j < size; j++) out[j] = data[j * stride]!;
    return out;
  }
  let next = 0; // index (among finite values) of the next sample
  let seen = 0;
  let j = 0;
  for (let i = 0; i < data.length && j < size; i++) {
    const v = data[i]!;
    if (v - v !== 0) continue;
    if (seen === next) {
      out[j++] = v;
      next += stride;
    }
    seen++;
  }
  return out;
}

/**
 * The same sample as `zscaleSample`, located through per-row finite counts (gathered by the
 * resampler) so only the rows holding sampled values are scanned.
 */
export function zscaleSampleByRows(data: ArrayLike<number>, width: number, rowCounts: Int32Array, finiteCount: number, nSamples: number): Float64Array {
  const stride = Math.max(1, Math.trunc(Math.max(1, finiteCount / nSamples)));
  const size = Math.min(nSamples, Math.ceil(finiteCount / stride));
  const out = new Float64Array(size);
  let row = 0;
  let before = 0; // finite values in rows before `row`
  for (let j = 0; j < size; j++) {
    const target = j * stride; // rank among finite values
    while (before + rowCounts[row]! <= target) before += rowCounts[row++]!;
    let seen = before;
    for (let i = row * width, end = i + width; i < end; i++) {
      const v = data[i]!;
      if (v - v !== 0) continue;
      if (seen === target) {
        out[j] = v;
        break;
      }
      seen++;
    }
  }
  return out;
}
