/** Small JWST-like FITS and ECSV files for the library tests (headers matter, pixels barely). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeFits, type NewCard } from '../../src/fits/index.js';

export interface FakeProduct {
  readonly rel: string;
  readonly instrument?: string;
  readonly filter?: string;
  readonly pupil?: string;
  readonly target?: string;
  readonly ra?: number;
  readonly dec?: number;
  readonly sRegion?: string;
  readonly extra?: readonly NewCard[];
}

export async function writeProduct(dataDir: string, p: FakeProduct): Promise<string> {
  const full = join(dataDir, p.rel);
  await mkdir(dirname(full), { recursive: true });
  const primary: NewCard[] = [
    { keyword: 'TELESCOP', value: 'JWST' },
    ...(p.instrument ? [{ keyword: 'INSTRUME', value: p.instrument }] : []),
    ...(p.filter ? [{ keyword: 'FILTER', value: p.filter }] : []),
    ...(p.pupil ? [{ keyword: 'PUPIL', value: p.pupil }] : []),
    ...(p.target ? [{ keyword: 'TARGPROP', value: p.target }] : []),
    ...(p.ra !== undefined ? [{ keyword: 'TARG_RA', value: p.ra }] : []),
    ...(p.dec !== undefined ? [{ keyword: 'TARG_DEC', value: p.dec }] : []),
    { keyword: 'PROGRAM', value: '02733' },
    ...(p.extra ?? []),
  ];
  const pixels = new Float32Array(16 * 12).map((_, i) => (i % 7) + 0.5);
  const bytes = await encodeFits([
    { axes: [], cards: primary },
    { axes: [16, 12], data: pixels, extname: 'SCI', cards: p.sRegion ? [{ keyword: 'S_REGION', value: p.sRegion }] : [] },
  ]);
  await writeFile(full, bytes);
  return full;
}

export async function writeEcsv(dataDir: string, rel: string): Promise<string> {
  const full = join(dataDir, rel);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, [
    '# %ECSV 1.0',
    '# ---',
    '# datatype:',
    '# - {name: id, datatype: int64}',
    '# - {name: flux, datatype: float64}',
    '# meta: !!omap',
    '# - INSTRUME: NIRCAM',
    '# - FILTER: F200W',
    'id flux',
    '1 2.5',
    '2 3.5',
    '',
  ].join('\n'));
  return full;
}
