/** One interface over the interpolating and the exact (flux-conserving) reprojectors. */
import type { Wcs } from '../wcs/index.js';
import { ExactReprojector } from './reproject-exact.js';
import type { CelestialImage } from './grid.js';
import type { Interpolation } from './interpolation.js';
import { Reprojector } from './reproject-interp.js';

export interface RegionReprojector {
  /** Fills `data` (region-sized, row-major, NaN = no data) and optionally `footprint`. */
  run(region: { x0: number; y0: number; x1: number; y1: number }, data: Float64Array | Float32Array, footprint?: Float32Array): void;
}

export function createRegionReprojector(input: CelestialImage, output: Wcs, method: Interpolation | 'exact', roundtrip: boolean): RegionReprojector {
  if (method === 'exact') return new ExactReprojector(input, output);
  return new Reprojector(input, output, { order: method, roundtrip });
}
