/** Image sections: row ranges and cube planes read only their bytes and equal the same part of the whole. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsError, FitsFile, Header, firstImageHdu, imageGeometry, readPlane, readPlaneRows, releasePlane, writeFits } from '../../src/fits/index.js';
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

  it('planes larger than one read chunk (pipelined reads) decode exactly, also from reused memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fits-image-'));
    try {
      const w = 1500;
      const f32 = Float32Array.from({ length: w * w }, (_, i) => (i % 1001 === 0 ? NaN : i * 0.25));
      const i32 = Int32Array.from({ length: w * w }, (_, i) => i * 3 - 1_000_000);
      const path = join(dir, 'big.fits');
      await writeFits(path, [{ axes: [] }, { data: f32, axes: [w, w], extname: 'F' }, { data: i32, axes: [w, w], extname: 'I', bscale: 2, bzero: 1, bitpix: 32 }]);
      const f = await FitsFile.open(path);
      for (let round = 0; round < 2; round++) {
        const a = await readPlane(f, 'F');
        for (let k = 0; k < f32.length; k += 997) assert.ok(Object.is(a.data[k], f32[k]), `F pixel ${k}`);
        assert.ok(Object.is(a.data[f32.length - 1], f32[f32.length - 1]));
        const b = await readPlane(f, 'I');
        assert.ok(b.data instanceof Float64Array);
        for (let k = 0; k < i32.length; k += 991) assert.equal(b.data[k], Math.round((i32[k]! - 1) / 2) * 2 + 1, `I pixel ${k}`);
        releasePlane(a);
        releasePlane(b);
      }
      await f.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pixel arrays own their memory, so worker threads can transfer them', async () => {
    const f = await FitsFile.open(corpusPath('sunpy-gzip_test.fits.gz'));
    const plane = await readPlane(f, 0);
    const moved = structuredClone(plane.data, { transfer: [plane.data.buffer as ArrayBuffer] });
    assert.equal(moved.length, 32 * 32);
    for await (const band of readPlaneRows(f, 0, { bandRows: 3 })) structuredClone(band.data, { transfer: [band.data.buffer as ArrayBuffer] });
    await f.close();
  });

  it('a 4 GiB cube is indexed and sectioned in bounded memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fits-4g-'));
    try {
      // Header declaring 4096 x 4096 x 64 float32 (4 GiB); the data is a sparse hole of zeros.
      const h = new Header();
      h.set('SIMPLE', true).set('BITPIX', -32).set('NAXIS', 3).set('NAXIS1', 4096).set('NAXIS2', 4096).set('NAXIS3', 64);
      const head = h.toBuffer();
      const path = join(dir, 'cube.fits');
      const fh = await open(path, 'w');
      await fh.write(head, 0, head.length, 0);
      await fh.truncate(head.length + 4096 * 4096 * 64 * 4);
      await fh.close();
      const before = process.memoryUsage().rss;
      const f = await FitsFile.open(path);
      assert.equal(f.hdus[0]!.dataBytes, 4 * 1024 ** 3);
      const part = await readPlane(f, 0, { plane: [63], rows: [4000, 4096] });
      assert.equal(part.data.length, 96 * 4096);
      assert.equal(part.data[0], 0);
      await assert.rejects(readPlane(f, 0, { maxElements: 1_000_000 }), (e: unknown) => e instanceof FitsError && e.code === 'FITS_TOO_LARGE');
      let rows = 0;
      for await (const band of readPlaneRows(f, 0, { plane: [32] })) rows += band.rows;
      assert.equal(rows, 4096);
      await f.close();
      assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, 'memory stayed bounded');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
