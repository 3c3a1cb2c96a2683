/**
 * `scipy.ndimage.zoom(mesh, factor, order=3, mode='reflect', grid_mode=True)` for a small 2-D
 * grid, evaluated only on the output window we keep. Cubic B-spline interpolation:
 *  1. prefilter: B-spline coefficients c with sum_k c_k B3(i-k) = f_i, the coefficients extended
 *     half-sample symmetrically (scipy's exact 'reflect' boundary), i.e. the tridiagonal system
 *     5c0 + c1 = 6f0, c(i-1) + 4c(i) + c(i+1) = 6f(i), c(n-2) + 5c(n-1) = 6f(n-1), per axis;
 *  2. evaluate at input coordinate (o + 0.5) * n_in/n_out - 0.5 (grid mode) with the four cubic
 *     B-spline weights, coefficient indices mapped by 'reflect'.
 */
import { mapIndex } from '../filters/boundary.js';

/** Solves the reflect-boundary cubic B-spline prefilter for one line, in place. */
export function prefilterLine(f: Float64Array): void {
  const n = f.length;
  if (n === 1) return;
  // Thomas algorithm on the tridiagonal matrix described above (rhs 6f)
  const cp = new Float64Array(n);
  const dp = new Float64Array(n);
  let b = 5;
  cp[0] = 1 / b;
  dp[0] = (6 * f[0]!) / b;
  for (let i = 1; i < n; i++) {
    b = (i === n - 1 ? 5 : 4) - cp[i - 1]!;
    cp[i] = 1 / b;
    dp[i] = (6 * f[i]! - dp[i - 1]!) / b;
  }
  f[n - 1] = dp[n - 1]!;
  for (let i = n - 2; i >= 0; i--) f[i] = dp[i]! - cp[i]! * f[i + 1]!;
}

export function prefilter2d(grid: Float64Array, nx: number, ny: number): Float64Array {
  const c = Float64Array.from(grid);
  const line = new Float64Array(Math.max(nx, ny));
  // axis 0 (columns), then axis 1 (rows), as scipy
  for (let x = 0; x < nx; x++) {
    const l = line.subarray(0, ny);
    for (let y = 0; y < ny; y++) l[y] = c[y * nx + x]!;
    prefilterLine(l);
    for (let y = 0; y < ny; y++) c[y * nx + x] = l[y]!;
  }
  for (let y = 0; y < ny; y++) prefilterLine(c.subarray(y * nx, y * nx + nx));
  return c;
}

interface AxisTaps {
  readonly idx: Int32Array; // 4 per output sample
  readonly w: Float64Array; // 4 per output sample
}

function axisTaps(nIn: number, nOut: number, keep: number): AxisTaps {
  const zoom = nIn / nOut;
  const idx = new Int32Array(keep * 4);
  const w = new Float64Array(keep * 4);
  for (let o = 0; o < keep; o++) {
    const c = (o + 0.5) * zoom - 0.5;
    const f = Math.floor(c);
    const t = c - f;
    const t2 = t * t;
    const t3 = t2 * t;
    const u = 1 - t;
    w[o * 4] = (u * u * u) / 6;
    w[o * 4 + 1] = (3 * t3 - 6 * t2 + 4) / 6;
    w[o * 4 + 2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
    w[o * 4 + 3] = t3 / 6;
    for (let k = 0; k < 4; k++) idx[o * 4 + k] = mapIndex(f - 1 + k, nIn, 'reflect');
  }
  return { idx, w };
}

/**
 * Zooms an nx-by-ny grid by integer factors (zx, zy) and returns the top-left keepW-by-keepH
 * window of the result (photutils pads the image to whole boxes, zooms, then crops). With `clip`,
 * each value is clipped to [lo, hi] as it is written (saves a pass over the full-size result).
 */
export function splineZoom(grid: Float64Array, nx: number, ny: number, zx: number, zy: number, keepW: number, keepH: number, clip?: readonly [number, number]): Float64Array {
  const coef = prefilter2d(grid, nx, ny);
  const tx = axisTaps(nx, nx * zx, keepW);
  const ty = axisTaps(ny, ny * zy, keepH);
  // interpolate along x for every coefficient row, then along y
  const rows = new Float64Array(ny * keepW);
  for (let r = 0; r < ny; r++) {
    const base = r * nx;
    for (let x = 0; x < keepW; x++) {
      const j = x * 4;
      rows[r * keepW + x] =
        tx.w[j]! * coef[base + tx.idx[j]!]! +
        tx.w[j + 1]! * coef[base + tx.idx[j + 1]!]! +
        tx.w[j + 2]! * coef[base + tx.idx[j + 2]!]! +
        tx.w[j + 3]! * coef[base + tx.idx[j + 3]!]!;
    }
  }
  const out = new Float64Array(keepW * keepH);
  for (let y = 0; y < keepH; y++) {
    const j = y * 4;
    const r0 = ty.idx[j]! * keepW;
    const r1 = ty.idx[j + 1]! * keepW;
    const r2 = ty.idx[j + 2]! * keepW;
    const r3 = ty.idx[j + 3]! * keepW;
    const w0 = ty.w[j]!;
    const w1 = ty.w[j + 1]!;
    const w2 = ty.w[j + 2]!;
    const w3 = ty.w[j + 3]!;
    const o = y * keepW;
    if (clip) {
      const [lo, hi] = clip;
      for (let x = 0; x < keepW; x++) {
        const v = w0 * rows[r0 + x]! + w1 * rows[r1 + x]! + w2 * rows[r2 + x]! + w3 * rows[r3 + x]!;
        out[o + x] = v < lo ? lo : v > hi ? hi : v;
      }
      continue;
    }
    for (let x = 0; x < keepW; x++) {
      out[o + x] = w0 * rows[r0 + x]! + w1 * rows[r1 + x]! + w2 * rows[r2 + x]! + w3 * rows[r3 + x]!;
    }
  }
  return out;
}
