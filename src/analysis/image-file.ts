/**
 * Which plane of a FITS file an analysis reads: the image HDU (first image HDU unless an index is
 * given) and, for a cube, the slice (middle unless given) with the middle of any further axes.
 * Shared by the algorithm runner and region statistics so both answer the same way.
 */
import { BadRequestError } from '../errors.js';
import { firstImageHdu, type FitsFile, type Hdu } from '../fits/index.js';

/** The HDU to analyse; a negative, null or missing index means the first image HDU. */
export function pickImageHdu(file: FitsFile, index: number | null | undefined): Hdu {
  if (index === undefined || index === null || index < 0) {
    const h = firstImageHdu(file);
    if (!h) throw new BadRequestError('No image data found in FITS file');
    return h;
  }
  if (index >= file.hdus.length) throw new BadRequestError(`HDU index ${index} out of range (file has ${file.hdus.length} HDUs)`);
  const h = file.hdus[index]!;
  if ((h.kind !== 'image' && h.kind !== 'compressed-image') || h.axes.length < 2 || h.axes.some((a) => a === 0)) {
    throw new BadRequestError(`HDU ${index} is not an image with at least 2 axes`);
  }
  return h;
}

export interface PlaneChoice {
  /** Indices of the axes after the second (readPlane's `plane`); undefined for a 2-D image. */
  readonly plane: number[] | undefined;
  /** The cube slice read, or null for a 2-D image. */
  readonly slice: number | null;
  readonly nSlices: number;
}

/** The plane of `hdu` to read: slice `sliceIndex` of a cube (middle when null or negative). */
export function choosePlane(hdu: Hdu, sliceIndex: number | null | undefined): PlaneChoice {
  const extra = hdu.axes.slice(2);
  if (!extra.length) return { plane: undefined, slice: null, nSlices: 1 };
  const nSlices = extra[0]!;
  const s = sliceIndex === undefined || sliceIndex === null || sliceIndex < 0 ? Math.floor(nSlices / 2) : sliceIndex;
  if (s >= nSlices) throw new BadRequestError(`slice_index ${s} out of range (cube has ${nSlices} slices)`);
  return { plane: [s, ...extra.slice(1).map((n) => Math.floor(n / 2))], slice: s, nSlices };
}

/** readPlane options for `h` at the chosen plane (trimmed to h's own extra axes). */
export function planeOptions(h: Hdu, plane: readonly number[] | undefined, maxElements?: number): { plane?: number[]; maxElements?: number } {
  const p = plane && h.axes.length > 2 ? plane.slice(0, h.axes.length - 2) : undefined;
  return { ...(p ? { plane: p } : {}), ...(maxElements ? { maxElements } : {}) };
}
