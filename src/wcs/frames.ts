/**
 * Celestial reference frames and the rotations between them, following astropy's definitions:
 * ICRS -> FK5 by the frame-bias matrix of USNO Circular 179, FK5 precession by the IAU 2006
 * (Capitaine et al. 2003) angles, FK5 J2000 -> Galactic by the north galactic pole and l0 that
 * astropy uses. FK4 (B1950 with E-terms) and the ecliptic frames are recognised but not converted.
 */
import { WcsError } from './errors.js';
import type { WcsDefinition } from './definition.js';
import { findCelestialAxes } from './definition.js';
import { cosd, sind } from './trig.js';

export type FrameSystem = 'icrs' | 'fk5' | 'fk4' | 'fk4-no-e' | 'galactic' | 'ecliptic' | 'helioprojective' | 'supergalactic' | 'unknown';

export interface CelestialFrame {
  readonly system: FrameSystem;
  /** Julian (FK5) or Besselian (FK4) equinox in years; only for fk5/fk4. */
  readonly equinox?: number;
}

export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

export function frameOf(def: WcsDefinition): CelestialFrame {
  const axes = findCelestialAxes(def.ctype);
  if (!axes) return { system: 'unknown' };
  const prefix = def.ctype[axes.lon]!.slice(0, 4);
  if (prefix === 'GLON') return { system: 'galactic' };
  if (prefix === 'ELON') return { system: 'ecliptic' };
  if (prefix === 'SLON') return { system: 'supergalactic' };
  if (prefix === 'HPLN') return { system: 'helioprojective' };
  if (prefix !== 'RA--') return { system: 'unknown' };
  const equinox = def.equinox;
  let sys = def.radesys;
  if (sys === undefined || sys === '') {
    if (equinox === undefined) sys = 'ICRS';
    else sys = equinox < 1984 ? 'FK4' : 'FK5';
  }
  switch (sys) {
    case 'ICRS': return { system: 'icrs' };
    case 'FK5': return { system: 'fk5', equinox: equinox ?? 2000 };
    case 'FK4': return { system: 'fk4', equinox: equinox ?? 1950 };
    case 'FK4-NO-E': return { system: 'fk4-no-e', equinox: equinox ?? 1950 };
    default: return { system: 'unknown' };
  }
}

/** FITS spellings of a frame (CTYPE prefixes, RADESYS, EQUINOX). */
export function frameKeywords(frame: CelestialFrame): { lon: string; lat: string; radesys?: string; equinox?: number } {
  switch (frame.system) {
    case 'galactic': return { lon: 'GLON', lat: 'GLAT' };
    case 'ecliptic': return { lon: 'ELON', lat: 'ELAT' };
    case 'supergalactic': return { lon: 'SLON', lat: 'SLAT' };
    case 'helioprojective': return { lon: 'HPLN', lat: 'HPLT' };
    case 'icrs': return { lon: 'RA--', lat: 'DEC-', radesys: 'ICRS' };
    case 'fk5': return { lon: 'RA--', lat: 'DEC-', radesys: 'FK5', equinox: frame.equinox ?? 2000 };
    case 'fk4': return { lon: 'RA--', lat: 'DEC-', radesys: 'FK4', equinox: frame.equinox ?? 1950 };
    case 'fk4-no-e': return { lon: 'RA--', lat: 'DEC-', radesys: 'FK4-NO-E', equinox: frame.equinox ?? 1950 };
    default: return { lon: 'RA--', lat: 'DEC-' };
  }
}

export function sameFrame(a: CelestialFrame, b: CelestialFrame): boolean {
  if (a.system !== b.system) return false;
  if (a.system === 'fk5' || a.system === 'fk4' || a.system === 'fk4-no-e') return (a.equinox ?? 0) === (b.equinox ?? 0);
  return true;
}

/** astropy's rotation_matrix(angle, axis): the passive (coordinate-frame) rotation. */
function rot(angleDeg: number, axis: 'x' | 'y' | 'z'): Matrix3 {
  const c = cosd(angleDeg);
  const s = sind(angleDeg);
  switch (axis) {
    case 'x': return [1, 0, 0, 0, c, s, 0, -s, c];
    case 'y': return [c, 0, -s, 0, 1, 0, s, 0, c];
    default: return [c, s, 0, -s, c, 0, 0, 0, 1];
  }
}

export function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
    }
  }
  return r as unknown as Matrix3;
}

export function transpose(a: Matrix3): Matrix3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

const IDENTITY: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** ICRS -> FK5 J2000 frame bias (USNO Circular 179), as astropy's _icrs_to_fk5_matrix. */
function icrsToFk5J2000(): Matrix3 {
  const eta0 = -19.9 / 3_600_000;
  const xi0 = 9.1 / 3_600_000;
  const da0 = -22.9 / 3_600_000;
  return multiply(multiply(rot(-eta0, 'x'), rot(xi0, 'y')), rot(da0, 'z'));
}

function polyval(coeffs: readonly number[], t: number): number {
  let v = 0;
  for (const c of coeffs) v = v * t + c;
  return v;
}

/** Precession from J2000 to a Julian epoch (IAU 2006 angles, astropy's _precess_from_J2000_Capitaine). */
function precessFromJ2000(epoch: number): Matrix3 {
  const t = (epoch - 2000) / 100;
  const zeta = polyval([-0.0000003173, -0.000005971, 0.01801828, 0.2988499, 2306.083227, 2.650545], t) / 3600;
  const z = polyval([-0.0000002904, -0.000028596, 0.01826837, 1.0927348, 2306.077181, -2.650545], t) / 3600;
  const theta = polyval([-0.0000001274, -0.000007089, -0.04182264, -0.4294934, 2004.191903, 0], t) / 3600;
  return multiply(multiply(rot(-z, 'z'), rot(theta, 'y')), rot(-zeta, 'z'));
}

/** FK5 J2000 -> Galactic, from astropy's Galactic._ngp_J2000 and _lon0_J2000. */
function fk5J2000ToGalactic(): Matrix3 {
  const ngpRa = 192.8594812065348;
  const ngpDec = 27.12825118085622;
  const lon0 = 122.9319185680026;
  return multiply(multiply(rot(180 - lon0, 'z'), rot(90 - ngpDec, 'y')), rot(ngpRa, 'z'));
}

/** Matrix taking unit vectors of `frame` to ICRS. */
function toIcrs(frame: CelestialFrame): Matrix3 {
  const bias = icrsToFk5J2000();
  switch (frame.system) {
    case 'icrs':
      return IDENTITY;
    case 'fk5': {
      const toJ2000 = transpose(precessFromJ2000(frame.equinox ?? 2000));
      return multiply(transpose(bias), toJ2000);
    }
    case 'galactic':
      return multiply(transpose(bias), transpose(fk5J2000ToGalactic()));
    default:
      throw new WcsError(`Conversion from the ${frame.system} frame is not supported`, 'WCS_UNSUPPORTED_FRAME');
  }
}

/**
 * The rotation taking unit vectors in `from` to unit vectors in `to`, or undefined when the
 * frames are the same (no conversion needed).
 */
export function frameRotation(from: CelestialFrame, to: CelestialFrame): Matrix3 | undefined {
  if (sameFrame(from, to)) return undefined;
  if ((from.system === 'unknown' || to.system === 'unknown') && from.system === to.system) return undefined;
  return multiply(transpose(toIcrs(to)), toIcrs(from));
}

/** Applies a frame rotation to (lon, lat) in degrees, in place into out. */
export function rotateLonLat(m: Matrix3, lon: number, lat: number, out: Float64Array): void {
  const cl = cosd(lat);
  const x = cl * cosd(lon);
  const y = cl * sind(lon);
  const z = sind(lat);
  const X = m[0] * x + m[1] * y + m[2] * z;
  const Y = m[3] * x + m[4] * y + m[5] * z;
  const Z = m[6] * x + m[7] * y + m[8] * z;
  let l = (Math.atan2(Y, X) * 180) / Math.PI;
  if (l < 0) l += 360;
  out[0] = l;
  out[1] = (Math.atan2(Z, Math.hypot(X, Y)) * 180) / Math.PI;
}

/** Converts (lon, lat) degrees between frames. */
export function convertFrame(lon: number, lat: number, from: CelestialFrame, to: CelestialFrame): [number, number] {
  const m = frameRotation(from, to);
  if (!m) return [lon, lat];
  const out = new Float64Array(2);
  rotateLonLat(m, lon, lat, out);
  return [out[0]!, out[1]!];
}
