/**
 * Cube metadata for /cubeinfo and the slice choice every viewer endpoint shares (contract §1.1):
 * the slice axis is the last FITS axis (numpy's axis 0); `slice_index` -1 means the middle, others
 * are clamped; axes between 3 and the last take their middle index.
 */
import type { KeywordSource } from './wcs-block.js';

export interface Axis3Info {
  crval3: number;
  cdelt3: number;
  crpix3: number;
  cunit3: string;
  ctype3: string;
}

export interface CubeInfo {
  is_cube: boolean;
  n_slices: number;
  axis3: Axis3Info | null;
  slice_unit: string;
  slice_label: string;
}

export const NOT_A_CUBE: CubeInfo = { is_cube: false, n_slices: 1, axis3: null, slice_unit: '', slice_label: 'Frame' };

export interface SliceChoice {
  /** Number of slices along the last axis (1 for a 2-D image). */
  readonly nSlices: number;
  /** The slice used (0 for a 2-D image). */
  readonly current: number;
  /** Indices for FITS axes 3..n, as the FITS reader's `plane` option wants them. */
  readonly plane: number[];
}

/** `axes` in FITS order (NAXIS1 first). */
export function chooseSlice(axes: readonly number[], sliceIndex: number): SliceChoice {
  if (axes.length <= 2) return { nSlices: 1, current: 0, plane: [] };
  const last = axes[axes.length - 1]!;
  let current = sliceIndex < 0 ? Math.floor(last / 2) : sliceIndex;
  current = Math.max(0, Math.min(current, last - 1));
  const plane = axes.slice(2, -1).map((n) => Math.floor(n / 2));
  plane.push(current);
  return { nSlices: last, current, plane };
}

function num(h: KeywordSource, key: string): number | undefined {
  const v = h.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function text(h: KeywordSource, key: string): string {
  const v = h.get(key);
  return v === undefined || v === null ? '' : String(v).trim();
}

const UNIT_NAMES: ReadonlyArray<[readonly string[], string]> = [
  [['m', 'meter', 'meters'], 'm'],
  [['um', 'micron', 'microns'], 'um'],
  [['nm', 'nanometer', 'nanometers'], 'nm'],
  [['angstrom', 'angstroms', 'a'], 'A'],
  [['hz', 'hertz'], 'Hz'],
];

/** Cube info of an HDU with >= 3 axes (the caller picks the first such HDU). */
export function cubeInfo(header: KeywordSource, axes: readonly number[]): CubeInfo {
  const ctype3 = text(header, 'CTYPE3');
  const cunit3 = text(header, 'CUNIT3');
  const upper = ctype3.toUpperCase();
  let sliceLabel = 'Frame';
  if (ctype3) {
    if (upper.includes('WAVE') || upper.includes('LAMB')) sliceLabel = 'Wavelength';
    else if (upper.includes('FREQ')) sliceLabel = 'Frequency';
    else if (upper.includes('VELO')) sliceLabel = 'Velocity';
    else if (upper.includes('TIME') || upper.includes('MJD')) sliceLabel = 'Time';
    else sliceLabel = ctype3;
  }
  let sliceUnit = '';
  if (cunit3) {
    const lower = cunit3.toLowerCase();
    sliceUnit = UNIT_NAMES.find(([names]) => names.includes(lower))?.[1] ?? cunit3;
  }
  const crval3 = num(header, 'CRVAL3');
  // CD3_3 if given, else CDELT3 scaled by PC3_3 (JWST cubes carry PC3_3), as astropy reads it.
  const cd33 = num(header, 'CD3_3');
  const cdelt3raw = num(header, 'CDELT3');
  const cdelt3 = cd33 ?? (cdelt3raw !== undefined ? cdelt3raw * (num(header, 'PC3_3') ?? 1) : undefined);
  const axis3 = crval3 !== undefined && cdelt3 !== undefined && cdelt3 !== 0
    ? { crval3, cdelt3, crpix3: num(header, 'CRPIX3') ?? 1, cunit3, ctype3 }
    : null;
  return { is_cube: true, n_slices: axes[axes.length - 1] ?? 1, axis3, slice_unit: sliceUnit, slice_label: sliceLabel };
}
