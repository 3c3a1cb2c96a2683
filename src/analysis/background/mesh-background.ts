/**
 * A mesh background estimator equivalent to photutils 1.6 `Background2D` (the SExtractor method):
 *  1. non-finite, masked and coverage-masked pixels are no data; with edge_method 'pad' the image
 *     is padded with no-data to whole boxes ('crop' drops the partial boxes);
 *  2. boxes with more than exclude_percentile % no-data pixels are dropped; each remaining box is
 *     sigma clipped (astropy SigmaClip, default sigma 3, 10 iterations) and dropped again if the
 *     clipped-away plus no-data pixels exceed the same limit;
 *  3. the estimators give one background and one RMS value per box; dropped boxes are filled by
 *     inverse-distance weighting of the 10 nearest kept boxes (photutils' ShepardIDWInterpolator,
 *     power 1);
 *  4. the mesh is median filtered (filter_size, NaN-ignoring median, outside = no data);
 *  5. the mesh is zoomed to full resolution with a cubic spline (scipy.ndimage.zoom, order 3,
 *     mode 'reflect', grid_mode) and clipped to the mesh's range; coverage-masked pixels get
 *     fill_value.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { checkMask, type PixelMask } from '../mask.js';
import { SigmaClip, clipToFinalBounds } from '../stats/sigma-clip.js';
import { medianInPlace } from '../stats/select.js';
import { backgroundEstimators, rmsEstimators, type BkgEstimatorName, type BkgRmsEstimatorName } from './estimators.js';
import { prefilter2d, splineZoom } from './spline-zoom.js';
import { mapIndex } from '../filters/boundary.js';
import { SortedBox, clipSorted, sortedBackground, sortedRms } from './sorted-box.js';
import { throwIfCancelled } from '../../core/cancellation.js';

export interface MeshBackgroundOptions {
  /** [ny, nx] or one size for both. */
  readonly boxSize: number | readonly [number, number];
  readonly filterSize?: number | readonly [number, number];
  readonly sigma?: number | null;
  readonly maxiters?: number;
  readonly excludePercentile?: number;
  readonly edgeMethod?: 'pad' | 'crop';
  readonly bkgEstimator?: BkgEstimatorName;
  readonly bkgrmsEstimator?: BkgRmsEstimatorName;
  readonly mask?: PixelMask;
  readonly coverageMask?: PixelMask;
  readonly fillValue?: number;
  readonly filterThreshold?: number | null;
}

export interface MeshBackgroundResult {
  readonly width: number;
  readonly height: number;
  readonly background: Float64Array;
  readonly backgroundRms: Float64Array;
  /** The low-resolution meshes (after filling and filtering), nboxesY x nboxesX. */
  readonly backgroundMesh: Float64Array;
  readonly backgroundRmsMesh: Float64Array;
  readonly nboxesX: number;
  readonly nboxesY: number;
  /** How many boxes were kept (not excluded). */
  readonly nboxesUsed: number;
  readonly backgroundMedian: number;
  readonly backgroundRmsMedian: number;
}

function pair(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export class MeshBackground {
  readonly boxY: number;
  readonly boxX: number;
  readonly filterY: number;
  readonly filterX: number;
  readonly clip: SigmaClip | null;
  readonly excludePercentile: number;
  readonly edgeMethod: 'pad' | 'crop';
  readonly bkgEstimator: BkgEstimatorName;
  readonly bkgrmsEstimator: BkgRmsEstimatorName;
  readonly fillValue: number;
  readonly filterThreshold: number | null;

  constructor(options: MeshBackgroundOptions) {
    [this.boxY, this.boxX] = pair(options.boxSize);
    [this.filterY, this.filterX] = pair(options.filterSize ?? 3);
    for (const [name, v] of [['box_size', this.boxY], ['box_size', this.boxX], ['filter_size', this.filterY], ['filter_size', this.filterX]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValidationError(`${name} must be a positive integer`);
    }
    const sigma = options.sigma === undefined ? 3 : options.sigma;
    this.clip = sigma === null ? null : new SigmaClip({ sigma, maxiters: options.maxiters ?? 10 });
    this.excludePercentile = options.excludePercentile ?? 10;
    if (!(this.excludePercentile >= 0 && this.excludePercentile <= 100)) throw new ValidationError('exclude_percentile must be between 0 and 100');
    this.edgeMethod = options.edgeMethod ?? 'pad';
    this.bkgEstimator = options.bkgEstimator ?? 'sextractor';
    this.bkgrmsEstimator = options.bkgrmsEstimator ?? 'std';
    this.fillValue = options.fillValue ?? 0;
    this.filterThreshold = options.filterThreshold ?? null;
  }

  compute(plane: ImagePlane, mask?: PixelMask, coverageMask?: PixelMask): MeshBackgroundResult {
    const { width, height, data } = plane;
    checkMask(plane, mask);
    checkMask(plane, coverageMask);
    const { boxX, boxY } = this;
    if (boxX > width || boxY > height) throw new ValidationError(`box_size (${boxY}, ${boxX}) is larger than the image (${height}, ${width})`);
    const pad = this.edgeMethod === 'pad';
    const nbx = pad ? Math.ceil(width / boxX) : Math.floor(width / boxX);
    const nby = pad ? Math.ceil(height / boxY) : Math.floor(height / boxY);
    const boxN = boxX * boxY;
    let threshold = (this.excludePercentile / 100) * boxN;
    if (this.excludePercentile === 100) threshold -= 1;

    const nb = nbx * nby;
    if (nb > 4_000_000) throw new ValidationError(`box_size (${boxY}, ${boxX}) makes ${nb} boxes; use larger boxes`);
    const bkg = new Float64Array(nb).fill(NaN);
    const rms = new Float64Array(nb).fill(NaN);
    const kept = new Uint8Array(nb);
    const buf = new Float64Array(boxN);
    const bkgFn = backgroundEstimators[this.bkgEstimator];
    const rmsFn = rmsEstimators[this.bkgrmsEstimator];
    const copy = new Float64Array(boxN);
    // float32 images (most JWST products): sort each box once, then clipping and estimators
    // work on ranges of the sorted values
    const sortedBox = data instanceof Float32Array && this.clip?.cenfunc !== 'mean' ? new SortedBox(boxN) : undefined;
    let nkept = 0;
    for (let by = 0; by < nby; by++) {
      throwIfCancelled();
      for (let bx = 0; bx < nbx; bx++) {
        let n = 0;
        const y0 = by * boxY;
        const x0 = bx * boxX;
        // float32 data goes straight into the sorter's float32 buffer (same values, one copy less)
        const into = sortedBox ? sortedBox.values : buf;
        for (let y = y0; y < Math.min(y0 + boxY, height); y++) {
          const row = y * width;
          for (let x = x0; x < Math.min(x0 + boxX, width); x++) {
            const i = row + x;
            const v = data[i]!;
            if (v - v === 0 && (!mask || mask[i] === 0) && (!coverageMask || coverageMask[i] === 0)) into[n++] = v;
          }
        }
        if (boxN - n > threshold) continue;
        const b = by * nbx + bx;
        if (sortedBox) {
          sortedBox.sort(n);
          const a = sortedBox.sorted;
          const [s0, e0] = this.clip ? clipSorted(a, n, this.clip.sigmaLower, this.clip.sigmaUpper, this.clip.maxiters) : [0, n];
          if (boxN - (e0 - s0) > threshold) continue;
          bkg[b] = sortedBackground(a, s0, e0, this.bkgEstimator);
          rms[b] = sortedRms(a, s0, e0, this.bkgrmsEstimator);
          kept[b] = 1;
          nkept++;
          continue;
        }
        if (this.clip) n = clipToFinalBounds(this.clip, buf, n, copy);
        if (boxN - n > threshold) continue;
        copy.set(buf.subarray(0, n));
        bkg[b] = bkgFn.estimate(copy, n);
        rms[b] = rmsFn.estimate(buf, n);
        kept[b] = 1;
        nkept++;
      }
    }
    if (nkept === 0) {
      throw new ValidationError(`All boxes contain more than ${this.excludePercentile} percent masked pixels (or all are completely masked); check the data or increase exclude_percentile`);
    }
    if (nkept < nb) {
      // brute-force IDW costs (excluded x kept) distance evaluations
      if ((nb - nkept) * nkept > 2e7) {
        throw new ValidationError(`${nb - nkept} of ${nb} boxes need interpolation; use larger boxes or a higher exclude_percentile`);
      }
      fillByIdw(bkg, rms, kept, nbx, nby);
    }
    const unfiltered = Float64Array.from(bkg);
    const bkgMesh = this.filterMesh(bkg, nbx, nby, unfiltered);
    const rmsMesh = this.filterMesh(rms, nbx, nby, unfiltered);
    const background = zoomMesh(bkgMesh, nbx, nby, boxX, boxY, width, height, pad);
    const backgroundRms = zoomMesh(rmsMesh, nbx, nby, boxX, boxY, width, height, pad);
    if (coverageMask) {
      for (let i = 0; i < coverageMask.length; i++) {
        if (coverageMask[i]) {
          background[i] = this.fillValue;
          backgroundRms[i] = this.fillValue;
        }
      }
    }
    return {
      width,
      height,
      background,
      backgroundRms,
      backgroundMesh: bkgMesh,
      backgroundRmsMesh: rmsMesh,
      nboxesX: nbx,
      nboxesY: nby,
      nboxesUsed: nkept,
      backgroundMedian: medianInPlace(Float64Array.from(bkgMesh)),
      backgroundRmsMedian: medianInPlace(Float64Array.from(rmsMesh)),
    };
  }

  /** The mesh median filter: whole mesh, or only meshes whose unfiltered background > filter_threshold. */
  private filterMesh(mesh: Float64Array, nx: number, ny: number, unfilteredBkg: Float64Array): Float64Array {
    const fy = this.filterY;
    const fx = this.filterX;
    if (fx === 1 && fy === 1) return mesh;
    const out = Float64Array.from(mesh);
    const win = new Float64Array(fx * fy);
    const hy = fy >> 1;
    const hx = fx >> 1;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if (this.filterThreshold !== null && !(unfilteredBkg[y * nx + x]! > this.filterThreshold)) continue;
        let k = 0;
        for (let yy = y - hy; yy < y - hy + fy; yy++) {
          if (yy < 0 || yy >= ny) continue;
          for (let xx = x - hx; xx < x - hx + fx; xx++) {
            if (xx < 0 || xx >= nx) continue;
            const v = mesh[yy * nx + xx]!;
            if (!Number.isNaN(v)) win[k++] = v;
          }
        }
        out[y * nx + x] = medianInPlace(win, k);
      }
    }
    return out;
  }
}

/** Shepard IDW (power 1, 10 nearest kept boxes) for the excluded boxes of both meshes. */
function fillByIdw(bkg: Float64Array, rms: Float64Array, kept: Uint8Array, nx: number, ny: number): void {
  const pts: number[] = [];
  for (let i = 0; i < kept.length; i++) if (kept[i]) pts.push(i);
  const k = Math.min(10, pts.length);
  // the k nearest by (distance, index), kept in order by insertion: the same k, in the same
  // order, as a full sort, without sorting every kept box for every excluded one
  const nd = new Float64Array(k);
  const nj = new Int32Array(k);
  for (let i = 0; i < kept.length; i++) {
    if (kept[i]) continue;
    const y = Math.floor(i / nx);
    const x = i % nx;
    let m = 0;
    for (let j = 0; j < pts.length; j++) {
      const p = pts[j]!;
      const dj = Math.hypot(Math.floor(p / nx) - y, (p % nx) - x);
      // j increases, so an equal distance goes after the ones already held
      if (m === k && !(dj < nd[k - 1]!)) continue;
      let t = m < k ? m++ : k - 1;
      while (t > 0 && nd[t - 1]! > dj) {
        nd[t] = nd[t - 1]!;
        nj[t] = nj[t - 1]!;
        t--;
      }
      nd[t] = dj;
      nj[t] = j;
    }
    let wsum = 0;
    let sb = 0;
    let sr = 0;
    for (let t = 0; t < k; t++) {
      const j = nj[t]!;
      const w = 1 / nd[t]!;
      wsum += w;
      sb += w * bkg[pts[j]!]!;
      sr += w * rms[pts[j]!]!;
    }
    bkg[i] = sb / wsum;
    rms[i] = sr / wsum;
  }
  void ny;
}

function zoomMesh(mesh: Float64Array, nx: number, ny: number, boxX: number, boxY: number, width: number, height: number, pad: boolean): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of mesh) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max - min === 0) return new Float64Array(width * height).fill(min);
  // clipped to the mesh's range as it is written
  if (pad) return splineZoom(mesh, nx, ny, boxX, boxY, width, height, [min, max]);
  // 'crop': zoom straight to the image size; photutils passes grid_mode only for 'pad', so
  // scipy's default grid_mode=False applies here
  const out = zoomNoGrid(mesh, nx, ny, width, height);
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    out[i] = v < min ? min : v > max ? max : v;
  }
  return out;
}

/** scipy zoom with grid_mode=False: input coordinate = o * (n_in - 1) / (n_out - 1). */
function zoomNoGrid(mesh: Float64Array, nx: number, ny: number, width: number, height: number): Float64Array {
  // reuse the grid-mode evaluator by sampling through a coordinate transform
  const out = new Float64Array(width * height);
  const coefZoom = splineZoomAt(mesh, nx, ny);
  for (let y = 0; y < height; y++) {
    const cy = height > 1 ? (y * (ny - 1)) / (height - 1) : 0;
    for (let x = 0; x < width; x++) {
      const cx = width > 1 ? (x * (nx - 1)) / (width - 1) : 0;
      out[y * width + x] = coefZoom(cx, cy);
    }
  }
  return out;
}


function splineZoomAt(mesh: Float64Array, nx: number, ny: number): (x: number, y: number) => number {
  const c = prefilter2d(mesh, nx, ny);
  const weights = (t: number): [number, number, number, number] => {
    const u = 1 - t;
    return [(u * u * u) / 6, (3 * t ** 3 - 6 * t * t + 4) / 6, (-3 * t ** 3 + 3 * t * t + 3 * t + 1) / 6, t ** 3 / 6];
  };
  return (x, y) => {
    const fx = Math.floor(x);
    const fy = Math.floor(y);
    const wx = weights(x - fx);
    const wy = weights(y - fy);
    let s = 0;
    for (let a = 0; a < 4; a++) {
      const yy = mapIndex(fy - 1 + a, ny, 'reflect');
      for (let b = 0; b < 4; b++) s += wy[a]! * wx[b]! * c[yy * nx + mapIndex(fx - 1 + b, nx, 'reflect')]!;
    }
    return s;
  };
}
