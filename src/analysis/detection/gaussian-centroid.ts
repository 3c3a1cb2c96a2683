/**
 * Sub-pixel centroid by least-squares fit of a circular 2-D Gaussian plus a constant
 * (amplitude, x0, y0, sigma, sky) to the pixels within `radius` of a first guess, with
 * Levenberg–Marquardt steps (the model photutils' `centroid_2dg` fits, circular here). Pixels
 * that are NaN or masked are left out. Returns undefined when the fit fails or wanders off.
 */
export interface GaussianFit {
  readonly x: number;
  readonly y: number;
  readonly amplitude: number;
  readonly sigma: number;
  readonly sky: number;
}

function solve5(a: number[][], b: number[]): number[] | undefined {
  const n = 5;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-300) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

export function fitGaussianCentroid(data: ArrayLike<number>, width: number, height: number, x0: number, y0: number, sigma0: number, radius: number): GaussianFit | undefined {
  const xs: number[] = [];
  const ys: number[] = [];
  const vs: number[] = [];
  const r2 = radius * radius;
  for (let y = Math.max(0, Math.floor(y0 - radius)); y <= Math.min(height - 1, Math.ceil(y0 + radius)); y++) {
    for (let x = Math.max(0, Math.floor(x0 - radius)); x <= Math.min(width - 1, Math.ceil(x0 + radius)); x++) {
      if ((x - x0) ** 2 + (y - y0) ** 2 > r2) continue;
      const v = data[y * width + x]!;
      if (!Number.isFinite(v)) continue;
      xs.push(x);
      ys.push(y);
      vs.push(v);
    }
  }
  if (vs.length < 8) return undefined;
  let minV = Infinity;
  let maxV = -Infinity;
  for (const v of vs) {
    minV = Math.min(minV, v);
    maxV = Math.max(maxV, v);
  }
  // parameters: amplitude, x, y, sigma, sky
  let p = [maxV - minV, x0, y0, sigma0, minV];
  const chi2 = (q: number[]): number => {
    let s = 0;
    for (let i = 0; i < vs.length; i++) {
      const g = q[0]! * Math.exp(-((xs[i]! - q[1]!) ** 2 + (ys[i]! - q[2]!) ** 2) / (2 * q[3]! * q[3]!)) + q[4]!;
      s += (vs[i]! - g) ** 2;
    }
    return s;
  };
  let lambda = 1e-3;
  let current = chi2(p);
  for (let iter = 0; iter < 100; iter++) {
    const jtj = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
    const jtr = new Array<number>(5).fill(0);
    const [a, cx, cy, s, b] = p as [number, number, number, number, number];
    for (let i = 0; i < vs.length; i++) {
      const dx = xs[i]! - cx;
      const dy = ys[i]! - cy;
      const e = Math.exp(-(dx * dx + dy * dy) / (2 * s * s));
      const res = vs[i]! - (a * e + b);
      const j = [e, (a * e * dx) / (s * s), (a * e * dy) / (s * s), (a * e * (dx * dx + dy * dy)) / (s * s * s), 1];
      for (let u = 0; u < 5; u++) {
        jtr[u]! += j[u]! * res;
        for (let v = 0; v < 5; v++) jtj[u]![v]! += j[u]! * j[v]!;
      }
    }
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const aug = jtj.map((row, u) => row.map((v, w) => (u === w ? v * (1 + lambda) : v)));
      const step = solve5(aug, jtr);
      if (!step) return undefined;
      const next = p.map((v, u) => v + step[u]!);
      const c = chi2(next);
      if (c < current && next[3]! > 0) {
        const change = Math.abs(current - c) / Math.max(current, 1e-300);
        p = next;
        current = c;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (change < 1e-12) iter = 1000;
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  const [amplitude, x, y, sigma, sky] = p as [number, number, number, number, number];
  if (!(amplitude > 0) || Math.hypot(x - x0, y - y0) > radius || !(sigma > 0)) return undefined;
  return { x, y, amplitude, sigma, sky };
}
