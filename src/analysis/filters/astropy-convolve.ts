/**
 * `astropy.convolution.convolve` (direct, not FFT) for the separable kernels astropy names
 * Gaussian2DKernel (theta 0) and Box2DKernel, with its NaN treatment:
 *  - nan_treatment 'interpolate': NaN samples are left out and each output is divided by the sum
 *    of the kernel weights that met valid samples (values beyond the edge count as valid:
 *    'fill' pads with fill_value, 'extend' repeats the edge, 'wrap' wraps);
 *  - nan_treatment 'fill': NaN samples become fill_value.
 *  - boundary null: outputs whose kernel leaves the array are 0 (astropy's boundary=None).
 * preserve_nan puts NaN back where the input had it.
 * Kernel sizes as astropy: Gaussian x_size = odd ceiling of 8*stddev; Box size = odd ceiling of
 * width, weights from 'linear_interp' discretisation (half weight on straddled edge pixels).
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { correlateColumns, correlateRows, extendedIndices, type BoundaryMode } from './boundary.js';

export type ConvolveBoundary = 'fill' | 'extend' | 'wrap' | null;
export type NanTreatment = 'interpolate' | 'fill';

export function roundUpToOdd(value: number): number {
  const i = Math.ceil(value);
  return i % 2 === 0 ? i + 1 : i;
}

/** Gaussian2DKernel's 1-D factor (mode 'center'), unnormalised. */
export function gaussianKernel1d(stddev: number, size = roundUpToOdd(8 * stddev)): Float64Array {
  if (!(stddev > 0)) throw new ValidationError('stddev must be > 0');
  const w = new Float64Array(size);
  const c = (size - 1) / 2;
  for (let i = 0; i < size; i++) w[i] = Math.exp(-((i - c) ** 2) / (2 * stddev * stddev));
  return w;
}

/** Box2DKernel's 1-D factor (mode 'linear_interp'). */
export function boxKernel1d(width: number): Float64Array {
  if (!(width > 0)) throw new ValidationError('width must be > 0');
  const size = roundUpToOdd(width);
  const w = new Float64Array(size);
  const c = (size - 1) / 2;
  const inside = (t: number): number => (Math.abs(t) <= width / 2 ? 1 : 0);
  for (let i = 0; i < size; i++) w[i] = (inside(i - c - 0.5) + inside(i - c + 0.5)) / 2;
  return w;
}

export interface AstropyConvolveOptions {
  readonly boundary?: ConvolveBoundary;
  readonly fillValue?: number;
  readonly nanTreatment?: NanTreatment;
  readonly preserveNan?: boolean;
  readonly normalizeKernel?: boolean;
}

const PAD_MODE: Record<'fill' | 'extend' | 'wrap', BoundaryMode> = { fill: 'constant', extend: 'nearest', wrap: 'wrap' };

/** The scipy boundary mode that pads like astropy's boundary (None pads with the fill, then trims). */
function padMode(boundary: ConvolveBoundary): BoundaryMode {
  return boundary === null ? 'constant' : PAD_MODE[boundary];
}

/** True convolution along x: correlation with the flipped kernel (odd length, centred). */
function rows(src: Float64Array, width: number, height: number, k: Float64Array, boundary: ConvolveBoundary, fill: number, out: Float64Array): void {
  const flipped = Float64Array.from(k).reverse();
  correlateRows(src, width, height, flipped, k.length >> 1, padMode(boundary), fill, out);
}

export function astropyConvolveSeparable(plane: ImagePlane, kx: Float64Array, ky: Float64Array, options: AstropyConvolveOptions = {}): Float64Array {
  const boundary = options.boundary === undefined ? 'fill' : options.boundary;
  const fill = options.fillValue ?? 0;
  const nanTreatment = options.nanTreatment ?? 'interpolate';
  const normalize = options.normalizeKernel ?? true;
  const { width, height, data } = plane;
  if (kx.length % 2 === 0 || ky.length % 2 === 0) throw new ValidationError('kernel sizes must be odd');
  if (boundary === null && (width <= 2 * (kx.length >> 1) || height <= 2 * (ky.length >> 1))) {
    throw new ValidationError("for boundary=None the kernel must be smaller than the image; use 'fill', 'extend' or 'wrap'");
  }
  if (width * height * (kx.length + ky.length) > 8e9) throw new ValidationError(`kernel of ${kx.length}x${ky.length} is too large for a ${width}x${height} image`);
  let kernelSum = 0;
  for (const a of kx) for (const b of ky) kernelSum += a * b;
  let sumKy = 0;
  for (const v of ky) sumKy += v;
  const n = width * height;
  // the convolution runs in place in one array; no-data pixels enter as 0 (or fill_value)
  const out = new Float64Array(n);
  const nanIdx: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) {
      nanIdx.push(i);
      out[i] = nanTreatment === 'fill' ? fill : 0;
    } else out[i] = v;
  }
  const interpolate = nanTreatment === 'interpolate' && nanIdx.length > 0;
  const fillIsNaN = Number.isNaN(fill);
  // a NaN fill value is "no data" beyond the edge: it adds nothing and weighs nothing
  const padValue = fillIsNaN && interpolate ? 0 : fill;
  // the 2-D pad is constant, so after the pass along y it holds pad * sum(ky)
  const conv = new Float64Array(n);
  columns(out, width, height, ky, boundary, padValue, conv);
  rows(conv, width, height, kx, boundary, padValue * sumKy, conv);
  if (interpolate) {
    if (fillIsNaN || nanIdx.length * 20 > n) {
      // many holes (or a NaN pad): the weight of valid samples by the same separable passes
      const valid = out.fill(1);
      for (const i of nanIdx) valid[i] = 0;
      const padValid = fillIsNaN ? 0 : 1;
      const bot = new Float64Array(n);
      columns(valid, width, height, ky, boundary, padValid, bot);
      rows(bot, width, height, kx, boundary, padValid * sumKy, bot);
      for (let i = 0; i < n; i++) conv[i] = bot[i] === 0 ? NaN : conv[i]! / bot[i]!;
    } else {
      divideNearHoles(conv, data, width, height, kx, ky, boundary, nanIdx, kernelSum);
    }
    if (!normalize) for (let i = 0; i < n; i++) conv[i]! *= kernelSum;
  } else if (normalize) {
    for (let i = 0; i < n; i++) conv[i]! /= kernelSum;
  }
  if (boundary === null) {
    const hx = kx.length >> 1;
    const hy = ky.length >> 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (y < hy || y >= height - hy || x < hx || x >= width - hx) conv[y * width + x] = 0;
      }
    }
  }
  if (options.preserveNan) for (const i of nanIdx) conv[i] = NaN;
  return conv;
}

/** The y pass of a true convolution (kernel flipped) with astropy's boundaries. */
function columns(src: Float64Array, width: number, height: number, k: Float64Array, boundary: ConvolveBoundary, fill: number, out: Float64Array): void {
  const flipped = Float64Array.from(k).reverse();
  correlateColumns(src, width, height, flipped, k.length >> 1, padMode(boundary), fill, out);
}

/**
 * NaN interpolation with few holes: the weight of the valid samples is the kernel sum minus the
 * weights that fall on holes, scattered from each hole (pixels far from holes just divide by the
 * kernel sum). Where most taps are holes the weight is summed directly instead, to avoid
 * cancellation; where all are, the answer is NaN as astropy's.
 */
function divideNearHoles(out: Float64Array, data: ArrayLike<number>, width: number, height: number, kx: Float64Array, ky: Float64Array, boundary: ConvolveBoundary, nanIdx: number[], kernelSum: number): void {
  const hx = kx.length >> 1;
  const hy = ky.length >> 1;
  const taps = kx.length * ky.length;
  // holes grouped by row (nanIdx is in raster order)
  const rowStart = new Int32Array(height + 1);
  for (const i of nanIdx) rowStart[Math.floor(i / width) + 1]!++;
  for (let y = 0; y < height; y++) rowStart[y + 1]! += rowStart[y]!;
  const lost = new Float64Array(width);
  const lostCount = new Uint16Array(width);
  const mapX = extendedIndices(width, hx, hx, padMode(boundary));
  const mapY = extendedIndices(height, hy, hy, padMode(boundary));
  const isHole = (x: number, y: number): boolean => Number.isNaN(data[y * width + x]!);
  // 'extend' and 'wrap' can also bring holes in through the edge: those pixels are summed directly
  const nearEdge = (x: number, y: number): boolean => x < hx || y < hy || x >= width - hx || y >= height - hy;
  const edgeBoundary = boundary !== 'fill' && boundary !== null;
  for (let y = 0; y < height; y++) {
    lost.fill(0);
    lostCount.fill(0);
    // every hole within hy rows scatters its kernel weights onto the output pixels it reaches
    for (let b = -hy; b <= hy; b++) {
      const sy = y + b;
      if (sy < 0 || sy >= height) continue;
      const wy = ky[b + hy]!;
      for (let k = rowStart[sy]!; k < rowStart[sy + 1]!; k++) {
        const hxPos = nanIdx[k]! - sy * width;
        for (let a = -hx; a <= hx; a++) {
          const xx = hxPos - a;
          if (xx < 0 || xx >= width) continue;
          lost[xx]! += kx[a + hx]! * wy;
          lostCount[xx]!++;
        }
      }
    }
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = lostCount[x]!;
      const edgeRisk = edgeBoundary && nearEdge(x, y);
      if (c === 0 && !edgeRisk) {
        out[i]! /= kernelSum;
        continue;
      }
      if (!edgeRisk && c * 2 <= taps) {
        out[i]! /= kernelSum - lost[x]!;
        continue;
      }
      let bot = 0;
      for (let b = 0; b < ky.length; b++) {
        const yy = mapY[y + b]!;
        for (let a = 0; a < kx.length; a++) {
          const xx = mapX[x + a]!;
          // beyond the edge with 'fill' (or None): the fill value is a valid sample
          if (yy < 0 || xx < 0 || !isHole(xx, yy)) bot += kx[kx.length - 1 - a]! * ky[ky.length - 1 - b]!;
        }
      }
      out[i] = bot === 0 ? NaN : out[i]! / bot;
    }
  }
}
