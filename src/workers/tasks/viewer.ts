/**
 * Viewer tasks (previews, thumbnails, histograms, pixel data, cube info, FITS contents, cutouts):
 * everything that opens a FITS file or touches pixels for src/routes/viewer*.ts runs here, off the
 * event loop. Each entry is a core function from src/imaging/viewer.
 */
import {
  cubeInfoFile,
  cutoutFile,
  fitsHeaderFile,
  fitsInfoFile,
  fitsTableFile,
  histogramPart,
  pixelDataFile,
  previewPart,
  type CutoutRequest,
  type HistogramPartPayload,
  type PixelDataRequest,
  type PreviewPartPayload,
  type TableRequest,
  type ViewerLimits,
} from '../../imaging/viewer/index.js';
import {
  imageInfoFile,
  pixelSpectrumFile,
  pixelValuesFile,
  planeStatsFile,
  skyGridFile,
  tileFile,
  tileSetFile,
  type ImageInfoRequest,
  type PixelSpectrumRequest,
  type PixelValuesRequest,
  type PlaneStatsRequest,
  type SkyGridRequest,
  type TileRequest,
} from '../../imaging/viewer/index.js';

/** A file and the viewer limits (exported: the declaration of the task table names it). */
export interface PathPayload {
  readonly path: string;
  readonly limits: ViewerLimits;
}

export const viewerTasks = {
  /** One stage of a histogram split across the pool (histogramInParts, driven by the caller). */
  'viewer.histogram-part': (p: HistogramPartPayload) => histogramPart(p),
  /** A preview or thumbnail: one stage of a split across the pool, or the whole ('whole'; previewInParts, driven by the caller). */
  'viewer.preview-part': (p: PreviewPartPayload) => previewPart(p),
  'viewer.pixeldata': (p: PixelDataRequest) => pixelDataFile(p),
  'viewer.cubeinfo': (p: PathPayload) => cubeInfoFile(p.path, p.limits),
  'viewer.fits-info': (p: PathPayload) => fitsInfoFile(p.path, p.limits),
  'viewer.fits-header': (p: PathPayload & { hdu?: string | number }) => fitsHeaderFile(p.path, p.hdu, p.limits),
  'viewer.fits-table': (p: TableRequest) => fitsTableFile(p),
  'viewer.fits-cutout': (p: CutoutRequest) => cutoutFile(p),
  'viewer.image-info': (p: ImageInfoRequest) => imageInfoFile(p),
  'viewer.tile': (p: TileRequest) => tileFile(p),
  'viewer.tile-set': (p: TileRequest) => tileSetFile(p),
  'viewer.pixel-values': (p: PixelValuesRequest) => pixelValuesFile(p),
  'viewer.pixel-spectrum': (p: PixelSpectrumRequest) => pixelSpectrumFile(p),
  'viewer.plane-stats': (p: PlaneStatsRequest) => planeStatsFile(p),
  'viewer.sky-grid': (p: SkyGridRequest) => skyGridFile(p),
} as const;
