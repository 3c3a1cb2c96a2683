import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { fileSize, materialize, type FileKind, type FileSpec } from '../fake-mast/product-files.js';

/** JWST-like products as the fake MAST serves them (SCI/ERR/DQ, TAN as PC + CDELT, s3d cube, x1d table). */
function spec(kind: FileKind, filename: string): FileSpec {
  return {
    filename, kind, instrument: 'MIRI', detector: 'MIRIMAGE', filter: 'F770W', target: 'NGC-3132', program: '02733',
    obsId: 'jw02733-o001_t001_miri_f770w', ra: 151.7573, dec: -40.4374, scale: 0.11, pa: 30, imageSize: 256,
  };
}

describe('viewer on JWST-like products', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    for (const [kind, name] of [['i2d', 'jw_i2d.fits'], ['s3d', 'jw_s3d.fits'], ['x1d', 'jw_x1d.fits'], ['uncal', 'jw_uncal.fits']] as const) {
      const s = spec(kind, name);
      await materialize(s, join(engine.dataDir, name), await fileSize(s));
    }
  });
  after(async () => engine.dispose());
  const get = (url: string) => engine.app.inject({ url });

  it('i2d: the SCI extension is previewed, NaN outside the rotated coverage is transparent', async () => {
    const res = await get('/preview/x?file_path=jw_i2d.fits&width=512&height=512&cmap=inferno');
    assert.equal(res.statusCode, 200);
    assert.equal(res.rawPayload[25], 6, 'RGBA because of NaN');
    const { data, info } = await sharp(res.rawPayload).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [512, 512]);
    assert.equal(data[3], 0, 'corner (outside the rotated footprint) is transparent');
    assert.equal(data[(256 * 512 + 256) * 4 + 3], 255, 'centre is opaque');
  });

  it('i2d: /pixeldata gives the rotated CD matrix (PC x CDELT), not the unrotated CDELT', async () => {
    const body = (await get('/pixeldata/x?file_path=jw_i2d.fits&max_size=128')).json();
    const s = 0.11 / 3600;
    const th = (30 * Math.PI) / 180;
    const want = [-s * Math.cos(th), s * Math.sin(th), s * Math.sin(th), s * Math.cos(th)];
    const got = [body.wcs.cd1_1, body.wcs.cd1_2, body.wcs.cd2_1, body.wcs.cd2_2];
    got.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]!) < 1e-12, `cd ${i}: ${v} vs ${want[i]}`));
    assert.equal(body.units, 'MJy/sr');
    assert.deepEqual(body.preview_shape, [128, 128]);
    assert.equal(body.scale_factor, 2);
  });

  it('s3d: cube info says Wavelength in um; each slice previews and the histogram follows the slice', async () => {
    const info = (await get('/cubeinfo/x?file_path=jw_s3d.fits')).json();
    assert.equal(info.is_cube, true);
    assert.equal(info.n_slices, 64);
    assert.equal(info.slice_label, 'Wavelength');
    assert.equal(info.slice_unit, 'um');
    assert.deepEqual(info.axis3, { crval3: 11.55, cdelt3: 0.003, crpix3: 1, cunit3: 'um', ctype3: 'WAVE' });
    const p = await get('/preview/x?file_path=jw_s3d.fits&slice_index=40');
    assert.equal(p.headers['x-cube-slices'], '64');
    assert.equal(p.headers['x-cube-current'], '40');
    const line = (await get('/histogram/x?file_path=jw_s3d.fits&slice_index=40&stretch=linear')).json();
    const continuum = (await get('/histogram/x?file_path=jw_s3d.fits&slice_index=0&stretch=linear')).json();
    assert.ok(line.stretch.vmax > continuum.stretch.vmax * 1.4, 'slice 40 (emission line) is brighter');
  });

  it('x1d: /fits/table returns the spectrum columns', async () => {
    const body = (await get('/fits/table?file_path=jw_x1d.fits&columns=WAVELENGTH,FLUX&limit=300')).json();
    assert.equal(body.name, 'EXTRACT1D');
    assert.equal(body.rows.length, 256);
    assert.ok(Math.abs(body.rows[0].WAVELENGTH - 11.55) < 1e-12);
    assert.equal(body.columns.find((c: { name: string }) => c.name === 'FLUX').unit, 'Jy');
  });

  it('uncal: a 4-D SCI (groups x integrations) previews its middle plane', async () => {
    const res = await get('/preview/x?file_path=jw_uncal.fits');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-cube-slices'], '1');
  });
});
