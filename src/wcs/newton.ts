/**
 * Newton's method for a map of the plane onto itself, with a forward-difference Jacobian: the one
 * inverse that TPV, the DSS plate polynomial and pixel -> focal distortion all need.
 */

/** Writes f(x, y) into out[0], out[1]. */
export type PlaneMap = (x: number, y: number, out: Float64Array) => void;

export interface NewtonOptions {
  /** Finite-difference step for the Jacobian, in the units of x and y. */
  readonly step: number;
  readonly maxIterations: number;
  /** Stop once both components of a Newton step are below this. */
  readonly tolerance: number;
}

/**
 * Solves f(x, y) = (tx, ty) from the guess (x, y) and writes the last iterate to out. It stops
 * on a small step, a singular Jacobian or after maxIterations; it does not check that the result
 * converged (callers that care evaluate f there). `scratch` (length >= 2) must not be used by f.
 */
export function solveNewton2d(
  f: PlaneMap, tx: number, ty: number, x: number, y: number,
  options: NewtonOptions, scratch: Float64Array, out: Float64Array,
): void {
  const { step: h, maxIterations, tolerance } = options;
  for (let iter = 0; iter < maxIterations; iter++) {
    f(x, y, scratch);
    const r0 = scratch[0]! - tx;
    const r1 = scratch[1]! - ty;
    f(x + h, y, scratch);
    const j11 = (scratch[0]! - tx - r0) / h;
    const j21 = (scratch[1]! - ty - r1) / h;
    f(x, y + h, scratch);
    const j12 = (scratch[0]! - tx - r0) / h;
    const j22 = (scratch[1]! - ty - r1) / h;
    const det = j11 * j22 - j12 * j21;
    if (!(Math.abs(det) > 0)) break;
    const sx = (j22 * r0 - j12 * r1) / det;
    const sy = (-j21 * r0 + j11 * r1) / det;
    x -= sx;
    y -= sy;
    if (Math.abs(sx) < tolerance && Math.abs(sy) < tolerance) break;
  }
  out[0] = x;
  out[1] = y;
}
