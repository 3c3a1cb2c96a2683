/**
 * The celestial WCS of an image HDU for the viewer (cursor RA/Dec, grid, compass, scale bar), or
 * null when the HDU has none (a DQ extension without WCS keywords, a lab image): the viewer then
 * shows pixels only instead of failing.
 */
import type { Header } from '../../fits/index.js';
import { findCelestialAxes, frameOf, hasWcsKeywords, parseWcs, subDefinition, Wcs } from '../../wcs/index.js';

export interface ImageSky {
  readonly wcs: Wcs;
  /** icrs, fk5, galactic, ... */
  readonly frame: string;
  /** Longitudes read as hours (equatorial frames). */
  readonly hours: boolean;
}

export function imageSky(header: Header): ImageSky | null {
  try {
    if (!hasWcsKeywords(header)) return null;
    const def = parseWcs(header);
    const axes = findCelestialAxes(def.ctype);
    if (!axes || axes.lon > 1 || axes.lat > 1) return null;
    const plane = def.naxis === 2 ? def : subDefinition(def, [0, 1]);
    const wcs = new Wcs(plane);
    const frame = frameOf(plane).system;
    return { wcs, frame, hours: !['galactic', 'ecliptic', 'supergalactic', 'helioecliptic'].some((f) => frame.startsWith(f)) };
  } catch {
    return null; // an unusable WCS reads as none: the image is still shown
  }
}

export interface Orientation {
  /** World coordinates of the image centre (degrees). */
  readonly center: [number, number];
  /** Arcseconds per pixel along x and y at the centre. */
  readonly pixel_scale_arcsec: [number, number];
  /** Unit vectors in 0-based pixel coordinates (y up) pointing North and East at the centre. */
  readonly north: [number, number];
  readonly east: [number, number];
}

/** Compass and scale at the image centre, by finite differences through the full WCS (distortion included). */
export function orientationAt(sky: ImageSky, x: number, y: number): Orientation | null {
  const w = sky.wcs;
  const one = (fn: 'p2w' | 'w2p', a: number, b: number): [number, number] => {
    const o1 = new Float64Array(1);
    const o2 = new Float64Array(1);
    if (fn === 'p2w') w.celestialPixelToWorld([a], [b], o1, o2);
    else w.celestialWorldToPixel([a], [b], o1, o2);
    return [o1[0]!, o2[0]!];
  };
  const [lon, lat] = one('p2w', x, y);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  const sep = (a: [number, number], b: [number, number]) => angularSeparation(a[0], a[1], b[0], b[1]) * 3600;
  const sx = sep(one('p2w', x - 0.5, y), one('p2w', x + 0.5, y));
  const sy = sep(one('p2w', x, y - 0.5), one('p2w', x, y + 0.5));
  const d = Math.max(sx, sy) / 3600; // one pixel, in degrees
  const unit = (p: [number, number]): [number, number] => {
    const dx = p[0] - x;
    const dy = p[1] - y;
    const n = Math.hypot(dx, dy) || 1;
    return [dx / n, dy / n];
  };
  const north = unit(lat + d <= 90 ? one('w2p', lon, lat + d) : one('w2p', lon + 180, 180 - lat - d));
  const east = unit(one('w2p', lon + d / Math.max(1e-6, Math.cos((lat * Math.PI) / 180)), lat));
  return { center: [lon, lat], pixel_scale_arcsec: [sx, sy], north, east };
}

/** Great-circle distance in degrees (Vincenty's formula: stable at all separations). */
export function angularSeparation(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180;
  const dl = (lon2 - lon1) * r;
  const [s1, c1] = [Math.sin(lat1 * r), Math.cos(lat1 * r)];
  const [s2, c2] = [Math.sin(lat2 * r), Math.cos(lat2 * r)];
  const num = Math.hypot(c2 * Math.sin(dl), c1 * s2 - s1 * c2 * Math.cos(dl));
  const den = s1 * s2 + c1 * c2 * Math.cos(dl);
  return Math.atan2(num, den) / r;
}
