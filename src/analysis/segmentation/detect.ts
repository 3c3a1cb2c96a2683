/**
 * Image segmentation as photutils `detect_sources`: pixels strictly above the threshold (a number
 * or a per-pixel array), not masked and not NaN, grouped by 4- or 8-connectivity; groups smaller
 * than `npixels` are dropped and the rest numbered 1..n in raster order of their first pixel.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { ValidationError } from '../../errors.js';
import { checkMask, type PixelMask } from '../mask.js';
import { labelImage, type Connectivity } from './label.js';
import type { SegmentationImage } from './segmentation-image.js';

export interface DetectSourcesOptions {
  readonly threshold: number | Float64Array;
  /** The threshold is thresholdFactor * threshold (e.g. 3 and a background RMS image), without a full-size product array. */
  readonly thresholdFactor?: number;
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
  const factor = options.thresholdFactor;
  const on = new Uint8Array(n);
  if (typeof threshold === 'number') {
    const t = factor === undefined ? threshold : factor * threshold;
    for (let i = 0; i < n; i++) if (data[i]! > t && (!mask || mask[i] === 0)) on[i] = 1;
  } else if (factor === undefined) {
    for (let i = 0; i < n; i++) if (data[i]! > threshold[i]! && (!mask || mask[i] === 0)) on[i] = 1;
  } else {
    for (let i = 0; i < n; i++) if (data[i]! > factor * threshold[i]! && (!mask || mask[i] === 0)) on[i] = 1;
  }
  // components under npixels are dropped in the labelling's last pass
  const { labels, count: kept } = labelImage(on, width, height, options.connectivity ?? 8, npixels);
  return { width, height, labels, nlabels: kept };
}
