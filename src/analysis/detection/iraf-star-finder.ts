/**
 * Point-source finding equivalent to photutils 1.6 `IRAFStarFinder` (IRAF's `starfind`):
 * convolve with the same zero-sum Gaussian kernel as DAOFIND (circular, ratio 1), keep local
 * maxima over a circular footprint of radius max(2, int(fwhm * minsep_fwhm + 0.5)) above
 * `threshold` (photutils 1.6 does not scale it by the kernel's relerr, unlike DAOStarFinder), then
 * per peak: a local sky (mean of the cutout pixels outside the kernel footprint, unless `sky` is
 * given), the sky-subtracted footprint with negative pixels set to 0, and from its image moments
 * the centroid, FWHM (2 sqrt(ln 2 (mu20 + mu02))), roundness, position angle, sharpness
 * (FWHM / kernel FWHM), peak and flux. Stars need more than one positive pixel and sharpness and
 * roundness inside the (exclusive) limits; `brightest` keeps the N largest fluxes.
 *
 * NaN-aware as DaoStarFinder: no-data pixels count as 0 (the sky, callers subtract the background
 * first) and no peak is taken at a no-data or masked pixel (photutils would propagate NaN).
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import type { PixelMask } from '../mask.js';
import { StarFinderKernel, convolveStarKernel, brightestNumbered, findConvolvedPeaks, zeroNoData } from './star-finder-kernel.js';

export interface IrafStarFinderOptions {
  readonly threshold: number;
  readonly fwhm: number;
  readonly sigmaRadius?: number;
  readonly minsepFwhm?: number;
  readonly sharplo?: number;
  readonly sharphi?: number;
  readonly roundlo?: number;
  readonly roundhi?: number;
  /** A fixed sky level; default: estimated around each star. */
  readonly sky?: number | null;
  readonly excludeBorder?: boolean;
  readonly brightest?: number | null;
  readonly peakmax?: number | null;
}

export interface IrafStarRow {
  id: number;
  xcentroid: number;
  ycentroid: number;
  fwhm: number;
  sharpness: number;
  roundness: number;
  /** Degrees counter-clockwise from +x, in [0, 180). */
  pa: number;
  npix: number;
  sky: number;
  peak: number;
  flux: number;
  mag: number;
}

export class IrafStarFinder {
  readonly kernel: StarFinderKernel;
  readonly minSeparation: number;

  constructor(readonly options: IrafStarFinderOptions) {
    if (!Number.isFinite(options.threshold)) throw new ValidationError('threshold must be a finite number');
    const minsep = options.minsepFwhm ?? 2.5;
    if (!(minsep >= 0) || !Number.isFinite(minsep)) throw new ValidationError('minsep_fwhm must be >= 0');
    this.kernel = new StarFinderKernel(options.fwhm, 1, 0, options.sigmaRadius ?? 1.5);
    this.minSeparation = Math.max(2, Math.trunc(options.fwhm * minsep + 0.5));
    if (this.minSeparation > 500) throw new ValidationError('fwhm * minsep_fwhm is too large for the peak footprint');
  }

  findStars(plane: ImagePlane, mask?: PixelMask): IrafStarRow[] {
    const { width, height } = plane;
    const { data, noData } = zeroNoData(plane, mask);
    const conv = convolveStarKernel(this.kernel, data, width, height);
    const o = this.options;
    const sharplo = o.sharplo ?? 0.5;
    const sharphi = o.sharphi ?? 2.0;
    const roundlo = o.roundlo ?? 0.0;
    const roundhi = o.roundhi ?? 0.2;
    const kept = this.findPeaks(conv, width, height, noData)
      .map(([x, y]) => this.measure(data, conv, width, height, x, y))
      .filter(
        (r) =>
          r.npix > 1 &&
          r.sharpness > sharplo &&
          r.sharpness < sharphi &&
          r.roundness > roundlo &&
          r.roundness < roundhi &&
          (o.peakmax === undefined || o.peakmax === null || r.peak < o.peakmax),
      );
    return brightestNumbered(kept, o.brightest);
  }

  /** find_peaks over a circular footprint of radius minSeparation (maximum_filter, cval 0). */
  private findPeaks(conv: Float64Array, width: number, height: number, noData: Uint8Array): Array<[number, number]> {
    const r = this.minSeparation;
    const dx: number[] = [];
    const dy: number[] = [];
    for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) if (x * x + y * y <= r * r && (x || y)) {
      dx.push(x);
      dy.push(y);
    }
    return findConvolvedPeaks(conv, width, height, noData, { dx, dy }, this.options.threshold, this.options.excludeBorder ? this.kernel : null);
  }

  private measure(data: Float64Array, conv: Float64Array, width: number, height: number, px: number, py: number): IrafStarRow {
    const k = this.kernel;
    const { nx, ny } = k;
    const n = nx * ny;
    const cut = new Float64Array(n);
    let convMax = -Infinity;
    let dataMax = -Infinity;
    let skySum = 0;
    let nSky = 0;
    for (let j = 0; j < ny; j++) {
      const yy = py - k.yc + j;
      for (let i = 0; i < nx; i++) {
        const xx = px - k.xc + i;
        const inside = xx >= 0 && yy >= 0 && xx < width && yy < height;
        const v = inside ? data[yy * width + xx]! : 0;
        cut[j * nx + i] = v;
        dataMax = Math.max(dataMax, v);
        convMax = Math.max(convMax, inside ? conv[yy * width + xx]! : 0);
        if (!k.mask[j * nx + i]) {
          skySum += v;
          nSky++;
        }
      }
    }
    const given = this.options.sky;
    const sky = given !== undefined && given !== null ? given : nSky === 0 ? dataMax - convMax : skySum / nSky;
    // IRAF starfind: the sky-subtracted footprint, negative pixels discarded
    let m00 = 0;
    let m10 = 0;
    let m01 = 0;
    let npix = 0;
    let peak = 0;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = Math.max(0, (cut[j * nx + i]! - sky) * k.mask[j * nx + i]!);
        cut[j * nx + i] = v;
        if (v !== 0) npix++;
        peak = Math.max(peak, v);
        m00 += v;
        m01 += i * v;
        m10 += j * v;
      }
    }
    const xc = m01 / m00;
    const yc = m10 / m00;
    let mxx = 0;
    let myy = 0;
    let mxy = 0;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = cut[j * nx + i]!;
        mxx += (i - xc) * (i - xc) * v;
        myy += (j - yc) * (j - yc) * v;
        mxy += (i - xc) * (j - yc) * v;
      }
    }
    mxx /= m00;
    myy /= m00;
    mxy /= m00;
    const muSum = mxx + myy;
    const muDiff = mxx - myy;
    const fwhm = 2 * Math.sqrt(Math.LN2 * muSum);
    let pa = (0.5 * Math.atan2(2 * mxy, muDiff) * 180) / Math.PI;
    if (pa < 0) pa += 180;
    return {
      id: 0,
      xcentroid: xc + px - k.xc,
      ycentroid: yc + py - k.yc,
      fwhm,
      sharpness: fwhm / k.fwhm,
      roundness: Math.sqrt(muDiff * muDiff + 4 * mxy * mxy) / muSum,
      pa,
      npix,
      sky,
      peak,
      flux: m00,
      mag: -2.5 * Math.log10(m00),
    };
  }
}
