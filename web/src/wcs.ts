import type { PixelWcs } from './api/types.js';

const D2R = Math.PI / 180;

/**
 * Gnomonic (TAN) pixel → world from the engine's CD-matrix block, for instant cursor read-out.
 * x, y are 0-based FITS pixel coordinates. Returns null for non-celestial or non-TAN headers.
 */
export function tanPixelToWorld(w: PixelWcs, x: number, y: number): { ra: number; dec: number } | null {
  if (!/RA---TAN|DEC--TAN|GLON-TAN/i.test(`${w.ctype1}${w.ctype2}`) && !(w.ctype1 === '' && w.ctype2 === '')) return null;
  const dx = x + 1 - w.crpix1;
  const dy = y + 1 - w.crpix2;
  const xi = (w.cd1_1 * dx + w.cd1_2 * dy) * D2R;
  const eta = (w.cd2_1 * dx + w.cd2_2 * dy) * D2R;
  const ra0 = w.crval1 * D2R;
  const dec0 = w.crval2 * D2R;
  const denom = Math.cos(dec0) - eta * Math.sin(dec0);
  let ra = ra0 + Math.atan2(xi, denom);
  const dec = Math.atan2(Math.sin(dec0) + eta * Math.cos(dec0), Math.hypot(xi, denom));
  ra = ((ra / D2R) % 360 + 360) % 360;
  return { ra, dec: dec / D2R };
}

export function formatRa(deg: number): string {
  const h = deg / 15;
  const hh = Math.floor(h);
  const mm = Math.floor((h - hh) * 60);
  const ss = ((h - hh) * 60 - mm) * 60;
  return `${String(hh).padStart(2, '0')}h${String(mm).padStart(2, '0')}m${ss.toFixed(2).padStart(5, '0')}s`;
}

export function formatDec(deg: number): string {
  const sign = deg < 0 ? '-' : '+';
  const a = Math.abs(deg);
  const dd = Math.floor(a);
  const mm = Math.floor((a - dd) * 60);
  const ss = ((a - dd) * 60 - mm) * 60;
  return `${sign}${String(dd).padStart(2, '0')}°${String(mm).padStart(2, '0')}′${ss.toFixed(1).padStart(4, '0')}″`;
}
