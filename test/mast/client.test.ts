import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ManualClock } from '../../src/core/retry.js';
import { FakeMast } from '../fake-mast/server.js';
import {
  MastClient, MastServiceError, MastTimeoutError, MastUnavailableError, ObservationNotFoundError, TargetNotResolvedError,
  listObservationProducts, MastQueryTooBroadError, ALL_PRODUCTS, type MastClientOptions,
} from '../../src/mast/index.js';

let fake: FakeMast;
const clients: MastClient[] = [];

function client(opts: Partial<MastClientOptions> = {}): MastClient {
  const c = new MastClient({ baseUrl: fake.url, searchTimeoutMs: 10_000, retryBaseDelayMs: 5, requestTimeoutMs: 5_000, pollDelayMs: 1, ...opts });
  clients.push(c);
  return c;
}

function decodeRequest(body: string): Record<string, unknown> {
  return JSON.parse(new URLSearchParams(body).get('request') ?? '{}') as Record<string, unknown>;
}

before(async () => {
  fake = await FakeMast.start();
});
afterEach(async () => {
  fake.reset();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
after(async () => {
  await fake.close();
});

describe('invoke protocol', () => {
  it('re-sends the byte-identical request while MAST answers EXECUTING', async () => {
    fake.set({ executingPolls: 3 });
    const r = await client().searchObservation({ obsId: 'jw02733-o001_t001_nircam_clear-f090w' });
    assert.equal(r.totalCount, 1);
    const sent = fake.invokes('Mast.Caom.Filtered');
    assert.equal(sent.length, 4, '3 EXECUTING + 1 COMPLETE');
    assert.ok(sent.every((s) => s.body === sent[0]!.body), 'polls are byte-identical');
    assert.equal(sent[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(sent[0]!.body, /^request=%7B%22service%22%3A%22Mast\.Caom\.Filtered%22/);
  });

  it('pages through pagesFiltered with one cacheBreaker and collects every row', async () => {
    const r = await client({ pageSize: 7 }).searchProgram({ programId: 2733, calibLevel: [2, 3] });
    assert.equal(r.totalCount, 30);
    assert.equal(new Set(r.rows.map((x) => x.obs_id)).size, 30);
    const sent = fake.invokes('Mast.Caom.Filtered').map((s) => decodeRequest(s.body));
    assert.deepEqual(sent.map((s) => s.page), [1, 2, 3, 4, 5]);
    assert.ok(sent.every((s) => s.cacheBreaker === sent[0]!.cacheBreaker && s.pagesize === 7));
  });

  it('turns status ERROR into a 502-class error carrying MAST msg', async () => {
    fake.fault({ mode: 'error-status', msg: "Incorrect syntax near '*'." });
    await assert.rejects(client().searchProgram({ programId: 2733 }), (e: unknown) => {
      assert.ok(e instanceof MastServiceError);
      assert.equal(e.httpStatus, 502);
      assert.equal(e.mastMessage, "Incorrect syntax near '*'.");
      assert.match(e.message, /Incorrect syntax near/);
      return true;
    });
  });

  it('accepts ids as numbers or strings', async () => {
    for (const idsAsStrings of [false, true]) {
      fake.set({ idsAsStrings });
      const c = client();
      const r = await c.searchObservation({ obsId: 'jw02733-o001_t001_nircam_clear-f090w' });
      assert.equal(typeof r.rows[0]!.obsid, idsAsStrings ? 'string' : 'number');
      const list = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w', { subgroup: ['I2D'] });
      assert.equal(list.products.length, 1);
      assert.equal(String(list.products[0]!.obsID), '87602454');
    }
  });

  it('drops the _selected_ pseudo-column and keeps rows as sent', async () => {
    const r = await client().searchObservation({ obsId: 'jw02733-o002_t001_miri_f770w' });
    const row = r.rows[0]!;
    assert.equal('_selected_' in row, false);
    assert.equal(row.instrument_name, 'MIRI/IMAGE');
    assert.equal(row.dataURL, 'mast:JWST/product/jw02733-o002_t001_miri_f770w_i2d.fits');
    assert.equal(row.dataURL_https, `${fake.url}/api/v0.1/Download/file?uri=mast%3AJWST/product/jw02733-o002_t001_miri_f770w_i2d.fits`);
  });
});

describe('retries and timeouts', () => {
  it('retries HTML 502/503/504 pages, resets, 200-with-HTML and 429 with Retry-After', async (t) => {
    fake.fault({ mode: 'http', status: 503, times: 1 })
      .fault({ mode: 'reset', times: 1 })
      .fault({ mode: 'html-200', times: 1 })
      .fault({ mode: 'http', status: 429, retryAfter: '3', times: 1 });
    // The shared retry helper (src/core/retry.ts) waits on the injected clock: no real sleeping.
    const clock = new ManualClock();
    // Every real timer set meanwhile (a wall-clock bound on the search flaked on a loaded machine).
    const timers = t.mock.method(globalThis, 'setTimeout');
    const r = await client({ maxRetries: 5, retryClock: clock }).searchProgram({ programId: 2733 });
    assert.equal(r.totalCount, 30);
    assert.equal(fake.invokes('Mast.Caom.Filtered').length, 5);
    assert.equal(clock.sleeps.length, 4);
    // backoff 5 ms·2^(n-1) plus up to 50 % jitter; the 429's Retry-After (3 s) wins for the last wait
    clock.sleeps.slice(0, 3).forEach((ms, i) => assert.ok(ms >= 5 * 2 ** i && ms <= 7.5 * 2 ** i, `retry ${i + 1}: ${ms} ms`));
    assert.equal(clock.sleeps[3], 3000);
    // The engine's own timers (undici's keep-alive ones aside): none for any of the clock's waits.
    const real = timers.mock.calls.filter((c) => !c.stack.stack?.includes('/node_modules/')).map((c) => c.arguments[1] as number | undefined);
    assert.ok(!clock.sleeps.some((ms) => real.includes(ms)), `the waits were not slept for real: timers of ${real.join(', ')} ms`);
  });

  it('a Retry-After past the search budget ends the retries at once', async () => {
    fake.fault({ mode: 'http', status: 429, retryAfter: '60', times: 1 });
    const clock = new ManualClock();
    await assert.rejects(client({ maxRetries: 5, retryClock: clock }).searchProgram({ programId: 2733 }), (e: unknown) => e instanceof MastUnavailableError);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(fake.invokes('Mast.Caom.Filtered').length, 1);
  });

  it('gives up after maxRetries with a 502 naming the failure', async () => {
    fake.fault({ mode: 'http', status: 503, times: Infinity });
    const clock = new ManualClock();
    await assert.rejects(client({ maxRetries: 2, retryClock: clock }).searchProgram({ programId: 2733 }), (e: unknown) => {
      assert.ok(e instanceof MastUnavailableError);
      assert.equal(e.httpStatus, 502);
      assert.match(e.message, /after 3 attempts: HTTP 503 \(503 Service Temporarily Unavailable\)/);
      return true;
    });
    assert.equal(fake.invokes().length, 3);
    assert.equal(clock.sleeps.length, 2);
  });

  it('maps a persistent HTML 504 from MAST to a 504', async () => {
    fake.fault({ mode: 'http', status: 504, times: Infinity });
    await assert.rejects(client({ maxRetries: 1 }).searchProgram({ programId: 2733 }), (e: unknown) => e instanceof MastTimeoutError && /Gateway Time-out/.test(e.message));
  });

  it('does not retry other 4xx', async () => {
    fake.fault({ mode: 'http', status: 400, html: false, times: Infinity });
    await assert.rejects(client().searchProgram({ programId: 2733 }), (e: unknown) => e instanceof MastUnavailableError && /HTTP 400/.test(e.message));
    assert.equal(fake.invokes().length, 1);
  });

  it('a stalled socket hits the per-request timeout, is retried, then fails as 504', async () => {
    fake.fault({ mode: 'stall', times: Infinity });
    // It gives up instead of hanging: both attempts were ended by the per-request timeout (the
    // message says so), not by a wall-clock bound on the test (which flaked on a loaded machine).
    await assert.rejects(client({ requestTimeoutMs: 150, maxRetries: 1 }).searchProgram({ programId: 2733 }), (e: unknown) => {
      assert.ok(e instanceof MastTimeoutError);
      assert.equal(e.httpStatus, 504);
      assert.match(e.message, /did not answer .* in time after 2 attempts/);
      return true;
    });
    assert.equal(fake.invokes().length, 2, 'two attempts, each cut by the per-request timeout');
  });

  it('a stall recovers when the retry is answered', async () => {
    fake.fault({ mode: 'stall', times: 1 });
    const r = await client({ requestTimeoutMs: 150 }).searchProgram({ programId: 2733 });
    assert.equal(r.totalCount, 30);
  });

  it('the overall budget bounds endless EXECUTING', async () => {
    fake.set({ executingPolls: 1_000_000, executingHoldMs: 20 });
    await assert.rejects(client({ searchTimeoutMs: 300 }).searchProgram({ programId: 2733 }), (e: unknown) => {
      assert.ok(e instanceof MastTimeoutError);
      assert.match(e.message, /MAST search timed out after 0\.3 seconds/);
      return true;
    });
  });

  it('connection refused is a 502 saying MAST is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = new MastClient({ baseUrl: `http://127.0.0.1:${port}`, searchTimeoutMs: 5000, retryBaseDelayMs: 1, maxRetries: 1 });
    clients.push(c);
    await assert.rejects(c.searchProgram({ programId: 1 }), (e: unknown) => e instanceof MastUnavailableError && /unreachable .*connection refused/.test(e.message));
  });
});

describe('name resolution', () => {
  it('resolves with Mast.Name.Lookup (GET) and caches the answer', async () => {
    const c = client();
    const a = await c.resolveName('NGC 3132');
    assert.equal(a.ra, 151.75735);
    assert.equal(a.dec, -40.436406);
    assert.equal(a.canonicalName, 'NGC 3132');
    const b = await c.resolveName('ngc  3132');
    assert.equal(b.ra, a.ra);
    const lookups = fake.log.filter((l) => l.service === 'Mast.Name.Lookup');
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0]!.method, 'GET');
  });

  it('an unknown name is a 404-class TargetNotResolvedError', async () => {
    await assert.rejects(client().resolveName('Nowhere Object 42'), (e: unknown) => {
      assert.ok(e instanceof TargetNotResolvedError);
      assert.equal(e.httpStatus, 404);
      assert.match(e.message, /Could not resolve target "Nowhere Object 42"/);
      return true;
    });
  });

  it('tries spelling variants and the SANTA resolver', async () => {
    assert.equal((await client().resolveName('NGC_3132')).ra, 151.75735);
    const santa = client({ resolver: { kind: 'santa', resolvers: ['SIMBAD', 'NED'] } });
    const r = await santa.resolveName('M101');
    assert.equal(r.ra, 210.802429);
    assert.ok(fake.log.some((l) => l.path === '/Santa-war/query' && /resolver=SIMBAD&resolver=NED/.test(l.query)));
  });
});

describe('searches', () => {
  it('target search: a true cone, JWST only, proprietary data hidden by default', async () => {
    const c = client();
    const r = await c.searchTarget({ targetName: 'NGC 3132', radius: 0.2, calibLevel: [3] });
    assert.equal(r.totalCount, 10);
    assert.ok(r.rows.every((x) => x.obs_collection === 'JWST' && x.calib_level === 3 && x.dataRights === 'PUBLIC'));
    assert.ok(r.rows.every((x, i) => i === 0 || x.distance! >= r.rows[i - 1]!.distance!), 'sorted by distance');
    const withEap = await c.searchTarget({ targetName: 'NGC 3132', radius: 0.2, calibLevel: [3], includeProprietary: true });
    assert.equal(withEap.totalCount, 11);
    const sent = decodeRequest(fake.invokes('Mast.Caom.Filtered.Position')[0]!.body);
    assert.equal((sent.params as { position: string }).position, '151.75735, -40.436406, 0.2');
  });

  it('cone searches across RA 0/360', async () => {
    const c = client();
    const east = await c.searchCoordinates({ ra: 0.05, dec: -15.4611, radius: 0.5 });
    assert.deepEqual(east.rows.map((r) => r.obs_id).sort(), ['jw01334-o001_t001_nircam_clear-f090w', 'jw09991-o001_t001_nircam_clear-f150w']);
    const west = await c.searchCoordinates({ ra: 359.99, dec: -15.4611, radius: 0.1 });
    assert.deepEqual(west.rows.map((r) => r.obs_id), ['jw09991-o001_t001_nircam_clear-f150w']);
    assert.ok(Math.abs(west.rows[0]!.distance! - 0.04 * Math.cos((15.4611 * Math.PI) / 180) * 3600) < 0.5);
  });

  it('cone searches near the poles (RA spans everything, distances are great circles)', async () => {
    const c = client();
    const north = await c.searchCoordinates({ ra: 0, dec: 90, radius: 0.1 });
    assert.deepEqual(north.rows.map((r) => r.obs_id).sort(), ['jw09992-o001_t001_miri_f770w', 'jw09992-o002_t001_miri_f770w']);
    const across = await c.searchCoordinates({ ra: 10, dec: 89.95, radius: 0.11 });
    assert.deepEqual(across.rows.map((r) => r.obs_id), ['jw09992-o001_t001_miri_f770w', 'jw09992-o002_t001_miri_f770w']);
    assert.ok(Math.abs(across.rows[1]!.distance! - 360) < 0.01, '0.1 deg over the pole');
    const wide = await c.searchCoordinates({ ra: 280, dec: 89.9, radius: 0.65 });
    assert.equal(wide.totalCount, 3);
    const south = await c.searchCoordinates({ ra: 200, dec: -89.99, radius: 0.05 });
    assert.deepEqual(south.rows.map((r) => r.obs_id), ['jw09992-o004_t001_miri_f770w']);
  });

  it('observation ids with * wildcards go to MAST as freeText', async () => {
    const r = await client().searchObservation({ obsId: 'jw02733-o001*' });
    assert.equal(r.totalCount, 6);
    const sent = decodeRequest(fake.invokes('Mast.Caom.Filtered')[0]!.body);
    const f = (sent.params as { filters: Array<{ paramName: string; freeText?: string }> }).filters.find((x) => x.paramName === 'obs_id');
    assert.equal(f!.freeText, 'jw02733-o001%');
  });

  it('program ids as numbers, zero-padded strings or jwNNNNN', async () => {
    const c = client();
    for (const id of [2733, '2733', '02733', 'jw02733']) assert.equal((await c.searchProgram({ programId: id, calibLevel: [3] })).totalCount, 10, String(id));
  });

  it('filters really filter (instrument, filter, dataproduct_type, intentType)', async () => {
    const c = client();
    const q = { targetName: 'NGC 3132', radius: 0.2, calibLevel: [3] };
    assert.equal((await c.searchTarget({ ...q, instrument: ['MIRI'] })).totalCount, 4);
    assert.equal((await c.searchTarget({ ...q, instrument: ['MIRI', 'NIRCAM'] })).totalCount, 10);
    const f444 = await c.searchTarget({ ...q, filter: ['F444W'] });
    assert.deepEqual(f444.rows.map((r) => r.filters).sort(), ['F444W;F405N', 'F444W;F470N']);
    assert.equal((await c.searchTarget({ ...q, dataproductType: ['cube'] })).totalCount, 0);
    assert.equal((await c.searchTarget({ ...q, intentType: ['science'] })).totalCount, 10);
  });

  it('refuses a query broader than maxRows with a 422 asking to narrow it', async () => {
    await assert.rejects(client({ maxRows: 20, pageSize: 7 }).searchProgram({ programId: 2733 }), (e: unknown) => {
      assert.ok(e instanceof MastQueryTooBroadError);
      assert.equal(e.httpStatus, 422);
      assert.match(e.message, /matches 30 rows, more than the 20 this engine fetches\. Narrow the search/);
      return true;
    });
  });

  it('limit/offset slice server-side and report the total', async () => {
    const c = client();
    const all = await c.searchProgram({ programId: 2733, calibLevel: [2, 3] });
    const page = await c.searchProgram({ programId: 2733, calibLevel: [2, 3], limit: 5, offset: 10 });
    assert.equal(page.totalCount, 30);
    assert.deepEqual(page.rows.map((r) => r.obs_id), all.rows.slice(10, 15).map((r) => r.obs_id));
  });

  it('recent releases: newest first, by instrument', async () => {
    const c = client();
    const r = await c.searchRecent({ daysBack: 30 });
    assert.deepEqual(r.rows.map((x) => x.obs_id), ['jw05627-o001_t001_nircam_clear-f150w', 'jw05627-o002_t001_miri_f1000w']);
    assert.equal((await c.searchRecent({ daysBack: 60, instrument: ['NIRCAM'] })).totalCount, 2);
  });

  it('caches results (TTL) and shares concurrent identical queries', async () => {
    const c = client({ cacheTtlMs: 200 });
    const q = { programId: 2733 };
    const [a, b] = await Promise.all([c.searchProgram(q), c.searchProgram(q)]);
    assert.equal(a.totalCount, b.totalCount);
    assert.equal(fake.invokes().length, 1, 'one MAST call for two concurrent searches');
    const again = await c.searchProgram(q);
    assert.equal(again.cached, true);
    assert.equal(fake.invokes().length, 1);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await c.searchProgram(q)).cached, false);
    assert.equal(fake.invokes().length, 2);
  });

  it('a caller giving up does not fail the others sharing its query', async () => {
    fake.set({ executingPolls: 2, executingHoldMs: 150 });
    const c = client();
    const quitter = new AbortController();
    const q = { programId: 2733 };
    const first = c.searchProgram({ ...q, signal: quitter.signal });
    const second = c.searchProgram(q);
    setTimeout(() => quitter.abort(), 50);
    await assert.rejects(first, MastTimeoutError);
    assert.equal((await second).totalCount, 30);
    assert.equal(new Set(fake.invokes('Mast.Caom.Filtered').map((r) => r.body)).size, 1, 'one shared MAST job');
  });

  it('sends the token as Authorization: token ... to MAST only', async () => {
    await client({ token: 'fake-mast-token' }).searchProgram({ programId: 2733 });
    assert.equal(fake.invokes()[0]!.headers.authorization, 'token fake-mast-token');
    await client().searchProgram({ programId: 1334 });
    assert.equal(fake.invokes()[1]!.headers.authorization, undefined);
  });
});

describe('products', () => {
  it('lists, de-duplicates by dataURI and filters', async () => {
    const c = client();
    const { products, obsids, unfilteredCount } = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w', ALL_PRODUCTS);
    assert.deepEqual(obsids, ['87602454']);
    assert.equal(unfilteredCount, 13);
    assert.equal(products.length, 13);
    for (const p of products) {
      assert.match(p.dataURI, /^mast:JWST\/product\//);
      assert.equal(typeof p.size, 'number');
      assert.equal(p.download_url, `${fake.url}/api/v0.1/Download/file?uri=${encodeURIComponent(p.dataURI).replace(/%2F/g, '/')}`);
    }
    const sci = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w', { productType: ['science'], extension: ['.fits'] });
    assert.equal(sci.products.length, 10);
    // the shared rule's defaults are exactly SCIENCE .fits
    const byDefault = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w');
    assert.deepEqual(byDefault.products.map((p) => p.productFilename), sci.products.map((p) => p.productFilename));
    const cal = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w', { subgroup: ['cal'], calibLevel: [2] });
    assert.deepEqual(cal.products.map((p) => p.productFilename), ['jw02733001001_02106_00001_nrcb1_cal.fits', 'jw02733001001_02106_00001_nrcb2_cal.fits']);
    const mrp = await c.listProducts('jw02733-o001_t001_nircam_clear-f090w', { mrpOnly: true, extension: ['fits'] });
    assert.equal(mrp.products.length, 3);
  });

  it('de-duplicates products shared by several obsids and batches obsids', async () => {
    const c = client({ productBatchSize: 1 });
    const rows = await c.listProductsByObsids([87602454, '87610050', 87610051], ALL_PRODUCTS);
    const uris = rows.map((r) => r.dataURI);
    assert.equal(new Set(uris).size, uris.length);
    assert.equal(rows.length, 15, '13 of the level-3 obs + the two level-2 previews');
    assert.equal(fake.invokes('Mast.Caom.Products').length, 3);
  });

  it('listObservationProducts (for downloads) returns typed rows', async () => {
    const rows = await listObservationProducts(client(), 'jw01039-o004_t001_miri_ch3-long', { productType: ['SCIENCE'], extension: ['fits'] });
    assert.deepEqual(rows.map((r) => [r.productSubGroupDescription, r.calib_level, r.productType]), [['S3D', 3, 'SCIENCE'], ['X1D', 3, 'SCIENCE']]);
    assert.equal(rows[0]!.obs_id, 'jw01039-o004_t001_miri_ch3-long');
  });

  it('an unknown obs_id is a 404-class error', async () => {
    await assert.rejects(client().listProducts('jw99999-o999_t999_nircam_clear-f000w'), (e: unknown) => e instanceof ObservationNotFoundError && e.httpStatus === 404);
  });

  it('MAST ERROR for bad obsids surfaces as a 502', async () => {
    await assert.rejects(client().invoke('Mast.Caom.Products', { obsid: 'jw02733-o001' }), (e: unknown) => e instanceof MastServiceError && /nvarchar to bigint/.test(e.message));
  });
});
