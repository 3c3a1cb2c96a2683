import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { copyCorpus, writeCube } from './viewer-files.js';
import { FitsFile, readPlane } from '../../src/fits/index.js';

describe('FITS contents API', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await copyCorpus(engine.dataDir, 'snoww3d-jwst_miri_small.fits', 'miri.fits');
    await copyCorpus(engine.dataDir, 'astropy-tb.fits', 'tb.fits');
    await copyCorpus(engine.dataDir, 'iue-IUE_LWP.fits', 'iue.fits');
    await copyCorpus(engine.dataDir, 'astropy-dss.14.29.56-62.41.05.fits.gz', 'dss.fits.gz');
    await writeCube(engine.dataDir, 'cube.fits', 40, 30, 5);
  });
  after(async () => engine.dispose());
  const get = (url: string) => engine.app.inject({ url });

  it('GET /fits/info lists every HDU with type, dimensions, BITPIX and cards', async () => {
    const res = await get('/fits/info?file_path=miri.fits');
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.n_hdus, body.hdus.length);
    const sci = body.hdus.find((h: { name: string }) => h.name === 'SCI');
    assert.deepEqual([sci.index, sci.type, sci.dimensions, sci.shape, sci.bitpix], [1, 'image', [64, 64], [64, 64], -32]);
    assert.ok(sci.header.some((c: { keyword: string; value: unknown }) => c.keyword === 'CTYPE1' && c.value === 'RA---TAN'));
    const gz = (await get('/fits/info?file_path=dss.fits.gz')).json();
    assert.equal(gz.wrapper, 'gzip');
    assert.ok(gz.hdus.some((h: { type: string }) => h.type === 'bintable'));
  });

  it('GET /fits/header by index or EXTNAME; unknown HDU is a 400', async () => {
    const byName = (await get('/fits/header?file_path=miri.fits&hdu=sci')).json();
    const byIndex = (await get('/fits/header?file_path=miri.fits&hdu=1')).json();
    assert.deepEqual(byName, byIndex);
    assert.equal(byName.name, 'SCI');
    assert.match(byName.text, /^XTENSION= 'IMAGE   '/);
    assert.equal((await get('/fits/header?file_path=miri.fits')).json().index, 0);
    const missing = await get('/fits/header?file_path=miri.fits&hdu=9');
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().detail, /HDU 9 does not exist/);
  });

  it('GET /fits/table gives rows as JSON with TSCAL/TZERO applied and TNULL masked', async () => {
    const body = (await get('/fits/table?file_path=tb.fits')).json();
    assert.equal(body.hdu, 1);
    assert.deepEqual(body.column_names, ['c1', 'c2', 'c3', 'c4']);
    assert.equal(body.rows.length, 2);
    assert.equal(body.rows[0].c1, 1);
    assert.equal(body.rows[0].c2, 'abc');
    assert.ok(Math.abs(body.rows[0].c3 - 3.70000007) < 1e-6);
    const page = (await get('/fits/table?file_path=tb.fits&columns=c2&offset=1&limit=1')).json();
    assert.deepEqual(page.rows, [{ c2: 'xy' }]);
    const spectrum = (await get('/fits/table?file_path=iue.fits&columns=WAVELENGTH,FLUX')).json();
    assert.equal(spectrum.rows.length, 1);
    assert.equal(spectrum.rows[0].FLUX.length, 640);
    assert.deepEqual((await get('/fits/table?file_path=tb.fits&limit=0')).json(), { detail: 'Limit must be between 1 and 10000' });
    assert.deepEqual((await get('/fits/table?file_path=tb.fits&offset=-1')).json(), { detail: 'Offset must be 0 or greater' });
    assert.equal((await get('/fits/table?file_path=miri.fits&hdu=1')).statusCode, 400);
  });

  it('GET /fits/cutout returns a FITS image whose CRPIX moved with the cutout', async () => {
    const res = await get('/fits/cutout?file_path=miri.fits&x=10&y=12&width=20&height=16');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/fits');
    assert.match(String(res.headers['content-disposition']), /miri_cutout_10_12_20x16\.fits/);
    const f = await FitsFile.fromBuffer(res.rawPayload);
    const h = f.hdus[0]!;
    assert.deepEqual(h.axes, [20, 16]);
    assert.equal(h.header.getNumber('CRPIX1'), 32 - 10);
    assert.equal(h.header.getNumber('CRPIX2'), 32 - 12);
    assert.equal(h.header.getString('CTYPE1'), 'RA---TAN');
    const plane = await readPlane(f, 0);
    // cutout pixel (2, 3) is source pixel (12, 15): astropy data[15, 12] = 0.5840643644332886
    assert.equal(plane.data[3 * 20 + 2], Math.fround(0.5840643644332886));
  });

  it('cutouts are clipped to the image, a cube gives one plane, errors are 400', async () => {
    const clipped = await get('/fits/cutout?file_path=miri.fits&x=50&y=-5&width=100&height=10');
    assert.equal(clipped.statusCode, 200);
    assert.deepEqual([clipped.headers['x-cutout-x'], clipped.headers['x-cutout-y'], clipped.headers['x-cutout-width'], clipped.headers['x-cutout-height']], ['50', '0', '14', '5']);
    const cube = await get('/fits/cutout?file_path=cube.fits&x=0&y=0&width=4&height=4&slice_index=3');
    const f = await FitsFile.fromBuffer(cube.rawPayload);
    assert.deepEqual(f.hdus[0]!.axes, [4, 4]);
    assert.ok((await readPlane(f, 0)).data.every((v) => v >= 30 && v < 31));
    assert.equal((await get('/fits/cutout?file_path=miri.fits&x=100&y=100&width=5&height=5')).statusCode, 400);
    assert.deepEqual((await get('/fits/cutout?file_path=miri.fits&x=0&y=0&width=0&height=5')).json(), { detail: 'Width must be at least 1 pixel' });
    assert.equal((await get('/fits/cutout?file_path=miri.fits&x=0&y=0')).statusCode, 422);
  });
});
