/** Loads the analysis fixtures: the synthetic image, corpus planes and the reference answers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImagePlane } from '../../src/core/image-plane.js';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/analysis/', import.meta.url));

export interface ImageReference {
  file: string | null;
  hdu: number | null;
  width: number;
  height: number;
  params: Record<string, number>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON
  results: Record<string, any>;
}

export interface References {
  generated_by: string;
  grid_step: number;
  images: Record<string, ImageReference>;
}

let cached: References | undefined;
export function references(): References {
  cached ??= JSON.parse(readFileSync(join(FIXTURE_DIR, 'references.json'), 'utf8')) as References;
  return cached;
}

export interface SyntheticTruth {
  width: number;
  height: number;
  noise_sigma: number;
  fwhm: number;
  stars: Array<{ x: number; y: number; amplitude_sigma: number; flux: number }>;
}

export function syntheticTruth(): SyntheticTruth {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'synthetic.json'), 'utf8')) as SyntheticTruth;
}

export function syntheticPlane(): ImagePlane {
  const t = syntheticTruth();
  const buf = readFileSync(join(FIXTURE_DIR, 'synthetic.f32'));
  const data = new Float32Array(t.width * t.height);
  for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(i * 4);
  return { width: t.width, height: t.height, data };
}

/** The image a reference entry was computed on (corpus images read with our FITS reader). */
export async function referencePlane(key: string): Promise<{ plane: ImagePlane; err?: ImagePlane }> {
  const ref = references().images[key]!;
  if (!ref.file) return { plane: syntheticPlane() };
  const file = await FitsFile.open(join(FIXTURES_DIR, 'fits-corpus', ref.file));
  try {
    const plane = await readPlane(file, ref.hdu!);
    const errHdu = file.hdus.find((h) => h.name === 'ERR');
    const err = errHdu ? await readPlane(file, errHdu) : undefined;
    return err ? { plane, err } : { plane };
  } finally {
    await file.close();
  }
}

export const IMAGE_KEYS = ['synthetic', 'm13', 'ccdproc', 'miri'] as const;

/** Values on the reference grid (every step-th pixel of every step-th row). */
export function sampleGrid(data: ArrayLike<number>, width: number, height: number, step = references().grid_step): Array<Array<number | null>> {
  const rows: Array<Array<number | null>> = [];
  for (let y = 0; y < height; y += step) {
    const row: Array<number | null> = [];
    for (let x = 0; x < width; x += step) {
      const v = data[y * width + x]!;
      row.push(Number.isFinite(v) ? v : null);
    }
    rows.push(row);
  }
  return rows;
}

export function relClose(actual: number, expected: number, rel: number, abs = 0): boolean {
  if (Number.isNaN(actual) && Number.isNaN(expected)) return true;
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.abs(expected));
}

/** Largest relative difference between two grids over the cells where `expected` is not null. */
export function gridMaxRelDiff(actual: Array<Array<number | null>>, expected: Array<Array<number | null>>, floor = 1e-12): { max: number; where: string; compared: number } {
  let max = 0;
  let where = '';
  let compared = 0;
  expected.forEach((row, j) =>
    row.forEach((e, i) => {
      if (e === null) return;
      const a = actual[j]?.[i];
      compared++;
      if (a === null || a === undefined) {
        max = Infinity;
        where = `[${j}][${i}] expected ${e} got null`;
        return;
      }
      const d = Math.abs(a - e) / Math.max(Math.abs(e), floor);
      if (d > max) {
        max = d;
        where = `[${j}][${i}] expected ${e} got ${a}`;
      }
    }),
  );
  return { max, where, compared };
}

export function runLength(labels: Int32Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= labels.length; i++) {
    if (i === labels.length || labels[i] !== labels[start]) {
      out.push([labels[start]!, i - start]);
      start = i;
    }
  }
  return out;
}
