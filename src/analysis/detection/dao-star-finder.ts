/**
 * Point-source finding equivalent to photutils 1.6 `DAOStarFinder` (Stetson 1987, DAOFIND):
 * convolve with the zero-sum Gaussian kernel (scipy.ndimage.convolve, zeros outside), keep local
 * maxima over the kernel footprint above threshold * relerr, then per peak compute sharpness,
 * roundness1 (quadrant symmetry of the convolved image), roundness2 and the centroid from 1-D
 * Gaussian fits to the triangle-weighted marginals, and keep the stars inside the sharpness and
 * roundness limits (exclusive), optionally the `brightest` N by flux.
 *
 * NaN-aware: no-data pixels count as 0 (callers subtract the background first, so 0 is the
 * sky) and no peak is taken at a no-data or masked pixel.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import type { PixelMask } from '../mask.js';
import { StarFinderKernel, convolveStarKernel, brightestNumbered, findConvolvedPeaks, zeroNoData } from './star-finder-kernel.js';

export interface DaoStarFinderOptions {
  readonly threshold: number;
  readonly fwhm: number;
  readonly ratio?: number;
  readonly theta?: number;
  readonly sigmaRadius?: number;
  readonly sharplo?: number;
  readonly sharphi?: number;
  readonly roundlo?: number;
  readonly roundhi?: number;
  readonly sky?: number;
  readonly excludeBorder?: boolean;
  readonly brightest?: number | null;
  readonly peakmax?: number | null;
}

export interface StarRow {
  id: number;
  xcentroid: number;
  ycentroid: number;
  sharpness: number;
  roundness1: number;
  roundness2: number;
  npix: number;
  sky: number;
  peak: number;
  flux: number;
  mag: number;
}

export class DaoStarFinder {
  readonly kernel: StarFinderKernel;
  readonly thresholdEff: number;

  constructor(readonly options: DaoStarFinderOptions) {
    if (!Number.isFinite(options.threshold)) throw new ValidationError('threshold must be a finite number');
    this.kernel = new StarFinderKernel(options.fwhm, options.ratio ?? 1, options.theta ?? 0, options.sigmaRadius ?? 1.5);
    this.thresholdEff = options.threshold * this.kernel.relerr;
  }

  /** scipy.ndimage.convolve(data, kernel, mode='constant', cval=0). */
  convolve(data: Float64Array, width: number, height: number): Float64Array {
    return convolveStarKernel(this.kernel, data, width, height);
  }

  findStars(plane: ImagePlane, mask?: PixelMask): StarRow[] {
    const { width, height } = plane;
    const { data, noData } = zeroNoData(plane, mask);
    const conv = this.convolve(data, width, height);
    const peaks = this.findPeaks(conv, width, height, noData);
    const rows = peaks.map(([x, y]) => this.measure(data, conv, width, height, x, y));
    const o = this.options;
    const sharplo = o.sharplo ?? 0.2;
    const sharphi = o.sharphi ?? 1.0;
    const roundlo = o.roundlo ?? -1.0;
    const roundhi = o.roundhi ?? 1.0;
    const kept = rows.filter(
      (r) =>
        r !== undefined &&
        r.sharpness > sharplo &&
        r.sharpness < sharphi &&
        r.roundness1 > roundlo &&
        r.roundness1 < roundhi &&
        r.roundness2 > roundlo &&
        r.roundness2 < roundhi &&
        (o.peakmax === undefined || o.peakmax === null || r.peak < o.peakmax),
    ) as StarRow[];
    return brightestNumbered(kept, o.brightest);
  }

  /** Local maxima over the kernel footprint (maximum_filter, cval 0) above the effective threshold. */
  private findPeaks(conv: Float64Array, width: number, height: number, noData: Uint8Array): Array<[number, number]> {
    const k = this.kernel;
    const dx: number[] = [];
    const dy: number[] = [];
    for (let y = 0; y < k.ny; y++) for (let x = 0; x < k.nx; x++) if (k.mask[y * k.nx + x]) {
      dx.push(x - k.xc);
      dy.push(y - k.yc);
    }
    return findConvolvedPeaks(conv, width, height, noData, { dx, dy }, this.thresholdEff, this.options.excludeBorder ? k : null);
  }

  private measure(data: Float64Array, conv: Float64Array, width: number, height: number, px: number, py: number): StarRow | undefined {
    const k = this.kernel;
    const { nx, ny } = k;
    const cxc = (nx - 1) >> 1;
    const cyc = (ny - 1) >> 1;
    const cut = new Float64Array(nx * ny);
    const ccut = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) {
      const yy = py - cyc + j;
      for (let i = 0; i < nx; i++) {
        const xx = px - cxc + i;
        if (xx >= 0 && yy >= 0 && xx < width && yy < height) {
          cut[j * nx + i] = data[yy * width + xx]!;
          ccut[j * nx + i] = conv[yy * width + xx]!;
        }
      }
    }
    const dataPeak = cut[cyc * nx + cxc]!;
    const convPeak = ccut[cyc * nx + cxc]!;
    // sharpness: (peak - mean of the other footprint pixels) / convolved peak
    let msum = 0;
    for (let i = 0; i < cut.length; i++) msum += cut[i]! * k.mask[i]!;
    const sharpness = (dataPeak - (msum - dataPeak) / (k.npixels - 1)) / convPeak;
    // roundness1 from the four quadrants of the convolved cutout
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    let q4 = 0;
    let sAbs = 0;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        // the peak pixel itself is left out (photutils zeroes it)
        const v = j === cyc && i === cxc ? 0 : ccut[j * nx + i]!;
        sAbs += Math.abs(v);
        if (j <= cyc && i > cxc) q1 += v;
        if (j < cyc && i <= cxc) q2 += v;
        if (j >= cyc && i < cxc) q3 += v;
        if (j > cyc && i >= cxc) q4 += v;
      }
    }
    const roundness1 = (2 * (-q1 + q2 - q3 + q4)) / sAbs;
    const fitX = this.marginalFit(cut, 0);
    const fitY = this.marginalFit(cut, 1);
    if (Number.isNaN(fitX.d) || Number.isNaN(fitY.d) || Number.isNaN(fitX.h) || Number.isNaN(fitY.h)) return undefined;
    const roundness2 = (2 * (fitX.h - fitY.h)) / (fitX.h + fitY.h);
    const sky = this.options.sky ?? 0;
    const flux = convPeak / this.thresholdEff - sky * (nx * ny);
    return {
      id: 0,
      xcentroid: px + fitX.d,
      ycentroid: py + fitY.d,
      sharpness,
      roundness1,
      roundness2,
      npix: nx * ny,
      sky,
      peak: dataPeak - sky,
      flux,
      mag: flux > 0 ? -2.5 * Math.log10(flux) : NaN,
    };
  }

  /** DAOFIND's 1-D Gaussian fit to the triangle-weighted marginal along x (axis 0) or y (axis 1). */
  private marginalFit(cut: Float64Array, axis: 0 | 1): { d: number; h: number } {
    const k = this.kernel;
    const { nx, ny } = k;
    const xcen = (nx - 1) >> 1;
    const ycen = (ny - 1) >> 1;
    const xwt = (i: number): number => xcen - Math.abs(i - xcen) + 1;
    const ywt = (j: number): number => ycen - Math.abs(j - ycen) + 1;
    const size = axis === 0 ? nx : ny;
    const center = axis === 0 ? xcen : ycen;
    const sigma = axis === 0 ? k.xsigma : k.ysigma;
    const wt = (m: number): number => (axis === 0 ? xwt(m) : ywt(m));
    const other = (m: number): number => (axis === 0 ? ywt(m) : xwt(m));
    const kern1d = new Float64Array(size);
    const data1d = new Float64Array(size);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const m = axis === 0 ? i : j;
        const o = axis === 0 ? j : i;
        kern1d[m]! += k.gaussianUnmasked[j * nx + i]! * other(o);
        data1d[m]! += cut[j * nx + i]! * other(o);
      }
    }
    let wtSum = 0;
    let kernSum = 0;
    let kern2Sum = 0;
    let dkSum = 0;
    let dk2Sum = 0;
    let kdkSum = 0;
    let dataSum = 0;
    let dataKern = 0;
    let dataDk = 0;
    let dataDx = 0;
    for (let m = 0; m < size; m++) {
      const w = wt(m);
      const dx = center - m;
      const dxx = axis === 0 ? center - m : m - center;
      const kv = kern1d[m]!;
      const dk = kv * dx;
      const dv = data1d[m]!;
      wtSum += w;
      kernSum += kv * w;
      kern2Sum += kv * kv * w;
      dkSum += dk * w;
      dk2Sum += dk * dk * w;
      kdkSum += kv * dk * w;
      dataSum += dv * w;
      dataKern += dv * kv * w;
      dataDk += dv * dk * w;
      dataDx += dv * dxx * w;
    }
    const hNumer = dataKern - (dataSum * kernSum) / wtSum;
    const hDenom = kern2Sum - (kernSum * kernSum) / wtSum;
    if (hNumer <= 0 || hDenom <= 0) return { d: NaN, h: NaN };
    const h = hNumer / hDenom;
    let d = (kdkSum - (dataDk - dkSum * dataSum)) / ((h * dk2Sum) / (sigma * sigma));
    const hsize = size / 2;
    if (Math.abs(d) > hsize) d = dataSum === 0 ? 0 : dataDx / dataSum;
    if (Math.abs(d) > hsize) d = 0;
    return { d, h };
  }
}
