/**
 * The spherical rotation between native (phi, theta) and celestial (lon, lat) coordinates, with
 * the celestial pole chosen from CRVAL, the fiducial point, LONPOLE and LATPOLE exactly as
 * wcslib's celset does, and the rotation formulas arranged as in its sphx2s/sphs2x for accuracy
 * near the poles.
 */
import { WcsError } from './errors.js';
import { acosd, asind, atan2d, cosd, sind } from './trig.js';

export interface PoleInput {
  /** CRVAL of the longitude and latitude axes (degrees). */
  readonly lon0: number;
  readonly lat0: number;
  /** Native coordinates of the fiducial point. */
  readonly phi0: number;
  readonly theta0: number;
  /** LONPOLE / LATPOLE; undefined means the FITS defaults. */
  readonly lonpole?: number;
  readonly latpole?: number;
}

/** Euler angles: celestial longitude and latitude of the native pole, native longitude of the celestial pole. */
export interface CelestialPole {
  readonly alphaP: number;
  readonly deltaP: number;
  readonly phiP: number;
  /** The LONPOLE and LATPOLE actually used (as astropy reports them after wcsset). */
  readonly lonpole: number;
  readonly latpole: number;
}

const TOL = 1e-10;

export function solveCelestialPole(input: PoleInput): CelestialPole {
  const { lon0, lat0, phi0, theta0 } = input;
  const phiP = input.lonpole ?? (lat0 < theta0 ? 180 : 0) + phi0;
  let latP = input.latpole ?? 90;
  let lngP: number;

  if (theta0 === 90) {
    lngP = lon0;
    latP = lat0;
  } else {
    const slat0 = sind(lat0);
    const clat0 = cosd(lat0);
    const sthe0 = sind(theta0);
    const cthe0 = cosd(theta0);
    let sphip: number;
    let cphip: number;
    if (phiP === phi0) {
      sphip = 0;
      cphip = 1;
    } else {
      sphip = sind(phiP - phi0);
      cphip = cosd(phiP - phi0);
    }
    const x = cthe0 * cphip;
    const y = sthe0;
    const z = Math.sqrt(x * x + y * y);
    if (z === 0) {
      if (slat0 !== 0) throw new WcsError('Invalid celestial pole: no solution for the given LONPOLE', 'WCS_BAD_POLE');
      // latP is free: keep LATPOLE.
    } else {
      if (Math.abs(slat0 / z) > 1) {
        if (Math.abs(slat0 / z) > 1 + TOL) throw new WcsError('Invalid celestial pole: CRVAL latitude unreachable for this LONPOLE', 'WCS_BAD_POLE');
      }
      const u = atan2d(y, x);
      const v = acosd(Math.max(-1, Math.min(1, slat0 / z)));
      let latp1 = u + v;
      if (latp1 > 180) latp1 -= 360;
      else if (latp1 < -180) latp1 += 360;
      let latp2 = u - v;
      if (latp2 > 180) latp2 -= 360;
      else if (latp2 < -180) latp2 += 360;
      const ok1 = Math.abs(latp1) < 90 + TOL;
      const ok2 = Math.abs(latp2) < 90 + TOL;
      if (ok1 && ok2) latP = Math.abs(latp1 - latP) < Math.abs(latp2 - latP) ? latp1 : latp2;
      else if (ok1) latP = latp1;
      else if (ok2) latP = latp2;
      else throw new WcsError('Invalid celestial pole: no valid native latitude', 'WCS_BAD_POLE');
      if (Math.abs(latP) > 90) latP = Math.sign(latP) * 90;
    }
    const zz = cosd(latP) * clat0;
    if (Math.abs(zz) < TOL) {
      if (Math.abs(clat0) < TOL) {
        lngP = lon0;
      } else if (latP > 0) {
        lngP = lon0 + phiP - phi0 - 180;
      } else {
        lngP = lon0 - phiP + phi0;
      }
    } else {
      const xx = (sthe0 - sind(latP) * slat0) / zz;
      const yy = (sphip * cthe0) / clat0;
      if (xx === 0 && yy === 0) throw new WcsError('Invalid celestial pole', 'WCS_BAD_POLE');
      lngP = lon0 - atan2d(yy, xx);
    }
    if (lon0 >= 0) {
      if (lngP < 0) lngP += 360;
      else if (lngP > 360) lngP -= 360;
    } else if (lngP > 0) {
      lngP -= 360;
    } else if (lngP < -360) {
      lngP += 360;
    }
  }
  return { alphaP: lngP, deltaP: latP, phiP, lonpole: phiP, latpole: latP };
}

/** Precomputed Euler angles in wcslib's layout: [alphaP, 90 - deltaP, phiP, cos(e1), sin(e1)]. */
export class SphericalRotation {
  private readonly e0: number;
  private readonly e1: number;
  private readonly e2: number;
  private readonly c1: number;
  private readonly s1: number;

  constructor(pole: CelestialPole) {
    this.e0 = pole.alphaP;
    this.e1 = 90 - pole.deltaP;
    this.e2 = pole.phiP;
    this.c1 = cosd(this.e1);
    this.s1 = sind(this.e1);
  }

  /** Native (phi, theta) -> celestial (lon, lat), degrees. */
  toCelestial(phi: number, theta: number, out: Float64Array): void {
    const { e0, e1, e2, c1, s1 } = this;
    if (Number.isNaN(phi) || Number.isNaN(theta)) {
      out[0] = NaN;
      out[1] = NaN;
      return;
    }
    if (s1 === 0) {
      let lng: number;
      if (e1 === 0) {
        lng = phi + ((e0 - 180 - e2) % 360);
        out[1] = theta;
      } else {
        lng = ((e0 + e2) % 360) - phi;
        out[1] = -theta;
      }
      out[0] = normalizeLongitude(lng, e0);
      return;
    }
    const dphi = phi - e2;
    const sinthe = sind(theta);
    const costhe = cosd(theta);
    const sinphi = sind(dphi);
    const cosphi = cosd(dphi);
    const costhe3 = costhe * c1;
    const costhe4 = costhe * s1;
    const sinthe3 = sinthe * c1;
    const sinthe4 = sinthe * s1;
    let x = sinthe4 - costhe3 * cosphi;
    if (Math.abs(x) < 1e-5) x = -cosd(theta + e1) + costhe3 * (1 - cosphi);
    const y = -costhe * sinphi;
    let dlng: number;
    if (x !== 0 || y !== 0) dlng = atan2d(y, x);
    else dlng = e1 < 90 ? dphi + 180 : -dphi;
    out[0] = normalizeLongitude(e0 + dlng, e0);
    if (dphi % 180 === 0) {
      let lat = theta + cosphi * e1;
      if (lat > 90) lat = 180 - lat;
      if (lat < -90) lat = -180 - lat;
      out[1] = lat;
    } else {
      const z = sinthe3 + costhe4 * cosphi;
      out[1] = Math.abs(z) > 0.99 ? Math.sign(z) * acosd(Math.sqrt(x * x + y * y)) : asind(z);
    }
  }

  /** Celestial (lon, lat) -> native (phi, theta), degrees; phi in [-180, 180]. */
  toNative(lon: number, lat: number, out: Float64Array): void {
    const { e0, e1, e2, c1, s1 } = this;
    if (Number.isNaN(lon) || Number.isNaN(lat)) {
      out[0] = NaN;
      out[1] = NaN;
      return;
    }
    if (s1 === 0) {
      let phi: number;
      if (e1 === 0) {
        phi = (lon + ((e2 - 180 - e0) % 360)) % 360;
        out[1] = lat;
      } else {
        phi = (((e2 + e0) % 360) - lon) % 360;
        out[1] = -lat;
      }
      out[0] = normalizeNative(phi);
      return;
    }
    const dlng = lon - e0;
    const sinlat = sind(lat);
    const coslat = cosd(lat);
    const sindl = sind(dlng);
    const cosdl = cosd(dlng);
    const coslat3 = coslat * c1;
    const coslat4 = coslat * s1;
    const sinlat3 = sinlat * c1;
    const sinlat4 = sinlat * s1;
    let x = sinlat4 - coslat3 * cosdl;
    if (Math.abs(x) < 1e-5) x = -cosd(lat + e1) + coslat3 * (1 - cosdl);
    const y = -coslat * sindl;
    let dphi: number;
    if (x !== 0 || y !== 0) dphi = atan2d(y, x);
    else dphi = e1 < 90 ? dlng - 180 : -dlng;
    out[0] = normalizeNative((e2 + dphi) % 360);
    if (dlng % 180 === 0) {
      let theta = lat + cosdl * e1;
      if (theta > 90) theta = 180 - theta;
      if (theta < -90) theta = -180 - theta;
      out[1] = theta;
    } else {
      const z = sinlat3 + coslat4 * cosdl;
      out[1] = Math.abs(z) > 0.99 ? Math.sign(z) * acosd(Math.sqrt(x * x + y * y)) : asind(z);
    }
  }
}

function normalizeLongitude(lng: number, e0: number): number {
  let v = lng;
  if (e0 >= 0) {
    if (v < 0) v += 360;
  } else if (v > 0) {
    v -= 360;
  }
  if (v > 360) v -= 360;
  else if (v < -360) v += 360;
  return v;
}

function normalizeNative(phi: number): number {
  if (phi > 180) return phi - 360;
  if (phi < -180) return phi + 360;
  return phi;
}
