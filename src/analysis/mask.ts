/**
 * Pixel validity: NaN/±Inf are "no data", and an optional mask (non-zero = masked, like numpy
 * masked arrays and photutils' `mask=`) removes more. Every algorithm goes through these helpers
 * so the rule is written once.
 */
import type { ImagePlane, PixelArray } from '../core/image-plane.js';
import { ValidationError } from '../errors.js';

/** Non-zero entries are masked (excluded). Same shape as the image. */
export type PixelMask = Uint8Array;

export function checkMask(plane: ImagePlane, mask: PixelMask | undefined): void {
  if (mask && mask.length !== plane.width * plane.height) {
    throw new ValidationError(`mask has ${mask.length} elements but the image has ${plane.width}x${plane.height}`);
  }
}

export function isValid(data: PixelArray, mask: PixelMask | undefined, i: number): boolean {
  const v = data[i]!;
  return v - v === 0 && (mask === undefined || mask[i] === 0);
}

/** The valid pixel values, in raster order, as float64. */
export function validValues(plane: ImagePlane, mask?: PixelMask): Float64Array {
  checkMask(plane, mask);
  const { data } = plane;
  const n = data.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (isValid(data, mask, i)) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) if (isValid(data, mask, i)) out[k++] = data[i]!;
  return out;
}

export function countInvalid(plane: ImagePlane): number {
  let n = 0;
  const { data } = plane;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) n++;
  }
  return n;
}
