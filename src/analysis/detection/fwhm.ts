/**
 * FWHM estimation from the stars in an image: DAOStarFinder (with a guessed FWHM) picks the
 * brightest point sources; for each, the second moments of the locally background-subtracted
 * pixels within 2 FWHM (iterated three times as the estimate settles) give sigma^2, less the
 * 1/12 px^2 that pixel integration adds; FWHM = 2 sqrt(2 ln 2) sqrt((sx^2 + sy^2) / 2). The
 * answer is the median over the stars. The original engine's heuristic 3 / sqrt(median
 * sharpness / 0.5), clipped to [1, 20], is reported too as `fwhm_sharpness`.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { medianInPlace } from '../stats/select.js';
import { DaoStarFinder } from './dao-star-finder.js';
import { FWHM_TO_SIGMA } from './star-finder-kernel.js';

export interface FwhmOptions {
  readonly threshold: number;
  /** Initial guess for the finder kernel. */
  readonly fwhm?: number;
  readonly maxSources?: number;
}

export interface FwhmResult {
  readonly fwhm: number;
  readonly fwhm_std: number;
  readonly n_sources: number;
  readonly fwhm_sharpness: number | null;
  readonly per_source: Array<{ x: number; y: number; fwhm: number }>;
}

export function estimateFwhm(plane: ImagePlane, options: FwhmOptions): FwhmResult {
  const guess = options.fwhm ?? 3.0;
  const maxSources = options.maxSources ?? 100;
  const finder = new DaoStarFinder({ threshold: options.threshold, fwhm: guess, excludeBorder: true, brightest: maxSources });
  const stars = finder.findStars(plane);
  if (stars.length < 3) throw new ValidationError(`FWHM estimation needs at least 3 stars above the threshold; found ${stars.length}`);
  const { width, height, data } = plane;
  const per: Array<{ x: number; y: number; fwhm: number }> = [];
  for (const s of stars) {
    let fwhm = guess;
    let ok = true;
    for (let it = 0; it < 3 && ok; it++) {
      const r = Math.max(2, 2 * fwhm);
      const rb = r + Math.max(3, fwhm);
      const x0 = Math.floor(s.xcentroid - rb);
      const x1 = Math.ceil(s.xcentroid + rb);
      const y0 = Math.floor(s.ycentroid - rb);
      const y1 = Math.ceil(s.ycentroid + rb);
      if (x0 < 0 || y0 < 0 || x1 >= width || y1 >= height) {
        ok = false;
        break;
      }
      // local background: median of the ring r < d <= rb
      const ring: number[] = [];
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const d = Math.hypot(x - s.xcentroid, y - s.ycentroid);
          const v = data[y * width + x]!;
          if (d > r && d <= rb && Number.isFinite(v)) ring.push(v);
        }
      }
      const bkg = ring.length ? medianInPlace(Float64Array.from(ring)) : 0;
      let m0 = 0;
      let mx = 0;
      let my = 0;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          if (Math.hypot(x - s.xcentroid, y - s.ycentroid) > r) continue;
          const v = data[y * width + x]! - bkg;
          if (!Number.isFinite(v)) continue;
          m0 += v;
          mx += v * x;
          my += v * y;
        }
      }
      const cx = mx / m0;
      const cy = my / m0;
      let sxx = 0;
      let syy = 0;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          if (Math.hypot(x - s.xcentroid, y - s.ycentroid) > r) continue;
          const v = data[y * width + x]! - bkg;
          if (!Number.isFinite(v)) continue;
          sxx += v * (x - cx) ** 2;
          syy += v * (y - cy) ** 2;
        }
      }
      const varAvg = (sxx / m0 + syy / m0) / 2 - 1 / 12;
      if (!(m0 > 0) || !(varAvg > 0)) {
        ok = false;
        break;
      }
      fwhm = Math.sqrt(varAvg) / FWHM_TO_SIGMA;
    }
    if (ok && Number.isFinite(fwhm)) per.push({ x: s.xcentroid, y: s.ycentroid, fwhm });
  }
  if (per.length < 3) throw new ValidationError(`FWHM estimation needs at least 3 measurable stars; measured ${per.length}`);
  const values = Float64Array.from(per.map((p) => p.fwhm));
  const med = medianInPlace(Float64Array.from(values));
  let ss = 0;
  for (const v of values) ss += (v - med) ** 2;
  const sharp = medianInPlace(Float64Array.from(stars.map((s) => s.sharpness)));
  const heuristic = sharp > 0 ? Math.min(20, Math.max(1, 3 / Math.sqrt(sharp / 0.5))) : null;
  return { fwhm: med, fwhm_std: Math.sqrt(ss / values.length), n_sources: per.length, fwhm_sharpness: heuristic, per_source: per };
}
