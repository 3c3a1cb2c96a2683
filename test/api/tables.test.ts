/**
 * GET /analysis/table-info and /analysis/table-data (upstream contract section 4) over a FITS
 * table and an ECSV catalogue: search, stable sort both ways, clamped pages, masked/NaN -> null,
 * the upstream 400 messages.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { writeFits } from '../../src/fits/writer.js';

const ECSV = fileURLToPath(new URL('../fixtures/ecsv/', import.meta.url));

describe('table routes', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await copyFile(join(ECSV, 'jwst_cat.ecsv'), join(engine.dataDir, 'f200w_cat.ecsv'));
    await copyFile(join(ECSV, 'all-types.ecsv'), join(engine.dataDir, 'types.ecsv'));
    const n = 1234;
    const table = encodeBinTable(
      [
        { name: 'ID', values: Int32Array.from({ length: n }, (_, i) => i) },
        { name: 'FLUX', unit: 'Jy', disp: 'E12.4', values: Float64Array.from({ length: n }, (_, i) => (i % 10 === 3 ? Number.NaN : (i * 7919) % 1000)) },
        { name: 'NAME', format: '12A', values: Array.from({ length: n }, (_, i) => (i % 100 === 0 ? `Star-${i}` : `src${i}`)) },
        { name: 'VEC', format: '3E', values: Array.from({ length: n }, (_, i) => [i, i + 0.5, Number.NaN]) },
        { name: 'FLAG', format: '1J', tnull: -1, values: Array.from({ length: n }, (_, i) => (i % 2 ? null : i % 7)) },
      ],
      { extname: 'CAT' },
    );
    await writeFits(join(engine.dataDir, 'cat.fits'), [{ axes: [] }, { type: 'table', ...table }]);
  });
  after(async () => engine.dispose());
  const get = (url: string) => engine.app.inject({ url });

  it('table-info lists FITS table HDUs and the one ECSV table with column metadata', async () => {
    const fits = (await get('/analysis/table-info?file_path=cat.fits')).json();
    assert.equal(fits.file_name, 'cat.fits');
    assert.equal(fits.table_hdus.length, 1);
    const t = fits.table_hdus[0];
    assert.deepEqual([t.index, t.name, t.hdu_type, t.n_rows, t.n_columns], [1, 'CAT', 'BinTableHDU', 1234, 5]);
    assert.deepEqual(t.columns[1], { name: 'FLUX', dtype: '1D', unit: 'Jy', format: 'E12.4', description: null, is_array: false, array_shape: null });
    assert.equal(t.columns[2].is_array, false, '12A is one string');
    assert.deepEqual([t.columns[3].is_array, t.columns[3].array_shape], [true, [3]]);
    const ecsv = (await get('/analysis/table-info?file_path=f200w_cat.ecsv')).json();
    assert.deepEqual(ecsv.table_hdus.map((h: { index: number; hdu_type: string; n_rows: number }) => [h.index, h.hdu_type, h.n_rows]), [[0, 'ECSV', 40]]);
    const sky = ecsv.table_hdus[0].columns.find((c: { name: string }) => c.name === 'sky_centroid');
    assert.equal(sky.dtype, 'SkyCoord');
    const flux = ecsv.table_hdus[0].columns.find((c: { name: string }) => c.name === 'aper30_flux');
    assert.deepEqual([flux.dtype, flux.unit, flux.format], ['float64', 'Jy', '.6e']);
  });

  it('table-data pages, clamps past the end, and nulls NaN and TNULL', async () => {
    const p0 = (await get('/analysis/table-data?file_path=cat.fits&hdu_index=1&page_size=10')).json();
    assert.deepEqual([p0.total_rows, p0.total_columns, p0.page, p0.page_size, p0.rows.length], [1234, 5, 0, 10, 10]);
    assert.equal(p0.rows[3].FLUX, null);
    assert.equal(p0.rows[1].FLAG, null);
    assert.equal(p0.rows[0].VEC, '[0.0 0.5 nan]');
    const last = (await get('/analysis/table-data?file_path=cat.fits&hdu_index=1&page_size=100&page=99')).json();
    assert.deepEqual([last.page, last.rows.length, last.rows[0].ID], [12, 34, 1200]);
  });

  it('sorts by any column, stably, both directions, missing values last', async () => {
    const base = '/analysis/table-data?file_path=cat.fits&hdu_index=1&sort_column=flux';
    const url = `${base}&page_size=500`;
    const asc = (await get(url)).json();
    assert.equal(asc.sort_column, 'FLUX');
    const all: { ID: number; FLUX: number | null }[] = [];
    for (let page = 0; page < 3; page++) all.push(...(await get(`${url}&page=${page}`)).json().rows);
    assert.equal(all.length, 1234);
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1] as { ID: number; FLUX: number | null };
      const b = all[i] as { ID: number; FLUX: number | null };
      if (b.FLUX === null) continue;
      assert.ok(a.FLUX !== null && (a.FLUX < b.FLUX || (a.FLUX === b.FLUX && a.ID < b.ID)), `row ${i}`);
    }
    assert.equal(all.filter((r) => r.FLUX === null).length, 124);
    const present = all.filter((r) => r.FLUX !== null) as { ID: number; FLUX: number }[];
    const desc = (await get(`${base}&sort_direction=desc&page_size=500`)).json();
    const expected = [...present].sort((a, b) => b.FLUX - a.FLUX || a.ID - b.ID).slice(0, 500);
    assert.deepEqual(desc.rows.map((r: { ID: number }) => r.ID), expected.map((r) => r.ID), 'descending, ties in table order');
    const lastDesc = (await get(`${base}&sort_direction=desc&page_size=500&page=2`)).json();
    assert.equal(lastDesc.rows.at(-1).FLUX, null, 'missing values last when descending too');
    const byName = (await get('/analysis/table-data?file_path=cat.fits&hdu_index=1&page_size=2&sort_column=NAME')).json();
    assert.deepEqual(byName.rows.map((r: { NAME: string }) => r.NAME), ['Star-0', 'Star-100']);
  });

  it('searches the printed cells case-insensitively; total_rows counts matches', async () => {
    const r = (await get('/analysis/table-data?file_path=cat.fits&hdu_index=1&search=%20star-1&sort_column=ID&sort_direction=desc')).json();
    assert.deepEqual(r.rows.map((x: { NAME: string }) => x.NAME), ['Star-1200', 'Star-1100', 'Star-1000', 'Star-100']);
    assert.equal(r.total_rows, 4);
    assert.equal(r.search, 'star-1');
    const none = (await get('/analysis/table-data?file_path=cat.fits&hdu_index=1&search=nothing-like-this')).json();
    assert.deepEqual([none.total_rows, none.page, none.rows.length], [0, 0, 0]);
  });

  it('serves ECSV catalogues: SkyCoord as "ra dec", masked -> null, sort and search', async () => {
    const r = (await get('/analysis/table-data?file_path=f200w_cat.ecsv&page_size=5&sort_column=aper30_flux&sort_direction=desc')).json();
    assert.equal(r.hdu_index, 0);
    assert.match(r.rows[0].sky_centroid, /^53\.\d{6} -27\.\d{6}$/);
    const flux = r.rows.map((x: { aper30_flux: number }) => x.aper30_flux);
    assert.deepEqual([...flux].sort((a, b) => b - a), flux);
    const types = (await get('/analysis/table-data?file_path=types.ecsv')).json();
    assert.deepEqual(types.rows.map((x: { mi: number | null }) => x.mi), [1, null, 3, 4, null]);
    assert.deepEqual(types.rows.map((x: { int64: number | string }) => x.int64), ['-9223372036854775808', '-9007199254740993', 0, '9007199254740993', '9223372036854775807']);
    assert.equal(types.rows[3].float16, null);
    const found = (await get('/analysis/table-data?file_path=types.ecsv&search=%C3%9CN%C3%AF')).json();
    assert.equal(found.total_rows, 1);
  });

  it('gives the upstream 400s', async () => {
    const detail = async (q: string) => {
      const res = await get(`/analysis/table-data?${q}`);
      assert.equal(res.statusCode, 400, q);
      return res.json().detail as string;
    };
    assert.equal(await detail('file_path=cat.fits&hdu_index=1&page_size=501'), 'page_size must be between 1 and 500');
    assert.equal(await detail('file_path=cat.fits&hdu_index=1&page_size=0'), 'page_size must be between 1 and 500');
    assert.equal(await detail('file_path=cat.fits&hdu_index=1&page=-1'), 'page must be >= 0');
    assert.equal(await detail('file_path=cat.fits&hdu_index=7'), 'HDU index 7 out of range (file has 2 HDUs)');
    assert.equal(await detail('file_path=cat.fits'), 'HDU 0 is not a table (type: PrimaryHDU)');
    assert.match(await detail('file_path=cat.fits&hdu_index=1&sort_column=nope'), /^Column 'nope' not found/);
    assert.match(await detail('file_path=cat.fits&hdu_index=1&sort_column=VEC'), /arrays/);
    assert.match(await detail('file_path=types.ecsv&hdu_index=1'), /out of range/);
    await import('node:fs/promises').then((fs) => fs.writeFile(join(engine.dataDir, 'bad.ecsv'), 'not,an,ecsv\n1,2,3\n'));
    assert.match(await detail('file_path=bad.ecsv'), /^File is not a readable ECSV table/);
    assert.equal((await get('/analysis/table-info?file_path=../x.ecsv')).statusCode, 403);
  });
});
