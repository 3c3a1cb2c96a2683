/**
 * A spherical projection in FITS WCS terms (Calabretta & Greisen 2002): intermediate world
 * coordinates (x, y) in degrees to native spherical coordinates (phi, theta) in degrees and back.
 * Points outside the projection's domain come out as NaN, never as a thrown error, so whole
 * images can be transformed in one pass.
 */
export interface Projection {
  /** Three-letter code, e.g. 'TAN'. */
  readonly code: string;
  /** Native coordinates of the fiducial point (the projection's defaults, before PVi_1/PVi_2). */
  readonly phi0: number;
  readonly theta0: number;
  /** (x, y) -> (phi, theta); writes NaN into both for points outside the projection. */
  toNative(x: number, y: number, out: Float64Array): void;
  /** (phi, theta) -> (x, y); writes NaN into both for points that do not project. */
  fromNative(phi: number, theta: number, out: Float64Array): void;
}

/** PV values of the latitude axis (PVj_m), indexed by m; undefined where absent. */
export type ProjectionParameters = ReadonlyArray<number | undefined>;

export const R0 = 180 / Math.PI;

export function setNaN(out: Float64Array): void {
  out[0] = NaN;
  out[1] = NaN;
}
