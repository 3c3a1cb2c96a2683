/**
 * TPV (the SCAMP polynomial on a TAN projection, wcslib-native): the intermediate coordinates
 * (x, y) in degrees become xi = sum PV1_k t_k(x, y, r) and eta = sum PV2_k t_k(y, x, r) with the 40
 * TPV terms up to 7th order (r = sqrt(x^2 + y^2)); the inverse is solved by Newton's method.
 */
import type { PvCard } from './definition.js';
import { solveNewton2d, type NewtonOptions } from './newton.js';

const TPV_NEWTON: NewtonOptions = { step: 1e-7, maxIterations: 60, tolerance: 1e-15 };

/** Term k of the TPV basis for (u, v): v and u swap roles for the second axis. */
function terms(u: number, v: number, out: Float64Array): void {
  const r = Math.hypot(u, v);
  const u2 = u * u, v2 = v * v, u3 = u2 * u, v3 = v2 * v;
  const u4 = u3 * u, v4 = v3 * v, u5 = u4 * u, v5 = v4 * v, u6 = u5 * u, v6 = v5 * v, u7 = u6 * u, v7 = v6 * v;
  const t = [1, u, v, r, u2, u * v, v2, u3, u2 * v, u * v2, v3, r * r * r,
    u4, u3 * v, u2 * v2, u * v3, v4, u5, u4 * v, u3 * v2, u2 * v3, u * v4, v5, r ** 5,
    u6, u5 * v, u4 * v2, u3 * v3, u2 * v4, u * v5, v6, u7, u6 * v, u5 * v2, u4 * v3, u3 * v4, u2 * v5, u * v6, v7, r ** 7];
  for (let k = 0; k < 40; k++) out[k] = t[k]!;
}

export class TpvPolynomial {
  private readonly c1 = new Float64Array(40);
  private readonly c2 = new Float64Array(40);
  private readonly t = new Float64Array(40);
  private readonly f = new Float64Array(2);
  private readonly forwardMap = this.forward.bind(this);

  constructor(pv: readonly PvCard[], lonAxis: number, latAxis: number) {
    const own = (axis: number, c: Float64Array) => {
      const cards = pv.filter((p) => p.i === axis + 1 && p.m < 40);
      if (cards.length === 0) c[1] = 1; // no coefficients at all: the identity
      for (const p of cards) c[p.m] = p.value;
    };
    own(lonAxis, this.c1);
    own(latAxis, this.c2);
  }

  forward(x: number, y: number, out: Float64Array): void {
    const t = this.t;
    terms(x, y, t);
    let xi = 0;
    for (let k = 0; k < 40; k++) xi += this.c1[k]! * t[k]!;
    terms(y, x, t);
    let eta = 0;
    for (let k = 0; k < 40; k++) eta += this.c2[k]! * t[k]!;
    out[0] = xi;
    out[1] = eta;
  }

  inverse(xi: number, eta: number, out: Float64Array): void {
    solveNewton2d(this.forwardMap, xi, eta, xi, eta, TPV_NEWTON, this.f, out);
  }
}
