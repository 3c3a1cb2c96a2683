/**
 * Choosing the image HDU a viewer request is about (any image extension: SCI, ERR, DQ, WHT, ...,
 * by 0-based index or EXTNAME; default the first image with two or more axes) and opening it with
 * the slice chosen, under the limits every viewer endpoint applies.
 */
import { BadRequestError } from '../../errors.js';
import type { Hdu } from '../../fits/index.js';
import { describeImage, openFits, type OpenedImage, type ViewerLimits } from './source.js';

/** An HDU reference as requests carry it: an index, an EXTNAME, or nothing (the first image). */
export type HduRef = string | number | undefined;

export function isImageHdu(h: Hdu): boolean {
  return (h.kind === 'image' || h.kind === 'compressed-image') && h.axes.length >= 2 && h.axes.every((n) => n > 0);
}

export function pickImageHdu(hdus: readonly Hdu[], ref: HduRef): Hdu {
  let h: Hdu | undefined;
  if (ref === undefined || ref === '') h = hdus.find(isImageHdu);
  else if (typeof ref === 'number' || /^\d+$/.test(String(ref).trim())) h = hdus[Number(ref)];
  else h = hdus.find((x) => x.name.toUpperCase() === String(ref).trim().toUpperCase());
  if (!h) throw new BadRequestError(ref === undefined || ref === '' ? 'No image data found in FITS file' : `HDU '${ref}' does not exist`, 'NO_SUCH_HDU');
  if (!isImageHdu(h)) throw new BadRequestError(`HDU ${h.index} (${h.name || 'unnamed'}) is not an image with at least two axes`, 'NOT_AN_IMAGE');
  return h;
}

/** Opens the file, picks the HDU and the slice. Close `file` when done. */
export async function openImageHdu(path: string, ref: HduRef, sliceIndex: number, limits: ViewerLimits): Promise<OpenedImage> {
  const file = await openFits(path, limits);
  try {
    return describeImage(file, pickImageHdu(file.hdus, ref), sliceIndex, limits);
  } catch (err) {
    await file.close().catch(() => undefined);
    throw err;
  }
}

/** Runs `use` on the opened image and closes the file whatever happens. */
export async function withImageHdu<T>(path: string, ref: HduRef, sliceIndex: number, limits: ViewerLimits, use: (img: OpenedImage) => Promise<T>): Promise<T> {
  const img = await openImageHdu(path, ref, sliceIndex, limits);
  try {
    return await use(img);
  } finally {
    await img.file.close().catch(() => undefined);
  }
}

/** BUNIT of the HDU, trimmed ('' when absent). */
export function bunitOf(h: Hdu): string {
  const v = h.header.get('BUNIT');
  return typeof v === 'string' ? v.trim() : '';
}
