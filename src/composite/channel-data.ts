/**
 * A channel's linear data on the composite grid: its files reprojected (bilinear, as reproject's
 * reproject_interp) and averaged where they overlap. Several files of one channel are first
 * matched (upstream-latest §6): each file's sigma-clipped median background is subtracted and its
 * signal (p90 above background) scaled to the median of the files'. Unlike upstream, sky that
 * falls to zero or below stays data; only pixels no file covers are NaN.
 */
import { streamingSigmaClippedStats } from '../analysis/stats/streaming-sigma-clip.js';
import { percentilesOfMapped } from '../imaging/index.js';
import { reprojectAndCoadd } from '../reproject/coadd.js';
import type { OutputGrid } from '../reproject/grid.js';
import { binFactorFor, finestScale, type LoadedImage, type OpenedCelestialImage } from '../reproject/load.js';

const CLIP = { sigmaLower: 3, sigmaUpper: 3, maxiters: 5, cenfunc: 'median' } as const;

/** Sigma-clipped (3 sigma, 5 iterations) median and std of the finite values. */
export function skyLevel(data: ArrayLike<number> & { length: number }): { median: number; std: number; n: number } {
  const s = streamingSigmaClippedStats(data as Float32Array, undefined, CLIP);
  return { median: s.median, std: s.std, n: s.n };
}

export interface TileMatch {
  readonly background: number;
  readonly gain: number;
}

/** Background and gain of each tile (gain 1 without at least two tiles with signal). */
export function matchTiles(tiles: readonly Float32Array[]): TileMatch[] {
  const backgrounds = tiles.map((t) => {
    const m = skyLevel(t).median;
    return Number.isFinite(m) ? m : 0;
  });
  const signals = tiles.map((t, i) => {
    const above: number[] = [];
    for (let k = 0; k < t.length; k++) {
      const v = t[k]! - backgrounds[i]!;
      if (v > 0) above.push(v);
    }
    return above.length < 100 ? 0 : percentilesOfMapped(Float64Array.from(above), [90])[0]!;
  });
  const nonzero = signals.filter((s) => s > 0).sort((a, b) => a - b);
  const median = nonzero.length === 0 ? 0 : nonzero.length % 2 ? nonzero[nonzero.length >> 1]! : (nonzero[nonzero.length / 2 - 1]! + nonzero[nonzero.length / 2]!) / 2;
  return tiles.map((_, i) => ({ background: backgrounds[i]!, gain: nonzero.length >= 2 && signals[i]! > 0 ? median / signals[i]! : 1 }));
}

/** The files of one channel read at the grid's scale (block-averaged when much finer). */
export async function readChannelFiles(files: readonly OpenedCelestialImage[], grid: OutputGrid): Promise<LoadedImage[]> {
  const target = finestScale(grid.wcs);
  const images: LoadedImage[] = [];
  for (const f of files) images.push(await f.readBinned(binFactorFor(f.wcs, target)));
  return images;
}

/** The channel on the grid (NaN = no coverage); `matchBackgrounds` applies the tile matching. */
export async function channelOnGrid(images: readonly LoadedImage[], grid: OutputGrid, matchBackgrounds: boolean): Promise<Float32Array> {
  let inputs = images;
  if (matchBackgrounds && images.length > 1) {
    const tiles = images.map((img) => Float32Array.from(img.plane.data));
    const matches = matchTiles(tiles);
    inputs = images.map((img, i) => {
      const { background, gain } = matches[i]!;
      const t = tiles[i]!;
      const g = Math.abs(gain - 1) > 0.01 ? gain : 1;
      for (let k = 0; k < t.length; k++) t[k] = (t[k]! - background) * g;
      return { ...img, plane: { width: img.plane.width, height: img.plane.height, data: t } };
    });
  }
  const result = await reprojectAndCoadd(inputs, grid, { combine: 'mean', method: 'bilinear' });
  return result.data;
}
