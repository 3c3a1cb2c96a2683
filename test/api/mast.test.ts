import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

let fake: FakeMast;
let engine: TestEngine;

async function post(url: string, payload: unknown, e: TestEngine = engine) {
  const res = await e.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

/** A 422 names the field in `loc` (FastAPI style). */
function assert422(r: { status: number; body: Record<string, any> }, field: string) {
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body.detail), JSON.stringify(r.body));
  assert.ok(r.body.detail.some((d: { loc: unknown[] }) => d.loc.includes(field)), `${field} named in ${JSON.stringify(r.body.detail)}`);
}

before(async () => {
  fake = await FakeMast.start();
  engine = await startTestEngine({ MAST_BASE_URL: fake.url, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01' });
});
afterEach(() => {
  fake.reset();
  engine.ctx.mast.clearCache();
});
after(async () => {
  await engine.dispose();
  await fake.close();
});

describe('POST /mast/search/target', () => {
  it('answers the contract envelope with MAST rows as sent, plus totals, distance and https URLs', async () => {
    const r = await post('/mast/search/target', { target_name: 'NGC 3132' });
    assert.equal(r.status, 200);
    const b = r.body;
    assert.equal(b.search_type, 'target');
    assert.deepEqual(b.query_params, { target_name: 'NGC 3132', radius: 0.2, calib_level: [2, 3] });
    assert.equal(b.result_count, 30);
    assert.equal(b.total_count, 30);
    assert.equal(b.results.length, 30);
    assert.match(b.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(b.resolved, { ra: 151.75735, dec: -40.436406, canonical_name: 'NGC 3132', resolver: 'SIMBAD' });
    const row = b.results.find((x: { obs_id: string }) => x.obs_id === 'jw02733-o002_t001_miri_f770w');
    assert.equal(row.instrument_name, 'MIRI/IMAGE');
    assert.equal(row.obsid, 87602452);
    assert.equal(row.dataURL, 'mast:JWST/product/jw02733-o002_t001_miri_f770w_i2d.fits');
    assert.match(row.dataURL_https, /\/api\/v0\.1\/Download\/file\?uri=mast%3AJWST\/product\/jw02733-o002_t001_miri_f770w_i2d\.fits$/);
    assert.ok(row.distance > 7 && row.distance < 8, 'arcsec from the resolved position');
    assert.ok(b.results.every((x: { obs_collection: string; dataRights: string }) => x.obs_collection === 'JWST' && x.dataRights === 'PUBLIC'));
  });

  it('filters, limit/offset, include_proprietary, and explicit nulls (as the .NET backend sends)', async () => {
    const miri = await post('/mast/search/target', { target_name: 'NGC 3132', calib_level: [3], filters: { instrument: 'MIRI' } });
    assert.equal(miri.body.total_count, 4);
    assert.ok(miri.body.results.every((x: { instrument_name: string }) => x.instrument_name.startsWith('MIRI')));
    const paged = await post('/mast/search/target', { target_name: 'NGC 3132', radius: 0.2, calib_level: [3], limit: 3, offset: 8 });
    assert.equal(paged.body.result_count, 2);
    assert.equal(paged.body.total_count, 10);
    assert.equal(paged.body.limit, 3);
    assert.equal(paged.body.offset, 8);
    const eap = await post('/mast/search/target', { target_name: 'NGC 3132', calib_level: [3], filters: { include_proprietary: true } });
    assert.equal(eap.body.total_count, 11);
    const nulls = await post('/mast/search/target', { target_name: 'NGC 3132', radius: 0.2, calib_level: null, filters: null, limit: null, offset: null });
    assert.equal(nulls.status, 200);
    assert.equal(nulls.body.total_count, 30);
  });

  it('serves repeated searches from the cache', async () => {
    await post('/mast/search/target', { target_name: 'NGC 3132' });
    const again = await post('/mast/search/target', { target_name: 'ngc 3132' });
    assert.equal(again.body.cached, true);
    assert.equal(fake.invokes().length, 1);
    assert.equal(fake.log.filter((l) => l.service === 'Mast.Name.Lookup').length, 1);
  });

  it('404 for a name no resolver knows', async () => {
    const r = await post('/mast/search/target', { target_name: 'Nowhere Object 42' });
    assert.equal(r.status, 404);
    assert.equal(r.body.detail, 'Could not resolve target "Nowhere Object 42" to a sky position. Check the spelling (e.g. "NGC 3132") or search by coordinates.');
  });

  it('422 for bad input, naming the field', async () => {
    assert422(await post('/mast/search/target', {}), 'target_name');
    assert422(await post('/mast/search/target', { target_name: '   ' }), 'target_name');
    assert422(await post('/mast/search/target', { target_name: 'NGC 3132', radius: 10.5 }), 'radius');
    assert422(await post('/mast/search/target', { target_name: 'NGC 3132', radius: 0 }), 'radius');
    assert422(await post('/mast/search/target', { target_name: 'NGC 3132', calib_level: [7] }), 'calib_level');
    assert422(await post('/mast/search/target', { target_name: 'NGC 3132', filters: { colour: 'red' } }), 'colour');
  });
});

describe('POST /mast/resolve', () => {
  it('resolves a name, 404 for an unknown one, 422 for an empty one', async () => {
    const r = await post('/mast/resolve', { target_name: 'Southern Ring Nebula' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { target_name: 'Southern Ring Nebula', ra: 151.75735, dec: -40.436406, canonical_name: 'NGC 3132', resolver: 'SIMBAD' });
    const miss = await post('/mast/resolve', { target_name: 'Nowhere Object 42' });
    assert.equal(miss.status, 404);
    assert.match(miss.body.detail, /^Could not resolve target "Nowhere Object 42"/);
    assert422(await post('/mast/resolve', { target_name: '' }), 'target_name');
  });
});

describe('POST /mast/search/coordinates', () => {
  it('accepts degrees and sexagesimal strings alike', async () => {
    const deg = await post('/mast/search/coordinates', { ra: 151.755, dec: -40.437, radius: 0.1, calib_level: [3] });
    const sexa = await post('/mast/search/coordinates', { ra: '10:07:01.2', dec: '-40:26:13.2', radius: 0.1, calib_level: [3] });
    const hms = await post('/mast/search/coordinates', { ra: '10h07m01.2s', dec: '-40d26m13.2s', radius: 0.1, calib_level: [3] });
    assert.equal(deg.status, 200);
    assert.equal(deg.body.search_type, 'coordinates');
    assert.deepEqual(deg.body.query_params, { ra: 151.755, dec: -40.437, radius: 0.1, calib_level: [3] });
    assert.equal(deg.body.total_count, 10);
    for (const r of [sexa, hms]) {
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.results.map((x: { obs_id: string }) => x.obs_id).sort(), deg.body.results.map((x: { obs_id: string }) => x.obs_id).sort());
      assert.ok(Math.abs(r.body.query_params.ra - 151.755) < 1e-9);
    }
  });

  it('is a cone across RA 0/360 and at the poles', async () => {
    const wrap = await post('/mast/search/coordinates', { ra: 0.05, dec: -15.4611, radius: 0.5, calib_level: [3] });
    assert.deepEqual(wrap.body.results.map((x: { obs_id: string }) => x.obs_id).sort(), ['jw01334-o001_t001_nircam_clear-f090w', 'jw09991-o001_t001_nircam_clear-f150w']);
    const pole = await post('/mast/search/coordinates', { ra: 0, dec: 90, radius: 0.1 });
    assert.equal(pole.body.total_count, 2);
    const south = await post('/mast/search/coordinates', { ra: '13:20:00', dec: '-89:59:24', radius: 0.05 });
    assert.deepEqual(south.body.results.map((x: { obs_id: string }) => x.obs_id), ['jw09992-o004_t001_miri_f770w']);
  });

  it('422 for RA outside [0, 360), Dec outside [-90, 90], unreadable angles', async () => {
    assert422(await post('/mast/search/coordinates', { ra: 360, dec: 0 }), 'ra');
    assert422(await post('/mast/search/coordinates', { ra: -1, dec: 0 }), 'ra');
    assert422(await post('/mast/search/coordinates', { ra: 10, dec: 90.5 }), 'dec');
    assert422(await post('/mast/search/coordinates', { ra: 'ten', dec: 0 }), 'ra');
    assert422(await post('/mast/search/coordinates', { ra: 10, dec: '12h00m00s' }), 'dec');
    assert422(await post('/mast/search/coordinates', { dec: 0 }), 'ra');
    const r = await post('/mast/search/coordinates', { ra: 400, dec: 0 });
    assert.equal(r.body.detail[0].msg, 'ra: must be in [0, 360) degrees, got 400');
  });
});

describe('POST /mast/search/observation and /mast/search/program', () => {
  it('observation ids with * wildcards; calib_level null means all levels', async () => {
    const r = await post('/mast/search/observation', { obs_id: 'jw02733-o001*', calib_level: null });
    assert.equal(r.status, 200);
    assert.equal(r.body.search_type, 'observation_id');
    assert.deepEqual(r.body.query_params, { obs_id: 'jw02733-o001*', calib_level: null });
    assert.equal(r.body.result_count, 6);
    const exact = await post('/mast/search/observation', { obs_id: 'jw04567-o001_t001_nircam_clear-f200w' });
    assert.equal(exact.body.result_count, 1, 'an exact id shows exclusive-access data');
    assert.equal(exact.body.results[0].dataRights, 'EXCLUSIVE_ACCESS');
    const none = await post('/mast/search/observation', { obs_id: 'jw99999-o001_t001_nircam_clear-f000w' });
    assert.equal(none.status, 200);
    assert.equal(none.body.result_count, 0);
  });

  it('program ids as numbers or strings', async () => {
    const a = await post('/mast/search/program', { program_id: 2733, calib_level: [3] });
    const b = await post('/mast/search/program', { program_id: '02733', calib_level: [3] });
    assert.equal(a.status, 200);
    assert.equal(a.body.search_type, 'program_id');
    assert.deepEqual(a.body.query_params, { program_id: '2733', calib_level: [3] });
    assert.equal(a.body.total_count, 10);
    assert.equal(b.body.total_count, 10);
  });

  it('422 for ids outside the strict patterns', async () => {
    for (const obs_id of ['*', 'a;b', 'jw02733 o001', "jw'--", '../etc', '']) assert422(await post('/mast/search/observation', { obs_id }), 'obs_id');
    for (const program_id of ['abc', '123456', '27 33', -5]) assert422(await post('/mast/search/program', { program_id }), 'program_id');
  });
});

describe('POST /mast/search/recent', () => {
  it('newest first with defaults, instrument filter, paging', async () => {
    const r = await post('/mast/search/recent', {});
    assert.equal(r.status, 200);
    assert.equal(r.body.search_type, 'recent_releases');
    assert.deepEqual(r.body.query_params, { days_back: 30, instrument: null, limit: 50, offset: 0 });
    assert.deepEqual(r.body.results.map((x: { obs_id: string }) => x.obs_id), ['jw05627-o001_t001_nircam_clear-f150w', 'jw05627-o002_t001_miri_f1000w']);
    const miri = await post('/mast/search/recent', { days_back: 60, instrument: 'miri', limit: 10, offset: 0 });
    assert.deepEqual(miri.body.results.map((x: { obs_id: string }) => x.obs_id), ['jw05627-o002_t001_miri_f1000w']);
    const page = await post('/mast/search/recent', { days_back: 60, limit: 1, offset: 1 });
    assert.deepEqual(page.body.results.map((x: { obs_id: string }) => x.obs_id), ['jw05627-o002_t001_miri_f1000w']);
    assert.equal(page.body.total_count, 3);
  });

  it('422 for days_back / limit out of range', async () => {
    assert422(await post('/mast/search/recent', { days_back: 0 }), 'days_back');
    assert422(await post('/mast/search/recent', { days_back: 366 }), 'days_back');
    assert422(await post('/mast/search/recent', { limit: 201 }), 'limit');
    assert422(await post('/mast/search/recent', { offset: -1 }), 'offset');
  });
});

describe('POST /mast/products', () => {
  it('defaults to SCIENCE .fits products, de-duplicated, with download URLs and sizes', async () => {
    const r = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w' });
    assert.equal(r.status, 200);
    assert.equal(r.body.obs_id, 'jw02733-o001_t001_nircam_clear-f090w');
    assert.equal(r.body.product_count, 10);
    assert.equal(r.body.products.length, 10);
    assert.deepEqual(r.body.obsids, ['87602454']);
    const i2d = r.body.products.find((p: { productSubGroupDescription: string }) => p.productSubGroupDescription === 'I2D');
    assert.equal(i2d.productFilename, 'jw02733-o001_t001_nircam_clear-f090w_i2d.fits');
    assert.equal(i2d.dataURI, 'mast:JWST/product/jw02733-o001_t001_nircam_clear-f090w_i2d.fits');
    assert.equal(i2d.download_url, `${fake.url}/api/v0.1/Download/file?uri=mast%3AJWST/product/jw02733-o001_t001_nircam_clear-f090w_i2d.fits`);
    assert.equal(r.body.total_bytes, r.body.products.reduce((n: number, p: { size: number }) => n + p.size, 0));
  });

  it('filters by product type, subgroup, calibration level and extension', async () => {
    const all = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w', product_type: 'ALL', extension: '*' });
    assert.equal(all.body.product_count, 13);
    const i2d = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w', product_subgroup: 'I2D' });
    assert.equal(i2d.body.product_count, 1);
    const previews = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w', product_type: ['PREVIEW'], extension: ['jpg'] });
    assert.equal(previews.body.product_count, 1);
    const l2 = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w', calib_level: [2], product_subgroup: ['CAL', 'RATE'] });
    assert.equal(l2.body.product_count, 4);
    const nulls = await post('/mast/products', { obs_id: 'jw01039-o004_t001_miri_ch3-long', product_type: null, calib_level: null, product_subgroup: null, extension: null, mrp_only: null });
    assert.deepEqual(nulls.body.products.map((p: { productFilename: string }) => p.productFilename), ['jw01039-o004_t001_miri_ch3-long_s3d.fits', 'jw01039-o004_t001_miri_ch3-long_x1d.fits']);
  });

  it('works whether MAST sends ids as numbers or as strings', async () => {
    fake.set({ idsAsStrings: true });
    const r = await post('/mast/products', { obs_id: 'jw02733-o002_t001_miri_f770w', product_subgroup: 'I2D' });
    assert.equal(r.status, 200);
    assert.equal(r.body.products[0].obsID, '87602452');
    assert.deepEqual(r.body.obsids, ['87602452']);
    const s = await post('/mast/search/observation', { obs_id: 'jw02733-o002_t001_miri_f770w' });
    assert.equal(s.body.results[0].obsid, '87602452');
  });

  it('404 for an unknown observation, 422 for a bad obs_id', async () => {
    const r = await post('/mast/products', { obs_id: 'jw99999-o001_t001_nircam_clear-f000w' });
    assert.equal(r.status, 404);
    assert.match(r.body.detail, /^Observation "jw99999-o001_t001_nircam_clear-f000w" was not found in MAST/);
    assert422(await post('/mast/products', { obs_id: 'jw02733-o001*' }), 'obs_id');
    assert422(await post('/mast/products', { obs_id: 'x/../../etc' }), 'obs_id');
  });
});

describe('MAST failures through the API', () => {
  it('status ERROR → 502 with MAST msg', async () => {
    fake.fault({ mode: 'error-status', msg: "Incorrect syntax near '*'." });
    const r = await post('/mast/search/program', { program_id: 2733 });
    assert.equal(r.status, 502);
    assert.equal(r.body.detail, "MAST rejected the Mast.Caom.Filtered query: Incorrect syntax near '*'.");
  });

  it('HTML 503 pages until retries run out → 502', async () => {
    fake.fault({ mode: 'http', status: 503, times: Infinity });
    const r = await post('/mast/search/program', { program_id: 2733 });
    assert.equal(r.status, 502);
    assert.equal(r.body.detail, 'MAST failed the Mast.Caom.Filtered request after 3 attempts: HTTP 503 (503 Service Temporarily Unavailable). Try again later.');
  });

  it('200 with an HTML page → 502', async () => {
    fake.fault({ mode: 'html-200', times: Infinity });
    const r = await post('/mast/search/observation', { obs_id: 'jw02733-o001*' });
    assert.equal(r.status, 502);
    assert.match(r.body.detail, /^MAST answered the Mast\.Caom\.Filtered request with an HTML page instead of JSON \(HTTP 200, "MAST Maintenance"\) after 3 attempts; it may be down for maintenance/);
  });

  it('connection resets → 502', async () => {
    fake.fault({ mode: 'reset', times: Infinity });
    const r = await post('/mast/products', { obs_id: 'jw02733-o001_t001_nircam_clear-f090w' });
    assert.equal(r.status, 502);
    assert.match(r.body.detail, /^MAST is unreachable at http:\/\/127\.0\.0\.1:\d+ after 3 attempts: connection reset\. Check MAST_BASE_URL/);
  });

  it('nginx 504 Gateway Time-out → 504', async () => {
    fake.fault({ mode: 'http', status: 504, times: Infinity });
    const r = await post('/mast/search/coordinates', { ra: 151.755, dec: -40.437 });
    assert.equal(r.status, 504);
    assert.match(r.body.detail, /^MAST timed out answering the Mast\.Caom\.Filtered\.Position request after 3 attempts: HTTP 504 \(504 Gateway Time-out\)\. Try a smaller search radius/);
  });

  it('name resolver failing → 502; recovers on retry (503, 429 Retry-After)', async () => {
    fake.fault({ scope: 'resolver', mode: 'http', status: 502, times: Infinity });
    const r = await post('/mast/search/target', { target_name: 'WLM' });
    assert.equal(r.status, 502);
    assert.match(r.body.detail, /Mast\.Name\.Lookup request after 3 attempts: HTTP 502 \(502 Bad Gateway\)/);
    fake.reset();
    fake.fault({ scope: 'resolver', mode: 'http', status: 503 }).fault({ mode: 'http', status: 429, retryAfter: '0' });
    const ok = await post('/mast/search/target', { target_name: 'WLM', calib_level: [3] });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.results[0].obs_id, 'jw01334-o001_t001_nircam_clear-f090w');
  });

  it('MAST unreachable → 502', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = await startTestEngine({ MAST_BASE_URL: `http://127.0.0.1:${port}`, MAX_RETRIES: '1', RETRY_BASE_DELAY: '0' });
    try {
      const r = await post('/mast/search/program', { program_id: 2733 }, down);
      assert.equal(r.status, 502);
      assert.equal(r.body.detail, `MAST is unreachable at http://127.0.0.1:${port} after 2 attempts: connection refused. Check MAST_BASE_URL and the network, or try again later.`);
    } finally {
      await down.dispose();
    }
  });

  it('a stalled MAST or endless EXECUTING → 504 within MAST_SEARCH_TIMEOUT', async () => {
    const slow = await startTestEngine({ MAST_BASE_URL: fake.url, MAST_SEARCH_TIMEOUT: '1', RETRY_BASE_DELAY: '0.01' });
    try {
      fake.fault({ mode: 'stall', times: Infinity });
      const r = await post('/mast/search/target', { target_name: 'NGC 3132' }, slow);
      // The budget ends the search instead of hanging: the 504 names it (a wall-clock bound on the
      // request, here before, flaked on a loaded machine; a hang fails the run's per-file timeout).
      assert.equal(r.status, 504);
      assert.equal(r.body.detail, 'MAST search timed out after 1 seconds. Try a smaller search radius or a more specific query.');
      fake.reset();
      fake.set({ executingPolls: 1_000_000, executingHoldMs: 50 });
      const e = await post('/mast/search/program', { program_id: 2733 }, slow);
      assert.equal(e.status, 504);
      assert.equal(e.body.detail, 'MAST search timed out after 1 seconds. Try a smaller search radius or a more specific query.');
    } finally {
      await slow.dispose();
    }
  });

  it('EXECUTING for a while, then COMPLETE → 200', async () => {
    fake.set({ executingPolls: 3, executingHoldMs: 20 });
    const r = await post('/mast/search/program', { program_id: 2733, calib_level: [3] });
    assert.equal(r.status, 200);
    assert.equal(r.body.total_count, 10);
    assert.equal(fake.invokes().length, 4);
  });
});
