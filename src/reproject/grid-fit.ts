/** Resizing and cropping an output grid while keeping the sky it shows (pixel edges aligned). */
import type { WcsDefinition } from '../wcs/index.js';
import type { OutputGrid } from './grid.js';

/** The grid resampled by `f` (output pixel = f input pixels) to `width` x `height`. */
export function scaleGrid(grid: OutputGrid, f: number, width: number, height: number): OutputGrid {
  const def = grid.wcs;
  const wcs: WcsDefinition = {
    ...def,
    crpix: def.crpix.map((c, i) => (i < 2 ? (c - 0.5) / f + 0.5 : c)),
    pc: def.pc.map((row) => row.map((v, j) => (j < 2 ? v * f : v))),
  };
  return { wcs: normalizeSquare(wcs), width, height };
}

/** Keeps CDELT as the pixel size and PC a pure rotation when the matrix allows it. */
function normalizeSquare(def: WcsDefinition): WcsDefinition {
  if (def.fromCd || def.naxis !== 2) return def;
  const [[a, b], [c, d]] = def.pc as [[number, number], [number, number]];
  const s1 = Math.hypot(a, c);
  const s2 = Math.hypot(b, d);
  if (!(s1 > 0 && s2 > 0)) return def;
  // Columns of PC carry the pixel scale after scaleGrid: fold it back into CDELT.
  return { ...def, cdelt: [def.cdelt[0]! * s1, def.cdelt[1]! * s2], pc: [[a / s1, b / s2], [c / s1, d / s2]] };
}

/** Fits the grid inside a box (aspect kept, one side equal to the box's), up or down. */
export function fitGridInBox(grid: OutputGrid, boxWidth?: number, boxHeight?: number): OutputGrid {
  const { width: w, height: h } = grid;
  let f: number;
  if (boxWidth && boxHeight) f = Math.max(w / boxWidth, h / boxHeight);
  else if (boxWidth) f = w / boxWidth;
  else if (boxHeight) f = h / boxHeight;
  else return grid;
  const width = Math.max(1, Math.min(boxWidth ?? Infinity, Math.round(w / f)));
  const height = Math.max(1, Math.min(boxHeight ?? Infinity, Math.round(h / f)));
  if (f === 1 && width === w && height === h) return grid;
  return scaleGrid(grid, f, width, height);
}

/** Crops the grid to the pixel rectangle [x0, x1) x [y0, y1). */
export function cropGrid(grid: OutputGrid, x0: number, y0: number, x1: number, y1: number): OutputGrid {
  const def = grid.wcs;
  return {
    wcs: { ...def, crpix: def.crpix.map((c, i) => (i === 0 ? c - x0 : i === 1 ? c - y0 : c)) },
    width: x1 - x0,
    height: y1 - y0,
  };
}
