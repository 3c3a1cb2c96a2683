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
import { footprintRegion, intersectRegions, planeWcs, regionArea, type CelestialImage, type OutputGrid, type PixelRegion } from './grid.js';
import type { Interpolation } from './interpolation.js';
import { createRegionReprojector, type RegionReprojector } from './region-reprojector.js';
import { median, solveBackgroundCorrections } from './background.js';

export type CombineMethod = 'mean' | 'sum' | 'median' | 'min' | 'max' | 'first' | 'last';
export const COMBINE_METHODS: readonly CombineMethod[] = ['mean', 'sum', 'median', 'min', 'max', 'first', 'last'];

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
  readonly reprojector: RegionReprojector;
}

function prepare(inputs: readonly CelestialImage[], grid: OutputGrid, options: CoaddOptions): Prepared[] {
  const outWcs = planeWcs(grid.wcs);
  const prepared: Prepared[] = [];
  inputs.forEach((input, index) => {
    const inWcs = planeWcs(input.wcs);
    const region = footprintRegion(inWcs, input.plane.width, input.plane.height, outWcs, grid.width, grid.height);
    if (!region || regionArea(region) === 0) return;
    prepared.push({ index, region, reprojector: createRegionReprojector(input, outWcs, options.method ?? 'bilinear', options.roundtrip ?? true) });
  });
  return prepared;
}

/** Median offsets between every overlapping pair (NaN where they do not overlap). */
function backgroundOffsets(prepared: Prepared[], n: number, maxSamples: number): number[][] {
  const offsets = Array.from({ length: n }, () => new Array<number>(n).fill(NaN));
  for (let a = 0; a < prepared.length; a++) {
    for (let b = a + 1; b < prepared.length; b++) {
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
      for (let y = overlap.y0; y < overlap.y1; y += step) {
        const row = { x0: overlap.x0, x1: overlap.x1, y0: y, y1: y + 1 };
        pa.reprojector.run(row, da);
        pb.reprojector.run(row, db);
        for (let i = 0; i < w; i++) {
          const d = da[i]! - db[i]!;
          if (!Number.isNaN(d)) diffs[count++] = d;
        }
      }
      if (count === 0) continue;
      const m = median(diffs, count);
      offsets[pa.index]![pb.index] = m;
      offsets[pb.index]![pa.index] = -m;
    }
  }
  return offsets;
}

/** Runs the coadd band by band, handing each band to `sink`; returns the background corrections. */
export async function coaddBands(
  inputs: readonly CelestialImage[],
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
    corrections = solveBackgroundCorrections(backgroundOffsets(prepared, inputs.length, 4_000_000), options.backgroundReference);
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
      const r = intersectRegions(p.region, band);
      if (!r) continue;
      const rw = r.x1 - r.x0;
      const tmp = new Float64Array(regionArea(r));
      p.reprojector.run(r, tmp);
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
        acc[k] = c === 0 ? NaN : median(vals, c);
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

/** The whole mosaic in memory (use `coaddBands` to stream bigger-than-memory outputs). */
export async function reprojectAndCoadd(inputs: readonly CelestialImage[], grid: OutputGrid, options: CoaddOptions = {}): Promise<CoaddResult> {
  const { width, height } = grid;
  const data = new Float32Array(width * height);
  const footprint = new Float32Array(width * height);
  const corrections = await coaddBands(inputs, grid, options, (band) => {
    data.set(band.data, band.y0 * width);
    footprint.set(band.footprint, band.y0 * width);
  });
  return { width, height, data, footprint, corrections };
}
