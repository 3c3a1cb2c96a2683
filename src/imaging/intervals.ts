/**
 * Intervals: find display limits [vmin, vmax] from the data (astropy.visualization's interval
 * objects). Non-finite values are ignored by every interval.
 */
import { finiteValues, summarizeFinite, zscaleSample } from './finite.js';
import { medianOfSorted, percentilesOfMapped } from './quantiles.js';
import { ImagingError } from './errors.js';

export interface Limits {
  readonly vmin: number;
  readonly vmax: number;
}

export interface Interval {
  readonly name: string;
  getLimits(data: ArrayLike<number>): Limits;
}

function requireFinite(count: number): void {
  if (count === 0) throw new ImagingError('No finite pixel values in image', 'IMAGING_NO_DATA');
}

export class MinMaxInterval implements Interval {
  readonly name = 'minmax';
  getLimits(data: ArrayLike<number>): Limits {
    const s = summarizeFinite(data);
    requireFinite(s.count);
    return { vmin: s.min, vmax: s.max };
  }
}

export class ManualInterval implements Interval {
  readonly name = 'manual';
  constructor(readonly vmin: number, readonly vmax: number) {}
  getLimits(): Limits {
    return { vmin: this.vmin, vmax: this.vmax };
  }
}

/** astropy's AsymmetricPercentileInterval (without random sub-sampling): numpy linear percentiles. */
export class PercentileInterval implements Interval {
  readonly name = 'percentile';
  readonly lower: number;
  readonly upper: number;
  /** `percentile` is the fraction (in %) of pixels kept, cut equally at both ends, or give [lower, upper]. */
  constructor(percentile: number | readonly [number, number]) {
    if (typeof percentile === 'number') {
      this.lower = (100 - percentile) * 0.5;
      this.upper = 100 - this.lower;
    } else {
      [this.lower, this.upper] = percentile;
    }
  }
  getLimits(data: ArrayLike<number>): Limits {
    const values = finiteValues(data);
    requireFinite(values.length);
    const [vmin, vmax] = percentilesOfMapped(values, [this.lower, this.upper]);
    return { vmin: vmin!, vmax: vmax! };
  }
}

export interface ZScaleOptions {
  readonly nSamples?: number;
  readonly contrast?: number;
  readonly maxReject?: number;
  readonly minNpixels?: number;
  readonly krej?: number;
  readonly maxIterations?: number;
}

/**
 * IRAF's zscale as astropy's ZScaleInterval implements it: a line is fitted to the sorted sample
 * with iterative k-sigma rejection (the rejected mask dilated like `np.convolve(mode="same")`);
 * the limits are the median -/+ the slope / contrast spread, bounded by the sample's min and max.
 */
export class ZScaleInterval implements Interval {
  readonly name = 'zscale';
  readonly nSamples: number;
  readonly contrast: number;
  readonly maxReject: number;
  readonly minNpixels: number;
  readonly krej: number;
  readonly maxIterations: number;

  constructor(options: ZScaleOptions = {}) {
    this.nSamples = options.nSamples ?? 1000;
    this.contrast = options.contrast ?? 0.25;
    this.maxReject = options.maxReject ?? 0.5;
    this.minNpixels = options.minNpixels ?? 5;
    this.krej = options.krej ?? 2.5;
    this.maxIterations = options.maxIterations ?? 5;
  }

  getLimits(data: ArrayLike<number>): Limits {
    const count = summarizeFinite(data).count;
    requireFinite(count);
    return this.limitsFromSample(zscaleSample(data, count, this.nSamples));
  }

  /** The limits from an (unsorted) sample of finite values; the sample is sorted in place. */
  limitsFromSample(samples: Float64Array): Limits {
    requireFinite(samples.length);
    samples.sort();
    const npix = samples.length;
    let vmin = samples[0]!;
    let vmax = samples[npix - 1]!;
    const minpix = Math.max(this.minNpixels, Math.trunc(npix * this.maxReject));
    const ngrow = Math.max(1, Math.trunc(npix * 0.01));
    let bad: Uint8Array = new Uint8Array(npix);
    let ngood = npix;
    let lastNgood = npix + 1;
    let slope = 0;
    let fitted = false;

    for (let iter = 0; iter < this.maxIterations; iter++) {
      if (ngood >= lastNgood || ngood < minpix) break;
      // Least squares line over the good points (polyfit deg=1 with 0/1 weights).
      let n = 0;
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < npix; i++) {
        if (bad[i]) continue;
        n++;
        sx += i;
        sy += samples[i]!;
      }
      const mx = sx / n;
      const my = sy / n;
      let sxx = 0;
      let sxy = 0;
      for (let i = 0; i < npix; i++) {
        if (bad[i]) continue;
        const dx = i - mx;
        sxx += dx * dx;
        sxy += dx * (samples[i]! - my);
      }
      slope = sxx > 0 ? sxy / sxx : 0;
      const intercept = my - slope * mx;
      fitted = true;

      // Residuals and the k-sigma threshold from the good points' population std.
      const flat = new Float64Array(npix);
      let mean = 0;
      for (let i = 0; i < npix; i++) {
        flat[i] = samples[i]! - (slope * i + intercept);
        if (!bad[i]) mean += flat[i]!;
      }
      mean /= n;
      let variance = 0;
      for (let i = 0; i < npix; i++) {
        if (bad[i]) continue;
        const d = flat[i]! - mean;
        variance += d * d;
      }
      const threshold = this.krej * Math.sqrt(variance / n);
      for (let i = 0; i < npix; i++) {
        if (flat[i]! < -threshold || flat[i]! > threshold) bad[i] = 1;
      }
      bad = dilate(bad, ngrow);
      lastNgood = ngood;
      ngood = 0;
      for (let i = 0; i < npix; i++) if (!bad[i]) ngood++;
    }

    if (fitted && ngood >= minpix) {
      if (this.contrast > 0) slope = slope / this.contrast;
      const center = Math.trunc((npix - 1) / 2);
      const median = medianOfSorted(samples);
      vmin = Math.max(vmin, median - (center - 1) * slope);
      vmax = Math.min(vmax, median + (npix - center) * slope);
    }
    return { vmin, vmax };
  }
}

/**
 * `np.convolve(mask, ones(m), mode="same")` on booleans: a bad point at j marks
 * [j - (m - 1 - floor(m/2)), j + floor(m/2)].
 */
function dilate(bad: Uint8Array, m: number): Uint8Array {
  if (m <= 1) return bad;
  const n = bad.length;
  const before = Math.floor(m / 2); // window j in [i - before, i + (m - 1 - before)]
  const after = m - 1 - before;
  const prefix = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + bad[i]!;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - before);
    const b = Math.min(n - 1, i + after);
    out[i] = prefix[b + 1]! - prefix[a]! > 0 ? 1 : 0;
  }
  return out;
}
