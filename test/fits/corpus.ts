/** Shared access to the FITS corpus and its REFERENCE.json (astropy 5.2.1 answers) for the FITS tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../helpers/paths.js';

export const CORPUS_DIR = join(FIXTURES_DIR, 'fits-corpus');

export type RefValue = number | string | boolean | null | RefValue[] | { [k: string]: RefValue };

export interface RefStats {
  n_pixels: number;
  nan_count: number;
  posinf_count: number;
  neginf_count: number;
  min: number | string | null;
  max: number | string | null;
  mean: number | string | null;
  std: number | string | null;
  median: number | string | null;
  sum: number | string | null;
}

export interface RefSample {
  numpy_index: number[];
  fits_pixel: number[];
  value: number | string;
  raw: number | string;
}

export interface RefHdu {
  index: number;
  type: string;
  name: string;
  ver: number;
  header_offset?: number;
  data_offset?: number;
  data_span?: number;
  n_raw_cards: number;
  header_blocks: number;
  n_cards_astropy: number;
  COMMENT: number;
  HISTORY: number;
  CONTINUE: number;
  HIERARCH: number;
  blank: number;
  header: Record<string, RefValue>;
  cards: [string, RefValue, string][];
  image?: {
    data?: null;
    astropy_dtype?: string;
    raw_dtype?: string;
    shape_numpy?: number[];
    stats?: RefStats;
    samples?: RefSample[];
    blank_value?: number;
    blank_count?: number;
  };
  groups?: Record<string, RefValue> & {
    n_groups?: number;
    parnames?: string[];
    stats_of_array_part?: RefStats;
    first_groups?: { params: number[]; data: { values: number[] } }[];
  };
  compressed?: Record<string, RefValue>;
  table?: Record<string, RefValue>;
}

export interface RefChecksum {
  hdu: number;
  CHECKSUM: string | null;
  DATASUM: string | null;
  datasum: 'valid' | 'invalid' | 'missing';
  checksum: 'valid' | 'invalid' | 'missing';
}

export interface RefFile {
  file: string;
  size: number;
  wrapper: string;
  uncompressed_size: number;
  n_hdus?: number;
  hdus?: RefHdu[];
  open_error?: string;
  checksums?: RefChecksum[];
  note?: string;
}

let cached: RefFile[] | undefined;

export function referenceFiles(): RefFile[] {
  cached ??= (JSON.parse(readFileSync(join(CORPUS_DIR, 'REFERENCE.json'), 'utf8')) as { files: RefFile[] }).files;
  return cached;
}

export function corpusPath(name: string): string {
  return join(CORPUS_DIR, name);
}

/** REFERENCE.json writes NaN/Infinity as strings. */
export function refNumber(v: number | string | null | undefined): number {
  if (v === 'NaN' || v === null || v === undefined) return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

export interface Stats {
  n_pixels: number;
  nan_count: number;
  posinf_count: number;
  neginf_count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  median: number;
  sum: number;
}

/** numpy-style nan-statistics (float64, ddof=0) over every value (infinities included, as numpy does). */
export function statistics(values: ArrayLike<number>): Stats {
  const finite: number[] = [];
  let nan = 0;
  let pinf = 0;
  let ninf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else {
      if (v === Infinity) pinf++;
      if (v === -Infinity) ninf++;
      finite.push(v);
    }
  }
  const n = finite.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of finite) ss += (v - mean) * (v - mean);
  const sorted = Float64Array.from(finite).sort();
  const median = n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { n_pixels: values.length, nan_count: nan, posinf_count: pinf, neginf_count: ninf, min: n ? min : NaN, max: n ? max : NaN, mean, std: Math.sqrt(ss / n), median, sum: n ? sum : NaN };
}

/** Equal within `rel` relative (absolute near zero); NaN equals NaN. */
export function close(a: number, b: number, rel = 1e-6, abs = 1e-12): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= Math.max(rel * Math.max(Math.abs(a), Math.abs(b)), abs);
}
