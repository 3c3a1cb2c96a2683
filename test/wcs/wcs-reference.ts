/** Comparing WCS answers: angular distance on the sky for celestial axes, absolute elsewhere. */
import type { Wcs } from '../../src/wcs/wcs.js';

/** JSON numbers as REFERENCE.json and our fixtures write them (NaN as "NaN" or null). */
export function jsonNumber(v: unknown): number {
  if (v === null || v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

/** Largest per-axis error in degrees (celestial longitude scaled by cos(lat), wrapped at 360). */
export function worldError(wcs: Wcs, got: readonly number[], want: readonly number[]): number {
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity;
      continue;
    }
    let d = Math.abs(g - w);
    const cel = wcs.celestial;
    if (cel && i === cel.lon) {
      d = Math.abs(((d + 180) % 360) - 180) * Math.cos((want[cel.lat]! * Math.PI) / 180);
    } else if (!cel || i !== cel.lat) {
      d = d / Math.max(1, Math.abs(w)); // relative on spectral/linear axes (Hz, m/s are large)
    }
    max = Math.max(max, d);
  }
  return max;
}

export function pixelError(got: readonly number[], want: readonly number[]): number {
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity;
      continue;
    }
    max = Math.max(max, Math.abs(g - w));
  }
  return max;
}
