/**
 * Difference statistics of two images of the same shape (the original `compare_images`), over the
 * pixels valid in both: mean, median, std (ddof 0) and RMS of a-b, and the largest |a-b|.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { isValid, type PixelMask } from '../mask.js';
import { medianInPlace } from './select.js';
import { meanOf, stdOf } from './sigma-clip.js';

export interface CompareResult {
  readonly mean_diff: number;
  readonly median_diff: number;
  readonly std_diff: number;
  readonly max_diff: number;
  readonly rms_diff: number;
  readonly n_pixels: number;
}

export function compareImages(a: ImagePlane, b: ImagePlane, mask?: PixelMask): CompareResult {
  if (a.width !== b.width || a.height !== b.height) {
    throw new ValidationError(`images differ in shape: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
  const n = a.data.length;
  const diff = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(a.data, mask, i) && isValid(b.data, undefined, i)) diff[k++] = a.data[i]! - b.data[i]!;
  }
  if (k === 0) return { mean_diff: NaN, median_diff: NaN, std_diff: NaN, max_diff: NaN, rms_diff: NaN, n_pixels: 0 };
  let maxAbs = 0;
  let sq = 0;
  for (let i = 0; i < k; i++) {
    const d = diff[i]!;
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
    sq += d * d;
  }
  const mean = meanOf(diff, k);
  const std = stdOf(diff, k, 0, mean);
  return { mean_diff: mean, median_diff: medianInPlace(diff, k), std_diff: std, max_diff: maxAbs, rms_diff: Math.sqrt(sq / k), n_pixels: k };
}
