/**
 * The common grid of an N-channel composite and its memory verdict (upstream-latest §1.3 steps
 * 3a-b, without defect 4): the grid is the native common grid of all files, brought down to what
 * the requested canvas (times the zoom) can show, and only then checked against the memory budget.
 * A grid over budget shrinks by a side factor: below the fail threshold that is a 413 unless the
 * caller allows a forced downscale.
 */
import { PayloadTooLargeError } from '../errors.js';
import type { OutputGrid } from '../reproject/grid.js';
import { fitGridInBox } from '../reproject/grid-fit.js';
import type { ImageShape } from '../reproject/load.js';
import { findOptimalCelestialWcs } from '../reproject/optimal-wcs.js';

export interface BudgetOptions {
  readonly width: number;
  readonly height: number;
  readonly zoom: number;
  readonly channelCount: number;
  /** MAX_COMPOSITE_MEMORY_BYTES. */
  readonly memoryLimitBytes: number;
  /** COMPOSITE_DOWNSCALE_FAIL_THRESHOLD: smallest side factor accepted without allow_force_downscale. */
  readonly failThreshold: number;
  readonly allowForceDownscale: boolean;
}

export type BudgetStatus = 'ok' | 'warn' | 'forced' | 'fail';

export interface GridPlan {
  readonly grid: OutputGrid;
  readonly status: BudgetStatus;
  /** [h, w] wanted before the memory check, and rendered. */
  readonly originalShape: [number, number];
  readonly outputShape: [number, number];
  readonly sideFactor: number;
  readonly detail: string;
  readonly memoryLimitMb: number;
}

/**
 * Bytes held per grid pixel while rendering: every channel (float32, tone-mapped in place), one
 * RGB sum per instrument group (two assumed), the combined RGB, coverage masks, and the cropped
 * and rotated copies of the picture.
 */
export function bytesPerGridPixel(channelCount: number): number {
  return 4 * channelCount + 12 * 2 + 12 + 2 + 24;
}

const RESERVED_BYTES = 500e6;

function shapeText(h: number, w: number): string {
  return `${h}x${w}`;
}

export function planGrid(shapes: readonly ImageShape[], o: BudgetOptions): GridPlan {
  const native = findOptimalCelestialWcs(shapes);
  const boxW = Math.max(1, Math.round(o.width * Math.max(1, o.zoom)));
  const boxH = Math.max(1, Math.round(o.height * Math.max(1, o.zoom)));
  // never finer than the finest input: enlarging happens once, on the canvas
  const wanted = native.width > boxW || native.height > boxH ? fitGridInBox(native, boxW, boxH) : native;
  const memoryLimitMb = Math.floor(o.memoryLimitBytes / 1e6);
  const available = Math.max(o.memoryLimitBytes - RESERVED_BYTES, 100e6);
  const maxPixels = Math.floor(available / bytesPerGridPixel(o.channelCount));
  const pixels = wanted.width * wanted.height;
  const originalShape: [number, number] = [wanted.height, wanted.width];
  if (pixels <= maxPixels) return { grid: wanted, status: 'ok', originalShape, outputShape: originalShape, sideFactor: 1, detail: '', memoryLimitMb };
  const side = Math.sqrt(maxPixels / pixels);
  const w = Math.max(1, Math.floor(wanted.width * side));
  const h = Math.max(1, Math.floor(wanted.height * side));
  const grid = fitGridInBox(wanted, w, h);
  const outputShape: [number, number] = [grid.height, grid.width];
  const pct = (side * 100).toFixed(1);
  if (side < o.failThreshold) {
    const detail = `Composite output would shrink to ${pct}% of requested side length (${shapeText(...originalShape)} -> ${shapeText(...outputShape)}). ` +
      `Memory limit MAX_COMPOSITE_MEMORY_BYTES = ${memoryLimitMb} MB. To allow this composite: request a smaller width/height or zoom, raise the limit, or set allow_force_downscale.`;
    if (!o.allowForceDownscale) return { grid, status: 'fail', originalShape, outputShape, sideFactor: side, detail, memoryLimitMb };
    return { grid, status: 'forced', originalShape, outputShape, sideFactor: side, detail, memoryLimitMb };
  }
  return { grid, status: 'warn', originalShape, outputShape, sideFactor: side, detail: `Composite grid reduced to ${pct}% of the requested side length to fit the memory limit.`, memoryLimitMb };
}

/** planGrid, with a 413 for a failing verdict. */
export function planGridOrThrow(shapes: readonly ImageShape[], o: BudgetOptions): GridPlan {
  const plan = planGrid(shapes, o);
  if (plan.status === 'fail') throw new PayloadTooLargeError(plan.detail, 'COMPOSITE_MEMORY_BUDGET');
  return plan;
}
