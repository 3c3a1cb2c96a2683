/**
 * Cosmic-ray / outlier cleaning by sigma clipping (the original `sigma_clip_pixels(sigma=5,
 * maxiters=3)`): pixels that astropy's `sigma_clip` rejects (median centre, population std) are
 * replaced by the NaN-ignoring median of their 3x3 neighbourhood. No-data pixels stay NaN.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { validValues } from '../mask.js';
import { SigmaClip } from '../stats/sigma-clip.js';
import { medianInPlace } from '../stats/select.js';

export interface CleanOutliersResult {
  readonly data: Float64Array;
  readonly n_replaced: number;
  readonly lower: number;
  readonly upper: number;
}

export function cleanOutliers(plane: ImagePlane, sigma = 5.0, maxiters = 3, size = 3): CleanOutliersResult {
  const values = validValues(plane);
  const clip = new SigmaClip({ sigma, maxiters });
  // astropy masks every value rejected in any pass: outside the tightest bounds seen
  let lower = -Infinity;
  let upper = Infinity;
  let count = values.length;
  for (let it = 0; it < clip.maxiters && count > 0; it++) {
    const tmp = Float64Array.from(values.subarray(0, count));
    const cen = medianInPlace(tmp);
    let mean = 0;
    for (let i = 0; i < count; i++) mean += values[i]!;
    mean /= count;
    let ss = 0;
    for (let i = 0; i < count; i++) ss += (values[i]! - mean) ** 2;
    const std = Math.sqrt(ss / count);
    const lo = cen - sigma * std;
    const hi = cen + sigma * std;
    lower = Math.max(lower, lo);
    upper = Math.min(upper, hi);
    let k = 0;
    for (let i = 0; i < count; i++) if (values[i]! >= lo && values[i]! <= hi) values[k++] = values[i]!;
    const changed = count !== k;
    count = k;
    if (!changed) break;
  }
  const { width, height, data } = plane;
  const out = Float64Array.from(data);
  const h = size >> 1;
  const win = new Float64Array(size * size);
  let replaced = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x]!;
      if (!Number.isFinite(v) || (v >= lower && v <= upper)) continue;
      let k = 0;
      for (let yy = Math.max(0, y - h); yy <= Math.min(height - 1, y + h); yy++) {
        for (let xx = Math.max(0, x - h); xx <= Math.min(width - 1, x + h); xx++) {
          const u = data[yy * width + xx]!;
          if (Number.isFinite(u)) win[k++] = u;
        }
      }
      out[y * width + x] = medianInPlace(win, k);
      replaced++;
    }
  }
  return { data: out, n_replaced: replaced, lower, upper };
}
