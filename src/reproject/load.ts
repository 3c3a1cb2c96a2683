/**
 * Loading a celestial image from a FITS file for reprojection: the first image HDU (contract
 * rule), the middle plane of a cube, its 2-axis celestial WCS, and the headers for provenance.
 */
import { basename } from 'node:path';
import { BadRequestError } from '../errors.js';
import type { Header } from '../fits/index.js';
import { openImage, readWholePlane, type ViewerLimits } from '../imaging/viewer/source.js';
import { findCelestialAxes, parseWcs, subDefinition, Wcs, WcsError, type WcsDefinition } from '../wcs/index.js';
import type { CelestialImage } from './grid.js';

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
  let def: WcsDefinition;
  try {
    def = parseWcs(header);
  } catch (err) {
    if (err instanceof WcsError) throw new BadRequestError(`Invalid WCS in FITS file: ${name}: ${err.message}`, 'NO_CELESTIAL_WCS');
    throw err;
  }
  const axes = findCelestialAxes(def.ctype);
  if (!axes) throw new BadRequestError(`No celestial WCS found in FITS file: ${name}`, 'NO_CELESTIAL_WCS');
  if (axes.lon > 1 || axes.lat > 1) throw new BadRequestError(`The celestial axes are not the image axes in FITS file: ${name}`, 'NO_CELESTIAL_WCS');
  const plane = def.naxis === 2 ? def : subDefinition(def, [0, 1]);
  try {
    new Wcs(plane); // validates the pole, matrix and projection now, with a 400
  } catch (err) {
    if (err instanceof WcsError) throw new BadRequestError(`Invalid WCS in FITS file: ${name}: ${err.message}`, 'NO_CELESTIAL_WCS');
    throw err;
  }
  return plane;
}

/** Header-only: size and WCS of the first image HDU (no pixels decoded). */
export async function loadImageShape(path: string, limits: ViewerLimits): Promise<ImageShape> {
  const img = await openImage(path, -1, limits);
  try {
    const name = basename(path);
    const primary = img.file.hdus[0];
    return {
      path,
      name,
      width: img.width,
      height: img.height,
      wcs: celestialWcsOf(img.hdu.header, name),
      header: img.hdu.header,
      primaryHeader: primary && primary !== img.hdu ? primary.header : undefined,
    };
  } finally {
    await img.file.close().catch(() => undefined);
  }
}

/** Pixels (middle plane of a cube), WCS and headers of the first image HDU. */
export async function loadCelestialImage(path: string, limits: ViewerLimits): Promise<LoadedImage> {
  const img = await openImage(path, -1, limits);
  try {
    const name = basename(path);
    const wcs = celestialWcsOf(img.hdu.header, name);
    const plane = await readWholePlane(img, limits);
    const primary = img.file.hdus[0];
    return { path, name, plane, wcs, header: img.hdu.header, primaryHeader: primary && primary !== img.hdu ? primary.header : undefined };
  } finally {
    await img.file.close().catch(() => undefined);
  }
}
