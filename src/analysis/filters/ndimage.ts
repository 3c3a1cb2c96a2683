/**
 * Separable filters with scipy.ndimage semantics (scipy 1.10): `gaussian_filter` (truncate 4,
 * radius int(truncate*sigma+0.5), normalised exp(-x^2/2 sigma^2) weights), `uniform_filter`
 * (box, origin 0: a window of size s covers offsets -(s//2) .. s-1-s//2) and `median_filter`
 * (rank s//2 of the window, i.e. the upper middle for even windows), each with scipy's boundary
 * modes.
 *
 * NaN-aware: scipy lets NaN spread; here no-data pixels stay NaN and are left out of their
 * neighbours' windows, the weights renormalised over the valid samples (normalised convolution,
 * exact for separable kernels because numerator and denominator are both separable). On images
 * without NaN the result is scipy's.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { correlateColumns, correlateRows, extendedIndices, type BoundaryMode } from './boundary.js';
import { selectInPlace } from '../stats/select.js';

export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly data: Float64Array;
}

export function gaussianWeights(sigma: number, truncate = 4.0): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  if (sigma === 0) {
    w[radius] = 1;
    return w;
  }
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    w[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i]! /= sum;
  return w;
}

/** Separable correlation with NaN handled by normalised convolution. `wy` along rows' index y. */
export function separableFilter(plane: ImagePlane, wx: Float64Array, wy: Float64Array, mode: BoundaryMode, cval = 0): Float64Array {
  const { width, height, data } = plane;
  if (width * height * (wx.length + wy.length) > 8e9) throw new ValidationError(`filter of ${wx.length}x${wy.length} is too large for a ${width}x${height} image`);
  const n = width * height;
  const values = new Float64Array(n);
  const valid = new Float64Array(n);
  let anyNaN = false;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (Number.isFinite(v)) {
      values[i] = v;
      valid[i] = 1;
    } else anyNaN = true;
  }
  const out = new Float64Array(n);
  correlateColumns(values, width, height, wy, wy.length >> 1, mode, cval, out);
  correlateRows(out, width, height, wx, wx.length >> 1, mode, cval, out);
  if (!anyNaN) return out;
  const wsum = values;
  // the constant boundary counts as valid data (it is a value), as in scipy
  correlateColumns(valid, width, height, wy, wy.length >> 1, mode, 1, wsum);
  correlateRows(wsum, width, height, wx, wx.length >> 1, mode, 1, wsum);
  for (let i = 0; i < n; i++) {
    out[i] = valid[i] === 0 || wsum[i]! <= 0 ? NaN : out[i]! / wsum[i]!;
  }
  return out;
}

export interface GaussianFilterOptions {
  readonly sigma: number | readonly [number, number];
  readonly mode?: BoundaryMode;
  readonly cval?: number;
  readonly truncate?: number;
}

/** scipy.ndimage.gaussian_filter; sigma as a number or [sigma_y, sigma_x] (numpy axis order). */
export function gaussianFilter(plane: ImagePlane, options: GaussianFilterOptions): Float64Array {
  const [sy, sx] = typeof options.sigma === 'number' ? [options.sigma, options.sigma] : options.sigma;
  if (!(sx >= 0 && sy >= 0)) throw new ValidationError('sigma must be >= 0');
  const truncate = options.truncate ?? 4.0;
  return separableFilter(plane, gaussianWeights(sx, truncate), gaussianWeights(sy, truncate), options.mode ?? 'reflect', options.cval ?? 0);
}

/** scipy.ndimage.uniform_filter (box average). */
export function uniformFilter(plane: ImagePlane, size: number | readonly [number, number], mode: BoundaryMode = 'reflect', cval = 0): Float64Array {
  const [sy, sx] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(sx) && Number.isInteger(sy) && sx >= 1 && sy >= 1)) throw new ValidationError('size must be a positive integer');
  return separableFilter(plane, new Float64Array(sx).fill(1 / sx), new Float64Array(sy).fill(1 / sy), mode, cval);
}

/**
 * scipy.ndimage.median_filter with a rectangular window: the element of rank floor(k/2) of the k
 * valid samples in the window (NaN samples left out; a no-data pixel stays NaN).
 */
export function medianFilter(plane: ImagePlane, size: number | readonly [number, number], mode: BoundaryMode = 'reflect', cval = 0, keepNaN = true): Float64Array {
  const [sy, sx] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(sx) && Number.isInteger(sy) && sx >= 1 && sy >= 1)) throw new ValidationError('size must be a positive integer');
  const { width, height, data } = plane;
  // a guard against requests that would run for hours
  if (width * height * sx * sy > 4e9) throw new ValidationError(`median_filter size ${sx}x${sy} is too large for a ${width}x${height} image`);
  const bx = sx >> 1;
  const by = sy >> 1;
  const ix = extendedIndices(width, bx, sx - 1 - bx, mode);
  const iy = extendedIndices(height, by, sy - 1 - by, mode);
  const out = new Float64Array(width * height);
  const win = new Float64Array(sx * sy);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const self = data[y * width + x]!;
      if (keepNaN && !Number.isFinite(self)) {
        out[y * width + x] = NaN;
        continue;
      }
      let k = 0;
      for (let dy = 0; dy < sy; dy++) {
        const yy = iy[y + dy]!;
        for (let dx = 0; dx < sx; dx++) {
          const xx = ix[x + dx]!;
          const v = yy < 0 || xx < 0 ? cval : data[yy * width + xx]!;
          if (Number.isFinite(v)) win[k++] = v;
        }
      }
      out[y * width + x] = k === 0 ? NaN : selectInPlace(win, k >> 1, 0, k - 1);
    }
  }
  return out;
}
