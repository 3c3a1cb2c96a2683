/** Basic NaN-aware statistics (the original `compute_basic_stats`): numpy nan* semantics, std ddof=0. */
import type { ImagePlane } from '../../core/image-plane.js';
import { countInvalid, validValues, type PixelMask } from '../mask.js';
import { medianInPlace } from './select.js';
import { stdOf } from './sigma-clip.js';

export interface BasicStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly median: number;
  readonly std: number;
  readonly sum: number;
  /** Valid (finite, unmasked) pixels. */
  readonly n_pixels: number;
  /** Non-finite pixels (NaN or ±Inf) in the image. */
  readonly n_nan: number;
}

/** Statistics of already-valid values (consumes the array: it gets reordered). */
export function basicStatsOf(values: Float64Array, nNan = 0): BasicStats {
  const n = values.length;
  if (n === 0) return { min: NaN, max: NaN, mean: NaN, median: NaN, std: NaN, sum: 0, n_pixels: 0, n_nan: nNan };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / n;
  const std = stdOf(values, n, 0, mean);
  return { min, max, mean, median: medianInPlace(values), std, sum, n_pixels: n, n_nan: nNan };
}

export function basicStatistics(plane: ImagePlane, mask?: PixelMask): BasicStats {
  return basicStatsOf(validValues(plane, mask), countInvalid(plane));
}
