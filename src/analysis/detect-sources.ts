/**
 * POST /analysis/detect-sources as one call (upstream contract section 5) over our algorithms:
 * a Background2D-style mesh background (box 50, filter 3, 3-sigma clip, median estimator, the
 * no-data pixels outside the coverage), falling back to one global sigma-clipped median/std when
 * the mesh cannot be computed; `auto` picks DAOStarFinder when the background RMS is uniform
 * (std/mean < 0.1) and segmentation otherwise. Unlike upstream, non-finite pixels stay NaN (no
 * data) instead of becoming the median or 0; `estimated_fwhm` is measured; a segment's `fwhm` is
 * its FWHM (SourceCatalog), not a diameter.
 */
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { FitsFile, readPlane } from '../fits/index.js';
import type { ImagePlane } from '../core/image-plane.js';
import { computeBackground } from './algorithms/background.js';
import { DaoStarFinder } from './detection/dao-star-finder.js';
import { IrafStarFinder } from './detection/iraf-star-finder.js';
import { estimateFwhm } from './detection/fwhm.js';
import { findSources } from './segmentation/source-finder.js';
import { choosePlane, pickImageHdu, planeOptions } from './image-file.js';

export const DETECT_METHODS = ['auto', 'daofind', 'iraf', 'segmentation'] as const;
export type DetectMethod = (typeof DETECT_METHODS)[number];
/** Images larger than this are refused (upstream: 50 M pixels). */
export const MAX_DETECT_PIXELS = 50_000_000;
/** At most this many sources are returned (the count is always the full one). */
export const MAX_DETECT_SOURCES = 100_000;

export interface DetectSourcesRequest {
  readonly filePath: string;
  readonly thresholdSigma: number;
  readonly fwhm: number;
  readonly method: DetectMethod;
  readonly npixels: number;
  readonly deblend: boolean;
  readonly hduIndex: number;
  readonly maxElements?: number;
  readonly maxFileBytes?: number;
  /** Largest expansion of a compressed input over its size (0 or unset: none). */
  readonly maxExpansionRatio?: number;
}

export interface DetectedSource {
  id: number;
  xcentroid: number;
  ycentroid: number;
  flux: number | null;
  sharpness: number | null;
  roundness: number | null;
  fwhm: number | null;
  peak: number | null;
}

export interface DetectSourcesResult {
  sources: DetectedSource[];
  n_sources: number;
  method: 'daofind' | 'iraf' | 'segmentation';
  threshold_sigma: number;
  threshold_value: number;
  estimated_fwhm: number | null;
  background: { method: 'mesh' | 'global'; fallback_reason: string | null; median: number; rms_median: number; rms_uniformity: number };
  truncated: boolean;
}

const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = values.sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Detection on an image plane already read (NaN = no data). */
export function detectSourcesInPlane(image: ImagePlane, req: Omit<DetectSourcesRequest, 'filePath' | 'hduIndex'>): DetectSourcesResult {
  const n = image.width * image.height;
  const data = new Float64Array(n);
  const noData = new Uint8Array(n);
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(image.data[i]);
    if (Number.isFinite(v)) {
      data[i] = v;
      finite++;
    } else {
      data[i] = Number.NaN;
      noData[i] = 1;
    }
  }
  if (finite === 0) throw new BadRequestError('Image contains no finite pixel values');
  const plane: ImagePlane = { width: image.width, height: image.height, data };
  let bkg;
  let fallbackReason: string | null = null;
  try {
    bkg = computeBackground({ plane, mask: noData }, {
      method: 'mesh', box_size: 50, filter_size: 3, sigma: 3, maxiters: 10, exclude_percentile: 10, bkg_estimator: 'median', bkgrms_estimator: 'std',
      edge_method: 'pad', filter_threshold: null, coverage_mask: 'nan', fill_value: 0,
    });
    const probe = bkg.rms.find((v, i) => !noData[i] && Number.isFinite(v));
    if (probe === undefined) throw new Error('the mesh background has no finite value');
  } catch (err) {
    fallbackReason = err instanceof Error ? err.message.slice(0, 200) : 'mesh background failed';
    bkg = computeBackground({ plane, mask: noData }, {
      method: 'global', box_size: 50, filter_size: 3, sigma: 3, maxiters: 10, exclude_percentile: 10, bkg_estimator: 'median', bkgrms_estimator: 'std',
      edge_method: 'pad', filter_threshold: null, coverage_mask: 'nan', fill_value: 0,
    });
  }
  const sub = new Float64Array(n);
  const rmsValues: number[] = [];
  const bkgValues: number[] = [];
  let rmsSum = 0;
  let rmsSq = 0;
  for (let i = 0; i < n; i++) {
    sub[i] = noData[i] ? Number.NaN : (data[i] as number) - (bkg.background[i] as number);
    const r = bkg.rms[i] as number;
    if (!noData[i] && Number.isFinite(r)) {
      rmsValues.push(r);
      bkgValues.push(bkg.background[i] as number);
      rmsSum += r;
      rmsSq += r * r;
    }
  }
  const m = rmsValues.length;
  const rmsMean = rmsSum / m;
  const rmsStd = Math.sqrt(Math.max(0, rmsSq / m - rmsMean * rmsMean));
  const uniformity = rmsMean > 0 ? rmsStd / rmsMean : 0;
  const rmsMedian = median(rmsValues);
  const method = req.method === 'auto' ? (uniformity < 0.1 ? 'daofind' : 'segmentation') : req.method;
  const subPlane: ImagePlane = { width: image.width, height: image.height, data: sub };
  const k = req.thresholdSigma;
  const centredOnData = (x: number, y: number): boolean => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    return xi >= 0 && yi >= 0 && xi < image.width && yi < image.height && !noData[yi * image.width + xi];
  };
  let sources: DetectedSource[];
  let estimated: number | null = null;
  const thresholdValue = k * rmsMedian;
  if (method === 'daofind') {
    const finder = new DaoStarFinder({ threshold: thresholdValue, fwhm: req.fwhm, sharplo: 0.2, sharphi: 1, roundlo: -1, roundhi: 1, excludeBorder: true });
    sources = finder
      .findStars(subPlane)
      .filter((s) => centredOnData(s.xcentroid, s.ycentroid))
      .map((s, i) => ({ id: i + 1, xcentroid: s.xcentroid, ycentroid: s.ycentroid, flux: fin(s.flux), sharpness: fin(s.sharpness), roundness: fin(s.roundness1), fwhm: req.fwhm, peak: fin(s.peak) }));
    try {
      estimated = fin(estimateFwhm(subPlane, { threshold: thresholdValue, fwhm: req.fwhm, maxSources: 100 }).fwhm);
    } catch {
      estimated = null; // fewer than three stars: nothing to measure
    }
  } else if (method === 'iraf') {
    const finder = new IrafStarFinder({ threshold: thresholdValue, fwhm: req.fwhm, sharplo: 0.2, sharphi: 1, roundlo: -1, roundhi: 1, excludeBorder: true });
    sources = finder
      .findStars(subPlane)
      .filter((s) => centredOnData(s.xcentroid, s.ycentroid))
      .map((s, i) => ({ id: i + 1, xcentroid: s.xcentroid, ycentroid: s.ycentroid, flux: fin(s.flux), sharpness: fin(s.sharpness), roundness: fin(s.roundness), fwhm: fin(s.fwhm), peak: fin(s.peak) }));
    const fwhms = sources.map((s) => s.fwhm).filter((v): v is number => v !== null);
    estimated = fwhms.length ? fin(median(fwhms)) : null;
  } else {
    const threshold = new Float64Array(n);
    for (let i = 0; i < n; i++) threshold[i] = k * (bkg.rms[i] as number);
    const found = findSources(subPlane, { threshold, npixels: req.npixels, connectivity: 8, kernelFwhm: null, deblend: req.deblend, nlevels: 32, contrast: 0.001, error: bkg.rms });
    sources = found.catalog
      .filter((s) => centredOnData(s.xcentroid, s.ycentroid))
      .map((s) => ({ id: s.label, xcentroid: s.xcentroid, ycentroid: s.ycentroid, flux: fin(s.segment_flux), sharpness: null, roundness: null, fwhm: fin(s.fwhm), peak: fin(s.max_value) }));
    const fwhms = sources.map((s) => s.fwhm).filter((v): v is number => v !== null);
    estimated = fwhms.length ? fin(median(fwhms)) : null;
  }
  return {
    sources: sources.slice(0, MAX_DETECT_SOURCES),
    n_sources: sources.length,
    method,
    threshold_sigma: k,
    threshold_value: thresholdValue,
    estimated_fwhm: estimated,
    background: { method: fallbackReason === null ? 'mesh' : 'global', fallback_reason: fallbackReason, median: median(bkgValues), rms_median: rmsMedian, rms_uniformity: uniformity },
    truncated: sources.length > MAX_DETECT_SOURCES,
  };
}

export async function detectSourcesFile(req: DetectSourcesRequest): Promise<DetectSourcesResult & { hdu_index: number; slice_index: number | null; width: number; height: number }> {
  const file = await FitsFile.open(req.filePath, { ...(req.maxFileBytes ? { maxFileBytes: req.maxFileBytes } : {}), maxExpansionRatio: req.maxExpansionRatio ?? 0 });
  try {
    const hdu = pickImageHdu(file, req.hduIndex);
    const [w = 0, h = 0] = hdu.axes;
    if (w * h > MAX_DETECT_PIXELS) throw new PayloadTooLargeError(`Image too large for source detection: ${w * h} pixels exceeds maximum ${MAX_DETECT_PIXELS}`, 'IMAGE_TOO_LARGE');
    const { plane, slice } = choosePlane(hdu, null);
    const image = await readPlane(file, hdu, planeOptions(hdu, plane, req.maxElements));
    return { ...detectSourcesInPlane(image, req), hdu_index: hdu.index, slice_index: slice, width: image.width, height: image.height };
  } finally {
    await file.close();
  }
}
