/** -TAB lookup axes: the corpus file with a TIME-TAB axis, its table read by the FITS core. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FitsFile } from '../../src/fits/index.js';
import { readColumn } from '../../src/fits/table/index.js';
import { attachTabArrays, parseWcs, TabAxis, Wcs } from '../../src/wcs/index.js';
import { SHARED_DIR } from '../helpers/paths.js';
import { jsonNumber, pixelError, worldError } from './wcs-reference.js';

const CORPUS = join(SHARED_DIR, 'fits-corpus');

describe('-TAB axes', () => {
  it('astropy-tab-time-last-axis.fits: all three axes as astropy 5.2.1', async () => {
    const file = await FitsFile.open(join(CORPUS, 'astropy-tab-time-last-axis.fits'));
    try {
      const base = parseWcs(file.hdus[0]!.header);
      assert.equal(base.tabRequests?.length, 1);
      const def = await attachTabArrays(base, async (req, column) => {
        const hdu = file.hdus.find((h) => h.name === req.extname && h.ver === req.extver)!;
        const { cells } = await readColumn(file, hdu, column);
        // An array cell: { shape, values } (values in FITS order).
        const cell = cells[0] as unknown as { values: ArrayLike<number> };
        return Array.from(cell.values);
      });
      const wcs = new Wcs(def);
      const ref = JSON.parse(readFileSync(join(CORPUS, 'REFERENCE.json'), 'utf8')) as { files: Array<{ file: string; hdus: Array<{ wcs?: { pixel_to_world: Array<{ pixel_0based: number[]; world: unknown[] }>; world_to_pixel: Array<{ world: unknown[]; pixel_0based: unknown[] }> } }> }> };
      const w = ref.files.find((f) => f.file === 'astropy-tab-time-last-axis.fits')!.hdus[0]!.wcs!;
      for (const p of w.pixel_to_world) {
        const want = p.world.map(jsonNumber);
        const err = worldError(wcs, wcs.pixelToWorld(p.pixel_0based), want);
        assert.ok(err <= 1e-9, `pixel ${p.pixel_0based}: ${wcs.pixelToWorld(p.pixel_0based)} vs ${want}`);
      }
      for (const p of w.world_to_pixel) {
        const want = p.pixel_0based.map(jsonNumber);
        const got = wcs.worldToPixel(p.world.map(jsonNumber));
        assert.ok(pixelError(got, want) <= 1e-6, `world ${p.world}: ${got} vs ${want}`);
      }
    } finally {
      await file.close();
    }
  });

  it('interpolates a non-uniform table with an index vector and its inverse', () => {
    const tab = new TabAxis({ axis: 0, coords: [10, 20, 40, 80], index: [0, 1, 2, 4] });
    assert.equal(tab.forward(0.5), 15);
    assert.equal(tab.forward(3), 60);
    assert.equal(tab.inverse(60), 3);
    assert.ok(Number.isNaN(tab.forward(10)), 'far outside the table');
    assert.equal(tab.forward(-0.5), 5, 'half a cell of extrapolation');
  });
});
