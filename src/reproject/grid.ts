/** Output grids and rectangular regions of them. */
import { frameConverter, Wcs, type WcsDefinition } from '../wcs/index.js';
import type { ImagePlane } from '../core/image-plane.js';

/** A target pixel grid: a 2-axis celestial WCS and its size. */
export interface OutputGrid {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
}

/** An image with its 2-axis celestial WCS. */
export interface CelestialImage {
  readonly plane: ImagePlane;
  readonly wcs: WcsDefinition;
}

/** Half-open pixel rectangle [x0, x1) x [y0, y1). */
export interface PixelRegion {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export function regionArea(r: PixelRegion): number {
  return Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);
}

export function intersectRegions(a: PixelRegion, b: PixelRegion): PixelRegion | undefined {
  const r = { x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) };
  return r.x1 > r.x0 && r.y1 > r.y0 ? r : undefined;
}

/** The celestial plane WCS of a definition, ready to evaluate. */
export function planeWcs(def: WcsDefinition): Wcs {
  return new Wcs(def).celestialPlane();
}

/**
 * Where an input image lands on the output grid: the bounding box of its four outer corners
 * (pixel edges at -0.5 and n-0.5), as reproject_and_coadd computes it; the whole grid when a
 * corner does not map (e.g. it is off the output projection).
 */
export function footprintRegion(inputWcs: Wcs, inWidth: number, inHeight: number, outputWcs: Wcs, outWidth: number, outHeight: number): PixelRegion | undefined {
  const xs = Float64Array.of(-0.5, inWidth - 0.5, inWidth - 0.5, -0.5);
  const ys = Float64Array.of(-0.5, -0.5, inHeight - 0.5, inHeight - 0.5);
  const lon = new Float64Array(4);
  const lat = new Float64Array(4);
  inputWcs.celestialPixelToWorld(xs, ys, lon, lat);
  const convert = frameConverter(inputWcs.celestial!.frame, outputWcs.celestial!.frame);
  if (convert) {
    const t = new Float64Array(2);
    for (let k = 0; k < 4; k++) {
      convert(lon[k]!, lat[k]!, t);
      lon[k] = t[0]!;
      lat[k] = t[1]!;
    }
  }
  const ox = new Float64Array(4);
  const oy = new Float64Array(4);
  outputWcs.celestialWorldToPixel(lon, lat, ox, oy);
  const full = { x0: 0, y0: 0, x1: outWidth, y1: outHeight };
  if ([...ox, ...oy].some((v) => Number.isNaN(v))) return full;
  const x0 = Math.max(0, Math.floor(Math.min(...ox) + 0.5));
  const x1 = Math.min(outWidth, Math.ceil(Math.max(...ox) + 0.5));
  const y0 = Math.max(0, Math.floor(Math.min(...oy) + 0.5));
  const y1 = Math.min(outHeight, Math.ceil(Math.max(...oy) + 0.5));
  if (x1 < x0 || y1 < y0) return undefined;
  return { x0, y0, x1, y1 };
}
