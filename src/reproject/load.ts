/**
 * Loading a celestial image from a FITS file for reprojection: the first image HDU (contract
 * rule), the middle plane of a cube, its 2-axis celestial WCS, and the headers for provenance.
 */
import { basename } from 'node:path';
import type { ImagePlane } from '../core/image-plane.js';
import { BadRequestError } from '../errors.js';
import { readPlane, readPlaneRows, type Header, type OpenOptions } from '../fits/index.js';
import { DEFAULT_IN_MEMORY_BYTES } from '../fits/byte-source.js';
import { openImage, readWholePlane, type OpenedImage, type ViewerLimits } from '../imaging/viewer/source.js';
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

/**
 * An input opened once for a whole request: its size, WCS and headers plan the output grid, then
 * its pixels are read from the same open file (no second open, no second gunzip). Close it when done.
 */
export interface OpenedCelestialImage extends ImageShape {
  /** Pixels, block-averaged k x k while the row bands stream in (k < 2: the plane read whole). */
  readBinned(k: number): Promise<LoadedImage>;
  /** Rows [y0, y1) of the plane (for band-wise mosaics). */
  readRows(y0: number, y1: number): Promise<ImagePlane>;
  close(): Promise<void>;
}

/** Opens the first image HDU of a file and parses its celestial WCS (a 400 without one). */
export async function openCelestialImage(path: string, limits: ViewerLimits, options: Pick<OpenOptions, 'inMemoryBytes'> = {}): Promise<OpenedCelestialImage> {
  const img = await openImage(path, -1, limits, options);
  try {
    const name = basename(path);
    const primary = img.file.hdus[0];
    const shape: ImageShape = {
      path,
      name,
      width: img.width,
      height: img.height,
      wcs: celestialWcsOf(img.hdu.header, name),
      header: img.hdu.header,
      primaryHeader: primary && primary !== img.hdu ? primary.header : undefined,
    };
    return {
      ...shape,
      readBinned: (k) => readCelestialImage(img, shape, limits, k),
      readRows: (y0, y1) => readPlane(img.file, img.hdu, { plane: img.slice.plane, rows: [y0, y1], maxElements: limits.maxElements }),
      close: () => img.file.close(),
    };
  } catch (err) {
    await img.file.close().catch(() => undefined);
    throw err;
  }
}

/**
 * openCelestialImage of each path, in order, all held open together (closed again if one fails).
 * Gzip inputs share one in-memory budget for their decompressed bytes (the rest go to temp files),
 * so holding many open at once costs no more memory than reading one.
 */
export async function openCelestialImages(paths: readonly string[], limits: ViewerLimits): Promise<OpenedCelestialImage[]> {
  const inMemoryBytes = Math.floor(DEFAULT_IN_MEMORY_BYTES / Math.max(1, paths.length));
  const opened: OpenedCelestialImage[] = [];
  try {
    for (const path of paths) opened.push(await openCelestialImage(path, limits, { inMemoryBytes }));
    return opened;
  } catch (err) {
    await closeAll(opened);
    throw err;
  }
}

/** openCelestialImages, handed to `use`, and all closed again whatever happens. */
export async function withCelestialImages<T>(paths: readonly string[], limits: ViewerLimits, use: (images: OpenedCelestialImage[]) => Promise<T>): Promise<T> {
  const images = await openCelestialImages(paths, limits);
  try {
    return await use(images);
  } finally {
    await closeAll(images);
  }
}

/** Closes every image (errors ignored: the caller is already done or failing). */
export async function closeAll(images: ReadonlyArray<{ close(): Promise<void> }>): Promise<void> {
  for (const img of images) await img.close().catch(() => undefined);
}

/** Opens the image, hands it to `use`, and closes the file whatever happens. */
async function withCelestialImage<T>(path: string, limits: ViewerLimits, use: (img: OpenedCelestialImage) => Promise<T>): Promise<T> {
  const img = await openCelestialImage(path, limits);
  try {
    return await use(img);
  } finally {
    await img.close().catch(() => undefined);
  }
}

function shapeOf({ path, name, width, height, wcs, header, primaryHeader }: ImageShape): ImageShape {
  return { path, name, width, height, wcs, header, primaryHeader };
}

/** Header-only: size and WCS of the first image HDU (no pixels decoded). */
export function loadImageShape(path: string, limits: ViewerLimits): Promise<ImageShape> {
  return withCelestialImage(path, limits, async (img) => shapeOf(img));
}

/** Pixels (middle plane of a cube), WCS and headers of the first image HDU. */
export function loadCelestialImage(path: string, limits: ViewerLimits): Promise<LoadedImage> {
  return withCelestialImage(path, limits, (img) => img.readBinned(1));
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
export function loadCelestialImageBinned(path: string, limits: ViewerLimits, k: number): Promise<LoadedImage> {
  return withCelestialImage(path, limits, (img) => img.readBinned(k));
}

async function readCelestialImage(img: OpenedImage, shape: ImageShape, limits: ViewerLimits, k: number): Promise<LoadedImage> {
  const { path, name, wcs, header, primaryHeader } = shape;
  if (k < 2) return { path, name, plane: await readWholePlane(img, limits), wcs, header, primaryHeader };
  const binner = new RowBinner(img.width, img.height, k);
  for await (const band of readPlaneRows(img.file, img.hdu, { plane: img.slice.plane, bandRows: img.bandRows, maxElements: limits.maxElements })) {
    for (let r = 0; r < band.rows; r++) binner.addRow(band.y0 + r, band.data, r * img.width);
  }
  return { path, name, plane: binner.finish(), wcs: binWcs(wcs, k), header, primaryHeader };
}

/** An image read a range of rows at a time (for band-wise mosaics); close it when done. */
export interface OpenRowSource {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
  readRows(y0: number, y1: number): Promise<ImagePlane>;
  close(): Promise<void>;
}

export function openRowSource(path: string, limits: ViewerLimits): Promise<OpenRowSource> {
  return openCelestialImage(path, limits);
}
