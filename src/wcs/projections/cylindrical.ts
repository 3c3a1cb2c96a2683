/**
 * Cylindrical projections (fiducial point on the native equator): CAR, CEA, MER.
 */
import { asind, atand, cosd, D2R, R2D, sind } from '../trig.js';
import { R0, setNaN, type Projection, type ProjectionParameters } from './types.js';

export class Car implements Projection {
  readonly code = 'CAR';
  readonly phi0 = 0;
  readonly theta0 = 0;
  toNative(x: number, y: number, out: Float64Array): void {
    out[0] = x;
    out[1] = y;
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    out[0] = phi;
    out[1] = theta;
  }
}

/** CEA, cylindrical equal area, lambda = PV2_1 (default 1, in (0, 1]). */
export class Cea implements Projection {
  readonly code = 'CEA';
  readonly phi0 = 0;
  readonly theta0 = 0;
  private readonly lambda: number;
  constructor(pv: ProjectionParameters) {
    this.lambda = pv[1] ?? 1;
    if (!(this.lambda > 0 && this.lambda <= 1)) throw new Error(`CEA needs 0 < PV2_1 <= 1, got ${this.lambda}`);
  }
  toNative(x: number, y: number, out: Float64Array): void {
    const s = (this.lambda * y) / R0;
    if (Math.abs(s) > 1 + 1e-13) return setNaN(out);
    out[0] = x;
    out[1] = asind(Math.max(-1, Math.min(1, s)));
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    out[0] = phi;
    out[1] = (R0 * sind(theta)) / this.lambda;
  }
}

export class Mer implements Projection {
  readonly code = 'MER';
  readonly phi0 = 0;
  readonly theta0 = 0;
  toNative(x: number, y: number, out: Float64Array): void {
    out[0] = x;
    out[1] = 2 * atand(Math.exp(y / R0)) - 90;
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    if (theta <= -90 || theta >= 90) return setNaN(out);
    out[0] = phi;
    out[1] = R0 * Math.log(Math.tan((90 + theta) * 0.5 * D2R));
  }
}

/** SFL, Sanson-Flamsteed (the GLS of old AIPS headers). */
export class Sfl implements Projection {
  readonly code: string;
  readonly phi0 = 0;
  readonly theta0 = 0;
  constructor(code = 'SFL') {
    this.code = code;
  }
  toNative(x: number, y: number, out: Float64Array): void {
    const c = cosd(y);
    if (c === 0) {
      if (Math.abs(x) > 1e-13) return setNaN(out);
      out[0] = 0;
    } else {
      out[0] = x / c;
    }
    out[1] = y;
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    out[0] = phi * cosd(theta);
    out[1] = theta;
  }
}

/** PAR, parabolic. */
export class Par implements Projection {
  readonly code = 'PAR';
  readonly phi0 = 0;
  readonly theta0 = 0;
  toNative(x: number, y: number, out: Float64Array): void {
    const s = y / 180;
    if (Math.abs(s) > 1 + 1e-13) return setNaN(out);
    const t = 1 - 4 * s * s;
    if (t === 0) {
      if (Math.abs(x) > 1e-13) return setNaN(out);
      out[0] = 0;
    } else {
      out[0] = x / t;
    }
    out[1] = 3 * asind(Math.max(-1, Math.min(1, s)));
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    const s = sind(theta / 3);
    out[0] = phi * (1 - 4 * s * s);
    out[1] = 180 * s;
  }
}

/** MOL, Mollweide. */
export class Mol implements Projection {
  readonly code = 'MOL';
  readonly phi0 = 0;
  readonly theta0 = 0;
  toNative(x: number, y: number, out: Float64Array): void {
    const s = y / (Math.SQRT2 * R0);
    if (Math.abs(s) > 1 + 1e-13) return setNaN(out);
    const sc = Math.max(-1, Math.min(1, s));
    const cosg = Math.sqrt((1 - sc) * (1 + sc));
    const gamma = Math.asin(sc);
    if (cosg === 0) {
      if (Math.abs(x) > 1e-12) return setNaN(out);
      out[0] = 0;
    } else {
      out[0] = (Math.PI * x) / (2 * Math.SQRT2 * cosg);
    }
    const z = (2 * gamma + Math.sin(2 * gamma)) / Math.PI;
    out[1] = asind(Math.max(-1, Math.min(1, z)));
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    // Solve 2g + sin 2g = pi sin(theta) for the auxiliary angle g by Newton's method.
    const target = Math.PI * sind(theta);
    let g: number;
    if (Math.abs(theta) === 90) {
      g = Math.sign(theta) * Math.PI / 2;
    } else {
      g = theta * D2R;
      for (let i = 0; i < 100; i++) {
        const f = 2 * g + Math.sin(2 * g) - target;
        const d = 2 + 2 * Math.cos(2 * g);
        if (d === 0) break;
        const step = f / d;
        g -= step;
        if (Math.abs(step) < 1e-15) break;
      }
    }
    out[0] = ((2 * Math.SQRT2) / Math.PI) * phi * Math.cos(g);
    out[1] = Math.SQRT2 * R0 * Math.sin(g);
  }
}

/** AIT, Hammer-Aitoff. */
export class Ait implements Projection {
  readonly code = 'AIT';
  readonly phi0 = 0;
  readonly theta0 = 0;
  toNative(x: number, y: number, out: Float64Array): void {
    const u = 1 - (x / (4 * R0)) ** 2 - (y / (2 * R0)) ** 2;
    if (u < 0.5 - 1e-13) return setNaN(out);
    const z = Math.sqrt(Math.max(u, 0.5));
    out[0] = 2 * Math.atan2((z * x) / (2 * R0), 2 * z * z - 1) * R2D;
    out[1] = asind(Math.max(-1, Math.min(1, (y * z) / R0)));
  }
  fromNative(phi: number, theta: number, out: Float64Array): void {
    const ct = cosd(theta);
    const w = R0 * Math.sqrt(2 / (1 + ct * cosd(phi / 2)));
    out[0] = 2 * w * ct * sind(phi / 2);
    out[1] = w * sind(theta);
  }
}
