/**
 * The true values of native pixels (as decoded, float64 when the HDU needs it) with their sky
 * position: the viewer's cursor read-out. Only the rows holding the points are read.
 */
import { BadRequestError } from '../../errors.js';
import { readPlane } from '../../fits/index.js';
import { bunitOf, withImageHdu, type HduRef } from './image-hdu.js';
import { imageSky } from './sky.js';
import type { ViewerLimits } from './source.js';

export interface PixelValuesRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  readonly sliceIndex: number;
  /** 0-based native pixel [x, y] pairs (rounded to the nearest pixel centre). */
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly limits: ViewerLimits;
}

export interface PixelValue {
  /** The pixel read (0-based), or the point given when it is off the image. */
  readonly x: number;
  readonly y: number;
  /** null for NaN (no data) and for points off the image. */
  readonly value: number | null;
  readonly inside: boolean;
  /** Degrees in the HDU's celestial frame (null without a celestial WCS). */
  readonly world: [number, number] | null;
}

export interface PixelValuesResult {
  readonly hdu: number;
  readonly hdu_name: string;
  readonly width: number;
  readonly height: number;
  readonly n_slices: number;
  readonly current_slice: number;
  readonly bunit: string;
  readonly frame: string | null;
  readonly values: PixelValue[];
}

export async function pixelValuesFile(req: PixelValuesRequest): Promise<PixelValuesResult> {
  return withImageHdu(req.path, req.hdu, req.sliceIndex, req.limits, async (img) => {
    const { width: W, height: H } = img;
    const pts = req.points.map(([x, y]) => ({ x: Math.round(x), y: Math.round(y), inside: Math.round(x) >= 0 && Math.round(x) < W && Math.round(y) >= 0 && Math.round(y) < H }));
    const rows = new Map<number, ArrayLike<number>>();
    for (const p of pts) {
      if (!p.inside || rows.has(p.y)) continue;
      const plane = await readPlane(img.file, img.hdu, { plane: img.slice.plane, rows: [p.y, p.y + 1], maxElements: req.limits.maxElements });
      rows.set(p.y, plane.data.slice(0, W));
    }
    const sky = imageSky(img.hdu.header);
    const lon = new Float64Array(pts.length);
    const lat = new Float64Array(pts.length);
    if (sky) sky.wcs.celestialPixelToWorld(pts.map((p) => p.x), pts.map((p) => p.y), lon, lat);
    const values = pts.map((p, k): PixelValue => {
      const v = p.inside ? rows.get(p.y)![p.x]! : NaN;
      const world: [number, number] | null = sky && Number.isFinite(lon[k]!) && Number.isFinite(lat[k]!) ? [lon[k]!, lat[k]!] : null;
      return { x: p.x, y: p.y, value: Number.isNaN(v) ? null : v, inside: p.inside, world };
    });
    return {
      hdu: img.hdu.index,
      hdu_name: img.hdu.name,
      width: W,
      height: H,
      n_slices: img.slice.nSlices,
      current_slice: img.slice.current,
      bunit: bunitOf(img.hdu),
      frame: sky?.frame ?? null,
      values,
    };
  });
}

export interface PixelSpectrumRequest {
  readonly path: string;
  readonly hdu?: HduRef;
  readonly x: number;
  readonly y: number;
  readonly limits: ViewerLimits;
}

export interface PixelSpectrum {
  readonly hdu: number;
  readonly x: number;
  readonly y: number;
  readonly bunit: string;
  /** Value of the pixel in each slice (null = no data). */
  readonly values: Array<number | null>;
}

/** One pixel through every slice of a cube (the last axis): its spectrum. One row read per slice. */
export async function pixelSpectrumFile(req: PixelSpectrumRequest): Promise<PixelSpectrum> {
  return withImageHdu(req.path, req.hdu, -1, req.limits, async (img) => {
    const x = Math.round(req.x);
    const y = Math.round(req.y);
    if (x < 0 || x >= img.width || y < 0 || y >= img.height) {
      throw new BadRequestError(`Pixel (${x}, ${y}) is outside the ${img.width}x${img.height} image`, 'OUTSIDE_IMAGE');
    }
    const values: Array<number | null> = [];
    const others = img.slice.plane.slice(0, -1);
    for (let k = 0; k < img.slice.nSlices; k++) {
      const plane = img.slice.plane.length ? [...others, k] : [];
      const row = await readPlane(img.file, img.hdu, { plane, rows: [y, y + 1], maxElements: req.limits.maxElements });
      const v = row.data[x]!;
      values.push(Number.isNaN(v) ? null : v);
    }
    return { hdu: img.hdu.index, x, y, bunit: bunitOf(img.hdu), values };
  });
}
