/**
 * The common output grid for a set of images, as reproject 0.10's `find_optimal_celestial_wcs`:
 * frame of the first image (or given), projection TAN (or given), reference point the normalised
 * mean of the images' CRVAL unit vectors (in ICRS), pixel size the finest input scale (square
 * pixels, RA increasing to the left), size the bounding box of all image corners; optionally
 * rotated to the minimum-area rectangle around them.
 */
import { convertFrame, frameKeywords, lonLatToVector, subDefinition, vectorToLonLat, Wcs, type CelestialFrame, type WcsDefinition } from '../wcs/index.js';
import { ReprojectError } from './errors.js';
import type { OutputGrid } from './grid.js';

export interface GridInput {
  readonly wcs: WcsDefinition;
  readonly width: number;
  readonly height: number;
  /** Names the input in errors (a file name); "image N" otherwise. */
  readonly name?: string;
}

export interface OptimalWcsOptions {
  /** Output frame; default: the first input's. */
  readonly frame?: CelestialFrame;
  /** Three-letter projection code; default TAN. */
  readonly projection?: string;
  /** Pixel size in degrees; default: the finest input pixel scale. */
  readonly resolution?: number;
  /** Rotate the grid to the minimum-area rectangle around the inputs (reproject's auto_rotate). */
  readonly autoRotate?: boolean;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

export function makeCelestialDefinition(frame: CelestialFrame, projection: string, crval: [number, number], cdelt: number, crpix: [number, number], pc: [number, number, number, number] = [1, 0, 0, 1]): WcsDefinition {
  const kw = frameKeywords(frame);
  const code = projection.toUpperCase();
  return {
    naxis: 2,
    ctype: [`${kw.lon}-${code}`, `${kw.lat}-${code}`],
    cunit: ['deg', 'deg'],
    crpix,
    crval,
    cdelt: [-cdelt, cdelt],
    pc: [
      [pc[0], pc[1]],
      [pc[2], pc[3]],
    ],
    fromCd: false,
    pv: [],
    radesys: kw.radesys,
    equinox: kw.equinox,
    warnings: [],
  };
}

/** Convex hull (Andrew's monotone chain), counter-clockwise. */
function convexHull(points: Array<[number, number]>): Array<[number, number]> {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Array<[number, number]> = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Angle of the minimum-area bounding rectangle's edge (rotating calipers over hull edges). */
function minimumRectangleAngle(points: Array<[number, number]>): number {
  const hull = convexHull(points);
  let best = Infinity;
  let bestAngle = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const [x, y] of hull) {
      const u = x * c + y * s;
      const v = -x * s + y * c;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < best) {
      best = area;
      bestAngle = angle;
    }
  }
  let angle = ((bestAngle % (Math.PI / 2)) + Math.PI / 2) % (Math.PI / 2);
  if (angle > Math.PI / 4) angle -= Math.PI / 2;
  return angle;
}

export function findOptimalCelestialWcs(inputs: readonly GridInput[], options: OptimalWcsOptions = {}): OutputGrid {
  if (inputs.length === 0) throw new ReprojectError('No input images to build a common grid from', 'REPROJECT_NO_INPUT');
  const icrs: CelestialFrame = { system: 'icrs' };
  const corners: Array<[number, number]> = [];
  const refSum: [number, number, number] = [0, 0, 0];
  const resolutions: number[] = [];
  let frame = options.frame;
  for (const [i, input] of inputs.entries()) {
    const label = input.name ?? `image ${i + 1}`;
    let wcs = new Wcs(input.wcs);
    if (!wcs.celestial) throw new ReprojectError(`${label}: its WCS has no celestial axes`, 'REPROJECT_NOT_CELESTIAL');
    if (wcs.naxis !== 2) wcs = new Wcs(subDefinition(input.wcs, [wcs.celestial.lon, wcs.celestial.lat]));
    const cel = wcs.celestial!;
    frame ??= cel.frame;
    const { width: nx, height: ny } = input;
    for (const [x, y] of [[-0.5, -0.5], [nx - 0.5, -0.5], [nx - 0.5, ny - 0.5], [-0.5, ny - 0.5]] as const) {
      const [lon, lat] = wcs.pixelToWorld([x, y]);
      if (Number.isNaN(lon!) || Number.isNaN(lat!)) throw new ReprojectError(`${label}: the corner (${x}, ${y}) has no sky position`, 'REPROJECT_BAD_WCS');
      corners.push(convertFrame(lon!, lat!, cel.frame, icrs));
    }
    const ref = wcs.pixelToWorld([wcs.definition.crpix[0]! - 1, wcs.definition.crpix[1]! - 1]);
    const [rl, rb] = convertFrame(ref[0]!, ref[1]!, cel.frame, icrs);
    const v = lonLatToVector(rl, rb);
    refSum[0] += v[0];
    refSum[1] += v[1];
    refSum[2] += v[2];
    const [sx, sy] = wcs.pixelScales();
    resolutions.push(Math.min(Math.abs(sx), Math.abs(sy)));
  }
  const outFrame = frame!;
  const n = inputs.length;
  const [refLon, refLat] = vectorToLonLat([refSum[0] / n, refSum[1] / n, refSum[2] / n]);
  const crval = convertFrame(refLon, refLat, icrs, outFrame);
  const cdelt = options.resolution ?? Math.min(...resolutions);
  if (!(cdelt > 0)) throw new ReprojectError('Resolution must be positive', 'REPROJECT_BAD_INPUT');
  const projection = options.projection ?? 'TAN';

  const cornersOut = corners.map(([l, b]) => convertFrame(l, b, icrs, outFrame));
  const pixelsOf = (def: WcsDefinition) => {
    const w = new Wcs(def);
    return cornersOut.map(([l, b]) => w.worldToPixel([l, b]).map((v) => v + 1) as [number, number]);
  };
  let def = makeCelestialDefinition(outFrame, projection, crval, cdelt, [1, 1]);
  let px = pixelsOf(def);
  if (options.autoRotate) {
    const angle = minimumRectangleAngle(px);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    def = makeCelestialDefinition(outFrame, projection, crval, cdelt, [1, 1], [c, -s, s, c]);
    px = pixelsOf(def);
  }
  if (px.some(([x, y]) => Number.isNaN(x) || Number.isNaN(y))) {
    throw new ReprojectError(`The images do not fit in one ${projection} projection`, 'REPROJECT_BAD_WCS');
  }
  const xmin = Math.min(...px.map((p) => p[0]));
  const xmax = Math.max(...px.map((p) => p[0]));
  const ymin = Math.min(...px.map((p) => p[1]));
  const ymax = Math.max(...px.map((p) => p[1]));
  def = { ...def, crpix: [1 - xmin + 0.5, 1 - ymin + 0.5] };
  return { wcs: def, width: roundHalfEven(xmax - xmin), height: roundHalfEven(ymax - ymin) };
}
