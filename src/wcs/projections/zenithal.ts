/**
 * Zenithal (azimuthal) projections: the native pole is the fiducial point and the projection is
 * a radius r(theta) with phi as the position angle. TAN, SIN (with slant), ARC, ZEA, STG, AZP, ZPN.
 */
import { asind, atan2d, atand, cosd, D2R, R2D, sind, tand } from '../trig.js';
import { R0, setNaN, type Projection, type ProjectionParameters } from './types.js';

abstract class Zenithal implements Projection {
  abstract readonly code: string;
  readonly phi0 = 0;
  readonly theta0 = 90;
  /** Native latitude for radius r (degrees), or NaN outside. */
  protected abstract thetaOf(r: number): number;
  /** Radius for native latitude theta, or NaN if it does not project. */
  protected abstract radiusOf(theta: number): number;

  toNative(x: number, y: number, out: Float64Array): void {
    const r = Math.hypot(x, y);
    const theta = this.thetaOf(r);
    if (Number.isNaN(theta)) return setNaN(out);
    out[0] = r === 0 ? 0 : atan2d(x, -y);
    out[1] = theta;
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const r = this.radiusOf(theta);
    if (Number.isNaN(r)) return setNaN(out);
    out[0] = r * sind(phi);
    out[1] = -r * cosd(phi);
  }
}

export class Tan extends Zenithal {
  readonly code = 'TAN';
  protected thetaOf(r: number): number {
    return atan2d(R0, r);
  }
  protected radiusOf(theta: number): number {
    const s = sind(theta);
    if (s <= 0) return NaN;
    return (R0 * cosd(theta)) / s;
  }
}

export class Arc extends Zenithal {
  readonly code = 'ARC';
  protected thetaOf(r: number): number {
    return r > 180 + 1e-12 ? NaN : 90 - r;
  }
  protected radiusOf(theta: number): number {
    return 90 - theta;
  }
}

export class Zea extends Zenithal {
  readonly code = 'ZEA';
  protected thetaOf(r: number): number {
    const s = r / (2 * R0);
    if (s > 1 + 1e-13) return NaN;
    return 90 - 2 * asind(Math.min(s, 1));
  }
  protected radiusOf(theta: number): number {
    return 2 * R0 * sind((90 - theta) / 2);
  }
}

export class Stg extends Zenithal {
  readonly code = 'STG';
  protected thetaOf(r: number): number {
    return 90 - 2 * atand(r / (2 * R0));
  }
  protected radiusOf(theta: number): number {
    const s = 1 + sind(theta);
    if (s === 0) return NaN;
    return (2 * R0 * cosd(theta)) / s;
  }
}

/**
 * The slant quadratic shared by SIN (with PV2_1/PV2_2) and SZP: (X - z sx)^2 + (Y - z sy)^2 =
 * 2z - z^2 in X = x/R0, Y = y/R0, solved for z = 1 - sin(theta) rather than sin(theta) so that it
 * stays exact near the native pole; writes (phi, theta), or NaN off the sphere.
 */
function slantToNative(X: number, Y: number, sx: number, sy: number, out: Float64Array): void {
  const r2 = X * X + Y * Y;
  const a = 1 + sx * sx + sy * sy;
  const bb = 1 + X * sx + Y * sy;
  const disc = bb * bb - a * r2;
  if (disc < 0) return setNaN(out);
  const sq = Math.sqrt(disc);
  let z = bb + sq === 0 ? NaN : r2 / (bb + sq);
  if (!(z >= -1e-13)) z = (bb + sq) / a;
  if (z < 0) z = 0;
  if (z > 2 + 1e-13) return setNaN(out);
  z = Math.min(z, 2);
  const xr = X - z * sx;
  const yr = Y - z * sy;
  out[0] = xr === 0 && yr === 0 ? 0 : atan2d(xr, -yr);
  out[1] = 90 - 2 * asind(Math.sqrt(z / 2));
}

/** SIN, orthographic, with the slant parameters xi = PV2_1, eta = PV2_2 (NCP is xi=0, eta=cot delta0). */
export class Sin implements Projection {
  readonly code = 'SIN';
  readonly phi0 = 0;
  readonly theta0 = 90;
  private readonly xi: number;
  private readonly eta: number;

  constructor(pv: ProjectionParameters) {
    this.xi = pv[1] ?? 0;
    this.eta = pv[2] ?? 0;
  }

  toNative(x: number, y: number, out: Float64Array): void {
    const xp = x / R0;
    const yp = y / R0;
    if (this.xi === 0 && this.eta === 0) {
      const r2 = xp * xp + yp * yp;
      if (r2 > 1 + 1e-13) return setNaN(out);
      const r = Math.sqrt(Math.min(r2, 1));
      out[0] = r2 === 0 ? 0 : atan2d(x, -y);
      // atan2 keeps full precision both near the native pole and near the horizon.
      out[1] = atan2d(Math.sqrt((1 - r) * (1 + r)), r);
      return;
    }
    slantToNative(xp, yp, this.xi, this.eta, out);
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const st = sind(theta);
    const ct = cosd(theta);
    const sp = sind(phi);
    const cp = cosd(phi);
    if (this.xi === 0 && this.eta === 0) {
      if (theta < 0) return setNaN(out);
    } else {
      const limit = -atand(this.xi * sp - this.eta * cp);
      if (theta < limit) return setNaN(out);
    }
    const z = 1 - st;
    out[0] = R0 * (ct * sp + this.xi * z);
    out[1] = -R0 * (ct * cp - this.eta * z);
  }
}

/** AZP, zenithal perspective: mu = PV2_1 (distance), gamma = PV2_2 (tilt, degrees). */
export class Azp implements Projection {
  readonly code = 'AZP';
  readonly phi0 = 0;
  readonly theta0 = 90;
  private readonly mu: number;
  private readonly gamma: number;

  constructor(pv: ProjectionParameters) {
    this.mu = pv[1] ?? 0;
    this.gamma = pv[2] ?? 0;
  }

  toNative(x: number, y: number, out: Float64Array): void {
    const cg = cosd(this.gamma);
    const sg = sind(this.gamma);
    const yc = y * cg;
    const r = Math.hypot(x, yc);
    if (r === 0) {
      out[0] = 0;
      out[1] = 90;
      return;
    }
    const phi = atan2d(x, -yc);
    const rho = r / (R0 * (this.mu + 1) + y * sg);
    const t = (rho * this.mu) / Math.sqrt(rho * rho + 1);
    const psi = atan2d(1, rho);
    if (Math.abs(t) > 1) {
      if (Math.abs(t) > 1 + 1e-13) return setNaN(out);
    }
    const omega = asind(Math.max(-1, Math.min(1, t)));
    let a = psi - omega;
    let b = psi + omega + 180;
    if (a > 90) a -= 360;
    if (b > 90) b -= 360;
    const theta = Math.max(a, b);
    if (Math.abs(theta) > 90 + 1e-12) return setNaN(out);
    out[0] = phi;
    out[1] = theta;
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const tg = tand(this.gamma);
    const cg = cosd(this.gamma);
    const ct = cosd(theta);
    const st = sind(theta);
    const sp = sind(phi);
    const cp = cosd(phi);
    const denom = this.mu + st + ct * cp * tg;
    if (denom <= 0) return setNaN(out);
    // The far side of the sphere is not visible from a point at distance mu.
    if (Math.abs(this.mu) > 1 && st < -1 / this.mu) return setNaN(out);
    const r = (R0 * (this.mu + 1) * ct) / denom;
    out[0] = r * sp;
    out[1] = (-r * cp) / cg;
  }
}

/** ZPN, zenithal polynomial: r = R0 * sum PV2_m * (pi/2 - theta)^m, m = 0..20. */
export class Zpn extends Zenithal {
  readonly code = 'ZPN';
  private readonly coeffs: number[];
  private readonly degree: number;
  private readonly zdMax: number;
  private readonly rMax: number;

  constructor(pv: ProjectionParameters) {
    super();
    this.coeffs = Array.from({ length: 21 }, (_, m) => pv[m] ?? 0);
    let k = 20;
    while (k > 0 && this.coeffs[k] === 0) k--;
    this.degree = k;
    if (k === 0) throw new Error('ZPN needs at least one nonzero PV2_m with m >= 1');
    // The usable domain ends where dr/dzd first turns negative.
    let zd1 = 0;
    let d1 = this.coeffs[1]!;
    let zd = Math.PI;
    if (k > 1) {
      let zd2 = 0;
      let d2 = 0;
      let j = 0;
      for (; j < 180; j++) {
        zd2 = j * D2R;
        d2 = this.derivative(zd2);
        if (d2 <= 0) break;
        zd1 = zd2;
        d1 = d2;
      }
      if (j < 180) {
        for (let i = 0; i < 60; i++) {
          zd = zd1 - (d1 * (zd2 - zd1)) / (d2 - d1);
          const d = this.derivative(zd);
          if (Math.abs(d) < 1e-13) break;
          if (d < 0) {
            zd2 = zd;
            d2 = d;
          } else {
            zd1 = zd;
            d1 = d;
          }
        }
      }
    }
    this.zdMax = zd;
    this.rMax = this.poly(zd);
  }

  private poly(zd: number): number {
    let r = 0;
    for (let m = this.degree; m >= 0; m--) r = r * zd + this.coeffs[m]!;
    return r;
  }

  private derivative(zd: number): number {
    let d = 0;
    for (let m = this.degree; m > 0; m--) d = d * zd + m * this.coeffs[m]!;
    return d;
  }

  protected thetaOf(rDeg: number): number {
    const r = rDeg / R0;
    const c = this.coeffs;
    let zd: number;
    if (this.degree === 1) {
      zd = (r - c[0]!) / c[1]!;
    } else if (this.degree === 2) {
      const a = c[2]!;
      const b = c[1]!;
      const cc = c[0]! - r;
      const d = b * b - 4 * a * cc;
      if (d < 0) return NaN;
      const sq = Math.sqrt(d);
      const z1 = (-b + sq) / (2 * a);
      const z2 = (-b - sq) / (2 * a);
      zd = Math.min(z1, z2);
      if (zd < -1e-13) zd = Math.max(z1, z2);
      if (zd < 0) {
        if (zd < -1e-13) return NaN;
        zd = 0;
      }
    } else {
      const r1 = c[0]!;
      if (r < r1) {
        if (r < r1 - 1e-13) return NaN;
        zd = 0;
      } else if (r > this.rMax) {
        if (r > this.rMax + 1e-13) return NaN;
        zd = this.zdMax;
      } else {
        // Bracket then polish with Newton steps: the polynomial is monotonic on [0, zdMax].
        let lo = 0;
        let hi = this.zdMax;
        let rlo = r1;
        let rhi = this.rMax;
        zd = lo;
        for (let j = 0; j < 200; j++) {
          let lambda = (rhi - r) / (rhi - rlo);
          if (!(lambda >= 0.1)) lambda = 0.1;
          else if (lambda > 0.9) lambda = 0.9;
          zd = hi - lambda * (hi - lo);
          const rt = this.poly(zd);
          if (rt < r) {
            lo = zd;
            rlo = rt;
          } else {
            hi = zd;
            rhi = rt;
          }
          if (Math.abs(rt - r) < 1e-15 || hi - lo < 1e-15) break;
        }
        for (let i = 0; i < 3; i++) {
          const d = this.derivative(zd);
          if (d === 0) break;
          zd -= (this.poly(zd) - r) / d;
        }
      }
    }
    if (zd > Math.PI + 1e-13) return NaN;
    return 90 - zd * R2D;
  }

  protected radiusOf(theta: number): number {
    const zd = (90 - theta) * D2R;
    if (zd > this.zdMax + 1e-12) return NaN;
    return this.poly(zd) * R0;
  }
}

/** SZP, slant zenithal perspective: mu = PV2_1, phi_c = PV2_2, theta_c = PV2_3 (default 90). */
export class Szp implements Projection {
  readonly code = 'SZP';
  readonly phi0 = 0;
  readonly theta0 = 90;
  private readonly xp: number;
  private readonly yp: number;
  private readonly zp: number;

  constructor(pv: ProjectionParameters) {
    const mu = pv[1] ?? 0;
    const phic = pv[2] ?? 0;
    const thetac = pv[3] ?? 90;
    this.xp = -mu * cosd(thetac) * sind(phic);
    this.yp = mu * cosd(thetac) * cosd(phic);
    this.zp = mu * sind(thetac) + 1;
    if (this.zp === 0) throw new Error('SZP with mu*sin(theta_c) = -1 is undefined');
  }

  toNative(x: number, y: number, out: Float64Array): void {
    const X = x / R0;
    const Y = y / R0;
    slantToNative(X, Y, (X - this.xp) / this.zp, (Y - this.yp) / this.zp, out);
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const ct = cosd(theta);
    const z = 1 - sind(theta);
    const d = this.zp - z;
    if (d <= 0) return setNaN(out);
    out[0] = (R0 * (this.zp * ct * sind(phi) - this.xp * z)) / d;
    out[1] = (-R0 * (this.zp * ct * cosd(phi) + this.yp * z)) / d;
  }
}

/** AIR, Airy's minimum-error zenithal: theta_b = PV2_1 (default 90). */
export class Air extends Zenithal {
  readonly code = 'AIR';
  private readonly cb: number;

  constructor(pv: ProjectionParameters) {
    super();
    const thetaB = pv[1] ?? 90;
    if (thetaB === 90) {
      this.cb = -0.5;
    } else if (thetaB > -90 && thetaB < 90) {
      const xb = ((90 - thetaB) / 2) * D2R;
      this.cb = Math.log(Math.cos(xb)) / (Math.tan(xb) * Math.tan(xb));
    } else {
      throw new Error(`AIR needs -90 < PV2_1 <= 90, got ${thetaB}`);
    }
  }

  /** R(xi) / R0 with xi = (90 - theta)/2 in radians. */
  private rOf(xi: number): number {
    if (xi === 0) return 0;
    const t = Math.tan(xi);
    return -2 * (Math.log(Math.cos(xi)) / t + this.cb * t);
  }

  protected radiusOf(theta: number): number {
    if (theta <= -90) return NaN;
    return R0 * this.rOf(((90 - theta) / 2) * D2R);
  }

  protected thetaOf(r: number): number {
    const target = r / R0;
    if (target === 0) return 90;
    // R(xi) increases on (0, pi/2): bisect, then polish with secant steps.
    let lo = 0;
    let hi = Math.PI / 2 - 1e-12;
    if (this.rOf(hi) < target) return NaN;
    for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
      const mid = (lo + hi) / 2;
      if (this.rOf(mid) < target) lo = mid;
      else hi = mid;
    }
    return 90 - ((lo + hi) / 2) * 2 * (180 / Math.PI);
  }
}
