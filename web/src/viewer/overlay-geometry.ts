/**
 * Pure geometry of the viewer's overlays (no DOM, no WCS): DS9 regions as outlines, either in
 * 0-based pixels (image regions) or as sky points (fk5/icrs/galactic) that the engine's own WCS
 * (`POST /wcs/world-to-pixel`) then places on the image, so rotated, flipped and distorted images
 * get them right; the position columns of a catalogue; drawn shapes as DS9 regions.
 */
import type { Ds9Region } from './ds9-regions.js';

export type Outline =
  | { readonly space: 'pixel'; readonly points: Array<[number, number]>; readonly closed: boolean }
  | { readonly space: 'sky'; readonly points: Array<[number, number]>; readonly closed: boolean };

/** Points per ellipse or circle outline. */
const ROUND = 72;
const RAD = Math.PI / 180;

/**
 * The sky position at tangent-plane offsets (east, north, degrees) from a centre: the gnomonic
 * (TAN) inverse projection about that centre, exact for any offset below 90 degrees.
 */
export function skyOffset(center: readonly [number, number], east: number, north: number): [number, number] {
  const xi = east * RAD;
  const eta = north * RAD;
  const rho = Math.hypot(xi, eta);
  if (rho === 0) return [center[0], center[1]];
  const c = Math.atan(rho);
  const d0 = center[1] * RAD;
  const dec = Math.asin(Math.cos(c) * Math.sin(d0) + (eta * Math.sin(c) * Math.cos(d0)) / rho);
  const ra = center[0] * RAD + Math.atan2(xi * Math.sin(c), rho * Math.cos(d0) * Math.cos(c) - eta * Math.sin(d0) * Math.sin(c));
  return [(((ra / RAD) % 360) + 360) % 360, dec / RAD];
}

/**
 * Points of an ellipse (semi-axes a along the rotated first axis, b along the second) or a box
 * (full sizes a, b), rotated by `angle` degrees counter-clockwise from the first axis, as offsets.
 */
function shapeOffsets(kind: 'ellipse' | 'box', a: number, b: number, angle: number): Array<[number, number]> {
  const c = Math.cos(angle * RAD);
  const s = Math.sin(angle * RAD);
  const local: Array<[number, number]> = kind === 'box'
    ? [[-a / 2, -b / 2], [a / 2, -b / 2], [a / 2, b / 2], [-a / 2, b / 2]]
    : Array.from({ length: ROUND }, (_, k) => [a * Math.cos((2 * Math.PI * k) / ROUND), b * Math.sin((2 * Math.PI * k) / ROUND)] as [number, number]);
  return local.map(([u, v]) => [u * c - v * s, u * s + v * c]);
}

/**
 * A DS9 region's outline. Image regions: DS9's 1-based pixels become 0-based, the angle is counter-
 * clockwise from +x. Sky regions: the angle is counter-clockwise from the West direction as seen
 * with North up and East left (DS9's and astropy-regions' convention: at 0 the first axis lies
 * along the lines of constant latitude), so an offset (u, v) in that frame is (-u, v) in (east,
 * north); a box's corners and an ellipse's points are placed on the sky by the TAN inverse
 * projection about the centre. Polygons keep their vertices.
 */
export function regionOutline(r: Ds9Region): Outline {
  const sky = r.system !== 'image';
  if (r.shape === 'polygon') {
    const points = r.points.map(([x, y]) => (sky ? [x, y] : [x - 1, y - 1]) as [number, number]);
    return sky ? { space: 'sky', points, closed: true } : { space: 'pixel', points, closed: true };
  }
  const offsets = r.shape === 'circle'
    ? shapeOffsets('ellipse', r.radius, r.radius, 0)
    : r.shape === 'box'
      ? shapeOffsets('box', r.size[0], r.size[1], r.angle)
      : shapeOffsets('ellipse', r.radii[0], r.radii[1], r.angle);
  if (!sky) {
    const [cx, cy] = [r.center[0] - 1, r.center[1] - 1];
    return { space: 'pixel', points: offsets.map(([u, v]) => [cx + u, cy + v]), closed: true };
  }
  return { space: 'sky', points: offsets.map(([u, v]) => skyOffset(r.center, -u, v)), closed: true };
}

export type PositionColumns =
  | { readonly kind: 'sky'; readonly lon: string; readonly lat: string }
  | { readonly kind: 'pixel'; readonly x: string; readonly y: string; readonly oneBased: boolean };

const SKY_PAIRS: Array<[string, string]> = [
  ['sky_centroid.ra', 'sky_centroid.dec'], ['sky_centroid_ra', 'sky_centroid_dec'], ['ra', 'dec'], ['ra_deg', 'dec_deg'],
  ['raj2000', 'dej2000'], ['ra_icrs', 'de_icrs'], ['alpha_j2000', 'delta_j2000'], ['s_ra', 's_dec'], ['target_ra', 'target_dec'],
];
/** Pixel columns; the SExtractor-style X_IMAGE is 1-based, photutils' are 0-based. */
const PIXEL_PAIRS: Array<[string, string, boolean]> = [
  ['xcentroid', 'ycentroid', false], ['x_centroid', 'y_centroid', false], ['xcenter', 'ycenter', false], ['x_center', 'y_center', false],
  ['x', 'y', false], ['xpos', 'ypos', false], ['x_image', 'y_image', true],
];

/**
 * The columns that place a catalogue's rows: RA/Dec when the table has them and `preferSky` (a
 * catalogue of another image), otherwise pixel columns (outputs of find_stars or segmentation on
 * this very image), otherwise whichever exists. Names match case-insensitively.
 */
export function findPositionColumns(names: readonly string[], preferSky = true): PositionColumns | null {
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  let sky: PositionColumns | null = null;
  for (const [a, b] of SKY_PAIRS) {
    const lon = byLower.get(a);
    const lat = byLower.get(b);
    if (lon && lat) {
      sky = { kind: 'sky', lon, lat };
      break;
    }
  }
  let pixel: PositionColumns | null = null;
  for (const [a, b, oneBased] of PIXEL_PAIRS) {
    const x = byLower.get(a);
    const y = byLower.get(b);
    if (x && y) {
      pixel = { kind: 'pixel', x, y, oneBased };
      break;
    }
  }
  return preferSky ? sky ?? pixel : pixel ?? sky;
}

/** A shape drawn on the viewer (0-based pixels), as the DS9 image region it is (1-based). */
export type DrawnShape =
  | { kind: 'rectangle'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number };

export function drawnToDs9(s: DrawnShape): Ds9Region {
  if (s.kind === 'rectangle') {
    // The rectangle holds whole pixels x0..x1: its edges are half a pixel beyond their centres.
    return { system: 'image', shape: 'box', center: [(s.x0 + s.x1) / 2 + 1, (s.y0 + s.y1) / 2 + 1], size: [s.x1 - s.x0 + 1, s.y1 - s.y0 + 1], angle: 0 };
  }
  return { system: 'image', shape: 'ellipse', center: [s.cx + 1, s.cy + 1], radii: [s.rx, s.ry], angle: 0 };
}

/** The part of the image in view (whole native pixels, clipped), for a cutout of the current view. */
export function viewRect(view: { cx: number; cy: number; scale: number }, screen: { width: number; height: number }, image: { width: number; height: number }): { x: number; y: number; width: number; height: number } | null {
  const hw = screen.width / 2 / view.scale;
  const hh = screen.height / 2 / view.scale;
  const x0 = Math.max(0, Math.round(view.cx - hw));
  const y0 = Math.max(0, Math.round(view.cy - hh));
  const x1 = Math.min(image.width - 1, Math.round(view.cx + hw));
  const y1 = Math.min(image.height - 1, Math.round(view.cy + hh));
  return x1 >= x0 && y1 >= y0 ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } : null;
}

/** The bounding rectangle (whole pixels, clipped) of a drawn shape, for a cutout of a region. */
export function shapeRect(s: DrawnShape, image: { width: number; height: number }): { x: number; y: number; width: number; height: number } | null {
  const [x0, y0, x1, y1] = s.kind === 'rectangle'
    ? [s.x0, s.y0, s.x1, s.y1]
    : [Math.floor(s.cx - s.rx), Math.floor(s.cy - s.ry), Math.ceil(s.cx + s.rx), Math.ceil(s.cy + s.ry)];
  const a = Math.max(0, x0);
  const b = Math.max(0, y0);
  const c = Math.min(image.width - 1, x1);
  const d = Math.min(image.height - 1, y1);
  return c >= a && d >= b ? { x: a, y: b, width: c - a + 1, height: d - b + 1 } : null;
}
