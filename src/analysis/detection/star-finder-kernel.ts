/**
 * The DAOFIND density-enhancement kernel (Stetson 1987) as photutils' `_StarFinderKernel`: an
 * elliptical Gaussian (FWHM, ratio, theta in degrees) cut at sigma_radius sigma (always keeping
 * pixels within 2 px of the centre), shifted to zero sum over the footprint and scaled by
 * 1/(sum g^2 - (sum g)^2 / npixels), so convolving gives the least-squares peak amplitude.
 */
import { ValidationError } from '../../errors.js';
import { throwIfCancelled } from '../../core/cancellation.js';
import type { ImagePlane } from '../../core/image-plane.js';
import type { PixelMask } from '../mask.js';

/** 1 / (2 sqrt(2 ln 2)) */
export const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.log(2)));

export class StarFinderKernel {
  readonly xsigma: number;
  readonly ysigma: number;
  readonly nx: number;
  readonly ny: number;
  readonly xc: number;
  readonly yc: number;
  /** 1 inside the footprint. */
  readonly mask: Uint8Array;
  readonly npixels: number;
  /** exp(-elliptical radius), unmasked, peak 1. */
  readonly gaussianUnmasked: Float64Array;
  /** The zero-sum convolution kernel. */
  readonly data: Float64Array;
  readonly relerr: number;

  constructor(readonly fwhm: number, readonly ratio = 1.0, readonly theta = 0.0, readonly sigmaRadius = 1.5) {
    if (!(fwhm > 0)) throw new ValidationError('fwhm must be positive');
    if (!(ratio > 0 && ratio <= 1)) throw new ValidationError('ratio must be positive and <= 1');
    if (!(sigmaRadius > 0)) throw new ValidationError('sigma_radius must be positive');
    this.xsigma = fwhm * FWHM_TO_SIGMA;
    this.ysigma = this.xsigma * ratio;
    const t = (theta * Math.PI) / 180;
    const cost = Math.cos(t);
    const sint = Math.sin(t);
    const xs2 = this.xsigma ** 2;
    const ys2 = this.ysigma ** 2;
    const a = cost ** 2 / (2 * xs2) + sint ** 2 / (2 * ys2);
    const b = 0.5 * cost * sint * (1 / xs2 - 1 / ys2);
    const c = sint ** 2 / (2 * xs2) + cost ** 2 / (2 * ys2);
    const f = sigmaRadius ** 2 / 2;
    const denom = a * c - b * b;
    this.nx = 2 * Math.trunc(Math.max(2, Math.sqrt((c * f) / denom))) + 1;
    this.ny = 2 * Math.trunc(Math.max(2, Math.sqrt((a * f) / denom))) + 1;
    if (this.nx * this.ny > 1_000_000) throw new ValidationError('fwhm is too large for the star finder kernel');
    this.xc = this.nx >> 1;
    this.yc = this.ny >> 1;
    const n = this.nx * this.ny;
    this.mask = new Uint8Array(n);
    this.gaussianUnmasked = new Float64Array(n);
    const g = new Float64Array(n);
    let npix = 0;
    let gsum = 0;
    let g2sum = 0;
    for (let y = 0; y < this.ny; y++) {
      for (let x = 0; x < this.nx; x++) {
        const dx = x - this.xc;
        const dy = y - this.yc;
        const er = a * dx * dx + 2 * b * dx * dy + c * dy * dy;
        const cr = Math.sqrt(dx * dx + dy * dy);
        const i = y * this.nx + x;
        const m = er <= f || cr <= 2 ? 1 : 0;
        this.mask[i] = m;
        this.gaussianUnmasked[i] = Math.exp(-er);
        g[i] = this.gaussianUnmasked[i]! * m;
        npix += m;
        gsum += g[i]!;
        g2sum += g[i]! * g[i]!;
      }
    }
    this.npixels = npix;
    const den = g2sum - (gsum * gsum) / npix;
    this.relerr = 1 / Math.sqrt(den);
    this.data = new Float64Array(n);
    for (let i = 0; i < n; i++) this.data[i] = ((g[i]! - gsum / npix) / den) * this.mask[i]!;
  }
}

/** scipy.ndimage.convolve(data, kernel.data, mode='constant', cval=0), as photutils' `_filter_data`. */
export function convolveStarKernel(k: StarFinderKernel, data: Float64Array, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  // build the non-zero taps once (the kernel is symmetric under 180° rotation, so convolution
  // equals correlation)
  const tx: number[] = [];
  const ty: number[] = [];
  const tw: number[] = [];
  for (let y = 0; y < k.ny; y++) {
    for (let x = 0; x < k.nx; x++) {
      const w = k.data[(k.ny - 1 - y) * k.nx + (k.nx - 1 - x)]!;
      if (w !== 0) {
        tx.push(x - k.xc);
        ty.push(y - k.yc);
        tw.push(w);
      }
    }
  }
  const nt = tw.length;
  if (nt * width * height > 4e9) throw new ValidationError(`fwhm ${k.fwhm} is too large for a ${width}x${height} image`);
  for (let y = 0; y < height; y++) {
    throwIfCancelled();
    const interiorY = y - k.yc >= 0 && y + k.yc < height;
    for (let x = 0; x < width; x++) {
      let s = 0;
      if (interiorY && x - k.xc >= 0 && x + k.xc < width) {
        const base = y * width + x;
        for (let t = 0; t < nt; t++) s += tw[t]! * data[base + ty[t]! * width + tx[t]!]!;
      } else {
        for (let t = 0; t < nt; t++) {
          const xx = x + tx[t]!;
          const yy = y + ty[t]!;
          if (xx >= 0 && yy >= 0 && xx < width && yy < height) s += tw[t]! * data[yy * width + xx]!;
        }
      }
      out[y * width + x] = s;
    }
  }
  return out;
}

/**
 * The star finders' working copy: no-data (non-finite or masked) pixels read as 0 (the sky, as
 * callers subtract the background first) and are flagged in `noData` so no peak is taken there.
 */
export function zeroNoData(plane: ImagePlane, mask?: PixelMask): { data: Float64Array; noData: Uint8Array } {
  const n = plane.width * plane.height;
  const data = new Float64Array(n);
  const noData = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = plane.data[i]!;
    if (Number.isFinite(v)) data[i] = v;
    else noData[i] = 1;
    if (mask && mask[i]) noData[i] = 1;
  }
  return { data, noData };
}

/**
 * photutils' `find_peaks` on the convolved image: pixels above `threshold` that no pixel of the
 * footprint (offsets from the centre; outside the image reads 0, as maximum_filter with cval 0)
 * exceeds, in raster order; never at a no-data pixel; with `excludeBorder`, not within the
 * kernel's half-size of the edges.
 */
export function findConvolvedPeaks(
  conv: Float64Array,
  width: number,
  height: number,
  noData: Uint8Array,
  footprint: { readonly dx: readonly number[]; readonly dy: readonly number[] },
  threshold: number,
  excludeBorder: { readonly xc: number; readonly yc: number } | null,
): Array<[number, number]> {
  const { dx: fx, dy: fy } = footprint;
  const out: Array<[number, number]> = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = conv[i]!;
      if (!(v > threshold) || noData[i]) continue;
      if (excludeBorder && !(x > excludeBorder.xc && y > excludeBorder.yc && x < width - excludeBorder.xc && y < height - excludeBorder.yc)) continue;
      let isMax = true;
      for (let f = 0; f < fx.length && isMax; f++) {
        const xx = x + fx[f]!;
        const yy = y + fy[f]!;
        const u = xx >= 0 && yy >= 0 && xx < width && yy < height ? conv[yy * width + xx]! : 0;
        if (u > v) isMax = false;
      }
      if (isMax) out.push([x, y]);
    }
  }
  return out;
}

/** photutils' `brightest`: the N largest fluxes (argsort reversed), then ids 1..n. */
export function brightestNumbered<R extends { id: number; flux: number }>(rows: R[], brightest: number | null | undefined): R[] {
  let kept = rows;
  if (brightest) {
    kept = rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => b.r.flux - a.r.flux || b.i - a.i)
      .slice(0, brightest)
      .map((e) => e.r);
  }
  kept.forEach((r, i) => (r.id = i + 1));
  return kept;
}
