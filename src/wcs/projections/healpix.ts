/**
 * HPX, the HEALPix projection (Calabretta & Roukema 2007) with H = PV2_1 (default 4) facets in
 * longitude and K = PV2_2 (default 3). Odd K only (HEALPix proper has K = 3).
 */
import { asind, sind } from '../trig.js';
import { setNaN, type Projection, type ProjectionParameters } from './types.js';

export class Hpx implements Projection {
  readonly code = 'HPX';
  readonly phi0 = 0;
  readonly theta0 = 0;
  private readonly h: number;
  private readonly k: number;

  constructor(pv: ProjectionParameters) {
    this.h = pv[1] ?? 4;
    this.k = pv[2] ?? 3;
    if (!(this.h > 0 && Number.isInteger(this.h)) || !(this.k > 0 && Number.isInteger(this.k) && this.k % 2 === 1)) {
      throw new Error(`HPX supports positive integer H and odd K, got H=${this.h} K=${this.k}`);
    }
  }

  toNative(x: number, y: number, out: Float64Array): void {
    const { h, k } = this;
    const yEq = (90 * (k - 1)) / h;
    const ay = Math.abs(y);
    if (ay <= yEq) {
      out[0] = x;
      out[1] = asind(Math.max(-1, Math.min(1, (y * h) / (90 * k))));
      return;
    }
    if (ay > (90 * (k + 1)) / h + 1e-12) return setNaN(out);
    const sigma = (k + 1) / 2 - (ay * h) / 180;
    const width = 180 / h;
    const xc = -180 + (2 * Math.floor(((x + 180) * h) / 360) + 1) * width;
    const dx = x - xc;
    if (Math.abs(dx) > sigma * width + 1e-12) return setNaN(out);
    out[0] = sigma === 0 ? xc : xc + dx / sigma;
    const t = 1 - (sigma * sigma) / k;
    out[1] = Math.sign(y) * asind(Math.max(-1, Math.min(1, t)));
  }

  fromNative(phi: number, theta: number, out: Float64Array): void {
    const { h, k } = this;
    const s = sind(theta);
    if (Math.abs(s) <= (k - 1) / k) {
      out[0] = phi;
      out[1] = ((90 * k) / h) * s;
      return;
    }
    const sigma = Math.sqrt(k * (1 - Math.abs(s)));
    const width = 180 / h;
    let phic = -180 + (2 * Math.floor(((phi + 180) * h) / 360) + 1) * width;
    if (phi >= 180) phic = 180 - width;
    out[0] = phic + (phi - phic) * sigma;
    out[1] = Math.sign(theta) * (180 / h) * ((k + 1) / 2 - sigma);
  }
}
