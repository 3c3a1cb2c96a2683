/** Synthetic JWST-like FITS files (empty PRIMARY with TELESCOP/INSTRUME, SCI with a TAN WCS) for the composite and mosaic tests. */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FitsWriter, type NewCard } from '../../src/fits/index.js';

export interface TileSpec {
  readonly name: string;
  readonly ra: number;
  readonly dec: number;
  readonly width: number;
  readonly height: number;
  /** Degrees per pixel. */
  readonly scale: number;
  /** Rotation of the PC matrix, degrees. */
  readonly rotation?: number;
  readonly value: (x: number, y: number) => number;
  readonly filter?: string;
  readonly noWcs?: boolean;
  /** INSTRUME of the primary header (default NIRCAM). */
  readonly instrument?: string;
}

export function tileCards(t: TileSpec): NewCard[] {
  const r = ((t.rotation ?? 0) * Math.PI) / 180;
  return [
    { keyword: 'CTYPE1', value: 'RA---TAN' },
    { keyword: 'CTYPE2', value: 'DEC--TAN' },
    { keyword: 'CRPIX1', value: (t.width + 1) / 2 },
    { keyword: 'CRPIX2', value: (t.height + 1) / 2 },
    { keyword: 'CRVAL1', value: t.ra },
    { keyword: 'CRVAL2', value: t.dec },
    { keyword: 'CDELT1', value: -t.scale },
    { keyword: 'CDELT2', value: t.scale },
    { keyword: 'CUNIT1', value: 'deg' },
    { keyword: 'CUNIT2', value: 'deg' },
    { keyword: 'PC1_1', value: Math.cos(r) },
    { keyword: 'PC1_2', value: -Math.sin(r) },
    { keyword: 'PC2_1', value: Math.sin(r) },
    { keyword: 'PC2_2', value: Math.cos(r) },
    { keyword: 'RADESYS', value: 'ICRS' },
  ];
}

export async function writeTile(dataDir: string, t: TileSpec): Promise<string> {
  const path = join(dataDir, t.name);
  await mkdir(dirname(path), { recursive: true });
  const data = new Float32Array(t.width * t.height);
  for (let y = 0; y < t.height; y++) for (let x = 0; x < t.width; x++) data[y * t.width + x] = t.value(x, y);
  const w = await FitsWriter.create(path);
  await w.writeImage({ axes: [], cards: [{ keyword: 'TELESCOP', value: 'JWST' }, { keyword: 'INSTRUME', value: t.instrument ?? 'NIRCAM' }, { keyword: 'FILTER', value: t.filter ?? 'F200W' }] });
  await w.writeImage({ axes: [t.width, t.height], data, extname: 'SCI', cards: [...(t.noWcs ? [] : tileCards(t)), { keyword: 'BUNIT', value: 'MJy/sr' }] });
  await w.close();
  return t.name;
}
