/** Loads test/fixtures/imaging/display-reference.json (made by make-imaging-fixtures.py with astropy). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ImagePlane } from '../../src/core/image-plane.js';

export interface ReferenceHistogram {
  counts: number[];
  bin_edges: number[];
  bin_centers: number[];
}

export interface ReferenceDisplay {
  config: { stretch: string; gamma?: number; black_point?: number; white_point?: number; asinh_a?: number };
  vmin: number;
  vmax: number;
  levels: [number, number] | null;
  values: Array<number | null>;
  histogram: ReferenceHistogram;
  percentiles: Record<string, number>;
  stats: { min: number; max: number; mean: number; std: number };
}

export interface ReferenceCase {
  name: string;
  width: number;
  height: number;
  dtype: 'float32' | 'float64';
  pixels_gz_b64: string;
  finite_count: number;
  zscale: [number, number];
  percentile_99_5: [number, number];
  raw_histogram: ReferenceHistogram;
  stated_pixels: Array<[number, number]>;
  area_half?: { width: number; height: number; values: Array<[number, number, number | null]> };
  displays: ReferenceDisplay[];
}

export interface Reference {
  generated_by: string;
  bins: number;
  percentiles: number[];
  cases: ReferenceCase[];
}

export const reference: Reference = JSON.parse(
  readFileSync(new URL('../fixtures/imaging/display-reference.json', import.meta.url), 'utf8'),
) as Reference;

export function planeOf(c: ReferenceCase): ImagePlane {
  const raw = gunzipSync(Buffer.from(c.pixels_gz_b64, 'base64'));
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const data = c.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  return { width: c.width, height: c.height, data };
}

export function relClose(actual: number, expected: number, rel: number, abs = 1e-12): boolean {
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
}
