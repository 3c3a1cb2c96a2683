/**
 * Loading a celestial image from a FITS file for reprojection: the first image HDU (contract
 * rule), the middle plane of a cube, its 2-axis celestial WCS, and the headers for provenance.
 */
import { basename } from 'node:path';
import type { ImagePlane } from '../core/image-plane.js';
import { BadRequestError } from '../errors.js';
import { readPlane, readPlaneRows, type Header } from '../fits/index.js';
import { openImage, readWholePlane, type ViewerLimits } from '../imaging/viewer/source.js';
import { findCelestialAxes, parseWcs, subDefinition, Wcs, WcsError, type WcsDefinition } from '../wcs/index.js';
import type { CelestialImage } from './grid.js';
import { binWcs, RowBinner } from './bin.js';

export interface LoadedImage extends CelestialImage {
  readonly path: string;
  readonly name: string;
  /** Header of the image HDU. */
  readonly header: Header;
  /** Header of the primary HDU when the image is in an extension (JWST keeps TELESCOP etc. there). */
  readonly primaryHeader?: Header;
}

export interface ImageShape {
  readonly path: string;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly wcs: WcsDefinition;
  readonly header: Header;
  readonly primaryHeader?: Header;
}

function celestialWcsOf(header: Header, name: string): WcsDefinition {
  let plane: WcsDefinition;
  try {
    const def = parseWcs(header);
    const axes = findCelestialAxes(def.ctype);
    if (!axes) throw new BadRequestError(`No celestial WCS found in FITS file: ${name}`, 'NO_CELESTIAL_WCS');
    if (axes.lon > 1 || axes.lat > 1) throw new BadRequestError(`The celestial axes are not the image axes in FITS file: ${name}`, 'NO_CELESTIAL_WCS');
    plane = def.naxis === 2 ? def : subDefinition(def, [0, 1]);
    new Wcs(plane); // validates the pole, matrix and projection now, with a 400
  } catch (err) {
    if (err instanceof WcsError) throw new BadRequestError(`Invalid WCS in FITS file: ${name}: ${err.message}`, 'NO_CELESTIAL_WCS');
    throw err;
  }
  return plane;
}

type OpenedImage = Awaited<ReturnType<typeof openImage>>;

/** Opens the first image HDU, hands it to `use` with its size, WCS and headers, and closes the file. */
async function withCelestialImage<T>(path: string, limits: ViewerLimits, use: (img: OpenedImage, shape: ImageShape) => Promise<T>): Promise<T> {
  const img = await openImage(path, -1, limits);
  try {
    const name = basename(path);
    const primary = img.file.hdus[0];
    return await use(img, {
      path,
      name,
      width: img.width,
      height: img.height,
      wcs: celestialWcsOf(img.hdu.header, name),
      header: img.hdu.header,
      primaryHeader: primary && primary !== img.hdu ? primary.header : undefined,
    });
  } finally {
    await img.file.close().catch(() => undefined);
  }
}

/** Header-only: size and WCS of the first image HDU (no pixels decoded). */
export function loadImageShape(path: string, limits: ViewerLimits): Promise<ImageShape> {
  return withCelestialImage(path, limits, async (_, shape) => shape);
}

/** loadImageShape of each path, in order. */
export async function loadImageShapes(paths: readonly string[], limits: ViewerLimits): Promise<ImageShape[]> {
  const shapes = [];
  for (const path of paths) shapes.push(await loadImageShape(path, limits));
  return shapes;
}

/** Pixels (middle plane of a cube), WCS and headers of the first image HDU. */
export function loadCelestialImage(path: string, limits: ViewerLimits): Promise<LoadedImage> {
  return withCelestialImage(path, limits, async (img, { name, wcs, header, primaryHeader }) => (
    { path, name, plane: await readWholePlane(img, limits), wcs, header, primaryHeader }
  ));
}

/** Smallest pixel scale of a WCS (degrees). */
export function finestScale(def: WcsDefinition): number {
  const [sx, sy] = new Wcs(def).pixelScales();
  return Math.min(sx, sy);
}

/** The block size that brings an image's pixels close to (not above) a target pixel size. */
export function binFactorFor(def: WcsDefinition, targetScale: number): number {
  const k = Math.floor(targetScale / finestScale(def));
  return k >= 2 ? k : 1;
}

/**
 * The image block-averaged k x k (NaN-aware) while its row bands stream from the file, so only
 * the binned plane is ever held: inputs larger than MAX_FITS_ARRAY_ELEMENTS or memory still work
 * when the output is coarse. k = 1 reads the plane whole.
 */
export async function loadCelestialImageBinned(path: string, limits: ViewerLimits, k: number): Promise<LoadedImage> {
  if (k < 2) return loadCelestialImage(path, limits);
  return withCelestialImage(path, limits, async (img, { name, wcs, header, primaryHeader }) => {
    const binner = new RowBinner(img.width, img.height, k);
    for await (const band of readPlaneRows(img.file, img.hdu, { plane: img.slice.plane, bandRows: img.bandRows, maxElements: limits.maxElements })) {
      for (let r = 0; r < band.rows; r++) binner.addRow(band.y0 + r, band.data, r * img.width);
    }
    return { path, name, plane: binner.finish(), wcs: binWcs(wcs, k), header, primaryHeader };
  });
}

/** An image read a range of rows at a time (for band-wise mosaics); close it when done. */
export interface OpenRowSource {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
  readRows(y0: number, y1: number): Promise<ImagePlane>;
  close(): Promise<void>;
}

export async function openRowSource(path: string, limits: ViewerLimits): Promise<OpenRowSource> {
  const img = await openImage(path, -1, limits);
  try {
    const wcs = celestialWcsOf(img.hdu.header, basename(path));
    return {
      wcs,
      width: img.width,
      height: img.height,
      readRows: (y0, y1) => readPlane(img.file, img.hdu, { plane: img.slice.plane, rows: [y0, y1], maxElements: limits.maxElements }),
      close: () => img.file.close(),
    };
  } catch (err) {
    await img.file.close().catch(() => undefined);
    throw err;
  }
}
