/**
 * Region statistics (contract §1.2, §4.6): numpy mean/median/std(ddof 0)/min/max/sum of the finite
 * pixels inside a rectangle, an ellipse or a polygon. Pixel (x, y) means column x and row y with
 * pixel centres at integer coordinates; `yOrigin` says where y counts from: 'bottom' = numpy row
 * (row 0 = FITS row 1, the original contract) or 'top' (row 0 = the top row, as a browser draws).
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { BadRequestError, ValidationError } from '../../errors.js';
import { basicStatsOf } from './basic.js';

export type YOrigin = 'bottom' | 'top';

export type Region =
  | { readonly type: 'rectangle'; readonly x: number; readonly y: number; readonly width: number; readonly height: number }
  | { readonly type: 'ellipse'; readonly cx: number; readonly cy: number; readonly rx: number; readonly ry: number }
  | { readonly type: 'polygon'; readonly points: ReadonlyArray<readonly [number, number]> };

export interface RegionStats {
  readonly mean: number;
  readonly median: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly pixel_count: number;
}

/** A boolean mask (1 = inside) of the region on the image grid, rows in FITS order. */
export function regionMask(width: number, height: number, region: Region, yOrigin: YOrigin = 'bottom'): Uint8Array {
  const mask = new Uint8Array(width * height);
  const flipY = (y: number): number => (yOrigin === 'top' ? height - 1 - y : y);
  if (region.type === 'rectangle') {
    // rows [y, y+h) counted from the origin edge, clamped to the image
    let r0: number;
    let r1: number;
    if (yOrigin === 'bottom') {
      r0 = region.y;
      r1 = region.y + region.height;
    } else {
      r0 = height - region.y - region.height;
      r1 = height - region.y;
    }
    r0 = Math.max(0, r0);
    r1 = Math.min(height, r1);
    const c0 = Math.max(0, region.x);
    const c1 = Math.min(width, region.x + region.width);
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) mask[r * width + c] = 1;
    return mask;
  }
  if (region.type === 'ellipse') {
    const cy = flipY(region.cy);
    const { cx, rx, ry } = region;
    const r0 = Math.max(0, Math.ceil(cy - ry));
    const r1 = Math.min(height - 1, Math.floor(cy + ry));
    const c0 = Math.max(0, Math.ceil(cx - rx));
    const c1 = Math.min(width - 1, Math.floor(cx + rx));
    for (let r = r0; r <= r1; r++) {
      const dy = (r - cy) / ry;
      for (let c = c0; c <= c1; c++) {
        const dx = (c - cx) / rx;
        if (dx * dx + dy * dy <= 1) mask[r * width + c] = 1;
      }
    }
    return mask;
  }
  const pts = region.points.map(([x, y]) => [x, flipY(y)] as const);
  if (pts.length < 3) throw new ValidationError('polygon needs at least 3 points');
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [, y] of pts) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const r0 = Math.max(0, Math.ceil(minY));
  const r1 = Math.min(height - 1, Math.floor(maxY));
  const xs: number[] = [];
  for (let r = r0; r <= r1; r++) {
    // even-odd scanline at the pixel-centre row: a pixel is inside when its centre is
    xs.length = 0;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const [xi, yi] = pts[i]!;
      const [xj, yj] = pts[j]!;
      if ((yi > r) !== (yj > r)) xs.push(xi + ((r - yi) * (xj - xi)) / (yj - yi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const c0 = Math.max(0, Math.ceil(xs[k]!));
      const c1 = Math.min(width - 1, Math.floor(xs[k + 1]!));
      for (let c = c0; c <= c1; c++) mask[r * width + c] = 1;
    }
  }
  return mask;
}

export function regionStatistics(plane: ImagePlane, region: Region, yOrigin: YOrigin = 'bottom'): RegionStats {
  const mask = regionMask(plane.width, plane.height, region, yOrigin);
  const { data } = plane;
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] && Number.isFinite(data[i]!)) n++;
  if (n === 0) throw new BadRequestError('No valid pixels in selected region');
  const values = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] && Number.isFinite(data[i]!)) values[k++] = data[i]!;
  const { mean, median, std, min, max, sum } = basicStatsOf(values);
  return { mean, median, std, min, max, sum, pixel_count: n };
}
