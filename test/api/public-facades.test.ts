/**
 * The camelCase /api facades of upstream's public mode (§7.3) beyond /api/jwstdata: MAST searches,
 * whats-new, the N-channel composite by dataIds and the table routes by dataId, in full mode and
 * in public mode (public records only, 404 elsewhere, rate limits). MAST is the fake MAST.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeTile } from './sky-files.js';
import { encodeBinTable } from '../../src/fits/table/index.js';
import { writeFits } from '../../src/fits/writer.js';

const SPECTRA = fileURLToPath(new URL('../fixtures/spectra/', import.meta.url));
const NOT_FOUND = 'The requested data was not found.';

let fake: FakeMast;
let dataDir: string;
const ids: Record<'red' | 'blue' | 'secret' | 'table' | 'x1d', string> = { red: '', blue: '', secret: '', table: '', x1d: '' };

async function post(e: TestEngine, url: string, payload: unknown) {
  return e.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
}

const channels = () => [
  { dataIds: [ids.red], color: { hue: 0 }, label: 'r' },
  { dataIds: [ids.blue], color: { rgb: [0, 0, 1] }, label: 'b' },
];

/** Checks both modes share: the facades answer what the routes they forward to answer. */
function sharedChecks(engine: () => TestEngine): void {
  it('MAST target search: featured aliases resolved, filters stripped, camelCase fields', async () => {
    const r = await post(engine(), '/api/mast/search/target', { targetName: 'Southern Ring Nebula', filters: { instrument: 'MIRI' }, calibLevel: [2, 3] });
    assert.equal(r.statusCode, 200, r.body);
    const b = r.json();
    assert.equal(b.search_type, 'target');
    assert.equal(b.query_params.target_name, 'NGC 3132');
    assert.equal(b.query_params.filters, undefined);
    assert.equal(b.total_count, 30, 'not narrowed to MIRI: filters are stripped');
  });

  it('coordinates, observation, program and whats-new', async () => {
    const c = await post(engine(), '/api/mast/search/coordinates', { ra: '10:07:01.2', dec: '-40:26:13.2', radius: 0.1, calibLevel: [3] });
    assert.equal(c.statusCode, 200, c.body);
    assert.equal(c.json().search_type, 'coordinates');
    const o = await post(engine(), '/api/mast/search/observation', { obsId: 'jw02733-o001*', calibLevel: null });
    assert.equal(o.json().result_count, 6);
    const p = await post(engine(), '/api/mast/search/program', { programId: '2733', calibLevel: [3] });
    assert.equal(p.statusCode, 200, p.body);
    assert.equal(p.json().search_type, 'program_id');
    const w = await post(engine(), '/api/mast/whats-new', { daysBack: 60, instrument: 'miri', limit: 10 });
    assert.equal(w.statusCode, 200, w.body);
    assert.deepEqual(w.json().results.map((x: { obs_id: string }) => x.obs_id), ['jw05627-o002_t001_miri_f1000w']);
  });

  it('MAST field errors are 400, from the schema and from the search core', async () => {
    for (const [url, body] of [
      ['/api/mast/search/target', {}],
      ['/api/mast/search/target', { targetName: 'x'.repeat(201) }],
      ['/api/mast/search/coordinates', { ra: 'nowhere', dec: 0 }],
      ['/api/mast/search/coordinates', { ra: 360, dec: 0 }],
      ['/api/mast/search/program', { programId: 'abc' }],
      ['/api/mast/whats-new', { daysBack: 0 }],
    ] as const) {
      const r = await post(engine(), url, body);
      assert.equal(r.statusCode, 400, `${url} ${JSON.stringify(body)} -> ${r.statusCode} ${r.body}`);
      assert.equal(typeof r.json().detail, 'string', r.body);
      assert.equal(r.json().error, r.json().detail);
    }
  });

  it('composite by dataIds: the image, an attachment name, only X-Composite-*/X-Quality-* headers', async () => {
    const r = await post(engine(), '/api/composite/generate-nchannel', { channels: channels(), width: 32, height: 24, allowForceDownscale: true, debugMasks: true });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.equal(r.headers['content-disposition'], 'attachment; filename="composite-nchannel.png"');
    assert.ok(r.rawPayload.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])));
    const xs = Object.keys(r.headers).filter((h) => h.startsWith('x-') && !h.startsWith('x-ratelimit'));
    assert.ok(xs.length > 0 && xs.every((h) => h.startsWith('x-composite-') || h.startsWith('x-quality-')), xs.join());
    const jpeg = await post(engine(), '/api/composite/generate-nchannel', { channels: channels(), width: 32, height: 24, outputFormat: 'jpeg', quality: 80 });
    assert.equal(jpeg.statusCode, 200, jpeg.body);
    assert.equal(jpeg.headers['content-disposition'], 'attachment; filename="composite-nchannel.jpeg"');
    const rgbNull = await post(engine(), '/api/composite/generate-nchannel', { channels: [{ dataIds: [ids.red], color: { hue: 0, rgb: null } }, { dataIds: [ids.blue], color: { hue: 200 } }], width: 8, height: 8 });
    assert.equal(rgbNull.statusCode, 200, rgbNull.body);
  });

  it('composite: the .NET gateway messages, other field errors 400, unknown ids 404', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'At least one channel configuration is required'],
      [{ channels: [] }, 'At least one channel configuration is required'],
      [{ channels: [{ dataIds: [], color: { hue: 0 } }] }, 'At least one DataId is required for each channel'],
      [{ channels: [{ dataIds: [ids.red] }] }, 'Color specification is required for each channel'],
      [{ channels: [{ dataIds: [ids.red], color: {} }] }, 'Either Hue, Rgb, or Luminance must be specified for each channel color'],
      [{ channels: [{ dataIds: [ids.red], color: { hue: 10, rgb: [1, 0, 0] } }] }, 'Provide either Hue or Rgb, not both'],
      [{ channels: [{ dataIds: [ids.red], color: { luminance: true, hue: 10 } }] }, 'Luminance channel must not have Hue or Rgb'],
      [{ channels: [{ dataIds: Array(60).fill(ids.red), color: { hue: 0 } }, { dataIds: Array(41).fill(ids.blue), color: { hue: 200 } }] }, 'Too many input files: 101 exceeds maximum 100'],
    ];
    for (const [body, detail] of cases) {
      const r = await post(engine(), '/api/composite/generate-nchannel', body);
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().detail, detail);
      assert.equal(r.json().error, detail, 'upstream frontend reads `error`');
    }
    const rgb = await post(engine(), '/api/composite/generate-nchannel', { channels: [{ dataIds: [ids.red], color: { rgb: [2, 0, 0] } }, { dataIds: [ids.blue], color: { hue: 200 } }] });
    assert.equal(rgb.statusCode, 400, 'an rgb component > 1 is a 400, not a 500 (upstream defect 22)');
    const width = await post(engine(), '/api/composite/generate-nchannel', { channels: channels(), width: 5000 });
    assert.equal(width.statusCode, 400);
    const unknown = await post(engine(), '/api/composite/generate-nchannel', { channels: [{ dataIds: ['nope'], color: { hue: 0 } }] });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().detail, NOT_FOUND);
  });

  it('table-info, table-data and spectral-data by dataId, as the /analysis routes answer', async () => {
    const info = await engine().app.inject({ url: `/api/analysis/table-info?dataId=${ids.table}` });
    assert.equal(info.statusCode, 200, info.body);
    assert.equal(info.json().fileName, 'sources_cat.fits');
    assert.deepEqual(Object.keys(info.json().tableHdus[0]).sort(), ['columns', 'hduType', 'index', 'nColumns', 'nRows', 'name']);
    assert.equal(info.json().tableHdus[0].name, 'CAT');
    assert.ok('isArray' in info.json().tableHdus[0].columns[0] && 'arrayShape' in info.json().tableHdus[0].columns[0]);
    const page = await engine().app.inject({ url: `/api/analysis/table-data?dataId=${ids.table}&hduIndex=1&pageSize=5&page=1&sortColumn=ID&sortDirection=desc` });
    assert.equal(page.statusCode, 200, page.body);
    const p = page.json();
    assert.deepEqual([p.hduIndex, p.page, p.pageSize, p.totalRows, p.totalColumns, p.sortColumn, p.sortDirection], [1, 1, 5, 50, 2, 'ID', 'desc']);
    assert.equal(p.rows[0].ID, 44);
    const bad = await engine().app.inject({ url: `/api/analysis/table-data?dataId=${ids.table}&hduIndex=1&pageSize=501` });
    assert.equal(bad.statusCode, 400);
    const spec = await engine().app.inject({ url: `/api/analysis/spectral-data?dataId=${ids.x1d}` });
    assert.equal(spec.statusCode, 200, spec.body);
    assert.equal(spec.json().nPoints, 50);
    assert.equal(spec.json().hduIndex, 1);
    assert.ok(Array.isArray(spec.json().data.WAVELENGTH), 'column names stay as they are');
    assert.ok(spec.json().columns.every((c: { nPoints?: number }) => c.nPoints === 50));
    const missing = await engine().app.inject({ url: '/api/analysis/table-info?dataId=nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().detail, NOT_FOUND);
    assert.equal(missing.json().error, NOT_FOUND);
    const noId = await engine().app.inject({ url: '/api/analysis/table-info' });
    assert.ok(noId.statusCode === 400 || noId.statusCode === 422, String(noId.statusCode));
  });
}

before(async () => {
  fake = await FakeMast.start();
  const setup = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
  dataDir = setup.dataDir;
  const base = { ra: 151.75, dec: -40.44, width: 16, height: 12, scale: 1e-5 };
  await writeTile(dataDir, { ...base, name: 'mast/jw1/red_i2d.fits', filter: 'F444W', value: (x, y) => 1 + x + y });
  await writeTile(dataDir, { ...base, name: 'mast/jw1/blue_i2d.fits', filter: 'F090W', value: (x, y) => 1 + x * y });
  await writeTile(dataDir, { ...base, name: 'users/alice/secret_i2d.fits', filter: 'F200W', value: () => 3 });
  const n = 50;
  const table = encodeBinTable([
    { name: 'ID', values: Int32Array.from({ length: n }, (_, i) => i) },
    { name: 'FLUX', unit: 'Jy', values: Float64Array.from({ length: n }, (_, i) => i * 1.5) },
  ], { extname: 'CAT' });
  await writeFits(join(dataDir, 'mast/jw1/sources_cat.fits'), [{ axes: [] }, { type: 'table', ...table }]);
  await copyFile(join(SPECTRA, 'x1d.fits'), join(dataDir, 'mast/jw1/spec_x1d.fits'));
  const reg = (path: string, source: 'download' | 'job', owner?: string) =>
    setup.ctx.library.registerCompletedFile({ path, source, ...(owner ? { owner } : {}) }).then((r) => r.dataId);
  ids.red = await reg('mast/jw1/red_i2d.fits', 'download');
  ids.blue = await reg('mast/jw1/blue_i2d.fits', 'download');
  ids.table = await reg('mast/jw1/sources_cat.fits', 'download');
  ids.x1d = await reg('mast/jw1/spec_x1d.fits', 'download');
  ids.secret = await reg('users/alice/secret_i2d.fits', 'job', 'alice');
  await setup.close();
});
after(async () => {
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('api facades, full mode', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine({ DATA_DIR: dataDir, LIBRARY_SCAN_ON_START: 'false', MAST_BASE_URL: fake.url, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01' });
  });
  after(async () => engine.dispose());
  sharedChecks(() => engine);

  it('private records are reachable in full mode (single user sees everything)', async () => {
    const r = await engine.app.inject({ url: `/api/analysis/table-info?dataId=${ids.secret}` });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().tableHdus, [], 'an image: no tables, but the record resolved');
  });
});

describe('api facades, public mode', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine({ DATA_DIR: dataDir, LIBRARY_SCAN_ON_START: 'false', PUBLIC_MODE: 'true', RATE_LIMIT_PER_MINUTE: '1000', MAST_BASE_URL: fake.url, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01' });
  });
  after(async () => engine.dispose());
  sharedChecks(() => engine);

  it('private records are 404 with the upstream message, in composites and tables', async () => {
    const c = await post(engine, '/api/composite/generate-nchannel', { channels: [{ dataIds: [ids.red], color: { hue: 0 } }, { dataIds: [ids.secret], color: { hue: 200 } }] });
    assert.equal(c.statusCode, 404);
    assert.equal(c.json().detail, NOT_FOUND);
    const t = await engine.app.inject({ url: `/api/analysis/table-info?dataId=${ids.secret}` });
    assert.equal(t.statusCode, 404);
    assert.equal(t.json().detail, NOT_FOUND);
  });

  it('discovery is served; the snake_case routes behind the facades stay hidden', async () => {
    const f = await engine.app.inject({ url: '/api/discovery/featured' });
    assert.equal(f.statusCode, 200);
    assert.equal(f.json().length, 12);
    const s = await post(engine, '/api/discovery/suggest-recipes', { targetName: 'NGC 3132', observations: [{ filter: 'F090W', instrument: 'NIRCAM' }, { filter: 'F444W', instrument: 'NIRCAM' }] });
    assert.equal(s.statusCode, 200, s.body);
    for (const [method, url] of [['POST', '/mast/search/target'], ['POST', '/mast/search/recent'], ['POST', '/composite/generate-nchannel'], ['GET', '/analysis/table-info?file_path=x'], ['POST', '/api/mast/search/recent'], ['GET', '/api/analysis/cube-spectrum']] as const) {
      const r = await engine.app.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) });
      assert.equal(r.statusCode, 404, `${method} ${url}`);
    }
  });

  it('a full renderer is 429 with Retry-After through the composite facade; MAX_COMPOSITE_REQUEST_FILES caps the files', async () => {
    const gated = await startTestEngine({ DATA_DIR: dataDir, LIBRARY_SCAN_ON_START: 'false', PUBLIC_MODE: 'true', MAX_CONCURRENT_RENDERS: '1', RENDER_QUEUE_DEPTH: '0', RENDER_QUEUE_WAIT_SECONDS: '7', MAX_COMPOSITE_REQUEST_FILES: '3' });
    try {
      const many = await post(gated, '/api/composite/generate-nchannel', { channels: [{ dataIds: [ids.red, ids.red, ids.blue, ids.blue], color: { hue: 0 } }] });
      assert.equal(many.statusCode, 400);
      assert.equal(many.json().detail, 'Too many input files: 4 exceeds maximum 3', 'the cap is MAX_COMPOSITE_REQUEST_FILES');
      const release = await gated.ctx.renderGate.enterInteractive();
      try {
        const r = await post(gated, '/api/composite/generate-nchannel', { channels: channels(), width: 16, height: 16 });
        assert.equal(r.statusCode, 429, r.body);
        assert.equal(r.headers['retry-after'], '7');
        assert.equal(r.headers['content-disposition'], undefined);
      } finally {
        release();
      }
      const ok = await post(gated, '/api/composite/generate-nchannel', { channels: channels(), width: 16, height: 16 });
      assert.equal(ok.statusCode, 200, ok.body);
    } finally {
      await gated.dispose();
    }
  });

  it('rate limits apply to the facades (429 with Retry-After)', async () => {
    const limited = await startTestEngine({ DATA_DIR: dataDir, LIBRARY_SCAN_ON_START: 'false', PUBLIC_MODE: 'true', RATE_LIMIT_PER_MINUTE: '2', MAST_BASE_URL: fake.url });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await limited.app.inject({ url: `/api/analysis/table-info?dataId=${ids.table}` })).statusCode);
      assert.deepEqual(codes, [200, 200, 429]);
      const r = await post(limited, '/api/mast/whats-new', {});
      assert.equal(r.statusCode, 429);
      assert.ok(Number(r.headers['retry-after']) > 0);
    } finally {
      await limited.dispose();
    }
  });
});
