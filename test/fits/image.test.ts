/** Image sections: row ranges and cube planes read only their bytes and equal the same part of the whole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsError, FitsFile, firstImageHdu, imageGeometry, readPlane, readPlaneRows } from '../../src/fits/index.js';
import { corpusPath } from './corpus.js';

describe('image sections', () => {
  it('row ranges equal the same rows of the whole plane', async () => {
    const f = await FitsFile.open(corpusPath('astropy-scale.fits'));
    const whole = await readPlane(f, 0);
    const part = await readPlane(f, 0, { rows: [5, 9] });
    assert.equal(part.height, 4);
    assert.deepEqual([...part.data], [...whole.data.subarray(5 * whole.width, 9 * whole.width)]);
    await f.close();
  });

  it('one plane of a cube', async () => {
    const f = await FitsFile.open(corpusPath('astropy-arange.fits'));
    const hdu = f.hdus[0]!;
    assert.deepEqual(imageGeometry(hdu), { width: 11, height: 10, planes: 7, planeAxes: [7] });
    const p3 = await readPlane(f, hdu, { plane: [3] });
    // arange.fits holds 0..769 in FITS order.
    assert.equal(p3.data[0], 3 * 110);
    assert.equal(p3.data[109], 3 * 110 + 109);
    await assert.rejects(readPlane(f, hdu, { plane: [7] }), FitsError);
    await assert.rejects(readPlane(f, hdu, { rows: [3, 3] }), FitsError);
    await f.close();
  });

  it('row bands stream the plane in order', async () => {
    const f = await FitsFile.open(corpusPath('ccdproc-a8280271.fits'));
    const whole = await readPlane(f, 0);
    const seen: number[] = [];
    let y = 0;
    for await (const band of readPlaneRows(f, 0, { bandRows: 64 })) {
      assert.equal(band.y0, y);
      assert.deepEqual(band.data, whole.data.subarray(y * whole.width, (y + band.rows) * whole.width));
      seen.push(band.rows);
      y += band.rows;
    }
    assert.equal(y, whole.height);
    assert.ok(seen.length > 1);
    await f.close();
  });

  it('firstImageHdu skips empty primaries and tables; HDUs by name and version', async () => {
    const f = await FitsFile.open(corpusPath('astropy-o4sp040b0_raw.fits'));
    assert.equal(firstImageHdu(f)?.index, 1);
    assert.equal(f.hdu('sci', 2).index, 4);
    assert.throws(() => f.hdu('NOPE'), FitsError);
    await f.close();
  });
});
