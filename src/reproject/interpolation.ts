/**
 * Sampling an image at fractional 0-based pixel positions, the way reproject 0.10's
 * `map_coordinates` does it: the image is padded by one edge-replicated pixel so the outer half
 * of the outer pixels is covered, positions outside [-0.5, n-0.5] are no data, and the kernels
 * are scipy.ndimage's (order 0: nearest with ties up, 1: bilinear, 3: cubic B-spline on the
 * mirror-prefiltered padded image).
 *
 * NaN is no data: a bilinear sample with a NaN among its 2x2 neighbours is NaN (as in scipy).
 * For bicubic, where scipy would smear a NaN over whole rows, a sample whose 4x4 support touches
 * a NaN falls back to the bilinear sample instead.
 */
import type { ImagePlane } from '../core/image-plane.js';

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

export interface Sampler {
  /** Value at 0-based pixel position (x, y); NaN outside the image or over missing data. */
  sample(x: number, y: number): number;
}

/** Inside the sampled area: the image plus the outer half of its outer pixels. */
function covers(w: number, h: number, x: number, y: number): boolean {
  return x >= -0.5 && x <= w - 0.5 && y >= -0.5 && y <= h - 0.5;
}

/** Index i clamped to [0, n - 1]: the edge-replicated padding. */
function edge(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

export function createSampler(plane: ImagePlane, order: Interpolation): Sampler {
  switch (order) {
    case 'nearest': return new NearestSampler(plane);
    case 'bilinear': return new BilinearSampler(plane);
    case 'bicubic': return new BicubicSampler(plane);
  }
}

class NearestSampler implements Sampler {
  constructor(private readonly plane: ImagePlane) {}
  sample(x: number, y: number): number {
    const { width: w, height: h, data } = this.plane;
    if (!covers(w, h, x, y)) return NaN;
    // Padded position x+1, nearest index floor(x+1.5), back to the image and clamped (edge pad).
    return data[edge(Math.floor(y + 1.5) - 1, h) * w + edge(Math.floor(x + 1.5) - 1, w)]!;
  }
}

class BilinearSampler implements Sampler {
  constructor(private readonly plane: ImagePlane) {}
  sample(x: number, y: number): number {
    const { width: w, height: h, data } = this.plane;
    if (!covers(w, h, x, y)) return NaN;
    const px = x + 1;
    const py = y + 1;
    const fx = Math.floor(px);
    const fy = Math.floor(py);
    const tx = px - fx;
    const ty = py - fy;
    // Padded indices fx, fx+1 map to image indices fx-1, fx, clamped to the edge.
    const x0 = edge(fx - 1, w);
    const x1 = edge(fx, w);
    const r0 = edge(fy - 1, h) * w;
    const r1 = edge(fy, h) * w;
    const v00 = data[r0 + x0]!;
    const v10 = data[r0 + x1]!;
    const v01 = data[r1 + x0]!;
    const v11 = data[r1 + x1]!;
    const ux = 1 - tx;
    const uy = 1 - ty;
    return uy * (ux * v00 + tx * v10) + ty * (ux * v01 + tx * v11);
  }
}

/** The cubic B-spline pole and the prefilter of scipy's spline_filter1d with mirror boundaries. */
const POLE = Math.sqrt(3) - 2;

function prefilterLine(c: Float64Array, offset: number, stride: number, n: number): void {
  if (n === 1) return;
  const z = POLE;
  const gain = (1 - z) * (1 - 1 / z);
  for (let i = 0; i < n; i++) c[offset + i * stride]! *= gain;
  // Causal initialisation for a mirror-symmetric signal (exact sum over one period).
  const at = (i: number) => c[offset + i * stride]!;
  const zn1 = Math.pow(z, n - 1);
  let c0 = at(0) + zn1 * at(n - 1);
  let zi = z;
  for (let i = 1; i < n - 1; i++) {
    c0 += zi * (at(i) + zn1 * at(n - 1 - i));
    zi *= z;
    if (Math.abs(zi) < 1e-300) break;
  }
  c[offset] = c0 / (1 - zn1 * zn1);
  for (let i = 1; i < n; i++) c[offset + i * stride]! += z * c[offset + (i - 1) * stride]!;
  const last = offset + (n - 1) * stride;
  c[last] = ((z * c[offset + (n - 2) * stride]! + c[last]!) * z) / (z * z - 1);
  for (let i = n - 2; i >= 0; i--) c[offset + i * stride] = z * (c[offset + (i + 1) * stride]! - c[offset + i * stride]!);
}

function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k >= n ? period - k : k;
}

class BicubicSampler implements Sampler {
  private readonly coeffs: Float64Array;
  private readonly pw: number;
  private readonly ph: number;
  private readonly hasNaN: boolean;
  private readonly fallback: BilinearSampler;
  private readonly wx = new Float64Array(4);
  private readonly wy = new Float64Array(4);

  constructor(private readonly plane: ImagePlane) {
    const { width: w, height: h, data } = plane;
    this.pw = w + 2;
    this.ph = h + 2;
    const c = new Float64Array(this.pw * this.ph);
    let nan = false;
    for (let py = 0; py < this.ph; py++) {
      const sy = edge(py - 1, h);
      for (let px = 0; px < this.pw; px++) {
        const sx = edge(px - 1, w);
        const v = data[sy * w + sx]!;
        if (Number.isNaN(v)) nan = true;
        c[py * this.pw + px] = Number.isNaN(v) ? 0 : v;
      }
    }
    this.hasNaN = nan;
    for (let py = 0; py < this.ph; py++) prefilterLine(c, py * this.pw, 1, this.pw);
    for (let px = 0; px < this.pw; px++) prefilterLine(c, px, this.pw, this.ph);
    this.coeffs = c;
    this.fallback = new BilinearSampler(plane);
  }

  private static weights(t: number, out: Float64Array): void {
    const t2 = t * t;
    const t3 = t2 * t;
    const u = 1 - t;
    out[0] = (u * u * u) / 6;
    out[1] = (4 - 6 * t2 + 3 * t3) / 6;
    out[2] = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
    out[3] = t3 / 6;
  }

  sample(x: number, y: number): number {
    const { width: w, height: h, data } = this.plane;
    if (!covers(w, h, x, y)) return NaN;
    const px = x + 1;
    const py = y + 1;
    const fx = Math.floor(px);
    const fy = Math.floor(py);
    if (this.hasNaN) {
      for (let j = -1; j <= 2; j++) {
        const sy = edge(mirror(fy + j, this.ph) - 1, h);
        for (let i = -1; i <= 2; i++) {
          const sx = edge(mirror(fx + i, this.pw) - 1, w);
          if (Number.isNaN(data[sy * w + sx]!)) return this.fallback.sample(x, y);
        }
      }
    }
    const wx = this.wx;
    const wy = this.wy;
    BicubicSampler.weights(px - fx, wx);
    BicubicSampler.weights(py - fy, wy);
    const c = this.coeffs;
    const pw = this.pw;
    let sum = 0;
    for (let j = 0; j < 4; j++) {
      const row = mirror(fy - 1 + j, this.ph) * pw;
      let s = 0;
      for (let i = 0; i < 4; i++) s += wx[i]! * c[row + mirror(fx - 1 + i, pw)]!;
      sum += wy[j]! * s;
    }
    return sum;
  }
}
