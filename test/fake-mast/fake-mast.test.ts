import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { FakeMast } from './server.js';
import { pyQuote } from '../../src/mast/invoke.js';

let fake: FakeMast;
before(async () => {
  fake = await FakeMast.start();
});
after(async () => {
  await fake.close();
});

async function invoke(obj: object, method: 'GET' | 'POST' = 'POST') {
  const form = `request=${pyQuote(JSON.stringify(obj))}`;
  const res = method === 'GET'
    ? await request(`${fake.url}/api/v0/invoke?${form}`)
    : await request(`${fake.url}/api/v0/invoke`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return (await res.body.json()) as Record<string, any>;
}

describe('fake MAST', () => {
  it('every product file has exactly the size its product row states, and FITS files start with SIMPLE', async () => {
    let checked = 0;
    for (const rows of fake.dataset.productsByObsid.values()) {
      for (const row of rows) {
        const file = fake.dataset.files.get(String(row.dataURI).toLowerCase());
        assert.ok(file, `file for ${row.dataURI}`);
        assert.equal(row.size, file.size);
        if (file.size > 2_000_000 || checked > 40) continue; // the big HST placeholders, and enough is enough
        const bytes = await file.load();
        assert.equal(bytes.length, file.size, file.filename);
        if (file.filename.endsWith('.fits')) assert.equal(bytes.subarray(0, 9).toString('latin1'), 'SIMPLE  =');
        checked++;
      }
    }
    assert.ok(checked > 30);
  });

  it('answers the documented envelope: numeric ids declared "string", _selected_, paging keys', async () => {
    const r = await invoke({ service: 'Mast.Caom.Filtered', params: { columns: '*', filters: [{ paramName: 'proposal_id', values: ['2733'] }] }, format: 'json', pagesize: 4, page: 2 });
    assert.equal(r.status, 'COMPLETE');
    assert.deepEqual(Object.keys(r.paging).sort(), ['page', 'pageSize', 'pagesFiltered', 'rows', 'rowsFiltered', 'rowsTotal']);
    assert.deepEqual(r.paging, { page: 2, pageSize: 4, pagesFiltered: 8, rows: 4, rowsFiltered: 30, rowsTotal: 30 });
    assert.equal(typeof r.data[0].obsid, 'number');
    assert.deepEqual(r.fields.find((f: { name: string }) => f.name === 'obsid'), { name: 'obsid', type: 'string' });
    assert.ok(r.fields.some((f: { name: string }) => f.name === '_selected_'));
    assert.equal(r.data[0]._selected_, null);
  });

  it('supports GET invoke, case-insensitive paramName, separators, ranges, COUNT_BIG(*) and column lists', async () => {
    const count = await invoke({ service: 'Mast.Caom.Filtered', params: { columns: 'COUNT_BIG(*)', filters: [{ paramName: 'Proposal_ID', values: ['2733'] }, { paramName: 'filters', separator: ';', values: ['F444W'] }] } }, 'GET');
    assert.deepEqual(count.data, [{ Column1: 6 }]);
    const cols = await invoke({ service: 'Mast.Caom.Filtered', params: { columns: 'obs_id,t_obs_release', filters: [{ paramName: 't_obs_release', values: [{ min: 59773, max: 59774 }] }, { paramName: 'calib_level', values: ['3'] }] } });
    assert.equal(cols.data.length, 10);
    assert.deepEqual(Object.keys(cols.data[0]).sort(), ['_selected_', 'obs_id', 't_obs_release']);
  });

  it('name lookup hits and misses, SANTA, columnsconfig, whoami', async () => {
    const hit = await invoke({ service: 'Mast.Name.Lookup', params: { input: 'M103', format: 'json' } }, 'GET');
    assert.equal(hit.resolvedCoordinate[0].canonicalName, 'MESSIER 103');
    const miss = await invoke({ service: 'Mast.Name.Lookup', params: { input: 'nothing here', format: 'json' } });
    assert.deepEqual(miss, { resolvedCoordinate: [], status: '' });
    const santa = (await (await request(`${fake.url}/Santa-war/query?name=NGC%203132&outputFormat=json`)).body.json()) as { resolvedCoordinate: Array<{ searchString: string }> };
    assert.equal(santa.resolvedCoordinate[0]!.searchString, 'ngc 3132');
    const cc = (await (await request(`${fake.url}/portal/Mashup/Mashup.asmx/columnsconfig`, { method: 'POST', body: 'colConfigId=Mast.Caom.Cone', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).body.json()) as Record<string, { separator?: string }>;
    assert.equal(cc.obs_collection!.separator, ';');
    const anon = (await (await request(`${fake.url}/whoami`)).body.json()) as { anon: boolean };
    assert.equal(anon.anon, true);
    const user = (await (await request(`${fake.url}/whoami`, { headers: { authorization: 'token fake-mast-token' } })).body.json()) as { anon: boolean };
    assert.equal(user.anon, false);
  });

  it('unknown services and bad product obsids answer status ERROR', async () => {
    assert.equal((await invoke({ service: 'Mast.Nope', params: {} })).status, 'ERROR');
    const bad = await invoke({ service: 'Mast.Caom.Products', params: { obsid: 'jw02733-o001' } });
    assert.equal(bad.status, 'ERROR');
    assert.match(bad.msg, /nvarchar to bigint/);
  });

  it('is switchable over HTTP (admin endpoints) as well as from JS', async () => {
    await request(`${fake.url}/__fake/switches`, { method: 'POST', body: JSON.stringify({ executingPolls: 1, idsAsStrings: true }) });
    const first = await invoke({ service: 'Mast.Caom.Products', params: { obsid: '83209967' }, cacheBreaker: 'x' });
    assert.equal(first.status, 'EXECUTING');
    const second = await invoke({ service: 'Mast.Caom.Products', params: { obsid: '83209967' }, cacheBreaker: 'x' });
    assert.equal(second.status, 'COMPLETE');
    assert.equal(second.data[0].obsID, '83209967');
    await request(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify({ mode: 'http', status: 503 }) });
    const res = await request(`${fake.url}/api/v0/invoke`, { method: 'POST', body: 'request={}' });
    assert.equal(res.statusCode, 503);
    assert.match(await res.body.text(), /<title>503 Service Temporarily Unavailable<\/title>/);
    await request(`${fake.url}/__fake/reset`, { method: 'POST' });
    assert.equal(fake.switches.executingPolls, 0);
  });
});
