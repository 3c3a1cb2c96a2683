/**
 * Image segmentation as photutils `detect_sources`: pixels strictly above the threshold (a number
 * or a per-pixel array), not masked and not NaN, grouped by 4- or 8-connectivity; groups smaller
 * than `npixels` are dropped and the rest numbered 1..n in raster order of their first pixel.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { checkMask, type PixelMask } from '../mask.js';
import { labelImage, labelAreas, type Connectivity } from './label.js';
import type { SegmentationImage } from './segmentation-image.js';

export interface DetectSourcesOptions {
  readonly threshold: number | Float64Array;
  readonly npixels: number;
  readonly connectivity?: Connectivity;
  readonly mask?: PixelMask;
}

export function detectSources(plane: ImagePlane, options: DetectSourcesOptions): SegmentationImage {
  const { width, height, data } = plane;
  const { threshold, npixels } = options;
  if (!(Number.isInteger(npixels) && npixels > 0)) throw new ValidationError('npixels must be a positive integer');
  checkMask(plane, options.mask);
  const mask = options.mask;
  const n = width * height;
  if (typeof threshold !== 'number' && threshold.length !== n) throw new ValidationError('threshold image must have the same shape as the data');
  const on = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = typeof threshold === 'number' ? threshold : threshold[i]!;
    if (data[i]! > t && (!mask || mask[i] === 0)) on[i] = 1;
  }
  const { labels, count } = labelImage(on, width, height, options.connectivity ?? 8);
  const areas = labelAreas(labels, count);
  const map = new Int32Array(count + 1);
  let kept = 0;
  for (let l = 1; l <= count; l++) if (areas[l]! >= npixels) map[l] = ++kept;
  if (kept !== count) for (let i = 0; i < n; i++) labels[i] = map[labels[i]!]!;
  return { width, height, labels, nlabels: kept };
}
