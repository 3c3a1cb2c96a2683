/**
 * Conic projections (COP, COE, COD, COO) with theta_a = PV2_1 and eta = PV2_2, and Bonne's
 * pseudoconic BON (theta_1 = PV2_1). Fiducial point (0, theta_a) for the conics, (0, 0) for BON.
 */
import { asind, atan2d, atand, cosd, D2R, sind, tand } from '../trig.js';
import { R0, setNaN, type Projection, type ProjectionParameters } from './types.js';

abstract class Conic implements Projection {
  abstract readonly code: string;
  readonly phi0 = 0;
  readonly theta0: number;
  protected readonly thetaA: number;
  protected readonly eta: number;
  /** The constant C (phi scale) and Y0 = R(theta_a). */
  protected c = 1;
  protected y0 = 0;

  constructor(pv: ProjectionParameters, code: string) {
    const a = pv[1];
    if (a === undefined || a === 0) throw new Error(`${code} needs PV2_1 (theta_a) not zero`);
    this.thetaA = a;
    this.eta = pv[2] ?? 0;
    this.theta0 = a;
  }

  protected abstract radius(theta: number): number;
  protected abstract thetaOf(r: number): number;

  toNative(x: number, y: number, out: Float64Array): void {
    const dy = this.y0 - y;
    let r = Math.hypot(x, dy);
    if (this.thetaA < 0) r = -r;
    const alpha = r === 0 ? 0 : atan2d(x / r, dy / r);
    const theta = this.thetaOf(r);
    if (Number.isNaN(theta)) return setNaN(out);
    out[0] = alpha / this.c;
    out[1] = theta;
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const r = this.radius(theta);
    if (Number.isNaN(r)) return setNaN(out);
    const a = this.c * phi;
    out[0] = r * sind(a);
    out[1] = -r * cosd(a) + this.y0;
  }
}

export class Cop extends Conic {
  readonly code = 'COP';
  private readonly k: number;
  constructor(pv: ProjectionParameters) {
    super(pv, 'COP');
    this.c = sind(this.thetaA);
    this.k = R0 * cosd(this.eta);
    this.y0 = this.radius(this.thetaA);
  }
  protected radius(theta: number): number {
    const d = theta - this.thetaA;
    if (Math.abs(d) >= 90) return NaN;
    return this.k * (1 / tand(this.thetaA) - tand(d));
  }
  protected thetaOf(r: number): number {
    return this.thetaA + atand(1 / tand(this.thetaA) - r / this.k);
  }
}

export class Coe extends Conic {
  readonly code = 'COE';
  private readonly gamma: number;
  private readonly s1s2: number;
  constructor(pv: ProjectionParameters) {
    super(pv, 'COE');
    const s1 = sind(this.thetaA - this.eta);
    const s2 = sind(this.thetaA + this.eta);
    this.gamma = s1 + s2;
    this.s1s2 = s1 * s2;
    if (this.gamma === 0) throw new Error('COE needs sin(theta1) + sin(theta2) not zero');
    this.c = this.gamma / 2;
    this.y0 = this.radius(this.thetaA);
  }
  protected radius(theta: number): number {
    const t = 1 + this.s1s2 - this.gamma * sind(theta);
    if (t < 0) return NaN;
    return ((2 * R0) / this.gamma) * Math.sqrt(t);
  }
  protected thetaOf(r: number): number {
    const w = (this.gamma * r) / (2 * R0);
    const s = (1 + this.s1s2 - w * w) / this.gamma;
    if (Math.abs(s) > 1 + 1e-12) return NaN;
    return asind(Math.max(-1, Math.min(1, s)));
  }
}

export class Cod extends Conic {
  readonly code = 'COD';
  private readonly offset: number;
  constructor(pv: ProjectionParameters) {
    super(pv, 'COD');
    if (this.eta === 0) {
      this.c = sind(this.thetaA);
      this.offset = R0 / tand(this.thetaA);
    } else {
      const etaRad = this.eta * D2R;
      this.c = (sind(this.thetaA) * sind(this.eta)) / etaRad;
      this.offset = (this.eta * cosd(this.eta)) / sind(this.eta) / tand(this.thetaA);
    }
    this.y0 = this.radius(this.thetaA);
  }
  protected radius(theta: number): number {
    return this.thetaA - theta + this.offset;
  }
  protected thetaOf(r: number): number {
    return this.thetaA + this.offset - r;
  }
}

export class Coo extends Conic {
  readonly code = 'COO';
  private readonly psi: number;
  constructor(pv: ProjectionParameters) {
    super(pv, 'COO');
    const t1 = this.thetaA - this.eta;
    const t2 = this.thetaA + this.eta;
    const tan1 = tand((90 - t1) / 2);
    const tan2 = tand((90 - t2) / 2);
    this.c = t1 === t2 ? sind(t1) : Math.log(cosd(t2) / cosd(t1)) / Math.log(tan2 / tan1);
    if (this.c === 0) throw new Error('COO has C = 0');
    this.psi = (R0 * cosd(t1)) / (this.c * Math.pow(tan1, this.c));
    this.y0 = this.radius(this.thetaA);
  }
  protected radius(theta: number): number {
    if (theta === -90 && this.c > 0) return NaN;
    return this.psi * Math.pow(tand((90 - theta) / 2), this.c);
  }
  protected thetaOf(r: number): number {
    if (r === 0) return this.c > 0 ? 90 : NaN;
    return 90 - 2 * atand(Math.pow(r / this.psi, 1 / this.c));
  }
}

/** BON, Bonne's equal area; theta_1 = PV2_1 (0 would be SFL). */
export class Bon implements Projection {
  readonly code = 'BON';
  readonly phi0 = 0;
  readonly theta0 = 0;
  private readonly theta1: number;
  private readonly y0: number;
  constructor(pv: ProjectionParameters) {
    const t = pv[1];
    if (t === undefined || t === 0) throw new Error('BON needs PV2_1 (theta_1) not zero');
    this.theta1 = t;
    this.y0 = R0 / tand(t) + t;
  }
  toNative(x: number, y: number, out: Float64Array): void {
    const dy = this.y0 - y;
    let r = Math.hypot(x, dy);
    if (this.theta1 < 0) r = -r;
    const theta = this.y0 - r;
    const ct = cosd(theta);
    const a = r === 0 ? 0 : atan2d(x / r, dy / r);
    if (ct === 0) {
      out[0] = 0;
    } else {
      out[0] = (a * r) / (R0 * ct);
    }
    out[1] = theta;
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    const r = this.y0 - theta;
    const a = r === 0 ? 0 : (R0 * phi * cosd(theta)) / r;
    out[0] = r * sind(a);
    out[1] = -r * cosd(a) + this.y0;
  }
}
