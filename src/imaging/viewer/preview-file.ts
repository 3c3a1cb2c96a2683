/** Preview and thumbnail of a FITS file: the first image HDU, one slice, read whole or in bands. */
import { getColormap, type Colormap } from '../colormaps/index.js';
import type { AppliedDisplay, DisplayOptions } from '../display.js';
import type { ImageFormat } from '../encode.js';
import { ImagingError } from '../errors.js';
import { renderReduced } from '../preview.js';
import { reduceBands } from './band-render.js';
import type { Rgba } from '../rasterize.js';
import { openImage, withSmoothing, type OpenedImage, type ViewerLimits } from './source.js';
import type { ImagePlane } from '../../core/image-plane.js';
import type { DisplayStatistics } from '../statistics.js';
import type { SmoothOptions } from '../smoothing.js';
import { avmSpatial, embedAvm, parseWcs, type AvmMetadata, type AvmSpatial } from '../../wcs/index.js';
import type { Hdu } from '../../fits/index.js';
import type { PreviewRequest } from '../options.js';

export interface PreviewFileRequest {
  readonly path: string;
  readonly sliceIndex: number;
  readonly display: DisplayOptions;
  readonly colormap: string;
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
  readonly quality: number;
  readonly nanColor: Rgba;
  readonly limits: ViewerLimits;
  /** Embed AVM 1.2 XMP (spatial fields from the HDU's WCS, for the image as written) with this metadata. */
  readonly avm?: AvmMetadata;
  /** Smoothing of the full-resolution plane (GET /preview smooth_*). */
  readonly smooth?: SmoothOptions | null;
}

export interface PreviewFileResult {
  readonly image: Uint8Array;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly nSlices: number;
  readonly currentSlice: number;
  readonly applied: AppliedDisplay;
  /** 'exact': statistics as astropy on the whole plane; 'sampled': percentiles from a sample of an enormous plane. */
  readonly mode: 'exact' | 'sampled';
  /** True when AVM XMP was embedded (PNG and JPEG only). */
  readonly avmEmbedded: boolean;
}

/** The file-level request for a parsed preview request (the same for GET /preview and `jwst-engine preview`). */
export function previewFileRequest(path: string, req: PreviewRequest, limits: ViewerLimits, avm?: AvmMetadata): PreviewFileRequest {
  return {
    path,
    sliceIndex: req.sliceIndex,
    display: req.display,
    colormap: req.colormap.name,
    width: req.width,
    height: req.height,
    format: req.format,
    quality: req.quality,
    nanColor: req.nanColor,
    limits,
    avm,
    smooth: req.smooth,
  };
}

/** AVM spatial fields of the written image, or undefined when the HDU has no usable celestial WCS. */
function avmFor(hdu: Hdu, width: number, height: number, outWidth: number, outHeight: number): AvmSpatial | undefined {
  try {
    return avmSpatial(parseWcs(hdu.header), width, height, outWidth, outHeight);
  } catch {
    return undefined;
  }
}

export async function previewFile(req: PreviewFileRequest): Promise<PreviewFileResult> {
  colormapOf(req);
  const opened = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    const img = await withSmoothing(opened, req.smooth, req.limits);
    const { reduced, stats } = await reduceBands(img, req.limits, { width: req.width, height: req.height }, req.display);
    return await renderPreview(req, img, reduced, stats);
  } finally {
    await opened.file.close();
  }
}

/** The request's colour map (400 when unknown). */
export function colormapOf(req: PreviewFileRequest): Colormap {
  const colormap = getColormap(req.colormap);
  if (!colormap) throw new ImagingError(`Invalid colormap '${req.colormap}'`);
  return colormap;
}

/** The preview of a plane already reduced to the output size, with the plane's display statistics. */
export async function renderPreview(req: PreviewFileRequest, img: OpenedImage, reduced: ImagePlane<Float32Array>, stats: DisplayStatistics): Promise<PreviewFileResult> {
  const options = { display: req.display, colormap: colormapOf(req), width: req.width, height: req.height, format: req.format, quality: req.quality, nanColor: req.nanColor };
  const rendered = await renderReduced(reduced, stats, options);
  let image = rendered.image;
  let avmEmbedded = false;
  if (req.avm && req.format !== 'webp') {
    image = embedAvm(image, avmFor(img.hdu, img.width, img.height, rendered.width, rendered.height), req.avm);
    avmEmbedded = true;
  }
  return {
    image: new Uint8Array(image.buffer, image.byteOffset, image.byteLength),
    avmEmbedded,
    mediaType: rendered.mediaType,
    width: rendered.width,
    height: rendered.height,
    channels: rendered.channels,
    nSlices: img.slice.nSlices,
    currentSlice: img.slice.current,
    applied: rendered.applied,
    mode: stats.sampled ? 'sampled' : 'exact',
  };
}

/** POST /thumbnail: zscale, grey, 256 px on the longer side, PNG, middle slice. */
export const THUMBNAIL_SIZE = 256;

/** The preview request of POST /thumbnail's picture. */
export function thumbnailRequest(path: string, limits: ViewerLimits): PreviewFileRequest {
  return {
    path,
    sliceIndex: -1,
    display: { stretch: 'zscale' },
    colormap: 'gray',
    width: THUMBNAIL_SIZE,
    height: THUMBNAIL_SIZE,
    format: 'png',
    quality: 90,
    nanColor: { r: 0, g: 0, b: 0, a: 0 },
    limits,
  };
}

export function thumbnailFile(path: string, limits: ViewerLimits): Promise<PreviewFileResult> {
  return previewFile(thumbnailRequest(path, limits));
}
