/**
 * What the display pipeline needs to know about the finite pixels: count, min, max, astropy's
 * zscale sample, and the finite values themselves (for percentiles and histogram equalization).
 * `statisticsOf` computes them exactly from an in-memory plane (pass `known` when count/min/max
 * were already gathered, e.g. by the resampler, to save a pass); `SampledStatistics` gathers them
 * band by band for images too large to hold (see band-reducer.ts).
 */
import { finiteValues, summarizeFinite, zscaleSample, zscaleSampleByRows, type FiniteSummary } from './finite.js';

export interface DisplayStatistics {
  readonly summary: FiniteSummary;
  /** astropy ZScaleInterval's sample (unsorted copy). */
  zscaleSample(nSamples: number): Float64Array;
  /** A fresh copy of the finite values (all of them, or a systematic sample for huge images). */
  finiteValues(): Float64Array;
  /** True when finiteValues() is a sample, so percentiles are estimates. */
  readonly sampled: boolean;
}

export function statisticsOf(data: ArrayLike<number>, known?: FiniteSummary, rows?: { width: number; finiteCounts: Int32Array }): DisplayStatistics {
  const summary = known ?? summarizeFinite(data);
  return {
    summary,
    sampled: false,
    zscaleSample: (n) => (rows && summary.count !== data.length
      ? zscaleSampleByRows(data, rows.width, rows.finiteCounts, summary.count, n)
      : zscaleSample(data, summary.count, n)),
    finiteValues: () => finiteValues(data, summary.count),
  };
}

/**
 * Statistics accumulated over row bands in one pass, in bounded memory: exact count/min/max; the
 * zscale sample takes every `stride`-th finite value with the stride astropy would use if every
 * pixel were finite (identical to astropy when there are no NaNs); percentiles come from a
 * systematic sample of at most `maxValues` finite values.
 */
export class SampledStatistics implements DisplayStatistics {
  readonly sampled: boolean;
  private count = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly zStride: number;
  private readonly zSamples: number[] = [];
  private readonly vStride: number;
  private readonly values: number[] = [];
  private seen = 0;

  constructor(totalElements: number, readonly zscaleSamples = 1000, maxValues = 1_000_000) {
    this.zStride = Math.max(1, Math.trunc(Math.max(1, totalElements / zscaleSamples)));
    this.vStride = Math.max(1, Math.ceil(totalElements / maxValues));
    this.sampled = this.vStride > 1;
  }

  add(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v - v !== 0) continue;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (this.seen % this.zStride === 0 && this.zSamples.length < this.zscaleSamples) this.zSamples.push(v);
      if (this.seen % this.vStride === 0) this.values.push(v);
      this.seen++;
      this.count++;
    }
  }

  get summary(): FiniteSummary {
    return this.count === 0 ? { count: 0, min: NaN, max: NaN } : { count: this.count, min: this.min, max: this.max };
  }

  zscaleSample(nSamples: number): Float64Array {
    return Float64Array.from(this.zSamples.slice(0, nSamples));
  }

  finiteValues(): Float64Array {
    return Float64Array.from(this.values);
  }
}
