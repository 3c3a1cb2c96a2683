/** Synthetic JWST-like input files for the reprojection benchmarks (written once per run). */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FitsWriter } from '../../src/fits/index.js';

export interface BenchTile {
  readonly path: string;
  readonly ra: number;
  readonly dec: number;
  readonly rotation: number;
}

const SCALE = 8.7e-6; // degrees per pixel (NIRCam short wavelength, 0.031")

async function writeTile(path: string, n: number, ra: number, dec: number, rotationDeg: number, seed: number): Promise<void> {
  const data = new Float32Array(n * n);
  let s = seed >>> 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const noise = (s / 4294967296 - 0.5) * 0.2;
      data[y * n + x] = 1 + 0.5 * Math.sin(x * 0.01 + seed) * Math.cos(y * 0.013) + noise;
    }
  }
  // A NaN strip along one edge, as real i2d products have.
  for (let y = 0; y < n; y++) for (let x = 0; x < 12; x++) data[y * n + x] = NaN;
  const r = (rotationDeg * Math.PI) / 180;
  const w = await FitsWriter.create(path);
  await w.writeImage({ axes: [], cards: [{ keyword: 'TELESCOP', value: 'JWST' }, { keyword: 'INSTRUME', value: 'NIRCAM' }] });
  await w.writeImage({
    axes: [n, n],
    data,
    extname: 'SCI',
    cards: [
      { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
      { keyword: 'CRPIX1', value: (n + 1) / 2 }, { keyword: 'CRPIX2', value: (n + 1) / 2 },
      { keyword: 'CRVAL1', value: ra }, { keyword: 'CRVAL2', value: dec },
      { keyword: 'CDELT1', value: -SCALE }, { keyword: 'CDELT2', value: SCALE },
      { keyword: 'CUNIT1', value: 'deg' }, { keyword: 'CUNIT2', value: 'deg' },
      { keyword: 'PC1_1', value: Math.cos(r) }, { keyword: 'PC1_2', value: -Math.sin(r) },
      { keyword: 'PC2_1', value: Math.sin(r) }, { keyword: 'PC2_2', value: Math.cos(r) },
      { keyword: 'RADESYS', value: 'ICRS' }, { keyword: 'BUNIT', value: 'MJy/sr' },
    ],
  });
  await w.close();
}

/** Four 2048x2048 tiles in a 2x2 layout overlapping by ~200 px. */
export async function mosaicInputs(dir: string, n = 2048): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const step = (n - 200) * SCALE;
  const dec0 = -27.79;
  const cosd = Math.cos((dec0 * Math.PI) / 180);
  const paths: string[] = [];
  let k = 0;
  for (const [i, j] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    const path = join(dir, `tile${k}.fits`);
    await writeTile(path, n, 53.16 - (i * step) / cosd, dec0 + j * step, [0, 3, -2, 5][k]!, 11 + k);
    paths.push(path);
    k++;
  }
  return paths;
}

/**
 * `cols x rows` tiles of n x n in a grid overlapping by ~200 px, each with its own sky pedestal
 * (the observation-mosaic memory benchmark: 20 x 10 tiles of 2048^2 span ~37 000 x 18 700 px).
 */
export async function gridTiles(dir: string, n: number, cols: number, rows: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const step = (n - 200) * SCALE;
  const dec0 = -27.79 - ((rows - 1) * step) / 2;
  const paths: string[] = [];
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const k = j * cols + i;
      const dec = dec0 + j * step;
      const path = join(dir, `tile${String(k).padStart(3, '0')}.fits`);
      await writeTile(path, n, 53.16 - (i * step) / Math.cos((dec * Math.PI) / 180), dec, (k % 7) - 3, 1000 + k);
      paths.push(path);
    }
  }
  return paths;
}

/** Three 2048x2048 images of the same field (three "filters", slightly offset and rotated). */
export async function compositeInputs(dir: string, n = 2048): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let k = 0; k < 3; k++) {
    const path = join(dir, `filter${k}.fits`);
    await writeTile(path, n, 53.16 + k * 3e-4, -27.79 + k * 2e-4, k * 1.5, 101 + k);
    paths.push(path);
  }
  return paths;
}
