/** Comparing WCS answers: angular distance on the sky for celestial axes, absolute elsewhere. */
import assert from 'node:assert/strict';
import type { Wcs } from '../../src/wcs/wcs.js';

/** JSON numbers as REFERENCE.json and our fixtures write them (NaN as "NaN" or null). */
export function jsonNumber(v: unknown): number {
  if (v === null || v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

/**
 * Largest of `diff(got, want, axis)` over the axes; an axis NaN on one side only is an infinite
 * error, NaN on both sides agrees.
 */
function maxAxisError(got: readonly number[], want: readonly number[], diff: (g: number, w: number, axis: number) => number): number {
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity;
      continue;
    }
    max = Math.max(max, diff(g, w, i));
  }
  return max;
}

/** Largest per-axis error in degrees (celestial longitude scaled by cos(lat), wrapped at 360). */
export function worldError(wcs: Wcs, got: readonly number[], want: readonly number[]): number {
  const cel = wcs.celestial;
  return maxAxisError(got, want, (g, w, i) => {
    const d = Math.abs(g - w);
    if (cel && i === cel.lon) return Math.abs(((d + 180) % 360) - 180) * Math.cos((want[cel.lat]! * Math.PI) / 180);
    if (!cel || i !== cel.lat) return d / Math.max(1, Math.abs(w)); // relative on spectral/linear axes (Hz, m/s are large)
    return d;
  });
}

export function pixelError(got: readonly number[], want: readonly number[]): number {
  return maxAxisError(got, want, (g, w) => Math.abs(g - w));
}

/** One HDU's `wcs` block of a REFERENCE file: astropy's pixel <-> world pairs. */
export interface ReferencePairs {
  readonly pixel_to_world: ReadonlyArray<{ pixel_0based: number[]; world: unknown[] }>;
  readonly world_to_pixel: ReadonlyArray<{ world: unknown[]; pixel_0based: unknown[] }>;
}

/** A REFERENCE file: the `wcs` block of each HDU of each corpus file. */
export interface ReferenceFile {
  readonly files: ReadonlyArray<{ file: string; hdus: ReadonlyArray<{ wcs?: ReferencePairs }> }>;
}

/** Every pair both ways: world within 1e-9 degrees, pixel within 1e-6. */
export function assertMatchesReference(wcs: Wcs, ref: ReferencePairs): void {
  for (const p of ref.pixel_to_world) {
    const want = p.world.map(jsonNumber);
    const got = wcs.pixelToWorld(p.pixel_0based);
    assert.ok(worldError(wcs, got, want) <= 1e-9, `pixel ${p.pixel_0based}: ${got} vs ${want}`);
  }
  for (const p of ref.world_to_pixel) {
    const want = p.pixel_0based.map(jsonNumber);
    const got = wcs.worldToPixel(p.world.map(jsonNumber));
    assert.ok(pixelError(got, want) <= 1e-6, `world ${p.world}: ${got} vs ${want}`);
  }
}
