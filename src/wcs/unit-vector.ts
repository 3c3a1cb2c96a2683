/** Directions on the celestial sphere: (lon, lat) in degrees <-> Cartesian vectors. */
import { cosd, sind } from './trig.js';

export type Vec3 = [number, number, number];

/** The unit vector of (lon, lat), degrees (exact on the axes, as wcslib's trigonometry). */
export function lonLatToVector(lon: number, lat: number): Vec3 {
  const c = cosd(lat);
  return [c * cosd(lon), c * sind(lon), sind(lat)];
}

/** (lon in [0, 360), lat) in degrees of the direction of (x, y, z), any length; written into out. */
export function directionInto(x: number, y: number, z: number, out: Float64Array | number[]): void {
  const lon = (Math.atan2(y, x) * 180) / Math.PI;
  out[0] = lon < 0 ? lon + 360 : lon;
  out[1] = (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI;
}

/** (lon in [0, 360), lat) in degrees of the direction of v, any length. */
export function vectorToLonLat(v: readonly [number, number, number]): [number, number] {
  const out: [number, number] = [0, 0];
  directionInto(v[0], v[1], v[2], out);
  return out;
}
