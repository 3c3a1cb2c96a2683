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
import { columnsInto, correlateColumns, correlateRows, extendedIndices, rowFromLine, type BoundaryMode } from './boundary.js';

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
  /** Convolve (data - subtract) (same shape, e.g. a background) without storing the difference. */
  readonly subtract?: ArrayLike<number>;
  /** false: always take the general path (full-size passes); for tests comparing the two. */
  readonly fused?: boolean;
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
  const minus = options.subtract;
  if (minus && minus.length !== data.length) throw new ValidationError('subtract must have the same shape as the data');
  const streamable = normalize && !Number.isNaN(fill) && (boundary === 'fill' || boundary === null || (boundary === 'extend' && nanTreatment === 'fill'));
  if (streamable && options.fused !== false) {
    const out = convolveStreaming(data, minus, width, height, kx, ky, boundary, fill, nanTreatment, options.preserveNan ?? false);
    if (out) return out;
  }
  let src: ArrayLike<number> = data;
  if (minus) {
    const sub = new Float64Array(data.length);
    for (let i = 0; i < sub.length; i++) sub[i] = data[i]! - minus[i]!;
    src = sub;
  }
  return convolveTwoPass(src, width, height, kx, ky, boundary, fill, nanTreatment, normalize, options.preserveNan ?? false);
}

/** The kernel's sums: the 2-D sum (in astropy's order) and the sum of the y factor. */
function kernelSums(kx: Float64Array, ky: Float64Array): { kernelSum: number; sumKy: number } {
  let kernelSum = 0;
  for (const a of kx) for (const b of ky) kernelSum += a * b;
  let sumKy = 0;
  for (const v of ky) sumKy += v;
  return { kernelSum, sumKy };
}

/**
 * The general path: a NaN-zeroed float64 copy of the input, the pass along y into a second array,
 * the pass along x in place, then the division by the weights, each over the whole image.
 */
function convolveTwoPass(data: ArrayLike<number>, width: number, height: number, kx: Float64Array, ky: Float64Array, boundary: ConvolveBoundary, fill: number, nanTreatment: NanTreatment, normalize: boolean, preserveNan: boolean): Float64Array {
  const { kernelSum, sumKy } = kernelSums(kx, ky);
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
      const rowStart = new Int32Array(height + 1);
      for (const i of nanIdx) rowStart[Math.floor(i / width) + 1]!++;
      for (let y = 0; y < height; y++) rowStart[y + 1]! += rowStart[y]!;
      const divide = holeDivider(width, height, kx, ky, boundary, (i) => Number.isNaN(data[i]!), kernelSum);
      for (let y = 0; y < height; y++) divide(conv, y, nanIdx, rowStart);
    }
    if (!normalize) for (let i = 0; i < n; i++) conv[i]! *= kernelSum;
  } else if (normalize) {
    for (let i = 0; i < n; i++) conv[i]! /= kernelSum;
  }
  for (let y = 0; y < height; y++) finishRow(conv, y, width, height, kx, ky, boundary, preserveNan, nanIdx, undefined);
  return conv;
}

/**
 * The last steps of a row: with boundary None the outputs whose kernel leaves the array are 0;
 * preserve_nan puts NaN back on the holes of the row (all holes, or rowStart's slice of them).
 */
function finishRow(conv: Float64Array, y: number, width: number, height: number, kx: Float64Array, ky: Float64Array, boundary: ConvolveBoundary, preserveNan: boolean, holes: number[], rowStart: Int32Array | undefined): void {
  if (boundary === null) {
    const hx = kx.length >> 1;
    const hy = ky.length >> 1;
    const o = y * width;
    if (y < hy || y >= height - hy) conv.fill(0, o, o + width);
    else {
      conv.fill(0, o, o + Math.min(hx, width));
      conv.fill(0, o + Math.max(0, width - hx), o + width);
    }
  }
  if (!preserveNan) return;
  if (rowStart) for (let k = rowStart[y]!; k < rowStart[y + 1]!; k++) conv[holes[k]!] = NaN;
  else if (y === height - 1) for (const i of holes) conv[i] = NaN;
}

/**
 * The whole convolution in one pass over the rows, for the usual options (normalised kernel,
 * boundary 'fill' or None, or 'extend' with nan_treatment 'fill'): each input row is made once
 * (minus \`minus\` when given, holes set to 0 or fill_value) into a ring of ky.length rows; the pass
 * along y writes an output row into an extended line, the pass along x reads that line, and the
 * division and finishing steps run on the row while it is in the cache. No full-size temporary is
 * made. The arithmetic is that of convolveTwoPass, in the same order, so the results are
 * bit-identical. Returns null (nothing written that the caller keeps) when more than 1/20 of the
 * pixels are holes with nan_treatment 'interpolate': those take the general path.
 */
function convolveStreaming(data: ArrayLike<number>, minus: ArrayLike<number> | undefined, width: number, height: number, kx: Float64Array, ky: Float64Array, boundary: ConvolveBoundary, fill: number, nanTreatment: NanTreatment, preserveNan: boolean): Float64Array | null {
  const { kernelSum, sumKy } = kernelSums(kx, ky);
  const n = width * height;
  const Lx = kx.length;
  const Ly = ky.length;
  const hx = Lx >> 1;
  const hy = Ly >> 1;
  const mode = padMode(boundary);
  const idxY = extendedIndices(height, hy, hy, mode);
  const idxX = extendedIndices(width, hx, hx, mode);
  // true convolution: correlation with the flipped kernels
  const fy = Float64Array.from(ky).reverse();
  const fx = Float64Array.from(kx).reverse();
  const interpolate = nanTreatment === 'interpolate';
  const holeValue = interpolate ? 0 : fill;
  const padRow = new Float64Array(width).fill(fill);
  const lineCval = fill * sumKy;
  const ring = Array.from({ length: Ly }, () => new Float64Array(width));
  const rowsOf = new Array<Float64Array>(Ly);
  const holes: number[] = [];
  const rowStart = new Int32Array(height + 1);
  const isHole = minus ? (i: number): boolean => Number.isNaN(data[i]! - minus[i]!) : (i: number): boolean => Number.isNaN(data[i]!);
  const divide = interpolate ? holeDivider(width, height, kx, ky, boundary, isHole, kernelSum) : undefined;
  const line = new Float64Array(width + Lx - 1);
  const out = new Float64Array(n);
  let made = 0;
  for (let y = 0; y < height; y++) {
    for (const last = Math.min(height, y + hy + 1); made < last; made++) {
      prepareRow(data, minus, made * width, width, ring[made % Ly]!, holeValue, holes);
      rowStart[made + 1] = holes.length;
      if (interpolate && holes.length * 20 > n) return null;
    }
    for (let t = 0; t < Ly; t++) {
      const r = idxY[y + t]!;
      rowsOf[t] = r < 0 ? padRow : ring[r % Ly]!;
    }
    columnsInto(rowsOf, fy, width, line, hx);
    for (let j = 0; j < hx; j++) {
      const a = idxX[j]!;
      line[j] = a < 0 ? lineCval : line[hx + a]!;
      const b = idxX[hx + width + j]!;
      line[hx + width + j] = b < 0 ? lineCval : line[hx + b]!;
    }
    const o = y * width;
    rowFromLine(line, fx, width, out, o);
    if (divide) divide(out, y, holes, rowStart);
    else for (let x = 0; x < width; x++) out[o + x]! /= kernelSum;
    finishRow(out, y, width, height, kx, ky, boundary, preserveNan, holes, rowStart);
  }
  return out;
}

/** One input row into dst: data (minus \`minus\`) as float64, holes (NaN) replaced by holeValue and their indices appended to holes. */
function prepareRow(data: ArrayLike<number>, minus: ArrayLike<number> | undefined, base: number, width: number, dst: Float64Array, holeValue: number, holes: number[]): void {
  if (minus) {
    for (let x = 0; x < width; x++) {
      const v = data[base + x]! - minus[base + x]!;
      if (Number.isNaN(v)) {
        holes.push(base + x);
        dst[x] = holeValue;
      } else dst[x] = v;
    }
  } else {
    for (let x = 0; x < width; x++) {
      const v = data[base + x]!;
      if (Number.isNaN(v)) {
        holes.push(base + x);
        dst[x] = holeValue;
      } else dst[x] = v;
    }
  }
}

/** The y pass of a true convolution (kernel flipped) with astropy's boundaries. */
function columns(src: Float64Array, width: number, height: number, k: Float64Array, boundary: ConvolveBoundary, fill: number, out: Float64Array): void {
  const flipped = Float64Array.from(k).reverse();
  correlateColumns(src, width, height, flipped, k.length >> 1, padMode(boundary), fill, out);
}

/**
 * NaN interpolation with few holes, one output row at a time: the weight of the valid samples is
 * the kernel sum minus the weights that fall on holes, scattered from each hole (pixels far from
 * holes just divide by the kernel sum). Where most taps are holes the weight is summed directly
 * instead, to avoid cancellation; where all are, the answer is NaN as astropy's. `holes` are raster
 * indices in raster order, rowStart[y]..rowStart[y+1] those of row y (rows y-hy..y+hy must be known).
 */
function holeDivider(width: number, height: number, kx: Float64Array, ky: Float64Array, boundary: ConvolveBoundary, isHole: (i: number) => boolean, kernelSum: number): (out: Float64Array, y: number, holes: number[], rowStart: Int32Array) => void {
  const hx = kx.length >> 1;
  const hy = ky.length >> 1;
  const taps = kx.length * ky.length;
  const lost = new Float64Array(width);
  const lostCount = new Uint16Array(width);
  const mapX = extendedIndices(width, hx, hx, padMode(boundary));
  const mapY = extendedIndices(height, hy, hy, padMode(boundary));
  // 'extend' and 'wrap' can also bring holes in through the edge: those pixels are summed directly
  const nearEdge = (x: number, y: number): boolean => x < hx || y < hy || x >= width - hx || y >= height - hy;
  const edgeBoundary = boundary !== 'fill' && boundary !== null;
  return (out, y, holes, rowStart) => {
    lost.fill(0);
    lostCount.fill(0);
    // every hole within hy rows scatters its kernel weights onto the output pixels it reaches
    for (let b = -hy; b <= hy; b++) {
      const sy = y + b;
      if (sy < 0 || sy >= height) continue;
      const wy = ky[b + hy]!;
      for (let k = rowStart[sy]!; k < rowStart[sy + 1]!; k++) {
        const hxPos = holes[k]! - sy * width;
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
          if (yy < 0 || xx < 0 || !isHole(yy * width + xx)) bot += kx[kx.length - 1 - a]! * ky[ky.length - 1 - b]!;
        }
      }
      out[i] = bot === 0 ? NaN : out[i]! / bot;
    }
  };
}
