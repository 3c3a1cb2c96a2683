/**
 * Aperture photometry as photutils `aperture_photometry(method='exact')` with
 * mask = ~isfinite(data): aperture_sum = sum(data * overlap) over valid pixels, aperture_sum_err =
 * sqrt(sum(error^2 * overlap)). With an annulus, the local background per pixel is the
 * sigma-clipped median (SigmaClip(sigma, maxiters)) of the pixels whose centres lie in the
 * annulus (photutils ApertureStats), and aperture_bkg = median * the aperture's valid overlap
 * area.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { checkMask, type PixelMask } from '../mask.js';
import { SigmaClip } from '../stats/sigma-clip.js';
import { medianInPlace } from '../stats/select.js';
import { centerWeights, exactWeights, validateShape, type ApertureShape } from './apertures.js';
import { throwIfCancelled } from '../../core/cancellation.js';

export interface PhotometryOptions {
  readonly positions: ReadonlyArray<readonly [number, number]>;
  readonly aperture: ApertureShape;
  readonly annulus?: ApertureShape;
  readonly error?: ArrayLike<number>;
  readonly mask?: PixelMask;
  /** Sigma clipping of the annulus pixels; null = none. */
  readonly annulusSigma?: number | null;
  readonly annulusMaxiters?: number;
}

export interface PhotometryRow {
  id: number;
  xcenter: number;
  ycenter: number;
  aperture_sum: number;
  aperture_sum_err: number | null;
  area: number;
  area_overlap: number;
  annulus_median: number | null;
  aperture_bkg: number | null;
  aperture_sum_bkgsub: number | null;
}

export function aperturePhotometry(plane: ImagePlane, options: PhotometryOptions): PhotometryRow[] {
  const { width, height, data } = plane;
  checkMask(plane, options.mask);
  validateShape(options.aperture);
  if (options.annulus) validateShape(options.annulus);
  if (options.error && options.error.length !== data.length) throw new ValidationError('error must have the same shape as the data');
  const mask = options.mask;
  const err = options.error;
  const valid = (i: number): boolean => {
    const v = data[i]!;
    return v - v === 0 && (!mask || mask[i] === 0);
  };
  const clip = options.annulusSigma === null ? null : new SigmaClip({ sigma: options.annulusSigma ?? 3, maxiters: options.annulusMaxiters ?? 10 });
  const rows: PhotometryRow[] = [];
  let scratch = new Float64Array(256);
  options.positions.forEach(([x, y], k) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new ValidationError(`position ${k} is not finite`);
    if ((k & 255) === 0) throwIfCancelled();
    const ap = exactWeights(options.aperture, x, y);
    let sum = 0;
    let varSum = 0;
    let areaOverlap = 0;
    let overlapsImage = false;
    for (let j = 0; j < ap.h; j++) {
      const yy = ap.y0 + j;
      if (yy < 0 || yy >= height) continue;
      for (let i = 0; i < ap.w; i++) {
        const xx = ap.x0 + i;
        if (xx < 0 || xx >= width) continue;
        const wgt = ap.weights[j * ap.w + i]!;
        if (wgt === 0) continue;
        overlapsImage = true;
        const p = yy * width + xx;
        if (!valid(p)) continue;
        sum += data[p]! * wgt;
        areaOverlap += wgt;
        if (err) varSum += err[p]! * err[p]! * wgt;
      }
    }
    let annulusMedian: number | null = null;
    let bkg: number | null = null;
    if (options.annulus) {
      const an = centerWeights(options.annulus, x, y);
      let n = 0;
      if (scratch.length < an.w * an.h) scratch = new Float64Array(an.w * an.h);
      for (let j = 0; j < an.h; j++) {
        const yy = an.y0 + j;
        if (yy < 0 || yy >= height) continue;
        for (let i = 0; i < an.w; i++) {
          const xx = an.x0 + i;
          if (xx < 0 || xx >= width || an.weights[j * an.w + i] === 0) continue;
          const p = yy * width + xx;
          if (valid(p)) scratch[n++] = data[p]!;
        }
      }
      if (clip && n > 0) n = clip.clipInPlace(scratch, n).count;
      annulusMedian = n > 0 ? medianInPlace(scratch, n) : NaN;
      bkg = annulusMedian * areaOverlap;
    }
    rows.push({
      id: k + 1,
      xcenter: x,
      ycenter: y,
      aperture_sum: overlapsImage ? sum : NaN,
      aperture_sum_err: err ? (overlapsImage ? Math.sqrt(varSum) : NaN) : null,
      area: ap.area,
      area_overlap: areaOverlap,
      annulus_median: annulusMedian,
      aperture_bkg: bkg,
      aperture_sum_bkgsub: bkg === null ? null : sum - bkg,
    });
  });
  return rows;
}
