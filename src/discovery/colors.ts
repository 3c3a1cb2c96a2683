/**
 * Recipe colours (upstream-latest §2): filters in wavelength order get hues from blue to red,
 * spread by count; cross-instrument recipes keep near-infrared in 240..120 and MIRI in 60..0.
 * Hex is int(255 c) of HSV(h, 1, 1), so 30 degrees is #ff7f00.
 */
import { hueToRgb } from '../reproject/colors.js';

const FIXED: Readonly<Record<number, readonly number[]>> = {
  1: [0], 3: [240, 120, 0], 4: [240, 120, 30, 0], 5: [240, 180, 120, 30, 0], 6: [240, 180, 120, 60, 30, 0],
};

/** Hues (degrees) for n filters in wavelength order. */
export function chromaticOrderHues(n: number): number[] {
  if (n <= 0) return [];
  if (n === 2) return [210, 30];
  if (FIXED[n]) return [...FIXED[n]!];
  // more than six: fill the 240-180, 180-120, 120-60 gaps first, halving them in turn
  const hues = [...FIXED[6]!];
  const gaps: Array<[number, number]> = [[240, 180], [180, 120], [120, 60]];
  while (hues.length < n) {
    const [a, b] = gaps.shift()!;
    const mid = (a + b) / 2;
    hues.push(mid);
    gaps.push([a, mid], [mid, b]);
  }
  return hues.sort((x, y) => y - x);
}

export function hueHex(hue: number): string {
  return `#${hueToRgb(hue).map((c) => Math.floor(255 * c + 1e-9).toString(16).padStart(2, '0')).join('')}`;
}

/** Filter -> '#rrggbb' for filters sorted by wavelength. */
export function buildColorMapping(filters: readonly string[]): Record<string, string> {
  if (filters.length === 2) return { [filters[0]!]: '#0080ff', [filters[1]!]: '#ff8000' };
  const hues = chromaticOrderHues(filters.length);
  return Object.fromEntries(filters.map((f, i) => [f, hueHex(hues[i]!)]));
}

function spread(n: number, from: number, to: number, single: number): number[] {
  if (n === 1) return [single];
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

/** Near-infrared filters 240..120 (one: 180), MIRI 60..0 (one: 30), each in wavelength order. */
export function buildCrossInstrumentColorMapping(nearInfrared: readonly string[], miri: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  spread(nearInfrared.length, 240, 120, 180).forEach((h, i) => (out[nearInfrared[i]!] = hueHex(h)));
  spread(miri.length, 60, 0, 30).forEach((h, i) => (out[miri[i]!] = hueHex(h)));
  return out;
}
