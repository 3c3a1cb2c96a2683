/**
 * Robust estimators with astropy.stats semantics: median absolute deviation, `mad_std`
 * (MAD * 1/Phi^-1(3/4)), Tukey's biweight location (c=6) and biweight scale (c=9) with the
 * median as the initial guess (Beers, Flynn & Gebhardt 1990).
 */
import { medianInPlace } from './select.js';

/** 1 / Phi^-1(3/4): makes the MAD a consistent estimator of a Gaussian sigma. */
export const MAD_TO_STD = 1.482602218505602;

export function medianAbsoluteDeviation(values: Float64Array, centre?: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const m = centre ?? medianInPlace(Float64Array.from(values));
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(values[i]! - m);
  return medianInPlace(dev);
}

export function madStd(values: Float64Array): number {
  return MAD_TO_STD * medianAbsoluteDeviation(values);
}

export function biweightLocation(values: Float64Array, c = 6.0, M?: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const m = M ?? medianInPlace(Float64Array.from(values));
  const mad = medianAbsoluteDeviation(values, m);
  if (mad === 0) return m;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    const u = d / (c * mad);
    if (Math.abs(u) < 1) {
      const w = (1 - u * u) * (1 - u * u);
      num += d * w;
      den += w;
    }
  }
  return m + num / den;
}

export function biweightScale(values: Float64Array, c = 9.0, M?: number, modifySampleSize = false): number {
  const n = values.length;
  if (n === 0) return NaN;
  const m = M ?? medianInPlace(Float64Array.from(values));
  const mad = medianAbsoluteDeviation(values, m);
  if (mad === 0) return 0;
  let num = 0;
  let den = 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    const u = d / (c * mad);
    const u2 = u * u;
    if (u2 < 1) {
      const w = 1 - u2;
      num += d * d * w * w * w * w;
      den += w * (1 - 5 * u2);
      used++;
    }
  }
  const size = modifySampleSize ? used : n;
  return Math.sqrt((size * num) / (den * den));
}
