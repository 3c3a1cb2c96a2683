/**
 * Smoothing for GET /preview and GET /histogram (upstream section 5: `smooth_method`,
 * `smooth_sigma`, `smooth_size`, with its 400 messages). Unlike upstream, the filter runs on the
 * full-resolution plane for both endpoints (upstream smooths previews after downsampling and
 * histograms before: the same sigma gave different pictures, defect 17) and is NaN-aware: no-data
 * pixels stay no data (never 0) and are left out of their neighbours' windows (the scipy filters
 * by normalised convolution, the astropy ones with nan_treatment 'interpolate', preserve_nan).
 * Edges: scipy's 'reflect' and astropy's boundary 'extend' (astropy's default 'fill' with 0 would
 * darken the border of every image).
 */
import type { ImagePlane } from '../core/image-plane.js';
import { gaussianFilter, medianFilter, uniformFilter } from '../analysis/filters/ndimage.js';
import { astropyConvolveSeparable, boxKernel1d, gaussianKernel1d } from '../analysis/filters/astropy-convolve.js';
import { ImagingError } from './errors.js';

export const SMOOTH_METHODS = ['gaussian', 'median', 'box', 'astropy_gaussian', 'astropy_box'] as const;
export type SmoothMethod = (typeof SMOOTH_METHODS)[number];

export interface SmoothOptions {
  readonly method: SmoothMethod;
  /** Gaussian standard deviation in pixels (gaussian, astropy_gaussian). */
  readonly sigma: number;
  /** Odd window width in pixels (median, box, astropy_box). */
  readonly size: number;
}

export interface RawSmoothParams {
  smooth_method?: string;
  smooth_sigma?: number;
  smooth_size?: number;
}

/** The smoothing parameters, checked with the upstream messages; null when smoothing is off. */
export function parseSmoothParams(p: RawSmoothParams): SmoothOptions | null {
  const method = (p.smooth_method ?? '').trim().toLowerCase();
  const sigma = p.smooth_sigma ?? 1.0;
  const size = p.smooth_size ?? 3;
  if (method !== '' && !(SMOOTH_METHODS as readonly string[]).includes(method)) {
    throw new ImagingError(`Invalid smooth_method '${p.smooth_method}'. Must be empty or one of: ${SMOOTH_METHODS.join(', ')}`);
  }
  if (!(sigma >= 0.1 && sigma <= 10)) throw new ImagingError('smooth_sigma must be between 0.1 and 10.0');
  if (!(size >= 1 && size <= 25)) throw new ImagingError('smooth_size must be between 1 and 25');
  if (!Number.isInteger(size) || size % 2 === 0) throw new ImagingError('smooth_size must be odd');
  if (method === '') return null;
  // only the parameter the method uses takes part (so caches do not split on the other)
  const m = method as SmoothMethod;
  return m === 'gaussian' || m === 'astropy_gaussian' ? { method: m, sigma, size: 0 } : { method: m, sigma: 0, size };
}

/** The smoothed plane (float64; no-data pixels NaN). */
export function smoothPlane(plane: ImagePlane, o: SmoothOptions): Float64Array {
  const n = plane.width * plane.height;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = plane.data[i]!;
    data[i] = Number.isFinite(v) ? v : Number.NaN; // ±Inf is no data too
  }
  const finite: ImagePlane = { width: plane.width, height: plane.height, data };
  switch (o.method) {
    case 'gaussian':
      return gaussianFilter(finite, { sigma: o.sigma });
    case 'median':
      return medianFilter(finite, o.size);
    case 'box':
      return uniformFilter(finite, o.size);
    case 'astropy_gaussian': {
      const k = gaussianKernel1d(o.sigma);
      return astropyConvolveSeparable(finite, k, k, { boundary: 'extend', nanTreatment: 'interpolate', preserveNan: true });
    }
    case 'astropy_box': {
      const k = boxKernel1d(o.size);
      return astropyConvolveSeparable(finite, k, k, { boundary: 'extend', nanTreatment: 'interpolate', preserveNan: true });
    }
  }
}
