/**
 * A celestial coordinate grid for an image: lines of constant longitude (RA) and latitude (Dec)
 * traced through the image's own WCS, so rotated, flipped, distorted (SIP/TPV) and polar images get
 * curved, correctly placed lines. The spacing is a "round" step (RA in time units for equatorial
 * frames) chosen to give a handful of lines across the region. Pixels are 0-based FITS coordinates.
 */
import type { Wcs } from './wcs.js';

export interface PixelRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface GridLine {
  /** 'lon': constant longitude (RA); 'lat': constant latitude (Dec). */
  readonly axis: 'lon' | 'lat';
  /** Degrees (longitude in [0, 360)). */
  readonly value: number;
  readonly label: string;
  /** Polylines of 0-based pixel [x, y] points; a line leaving and re-entering the region gives several. */
  readonly segments: Array<Array<[number, number]>>;
}

export interface SkyGrid {
  readonly lon_step: number;
  readonly lat_step: number;
  /** True when longitudes are labelled in hours (equatorial frames). */
  readonly hours: boolean;
  readonly lines: GridLine[];
}

export interface SkyGridOptions {
  /** About how many lines of each kind to draw across the region (default 5). */
  readonly lines?: number;
  /** Samples along each line (default 200). */
  readonly samples?: number;
  /** Longitudes in hours (RA) rather than degrees. */
  readonly hours?: boolean;
}

const ARCSEC = 1 / 3600;
// Steps in degrees of arc (latitude, and longitude in degrees).
const DEG_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 18000, 36000, 54000, 108000, 216000].map((s) => s * ARCSEC);
// Steps of right ascension in seconds of time, as degrees (1 s = 15 arcsec).
const HOUR_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map((s) => s * 15 * ARCSEC);

/** The smallest listed step at least `span / lines`. */
export function niceStep(span: number, lines: number, hours: boolean): number {
  const want = span / Math.max(1, lines);
  const steps = hours ? HOUR_STEPS : DEG_STEPS;
  return steps.find((s) => s >= want) ?? steps[steps.length - 1]!;
}

const wrap360 = (d: number) => ((d % 360) + 360) % 360;
const wrap180 = (d: number) => wrap360(d + 180) - 180;

/** Sexagesimal text with as many figures as the step needs: "12h34m56.7s", "-45°12′30″". */
export function formatAngle(value: number, step: number, hours: boolean): string {
  const unitSeconds = hours ? 240 : 3600; // seconds (of time or arc) per degree
  const stepSec = step * unitSeconds;
  const decimals = stepSec >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(stepSec) - 1e-9));
  const sign = !hours && value < 0 ? '-' : !hours ? '+' : '';
  let total = Math.abs(hours ? wrap360(value) : value) * unitSeconds;
  total = Math.round(total * 10 ** decimals) / 10 ** decimals;
  const d = Math.floor(total / 3600);
  const m = Math.floor((total - d * 3600) / 60);
  const s = total - d * 3600 - m * 60;
  const [u1, u2, u3] = hours ? ['h', 'm', 's'] : ['°', '′', '″'];
  const dd = hours ? String(d % 24).padStart(2, '0') : String(d).padStart(2, '0');
  if (stepSec >= 3600 - 1e-6) return `${sign}${dd}${u1}`;
  if (stepSec >= 60 - 1e-6) return `${sign}${dd}${u1}${String(m).padStart(2, '0')}${u2}`;
  return `${sign}${dd}${u1}${String(m).padStart(2, '0')}${u2}${s.toFixed(decimals).padStart(decimals ? 3 + decimals : 2, '0')}${u3}`;
}

/** The grid over `rect` (0-based pixel bounds, inclusive of the edges). `wcs` must be a 2-axis celestial WCS. */
export function skyGrid(wcs: Wcs, rect: PixelRect, options: SkyGridOptions = {}): SkyGrid {
  const target = options.lines ?? 5;
  const samples = options.samples ?? 200;
  const hours = options.hours ?? true;
  const { x0, y0, x1, y1 } = rect;
  // World coordinates over a lattice of the region give the ranges to cover.
  const n = 24;
  const xs = new Float64Array((n + 1) * (n + 1));
  const ys = new Float64Array(xs.length);
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      xs[j * (n + 1) + i] = x0 + ((x1 - x0) * i) / n;
      ys[j * (n + 1) + i] = y0 + ((y1 - y0) * j) / n;
    }
  }
  const lon = new Float64Array(xs.length);
  const lat = new Float64Array(xs.length);
  wcs.celestialPixelToWorld(xs, ys, lon, lat);
  const centre = Math.floor(xs.length / 2);
  const lonRef = Number.isFinite(lon[centre]!) ? lon[centre]! : lon.find(Number.isFinite) ?? 0;
  let lonMin = Infinity;
  let lonMax = -Infinity;
  let latMin = Infinity;
  let latMax = -Infinity;
  for (let k = 0; k < lon.length; k++) {
    if (!Number.isFinite(lon[k]!) || !Number.isFinite(lat[k]!)) continue;
    const u = lonRef + wrap180(lon[k]! - lonRef);
    lonMin = Math.min(lonMin, u);
    lonMax = Math.max(lonMax, u);
    latMin = Math.min(latMin, lat[k]!);
    latMax = Math.max(latMax, lat[k]!);
  }
  if (!Number.isFinite(lonMin)) return { lon_step: NaN, lat_step: NaN, hours, lines: [] };
  // A pole inside the region: every longitude meets there, latitude runs up to it.
  const inside = (px: number, py: number) => Number.isFinite(px) && Number.isFinite(py) && px >= x0 && px <= x1 && py >= y0 && py <= y1;
  const pole = new Float64Array(1);
  const polePy = new Float64Array(1);
  for (const pl of [90, -90]) {
    wcs.celestialWorldToPixel([lonRef], [pl], pole, polePy);
    if (inside(pole[0]!, polePy[0]!)) {
      lonMin = lonRef - 180;
      lonMax = lonRef + 180;
      if (pl > 0) latMax = 90;
      else latMin = -90;
    }
  }
  const latStep = niceStep(latMax - latMin, target, false);
  const midLat = Math.min(89, Math.abs((latMin + latMax) / 2));
  // On the sky a longitude step spans cos(lat) as much: choose it so lines are about as far apart.
  const lonSpan = Math.min(360, lonMax - lonMin);
  // Around a pole the lines are spokes: a dozen of them (every 2 h).
  const lonStep = lonSpan >= 359
    ? niceStep(360, 12, hours)
    : niceStep(Math.max(lonSpan, ((latMax - latMin) / Math.max(0.05, Math.cos((midLat * Math.PI) / 180))) * 0.5), target, hours);
  // Lines may bend past the lattice's extremes: trace a step beyond on each side.
  const lonLo = Math.floor(lonMin / lonStep) * lonStep - (lonSpan >= 359 ? 0 : lonStep);
  const lonHi = Math.ceil(lonMax / lonStep) * lonStep + (lonSpan >= 359 ? 0 : lonStep);
  const latLo = Math.max(-90, Math.floor(latMin / latStep) * latStep - latStep);
  const latHi = Math.min(90, Math.ceil(latMax / latStep) * latStep + latStep);
  const lines: GridLine[] = [];
  const margin = Math.max(x1 - x0, y1 - y0) * 0.02;
  const keep = (px: number, py: number) => Number.isFinite(px) && Number.isFinite(py) && px >= x0 - margin && px <= x1 + margin && py >= y0 - margin && py <= y1 + margin;
  const trace = (lons: Float64Array, lats: Float64Array): Array<Array<[number, number]>> => {
    const px = new Float64Array(lons.length);
    const py = new Float64Array(lons.length);
    wcs.celestialWorldToPixel(lons, lats, px, py);
    // Round trip: a projection can give a pixel for a point on the far side of the sky; drop it.
    const bx = new Float64Array(lons.length);
    const by = new Float64Array(lons.length);
    wcs.celestialPixelToWorld(px, py, bx, by);
    const segments: Array<Array<[number, number]>> = [];
    let current: Array<[number, number]> = [];
    for (let k = 0; k < lons.length; k++) {
      const good = keep(px[k]!, py[k]!) && Math.abs(by[k]! - lats[k]!) < 1e-6 && (Math.abs(lats[k]!) > 89.999999 || Math.abs(wrap180(bx[k]! - lons[k]!)) < 1e-6);
      if (good) current.push([round4(px[k]!), round4(py[k]!)]);
      else if (current.length) {
        if (current.length > 1) segments.push(current);
        current = [];
      }
    }
    if (current.length > 1) segments.push(current);
    return segments;
  };
  const maxLines = 60;
  for (let v = lonLo, count = 0; v <= lonHi + lonStep * 1e-9 && count < maxLines; v += lonStep, count++) {
    if (lonSpan >= 359 && v >= lonLo + 360 - lonStep * 1e-9) break;
    const lons = new Float64Array(samples + 1).fill(v);
    const lats = Float64Array.from({ length: samples + 1 }, (_, k) => latLo + ((latHi - latLo) * k) / samples);
    const segments = trace(lons, lats);
    const value = wrap360(v);
    if (segments.length) lines.push({ axis: 'lon', value, label: formatAngle(value, lonStep, hours), segments });
  }
  for (let v = Math.ceil(latLo / latStep) * latStep, count = 0; v <= latHi + latStep * 1e-9 && count < maxLines; v += latStep, count++) {
    if (Math.abs(v) >= 90 - 1e-9) continue;
    const lats = new Float64Array(samples + 1).fill(v);
    const lons = Float64Array.from({ length: samples + 1 }, (_, k) => lonLo + ((lonHi - lonLo) * k) / samples);
    const segments = trace(lons, lats);
    if (segments.length) lines.push({ axis: 'lat', value: v, label: formatAngle(v, latStep, false), segments });
  }
  return { lon_step: lonStep, lat_step: latStep, hours, lines };
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
