/**
 * SIP polynomial distortion: forward (pixel offsets -> focal-plane offsets) and its inverse by
 * Newton iteration (what astropy's all_world2pix converges to), with AP/BP as the starting guess.
 */
import type { SipDistortion, SipTerm } from './definition.js';

function evaluate(terms: readonly SipTerm[], u: number, v: number): number {
  let s = 0;
  for (const t of terms) s += t.c * u ** t.p * v ** t.q;
  return s;
}

function du(terms: readonly SipTerm[], u: number, v: number): number {
  let s = 0;
  for (const t of terms) if (t.p > 0) s += t.c * t.p * u ** (t.p - 1) * v ** t.q;
  return s;
}

function dv(terms: readonly SipTerm[], u: number, v: number): number {
  let s = 0;
  for (const t of terms) if (t.q > 0) s += t.c * t.q * u ** t.p * v ** (t.q - 1);
  return s;
}

export class Sip {
  constructor(private readonly sip: SipDistortion) {}

  /** (u, v) relative to CRPIX -> distorted (u + f, v + g). */
  forward(u: number, v: number, out: Float64Array): void {
    out[0] = u + evaluate(this.sip.a, u, v);
    out[1] = v + evaluate(this.sip.b, u, v);
  }

  /** Solves forward(u, v) = (U, V) for (u, v); NaN when it does not converge. */
  inverse(U: number, V: number, out: Float64Array): void {
    let u = U;
    let v = V;
    const { ap, bp } = this.sip;
    if (ap && bp) {
      u = U + evaluate(ap, U, V);
      v = V + evaluate(bp, U, V);
    }
    const { a, b } = this.sip;
    for (let iter = 0; iter < 50; iter++) {
      const fu = u + evaluate(a, u, v) - U;
      const fv = v + evaluate(b, u, v) - V;
      const j11 = 1 + du(a, u, v);
      const j12 = dv(a, u, v);
      const j21 = du(b, u, v);
      const j22 = 1 + dv(b, u, v);
      const det = j11 * j22 - j12 * j21;
      if (det === 0 || !Number.isFinite(det)) break;
      const su = (j22 * fu - j12 * fv) / det;
      const sv = (-j21 * fu + j11 * fv) / det;
      u -= su;
      v -= sv;
      if (Math.abs(su) < 1e-12 && Math.abs(sv) < 1e-12) {
        out[0] = u;
        out[1] = v;
        return;
      }
    }
    const fu = u + evaluate(a, u, v) - U;
    const fv = v + evaluate(b, u, v) - V;
    const ok = Math.abs(fu) < 1e-8 && Math.abs(fv) < 1e-8;
    out[0] = ok ? u : NaN;
    out[1] = ok ? v : NaN;
  }
}
