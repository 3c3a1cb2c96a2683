/**
 * Mosaicking, equivalent to reproject's `reproject_and_coadd` and extended: every input is
 * reprojected onto the common grid and combined per pixel by mean, sum, median, min, max, first
 * or last. Pixels an input does not cover, and NaN pixels, are excluded (never counted as zero);
 * a pixel nothing covers is NaN. Optional background matching subtracts per-tile offsets first.
 *
 * The output is produced in horizontal bands of at most `bandPixels` pixels, each handed to a sink
 * as soon as it is done, so an output larger than memory can be streamed to disk.
 */
import { ReprojectError } from './errors.js';
import type { ImagePlane } from '../core/image-plane.js';
import type { Wcs, WcsDefinition } from '../wcs/index.js';
import { footprintRegion, intersectRegions, planeWcs, regionArea, type CelestialImage, type OutputGrid, type PixelRegion } from './grid.js';
import { PixelMapper } from './pixel-mapper.js';
import type { Interpolation } from './interpolation.js';
import { createRegionReprojector, type RegionReprojector } from './region-reprojector.js';
import { STRIP_PIXELS } from './reproject-interp.js';
import { medianInPlace } from '../analysis/stats/select.js';
import { solveBackgroundCorrections } from './background.js';
import { throwIfCancelled } from '../core/cancellation.js';

export type CombineMethod = 'mean' | 'sum' | 'median' | 'min' | 'max' | 'first' | 'last';
export const COMBINE_METHODS: readonly CombineMethod[] = ['mean', 'sum', 'median', 'min', 'max', 'first', 'last'];

/**
 * An input read on demand, a range of rows at a time: each output band loads only the input rows
 * it maps onto, so a mosaic of inputs that do not fit in memory together still completes.
 */
export interface RowSourceImage {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
  /** Rows [y0, y1) of the image (0-based, FITS row 1 = 0). */
  readRows(y0: number, y1: number): Promise<ImagePlane>;
}

export type CoaddInput = CelestialImage | RowSourceImage;

function isRowSource(input: CoaddInput): input is RowSourceImage {
  return typeof (input as RowSourceImage).readRows === 'function';
}

/** The WCS of rows [y0, ...) of an image: the same sky with the row origin moved. */
export function shiftRows(def: WcsDefinition, y0: number): WcsDefinition {
  if (y0 === 0) return def;
  return {
    ...def,
    crpix: def.crpix.map((c, i) => (i === 1 ? c - y0 : c)),
    dss: def.dss ? { ...def.dss, cnpix2: def.dss.cnpix2 + y0 } : undefined,
    lookupTables: undefined,
  };
}

export interface CoaddOptions {
  readonly combine?: CombineMethod;
  /** Interpolation, or 'exact' for flux-conserving area overlap. Default bilinear. */
  readonly method?: Interpolation | 'exact';
  readonly roundtrip?: boolean;
  readonly matchBackground?: boolean;
  /** Index of the input whose background is kept (others are matched to it). */
  readonly backgroundReference?: number;
  /** Upper bound of output pixels computed at once (memory bound). Default 4,194,304. */
  readonly bandPixels?: number;
  /** Called with the fraction done (0..1) after each band. */
  readonly onProgress?: (fraction: number) => void;
}

export interface CoaddBand {
  readonly y0: number;
  readonly y1: number;
  readonly width: number;
  /** (y1-y0) x width, NaN where nothing covers the pixel. */
  readonly data: Float64Array;
  /** Number of inputs that contributed to each pixel. */
  readonly footprint: Float32Array;
}

export interface CoaddResult {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
  readonly footprint: Float32Array;
  /** Background corrections subtracted from each input (zeros without matching). */
  readonly corrections: number[];
}

interface Prepared {
  readonly index: number;
  readonly region: PixelRegion;
  /** A reprojector able to fill `region` (an in-memory input has one for everything). */
  reprojectorFor(region: PixelRegion): Promise<RegionReprojector | undefined>;
}

/** Rows of margin around the mapped area: the interpolation kernel's reach (bicubic: prefilter decay). */
const ROW_MARGIN: Record<string, number> = { nearest: 2, bilinear: 3, exact: 3, bicubic: 24 };

function lazyReprojector(input: RowSourceImage, outWcs: Wcs, options: CoaddOptions): Prepared['reprojectorFor'] {
  const inWcs = planeWcs(input.wcs);
  const mapper = new PixelMapper(outWcs, inWcs, false);
  const method = options.method ?? 'bilinear';
  const margin = ROW_MARGIN[method] ?? 3;
  return async (region) => {
    // Input rows reached from the region's outline (the mapping is smooth; the margin covers curvature).
    const xs: number[] = [];
    const ys: number[] = [];
    const add = (x: number, y: number) => {
      xs.push(x);
      ys.push(y);
    };
    for (let x = region.x0 - 0.5; x < region.x1; x += 8) {
      add(x, region.y0 - 0.5);
      add(x, region.y1 - 0.5);
    }
    for (let y = region.y0 - 0.5; y < region.y1; y += 8) {
      add(region.x0 - 0.5, y);
      add(region.x1 - 0.5, y);
    }
    add(region.x1 - 0.5, region.y1 - 0.5);
    const n = xs.length;
    const ix = new Float64Array(n);
    const iy = new Float64Array(n);
    mapper.map(Float64Array.from(xs), Float64Array.from(ys), n, ix, iy);
    let lo = Infinity;
    let hi = -Infinity;
    let finite = 0;
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(iy[k]!) || !Number.isFinite(ix[k]!)) continue;
      finite++;
      lo = Math.min(lo, iy[k]!);
      hi = Math.max(hi, iy[k]!);
    }
    let y0 = 0;
    let y1 = input.height;
    if (finite === n) {
      y0 = Math.max(0, Math.floor(lo) - margin);
      y1 = Math.min(input.height, Math.ceil(hi) + margin + 1);
      if (y1 <= y0) return undefined;
    }
    const plane = await input.readRows(y0, y1);
    return createRegionReprojector({ plane, wcs: shiftRows(input.wcs, y0) }, outWcs, method, options.roundtrip ?? true);
  };
}

function prepare(inputs: readonly CoaddInput[], grid: OutputGrid, options: CoaddOptions): Prepared[] {
  const outWcs = planeWcs(grid.wcs);
  const prepared: Prepared[] = [];
  inputs.forEach((input, index) => {
    const inWcs = planeWcs(input.wcs);
    const width = isRowSource(input) ? input.width : input.plane.width;
    const height = isRowSource(input) ? input.height : input.plane.height;
    const region = footprintRegion(inWcs, width, height, outWcs, grid.width, grid.height);
    if (!region || regionArea(region) === 0) return;
    if (isRowSource(input)) {
      prepared.push({ index, region, reprojectorFor: lazyReprojector(input, outWcs, options) });
    } else {
      const r = createRegionReprojector(input, outWcs, options.method ?? 'bilinear', options.roundtrip ?? true);
      prepared.push({ index, region, reprojectorFor: async () => r });
    }
  });
  return prepared;
}

/** Median offsets between every overlapping pair (NaN where they do not overlap). */
async function backgroundOffsets(prepared: Prepared[], n: number, maxSamples: number): Promise<number[][]> {
  const offsets = Array.from({ length: n }, () => new Array<number>(n).fill(NaN));
  for (let a = 0; a < prepared.length; a++) {
    for (let b = a + 1; b < prepared.length; b++) {
      throwIfCancelled();
      const pa = prepared[a]!;
      const pb = prepared[b]!;
      const overlap = intersectRegions(pa.region, pb.region);
      if (!overlap) continue;
      const w = overlap.x1 - overlap.x0;
      // Every k-th row keeps the sample bounded on huge overlaps.
      const step = Math.max(1, Math.ceil(regionArea(overlap) / maxSamples));
      const diffs = new Float64Array(Math.ceil((overlap.y1 - overlap.y0) / step) * w);
      let count = 0;
      const da = new Float64Array(w);
      const db = new Float64Array(w);
      const ra = await pa.reprojectorFor(overlap);
      const rb = await pb.reprojectorFor(overlap);
      if (!ra || !rb) continue;
      for (let y = overlap.y0; y < overlap.y1; y += step) {
        const row = { x0: overlap.x0, x1: overlap.x1, y0: y, y1: y + 1 };
        ra.run(row, da);
        rb.run(row, db);
        for (let i = 0; i < w; i++) {
          const d = da[i]! - db[i]!;
          if (!Number.isNaN(d)) diffs[count++] = d;
        }
      }
      if (count === 0) continue;
      const m = medianInPlace(diffs, count);
      offsets[pa.index]![pb.index] = m;
      offsets[pb.index]![pa.index] = -m;
    }
  }
  return offsets;
}

/** Runs the coadd band by band, handing each band to `sink`; returns the background corrections. */
export async function coaddBands(
  inputs: readonly CoaddInput[],
  grid: OutputGrid,
  options: CoaddOptions,
  sink: (band: CoaddBand) => void | Promise<void>,
): Promise<number[]> {
  const combine = options.combine ?? 'mean';
  if (!COMBINE_METHODS.includes(combine)) throw new ReprojectError(`Unknown combine method '${combine}'`, 'REPROJECT_BAD_INPUT');
  if (inputs.length === 0) throw new ReprojectError('No input images', 'REPROJECT_NO_INPUT');
  const { width, height } = grid;
  const prepared = prepare(inputs, grid, options);
  let corrections = new Array<number>(inputs.length).fill(0);
  if (options.matchBackground && prepared.length > 1) {
    corrections = solveBackgroundCorrections(await backgroundOffsets(prepared, inputs.length, 4_000_000), options.backgroundReference);
  }
  const budget = Math.max(width, options.bandPixels ?? 4_194_304);
  // Median keeps one value per input per pixel; the others a fixed number of accumulators.
  const perPixel = combine === 'median' ? Math.max(1, prepared.length) : 1;
  const bandRows = Math.max(1, Math.min(height, Math.floor(budget / perPixel / width)));
  for (let y0 = 0; y0 < height; y0 += bandRows) {
    const y1 = Math.min(height, y0 + bandRows);
    const band = { x0: 0, x1: width, y0, y1 };
    const n = (y1 - y0) * width;
    const acc = new Float64Array(n);
    const count = new Float32Array(n);
    const stack = combine === 'median' ? prepared.map(() => new Float64Array(0)) : [];
    if (combine === 'min') acc.fill(Infinity);
    else if (combine === 'max') acc.fill(-Infinity);
    else if (combine === 'first' || combine === 'last') acc.fill(NaN);
    let slot = 0;
    for (const p of prepared) {
      throwIfCancelled();
      const r = intersectRegions(p.region, band);
      if (!r) continue;
      const rw = r.x1 - r.x0;
      const reprojector = await p.reprojectorFor(r);
      if (!reprojector) continue;
      const tmp = new Float64Array(regionArea(r));
      reprojector.run(r, tmp);
      const corr = corrections[p.index]!;
      if (combine === 'median') {
        const full = new Float64Array(n).fill(NaN);
        for (let yy = r.y0; yy < r.y1; yy++) {
          for (let i = 0; i < rw; i++) full[(yy - y0) * width + r.x0 + i] = tmp[(yy - r.y0) * rw + i]! - corr;
        }
        stack[slot++] = full;
        continue;
      }
      for (let yy = r.y0; yy < r.y1; yy++) {
        const src = (yy - r.y0) * rw;
        const dst = (yy - y0) * width + r.x0;
        for (let i = 0; i < rw; i++) {
          const v = tmp[src + i]!;
          if (Number.isNaN(v)) continue;
          const k = dst + i;
          const val = v - corr;
          switch (combine) {
            case 'mean':
            case 'sum': acc[k]! += val; break;
            case 'min': if (val < acc[k]!) acc[k] = val; break;
            case 'max': if (val > acc[k]!) acc[k] = val; break;
            case 'first': if (count[k] === 0) acc[k] = val; break;
            case 'last': acc[k] = val; break;
          }
          count[k]! += 1;
        }
      }
    }
    if (combine === 'median') {
      const vals = new Float64Array(slot);
      for (let k = 0; k < n; k++) {
        let c = 0;
        for (let s = 0; s < slot; s++) {
          const v = stack[s]![k]!;
          if (!Number.isNaN(v)) vals[c++] = v;
        }
        count[k] = c;
        // vals is scratch: selecting in place needs no copy or sort per pixel
        acc[k] = c === 0 ? NaN : medianInPlace(vals, c);
      }
    } else {
      for (let k = 0; k < n; k++) {
        if (count[k] === 0) acc[k] = NaN;
        else if (combine === 'mean') acc[k]! /= count[k]!;
      }
    }
    await sink({ y0, y1, width, data: acc, footprint: count });
    options.onProgress?.(y1 / height);
  }
  return corrections;
}

/**
 * One in-memory input: every combine method gives its value (or NaN), so it is reprojected once
 * over its footprint straight into float32, without the bands' float64 accumulators (a composite
 * channel of one file is this case; same values as the banded path to the lattice's 1e-7 px).
 */
function singleInput(input: CelestialImage, grid: OutputGrid, options: CoaddOptions): CoaddResult {
  const { width, height } = grid;
  const data = new Float32Array(width * height).fill(NaN);
  const footprint = new Float32Array(width * height);
  const outWcs = planeWcs(grid.wcs);
  const region = footprintRegion(planeWcs(input.wcs), input.plane.width, input.plane.height, outWcs, width, height);
  if (region && regionArea(region) > 0) {
    const rw = region.x1 - region.x0;
    // Interpolation in bands of four of the reprojector's strips (its strips restart at each run's
    // first row, so bands made of whole strips give the same positions as one run): the band
    // buffers are a few MB, not two more region-sized arrays.
    const method = options.method ?? 'bilinear';
    const bandRows = method === 'exact' ? region.y1 - region.y0 : Math.min(region.y1 - region.y0, 4 * Math.max(1, Math.floor(STRIP_PIXELS / rw)));
    const tmp = new Float32Array(bandRows * rw);
    const fp = new Float32Array(tmp.length);
    const reprojector = createRegionReprojector(input, outWcs, method, options.roundtrip ?? true);
    for (let b0 = region.y0; b0 < region.y1; b0 += bandRows) {
      const b1 = Math.min(region.y1, b0 + bandRows);
      reprojector.run({ x0: region.x0, x1: region.x1, y0: b0, y1: b1 }, tmp, fp);
      for (let y = b0; y < b1; y++) {
        data.set(tmp.subarray((y - b0) * rw, (y - b0 + 1) * rw), y * width + region.x0);
        footprint.set(fp.subarray((y - b0) * rw, (y - b0 + 1) * rw), y * width + region.x0);
      }
    }
  }
  options.onProgress?.(1);
  return { width, height, data, footprint, corrections: [0] };
}

/** The whole mosaic in memory (use `coaddBands` to stream bigger-than-memory outputs). */
export async function reprojectAndCoadd(inputs: readonly CoaddInput[], grid: OutputGrid, options: CoaddOptions = {}): Promise<CoaddResult> {
  const combine = options.combine ?? 'mean';
  if (inputs.length === 1 && !isRowSource(inputs[0]!) && COMBINE_METHODS.includes(combine)) return singleInput(inputs[0]!, grid, options);
  const { width, height } = grid;
  const data = new Float32Array(width * height);
  const footprint = new Float32Array(width * height);
  const corrections = await coaddBands(inputs, grid, options, (band) => {
    data.set(band.data, band.y0 * width);
    footprint.set(band.footprint, band.y0 * width);
  });
  return { width, height, data, footprint, corrections };
}
