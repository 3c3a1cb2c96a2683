/**
 * The common segmentation path (photutils' SourceFinder + SourceCatalog): optional smoothing with
 * a normalised Gaussian kernel of the given FWHM (astropy convolve, size 2*ceil(FWHM)+1 like
 * make_2dgaussian_kernel's usual choice), detection above a threshold (scalar or per pixel),
 * deblending, and the catalogue measured on the unsmoothed, background-subtracted data.
 */
import type { ImagePlane } from '../../core/image-plane.js';
import { astropyConvolveSeparable, gaussianKernel1d } from '../filters/astropy-convolve.js';
import { sourceCatalog, type SourceRow } from './catalog.js';
import { deblendSources, type DeblendMode } from './deblend.js';
import { detectSources } from './detect.js';
import type { Connectivity } from './label.js';
import type { SegmentationImage } from './segmentation-image.js';

export interface SourceFinderOptions {
  readonly threshold: number | Float64Array;
  readonly npixels: number;
  readonly connectivity?: Connectivity;
  readonly kernelFwhm?: number | null;
  readonly deblend?: boolean;
  readonly nlevels?: number;
  readonly contrast?: number;
  readonly mode?: DeblendMode;
  readonly error?: ArrayLike<number>;
  readonly pixelToWorld?: (x: number, y: number) => readonly [number, number];
}

export interface SourceFinderResult {
  readonly segmentation: SegmentationImage;
  readonly nlabelsBeforeDeblend: number;
  readonly catalog: SourceRow[];
}

export function findSources(subtracted: ImagePlane, options: SourceFinderOptions): SourceFinderResult {
  let detectionImage: ImagePlane = subtracted;
  if (options.kernelFwhm) {
    const size = 2 * Math.ceil(options.kernelFwhm) + 1;
    const k = gaussianKernel1d(options.kernelFwhm / 2.3548200450309493, size);
    detectionImage = { width: subtracted.width, height: subtracted.height, data: astropyConvolveSeparable(subtracted, k, k) };
  }
  const connectivity = options.connectivity ?? 8;
  let segm = detectSources(detectionImage, { threshold: options.threshold, npixels: options.npixels, connectivity });
  const before = segm.nlabels;
  if ((options.deblend ?? true) && segm.nlabels > 0) {
    segm = deblendSources(detectionImage.data, segm, { npixels: options.npixels, nlevels: options.nlevels, contrast: options.contrast, mode: options.mode, connectivity });
  }
  const catalog = sourceCatalog(subtracted.data, segm, { error: options.error, pixelToWorld: options.pixelToWorld });
  return { segmentation: segm, nlabelsBeforeDeblend: before, catalog };
}
