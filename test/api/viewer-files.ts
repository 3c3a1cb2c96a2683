/** FITS files the viewer API tests put in the test engine's DATA_DIR (corpus copies and synthetic ones). */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

export const CORPUS = join(FIXTURES_DIR, 'fits-corpus');

export async function copyCorpus(dataDir: string, name: string, as = name): Promise<string> {
  await copyFile(join(CORPUS, name), join(dataDir, as));
  return as;
}

/** A w x h float32 image: value = x + 1000 y, NaN inside `nanBox` [x0, x1) x [y0, y1). */
export async function writeRamp(dataDir: string, name: string, w: number, h: number, nanBox?: [number, number, number, number], cards: Array<{ keyword: string; value: string | number }> = []): Promise<string> {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = nanBox && x >= nanBox[0] && x < nanBox[1] && y >= nanBox[2] && y < nanBox[3];
      data[y * w + x] = inside ? NaN : x + 1000 * y;
    }
  }
  await writeFile(join(dataDir, name), await encodeFits([{ axes: [w, h], data, cards }]));
  return name;
}

/** A cube w x h x n whose slice k is constant k * 10 except a ramp in row 0 (so zscale has a range). */
export async function writeCube(dataDir: string, name: string, w: number, h: number, n: number): Promise<string> {
  const data = new Float32Array(w * h * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < w * h; i++) data[k * w * h + i] = k * 10 + (i % w) / w;
  }
  const cards = [
    { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' }, { keyword: 'CTYPE3', value: 'WAVE' },
    { keyword: 'CUNIT3', value: 'um' }, { keyword: 'CRVAL3', value: 4.9 }, { keyword: 'CDELT3', value: 0.001 }, { keyword: 'CRPIX3', value: 1 },
    { keyword: 'CRVAL1', value: 10 }, { keyword: 'CRVAL2', value: -5 }, { keyword: 'CRPIX1', value: 1 }, { keyword: 'CRPIX2', value: 1 },
    { keyword: 'CDELT1', value: -1e-4 }, { keyword: 'CDELT2', value: 1e-4 }, { keyword: 'PC1_1', value: 0 }, { keyword: 'PC1_2', value: -1 },
    { keyword: 'PC2_1', value: 1 }, { keyword: 'PC2_2', value: 0 }, { keyword: 'BUNIT', value: 'MJy/sr' },
  ];
  await writeFile(join(dataDir, name), await encodeFits([{ axes: [w, h, n], data, cards }]));
  return name;
}
