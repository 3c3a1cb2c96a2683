/** Loads test/fixtures/reproject/reproject-cases.json and rebuilds its formula-made inputs. */
import { readFileSync } from 'node:fs';
import type { ImagePlane } from '../../src/core/image-plane.js';
import { parseWcs, recordHeader, type WcsDefinition } from '../../src/wcs/index.js';

export interface FixtureInput {
  header: Record<string, number | string>;
  k: number;
  nan_box: [number, number, number, number] | null;
}

export const fixture = JSON.parse(readFileSync(new URL('../fixtures/reproject/reproject-cases.json', import.meta.url), 'utf8')) as {
  cases: Array<Record<string, unknown> & { name: string; kind: string }>;
};

/** A case of reproject_interp: an input, the output grid's header, and reproject's data and footprint. */
export interface InterpCase {
  name: string;
  kind: 'interp';
  order: string;
  input: FixtureInput;
  output_header: Record<string, number | string>;
  data: Array<number | null>;
  footprint: Array<number | null>;
}

/** The fixture's reproject_interp cases, of every order. */
export function interpCases(): InterpCase[] {
  return fixture.cases.filter((k) => k.kind === 'interp') as unknown as InterpCase[];
}

export function caseNamed<T>(name: string): T {
  const c = fixture.cases.find((k) => k.name === name);
  if (!c) throw new Error(`fixture case ${name} missing`);
  return c as T;
}

export function wcsOf(header: Record<string, number | string>): WcsDefinition {
  return parseWcs(recordHeader(header));
}

/** The fixture's pixel formula (see make-reproject.py). */
export function formulaPlane(input: FixtureInput): ImagePlane {
  const nx = input.header.NAXIS1 as number;
  const ny = input.header.NAXIS2 as number;
  const data = new Float64Array(nx * ny);
  const k = input.k;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      data[y * nx + x] = 10 + 3 * Math.sin(0.21 * x + 0.5 * k) * Math.cos(0.17 * y) + 0.05 * x + 0.02 * y * k + k;
    }
  }
  if (input.nan_box) {
    const [x0, x1, y0, y1] = input.nan_box;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * nx + x] = NaN;
  }
  return { width: nx, height: ny, data };
}

export function decode(values: Array<number | null>): Float64Array {
  return Float64Array.from(values, (v) => (v === null ? NaN : v));
}

/**
 * Compares on the reference's covered pixels: footprints must be equal (covered = value present)
 * and values within `rtol` relative. Returns the worst relative error.
 */
export function compareCovered(got: ArrayLike<number>, want: Float64Array, rtol: number, label: string, gotFootprint?: ArrayLike<number>, wantFootprint?: Float64Array): number {
  if (got.length !== want.length) throw new Error(`${label}: length ${got.length} vs ${want.length}`);
  let worst = 0;
  let mismatches = 0;
  let firstMismatch = '';
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    const wCovered = wantFootprint ? wantFootprint[i]! > 0 && !Number.isNaN(w) : !Number.isNaN(w);
    const gCovered = gotFootprint ? gotFootprint[i]! > 0 && !Number.isNaN(g) : !Number.isNaN(g);
    if (wCovered !== gCovered) {
      if (!firstMismatch) firstMismatch = `pixel ${i}: ours ${g} vs reference ${w}`;
      mismatches++;
      continue;
    }
    if (!wCovered) continue;
    worst = Math.max(worst, Math.abs(g - w) / Math.max(Math.abs(w), 1e-12));
  }
  if (mismatches) throw new Error(`${label}: ${mismatches} footprint mismatches (${firstMismatch})`);
  if (worst > rtol) throw new Error(`${label}: worst relative error ${worst} > ${rtol}`);
  return worst;
}
