/**
 * Observation mosaics (upstream-latest §6, POST /mosaic/generate-observation): 2-500 files onto
 * one common grid of at most `maxOutputPixels`, written as a float32 FITS image with the upstream's
 * keywords. Each file is read block-averaged to a per-file budget (max(max_output_pixels / n,
 * 100 000) pixels, and never finer than the grid), so memory is the output grid (a float32 sum
 * and weight) plus one file at a time, whatever the number of files. With background matching,
 * a first pass measures every file's sigma-clipped median background and p90 signal; the second
 * subtracts the background and scales the signal to the files' median (gain) before adding the
 * file where it covers the grid. Files are processed in batches only for progress: each is
 * interpolated once (the upstream re-mosaicked batch results). No coverage is NaN, not 0.
 */
import { FitsWriter, type NewCard } from '../fits/index.js';
import { percentilesOfMapped } from '../imaging/index.js';
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { reprojectAndCoadd } from '../reproject/coadd.js';
import { footprintRegion, planeWcs, type OutputGrid } from '../reproject/grid.js';
import { cropGrid, fitGridInBox } from '../reproject/grid-fit.js';
import { binFactorFor, finestScale, withCelestialImages, type OpenedCelestialImage } from '../reproject/load.js';
import { findOptimalCelestialWcs } from '../reproject/optimal-wcs.js';
import { wcsToCards } from '../wcs/index.js';
import { skyLevel } from './channel-data.js';
import { throwIfCancelled } from '../core/cancellation.js';

export interface ObservationMosaicSpec {
  readonly paths: readonly string[];
  readonly maxOutputPixels: number;
  readonly batchSize: number;
  readonly backgroundMatch: boolean;
  readonly outputPath: string;
  readonly limits: ViewerLimits;
  readonly now?: Date;
}

export interface ObservationMosaicResult {
  readonly width: number;
  readonly height: number;
  readonly gains: number[];
  readonly backgrounds: number[];
}

export type MosaicProgress = (fraction: number, stage: string) => void;

/** The native common grid, shrunk (pixel edges kept) to at most `maxPixels`. */
export function observationGrid(inputs: readonly OpenedCelestialImage[], maxPixels: number): OutputGrid {
  const grid = findOptimalCelestialWcs(inputs);
  const px = grid.width * grid.height;
  if (px <= maxPixels) return grid;
  const f = Math.sqrt(px / maxPixels);
  return fitGridInBox(grid, Math.max(1, Math.floor(grid.width / f)), Math.max(1, Math.floor(grid.height / f)));
}

/** Block size that brings a file to the grid's scale and within its pixel budget. */
function binFor(img: OpenedCelestialImage, gridScale: number, budget: number): number {
  const k = Math.max(binFactorFor(img.wcs, gridScale), Math.ceil(Math.sqrt((img.width * img.height) / budget)));
  return k >= 2 ? k : 1;
}

/** Sigma-clipped median background and p90 of the signal above it (0 with fewer than 100 pixels). */
export function tileBackground(data: ArrayLike<number>): { background: number; signal: number } {
  const m = skyLevel(data as Float32Array).median;
  const background = Number.isFinite(m) ? m : 0;
  const above: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]! - background;
    if (v > 0) above.push(v);
  }
  return { background, signal: above.length < 100 ? 0 : percentilesOfMapped(Float64Array.from(above), [90])[0]! };
}

/** gain_i = median(non-zero signals) / signal_i with at least two non-zero signals, else 1. */
export function gainsOf(signals: readonly number[]): number[] {
  const nonzero = signals.filter((s) => s > 0).sort((a, b) => a - b);
  if (nonzero.length < 2) return signals.map(() => 1);
  const h = nonzero.length >> 1;
  const median = nonzero.length % 2 ? nonzero[h]! : (nonzero[h - 1]! + nonzero[h]!) / 2;
  return signals.map((s) => (s > 0 ? median / s : 1));
}

export async function writeObservationMosaic(spec: ObservationMosaicSpec, onProgress?: MosaicProgress): Promise<ObservationMosaicResult> {
  return withCelestialImages(spec.paths, spec.limits, async (inputs) => {
    const grid = observationGrid(inputs, spec.maxOutputPixels);
    const gridScale = finestScale(grid.wcs);
    const budget = Math.max(Math.floor(spec.maxOutputPixels / inputs.length), 100_000);
    const n = inputs.length;
    const backgrounds = new Array<number>(n).fill(0);
    let gains = new Array<number>(n).fill(1);
    if (spec.backgroundMatch && n > 1) {
      const signals: number[] = [];
      for (const [i, img] of inputs.entries()) {
        throwIfCancelled();
        const tile = await img.readBinned(binFor(img, gridScale, budget));
        const s = tileBackground(tile.plane.data);
        backgrounds[i] = s.background;
        signals.push(s.signal);
        onProgress?.((0.3 * (i + 1)) / n, 'background');
      }
      gains = gainsOf(signals);
    }
    const N = grid.width * grid.height;
    const sum = new Float32Array(N);
    const weight = new Float32Array(N);
    const outWcs = planeWcs(grid.wcs);
    for (let b = 0; b < n; b += spec.batchSize) {
      for (let i = b; i < Math.min(n, b + spec.batchSize); i++) {
        throwIfCancelled();
        const img = inputs[i]!;
        const tile = await img.readBinned(binFor(img, gridScale, budget));
        const { width: tw, height: th } = tile.plane;
        const region = footprintRegion(planeWcs(tile.wcs), tw, th, outWcs, grid.width, grid.height);
        if (!region || region.x1 <= region.x0 || region.y1 <= region.y0) continue;
        const g = Math.abs(gains[i]! - 1) > 0.01 ? gains[i]! : 1;
        const data = Float32Array.from(tile.plane.data);
        if (spec.backgroundMatch && n > 1) for (let k = 0; k < data.length; k++) data[k] = (data[k]! - backgrounds[i]!) * g;
        const sub = cropGrid(grid, region.x0, region.y0, region.x1, region.y1);
        const r = await reprojectAndCoadd([{ plane: { width: tw, height: th, data }, wcs: tile.wcs }], sub, { combine: 'mean', method: 'bilinear' });
        for (let y = 0; y < sub.height; y++) {
          const row = (y + region.y0) * grid.width + region.x0;
          for (let x = 0; x < sub.width; x++) {
            const v = r.data[y * sub.width + x]!;
            if (v !== v) continue;
            sum[row + x]! += v;
            weight[row + x]! += 1;
          }
        }
      }
      onProgress?.(0.3 + (0.6 * Math.min(n, b + spec.batchSize)) / n, 'mosaic');
    }
    for (let k = 0; k < N; k++) sum[k] = weight[k]! > 0 ? sum[k]! / weight[k]! : NaN;
    const cards: NewCard[] = [
      ...wcsToCards(grid.wcs).filter((c) => c.keyword !== 'WCSAXES').map((c) => ({ keyword: c.keyword, value: c.value, comment: c.comment })),
      { keyword: 'ORIGIN', value: 'jwst-processing-engine', comment: 'organization or software that wrote the file' },
      { keyword: 'CREATOR', value: 'observation-mosaic-generator', comment: 'software that created this file' },
      { keyword: 'DATE', value: (spec.now ?? new Date()).toISOString().slice(0, 19), comment: 'UTC date the file was written' },
      { keyword: 'NCOMBINE', value: n, comment: 'number of input files' },
      { keyword: 'COMBMETH', value: 'mean', comment: 'how overlapping pixels were combined' },
      { keyword: 'BKGMATCH', value: spec.backgroundMatch && n > 1, comment: 'backgrounds subtracted and signal gains matched' },
      { keyword: 'OBS_MOSAIC', value: true, comment: 'observation mosaic' },
    ];
    const writer = await FitsWriter.create(spec.outputPath);
    let ok = false;
    try {
      await writer.writeImage({ axes: [grid.width, grid.height], bitpix: -32, data: sum, cards });
      ok = true;
    } finally {
      if (ok) await writer.close();
      else await writer.abort().catch(() => undefined);
    }
    onProgress?.(1, 'done');
    return { width: grid.width, height: grid.height, gains, backgrounds };
  });
}
