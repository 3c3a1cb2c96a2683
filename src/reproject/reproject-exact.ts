/**
 * Flux-conserving reprojection (the `reproject_exact` idea): each output pixel is the
 * area-weighted mean of the input pixels it overlaps. The output pixel's four corners are mapped
 * into the input pixel plane and the quadrilateral is clipped against every input pixel square.
 * Edges are straight in the input pixel plane, which is exact for gnomonic (TAN) inputs, where
 * great circles are straight lines, and a second-order approximation otherwise. NaN input pixels
 * are left out of both the sum and the weights; `footprint` is the covered fraction.
 */
import type { Wcs } from '../wcs/index.js';
import { planeWcs, type CelestialImage } from './grid.js';
import { PixelMapper } from './pixel-mapper.js';
import { throwIfCancelled } from '../core/cancellation.js';

/** Area of the part of a convex polygon inside the square [x0,x0+1] x [y0,y0+1]. */
function clippedArea(px: Float64Array, py: Float64Array, n: number, x0: number, y0: number, bx: Float64Array, by: Float64Array, cx: Float64Array, cy: Float64Array): number {
  // Sutherland-Hodgman against the four sides, ping-ponging between two buffers.
  let inX = px, inY = py, outX = bx, outY = by;
  let count = n;
  for (let side = 0; side < 4 && count > 0; side++) {
    let m = 0;
    const inside = (x: number, y: number) => (side === 0 ? x >= x0 : side === 1 ? x <= x0 + 1 : side === 2 ? y >= y0 : y <= y0 + 1);
    for (let i = 0; i < count; i++) {
      const ax = inX[i]!, ay = inY[i]!;
      const j = (i + 1) % count;
      const bxv = inX[j]!, byv = inY[j]!;
      const ain = inside(ax, ay);
      const bin = inside(bxv, byv);
      if (ain) {
        outX[m] = ax;
        outY[m] = ay;
        m++;
      }
      if (ain !== bin) {
        let t: number;
        if (side === 0) t = (x0 - ax) / (bxv - ax);
        else if (side === 1) t = (x0 + 1 - ax) / (bxv - ax);
        else if (side === 2) t = (y0 - ay) / (byv - ay);
        else t = (y0 + 1 - ay) / (byv - ay);
        outX[m] = ax + t * (bxv - ax);
        outY[m] = ay + t * (byv - ay);
        m++;
      }
    }
    count = m;
    if (side === 0) { inX = outX; inY = outY; outX = cx; outY = cy; }
    else { const tx = inX, ty = inY; inX = outX; inY = outY; outX = tx; outY = ty; }
  }
  let area = 0;
  for (let i = 0; i < count; i++) {
    const j = (i + 1) % count;
    area += inX[i]! * inY[j]! - inX[j]! * inY[i]!;
  }
  return Math.abs(area) / 2;
}

export class ExactReprojector {
  private readonly mapper: PixelMapper;

  constructor(private readonly input: CelestialImage, output: Wcs) {
    this.mapper = new PixelMapper(output, planeWcs(input.wcs), false);
  }

  run(region: { x0: number; y0: number; x1: number; y1: number }, data: Float64Array | Float32Array, footprint?: Float32Array): void {
    const { width: w, height: h, data: src } = this.input.plane;
    const rw = region.x1 - region.x0;
    const nc = rw + 1;
    const xs = new Float64Array(nc);
    const ys = new Float64Array(nc);
    for (let i = 0; i < nc; i++) xs[i] = region.x0 + i - 0.5;
    let topX = new Float64Array(nc), topY = new Float64Array(nc);
    let botX = new Float64Array(nc), botY = new Float64Array(nc);
    ys.fill(region.y0 - 0.5);
    this.mapper.map(xs, ys, nc, botX, botY);
    const qx = new Float64Array(4), qy = new Float64Array(4);
    const b1x = new Float64Array(16), b1y = new Float64Array(16), b2x = new Float64Array(16), b2y = new Float64Array(16);
    for (let y = region.y0; y < region.y1; y++) {
      throwIfCancelled();
      ys.fill(y + 0.5);
      this.mapper.map(xs, ys, nc, topX, topY);
      const row = (y - region.y0) * rw;
      for (let i = 0; i < rw; i++) {
        // Input pixel (i, j) covers [i-0.5, i+0.5]: shift by +0.5 so squares start at integers.
        qx[0] = botX[i]! + 0.5; qy[0] = botY[i]! + 0.5;
        qx[1] = botX[i + 1]! + 0.5; qy[1] = botY[i + 1]! + 0.5;
        qx[2] = topX[i + 1]! + 0.5; qy[2] = topY[i + 1]! + 0.5;
        qx[3] = topX[i]! + 0.5; qy[3] = topY[i]! + 0.5;
        let bad = false;
        for (let k = 0; k < 4; k++) if (!Number.isFinite(qx[k]!) || !Number.isFinite(qy[k]!)) bad = true;
        if (bad) {
          data[row + i] = NaN;
          if (footprint) footprint[row + i] = 0;
          continue;
        }
        const quadArea = Math.abs((qx[0]! * qy[1]! - qx[1]! * qy[0]!) + (qx[1]! * qy[2]! - qx[2]! * qy[1]!) + (qx[2]! * qy[3]! - qx[3]! * qy[2]!) + (qx[3]! * qy[0]! - qx[0]! * qy[3]!)) / 2;
        const ix0 = Math.max(0, Math.floor(Math.min(qx[0]!, qx[1]!, qx[2]!, qx[3]!)));
        const ix1 = Math.min(w - 1, Math.floor(Math.max(qx[0]!, qx[1]!, qx[2]!, qx[3]!)));
        const iy0 = Math.max(0, Math.floor(Math.min(qy[0]!, qy[1]!, qy[2]!, qy[3]!)));
        const iy1 = Math.min(h - 1, Math.floor(Math.max(qy[0]!, qy[1]!, qy[2]!, qy[3]!)));
        let sum = 0;
        let weight = 0;
        for (let jy = iy0; jy <= iy1; jy++) {
          for (let jx = ix0; jx <= ix1; jx++) {
            const v = src[jy * w + jx]!;
            if (Number.isNaN(v)) continue;
            const a = clippedArea(qx, qy, 4, jx, jy, b1x, b1y, b2x, b2y);
            if (a > 0) {
              sum += v * a;
              weight += a;
            }
          }
        }
        data[row + i] = weight > 0 ? sum / weight : NaN;
        if (footprint) footprint[row + i] = quadArea > 0 ? Math.min(1, weight / quadArea) : 0;
      }
      [topX, botX] = [botX, topX];
      [topY, botY] = [botY, topY];
    }
  }
}
