/** -TAB lookup axes: the corpus file with a TIME-TAB axis, its table read by the FITS core. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FitsFile } from '../../src/fits/index.js';
import { readColumn } from '../../src/fits/table/index.js';
import { attachTabArrays, parseWcs, TabAxis, Wcs } from '../../src/wcs/index.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { assertMatchesReference, type ReferenceFile } from './wcs-reference.js';

const CORPUS = join(FIXTURES_DIR, 'fits-corpus');

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
      const ref = JSON.parse(readFileSync(join(CORPUS, 'REFERENCE.json'), 'utf8')) as ReferenceFile;
      const w = ref.files.find((f) => f.file === 'astropy-tab-time-last-axis.fits')!.hdus[0]!.wcs!;
      assertMatchesReference(wcs, w);
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
