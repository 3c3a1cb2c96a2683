/**
 * Celestial reference frames and the rotations between them, following astropy's definitions:
 * ICRS -> FK5 by the frame-bias matrix of USNO Circular 179, FK5 precession by the IAU 2006
 * (Capitaine et al. 2003) angles, FK5 J2000 -> Galactic by the north galactic pole and l0 that
 * astropy uses; FK4 (Besselian equinox, with or without the E-terms of aberration) as astropy:
 * Newcomb precession, the B1950 -> J2000 matrix with its rotating-system correction at the
 * observation epoch (default: the equinox), E-terms from the 1980 obliquity. Ecliptic frames are
 * recognised but not converted.
 */
import { WcsError } from './errors.js';
import type { WcsDefinition } from './definition.js';
import { findCelestialAxes } from './definition.js';
import { cosd, sind } from './trig.js';
import { directionInto, lonLatToVector, type Vec3 } from './unit-vector.js';

export type FrameSystem = 'icrs' | 'fk5' | 'fk4' | 'fk4-no-e' | 'galactic' | 'ecliptic' | 'helioprojective' | 'supergalactic' | 'unknown';

export interface CelestialFrame {
  readonly system: FrameSystem;
  /** Julian (FK5) or Besselian (FK4) equinox in years; only for fk5/fk4. */
  readonly equinox?: number;
  /** FK4 only: observation epoch (Julian year) of the rotating-system correction; default the equinox. */
  readonly obstime?: number;
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
  if (a.system === 'fk5') return (a.equinox ?? 2000) === (b.equinox ?? 2000);
  if (a.system === 'fk4' || a.system === 'fk4-no-e') return (a.equinox ?? 1950) === (b.equinox ?? 1950) && a.obstime === b.obstime;
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

/** Matrix taking unit vectors of a linear frame (ICRS, FK5, Galactic) to ICRS. */
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


const JD_B1950 = 2433282.42345905;

function besselianJd(b: number): number {
  return 2415020.31352 + (b - 1900) * 365.242198781;
}

function julianYear(jd: number): number {
  return 2000 + (jd - 2451545) / 365.25;
}

/** Newcomb's precession between Besselian epochs (astropy's _precession_matrix_besselian). */
function newcomb(epoch1: number, epoch2: number): Matrix3 {
  const t1 = (epoch1 - 1850) / 1000;
  const dt = (epoch2 - 1850) / 1000 - t1;
  const zeta = polyval([17.995, 30.24 - 0.27 * t1, 23035.545 + t1 * 139.72 + 0.06 * t1 * t1, 0], dt) / 3600;
  const z = polyval([18.325, 109.48 + 0.39 * t1, 23035.545 + t1 * 139.72 + 0.06 * t1 * t1, 0], dt) / 3600;
  const theta = polyval([-41.8, -42.65 - 0.37 * t1, 20051.12 - 85.29 * t1 - 0.37 * t1 * t1, 0], dt) / 3600;
  return multiply(multiply(rot(-z, 'z'), rot(theta, 'y')), rot(-zeta, 'z'));
}

const B1950_TO_J2000: Matrix3 = [
  0.9999256794956877, -0.0111814832204662, -0.0048590038153592,
  0.0111814832391717, 0.9999374848933135, -0.0000271625947142,
  0.0048590037723143, -0.000027170293744, 0.9999881946023742,
];
const FK4_CORR: Matrix3 = [
  -0.0026455262e-6, -1.1539918689e-6, 2.111134619e-6,
  1.1540628161e-6, -0.0129042997e-6, 0.0236021478e-6,
  -2.1112979048e-6, -0.0056024448e-6, 0.0102587734e-6,
];

/** FK4 (no E-terms, B1950) -> FK5 J2000, with the correction for FK4's rotation at `obsJyear`. */
function fk4BMatrix(obsJyear: number): Matrix3 {
  const t = (obsJyear - 1950) / 100;
  return B1950_TO_J2000.map((v, i) => v + FK4_CORR[i]! * t) as unknown as Matrix3;
}

/** E-terms of aberration at a Besselian equinox (astropy's fk4_e_terms, 1980 obliquity). */
function eTerms(equinox: number): Vec3 {
  const jd = besselianJd(equinox);
  const k = (0.0056932 * Math.PI) / 180;
  const T = (jd - JD_B1950) / 36525;
  const e = polyval([-0.000000126, -0.00004193, 0.01673011], T);
  const g = ((polyval([0.012, 1.65, 6190.67, 1015489.951], T) / 3600) * Math.PI) / 180;
  const t = (jd - 2451545) / 36525;
  const o = (((84381.448 + (-46.815 + (-0.00059 + 0.001813 * t) * t) * t) / 3600) * Math.PI) / 180;
  return [e * k * Math.sin(g), -e * k * Math.cos(g) * Math.cos(o), -e * k * Math.cos(g) * Math.sin(o)];
}

function apply(m: Matrix3, v: Vec3): Vec3 {
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function isFk4(f: CelestialFrame): boolean {
  return f.system === 'fk4' || f.system === 'fk4-no-e';
}

/** FK4 or FK4-NO-E unit vector -> ICRS. */
function fk4ToIcrs(frame: CelestialFrame, v: Vec3): Vec3 {
  const equinox = frame.equinox ?? 1950;
  let r = v;
  if (frame.system === 'fk4') {
    const a = eTerms(equinox);
    const d = a[0] * r[0] + a[1] * r[1] + a[2] * r[2];
    r = normalize([r[0] - a[0] + d * r[0], r[1] - a[1] + d * r[1], r[2] - a[2] + d * r[2]]);
  }
  const obs = frame.obstime ?? julianYear(besselianJd(equinox));
  const m = multiply(transpose(icrsToFk5J2000()), multiply(fk4BMatrix(obs), newcomb(equinox, 1950)));
  return apply(m, r);
}

/** ICRS unit vector -> FK4 or FK4-NO-E. */
function icrsToFk4(frame: CelestialFrame, v: Vec3): Vec3 {
  const equinox = frame.equinox ?? 1950;
  const obs = frame.obstime ?? julianYear(besselianJd(equinox));
  const m = multiply(newcomb(1950, equinox), multiply(transpose(fk4BMatrix(obs)), icrsToFk5J2000()));
  let r = apply(m, v);
  if (frame.system === 'fk4') {
    const a = eTerms(equinox);
    const r0 = r;
    for (let i = 0; i < 10; i++) {
      const d = 1 + a[0] * r[0] + a[1] * r[1] + a[2] * r[2];
      r = [(a[0] + r0[0]) / d, (a[1] + r0[1]) / d, (a[2] + r0[2]) / d];
    }
    r = normalize(r);
  }
  return r;
}

/**
 * The rotation taking unit vectors in `from` to unit vectors in `to`, or undefined when the
 * frames are the same (no conversion needed). FK4 conversions are not a pure rotation: use
 * `frameConverter` for them.
 */
export function frameRotation(from: CelestialFrame, to: CelestialFrame): Matrix3 | undefined {
  if (sameFrame(from, to)) return undefined;
  if ((from.system === 'unknown' || to.system === 'unknown') && from.system === to.system) return undefined;
  return multiply(transpose(toIcrs(to)), toIcrs(from));
}

/** (lon, lat) degrees in one frame -> the other, written into out; undefined when no conversion is needed. */
export type FrameConverter = (lon: number, lat: number, out: Float64Array) => void;

export function frameConverter(from: CelestialFrame, to: CelestialFrame): FrameConverter | undefined {
  if (sameFrame(from, to)) return undefined;
  if (!isFk4(from) && !isFk4(to)) {
    const m = frameRotation(from, to);
    return m ? (lon, lat, out) => rotateLonLat(m, lon, lat, out) : undefined;
  }
  const icrs: CelestialFrame = { system: 'icrs' };
  const pre = isFk4(from) ? undefined : frameRotation(from, icrs);
  const post = isFk4(to) ? undefined : frameRotation(icrs, to);
  return (lon, lat, out) => {
    let v = lonLatToVector(lon, lat);
    v = isFk4(from) ? fk4ToIcrs(from, v) : pre ? apply(pre, v) : v;
    v = isFk4(to) ? icrsToFk4(to, v) : post ? apply(post, v) : v;
    directionInto(v[0], v[1], v[2], out);
  };
}

/** Applies a frame rotation to (lon, lat) in degrees, in place into out. */
export function rotateLonLat(m: Matrix3, lon: number, lat: number, out: Float64Array): void {
  const cl = cosd(lat);
  const x = cl * cosd(lon);
  const y = cl * sind(lon);
  const z = sind(lat);
  directionInto(m[0] * x + m[1] * y + m[2] * z, m[3] * x + m[4] * y + m[5] * z, m[6] * x + m[7] * y + m[8] * z, out);
}

/** Converts (lon, lat) degrees between frames. */
export function convertFrame(lon: number, lat: number, from: CelestialFrame, to: CelestialFrame): [number, number] {
  const conv = frameConverter(from, to);
  if (!conv) return [lon, lat];
  const out = new Float64Array(2);
  conv(lon, lat, out);
  return [out[0]!, out[1]!];
}
