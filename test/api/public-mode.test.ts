/** PUBLIC_MODE: the upstream web frontend's /api requests replayed, public data only, 404 elsewhere, rate limits, CORS. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { FakeMast } from '../fake-mast/server.js';
import { writeProduct } from '../library/fixtures.js';
import { loadSettings, ConfigError } from '../../src/config.js';

interface Fixture {
  requests: Array<{ from: string; method: 'GET' | 'POST'; url: string; body?: unknown; status: number; type: string; shape?: string }>;
  shapes: Record<string, unknown>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/upstream-frontend/requests.json', import.meta.url), 'utf8')) as Fixture;

const OBS = 'jw02733-o001_t001_nircam_clear-f090w';
const PUBLIC = `mast/${OBS}/${OBS}_i2d.fits`;
const PRIVATE = 'users/alice/jw01234-o005_t002_miri_f770w_i2d.fits';

/** Checks `value` against a shape from the fixture ("string", "number?", nested objects, [item]). */
function conforms(value: unknown, shape: unknown, shapes: Record<string, unknown>, where: string): void {
  if (typeof shape === 'string') {
    if (shape.endsWith('[]')) {
      assert.ok(Array.isArray(value), `${where}: array expected`);
      (value as unknown[]).forEach((v, i) => conforms(v, shapes[shape.slice(0, -2)], shapes, `${where}[${i}]`));
      return;
    }
    if (shapes[shape] !== undefined) return conforms(value, shapes[shape], shapes, where);
    const optional = shape.endsWith('?');
    if (optional && value === undefined) return;
    // Each alternative is a kind ('string', 'null'...), a quoted string value ("'great'"), or a named shape.
    const options = shape.replace(/\?$/, '').split('|');
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const fits = options.some((o) => {
      if (/^'.*'$/.test(o)) return value === o.slice(1, -1);
      if (shapes[o] === undefined) return o === kind;
      try {
        conforms(value, shapes[o], shapes, where);
        return true;
      } catch {
        return false;
      }
    });
    assert.ok(fits, `${where}: ${options.join('|')} expected, got ${kind}${kind === 'string' ? ` '${String(value)}'` : ''}`);
    return;
  }
  if (Array.isArray(shape)) {
    assert.ok(Array.isArray(value), `${where}: array expected`);
    (value as unknown[]).forEach((v, i) => conforms(v, shape[0], shapes, `${where}[${i}]`));
    return;
  }
  assert.ok(value !== null && typeof value === 'object', `${where}: object expected`);
  for (const [k, s] of Object.entries(shape as Record<string, unknown>)) conforms((value as Record<string, unknown>)[k], s, shapes, `${where}.${k}`);
}

let engine: TestEngine;
let fake: FakeMast;
let publicId: string;
let privateId: string;

before(async () => {
  // Records are made by a full engine on the same DATA_DIR, then the public engine starts on it.
  const setup = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
  await writeProduct(setup.dataDir, { rel: PUBLIC, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC-3132' });
  await writeProduct(setup.dataDir, { rel: PRIVATE, instrument: 'MIRI', filter: 'F770W' });
  publicId = (await setup.ctx.library.registerCompletedFile({ path: PUBLIC, source: 'download', awaitThumbnail: true })).dataId;
  privateId = (await setup.ctx.library.registerCompletedFile({ path: PRIVATE, source: 'job', owner: 'alice' })).dataId;
  await setup.close();
  fake = await FakeMast.start();
  engine = await startTestEngine({ DATA_DIR: setup.dataDir, PUBLIC_MODE: 'true', RATE_LIMIT_PER_MINUTE: '1000', CORS_ALLOWED_ORIGINS: 'https://sky.example', MAST_BASE_URL: fake.url });
});
after(async () => {
  await engine.dispose();
  await fake.close();
});

describe('public read-only mode', () => {
  it("answers every request of the upstream frontend with the shapes its types expect", async () => {
    assert.ok(fixture.requests.length >= 10);
    for (const r of fixture.requests) {
      const url = r.url.replace('{id}', publicId);
      const body = r.body === undefined ? undefined : JSON.parse(JSON.stringify(r.body).replace('{obs}', OBS));
      const res = await engine.app.inject({ method: r.method, url, ...(body ? { payload: body } : {}) });
      assert.equal(res.statusCode, r.status, `${r.from}: ${r.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (r.type === 'json') {
        assert.match(String(res.headers['content-type']), /json/, r.from);
        if (r.shape) conforms(res.json(), r.shape, fixture.shapes, r.from);
      } else {
        assert.equal(String(res.headers['content-type']), r.type, r.from);
        assert.ok(res.rawPayload.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])), `${r.from}: PNG bytes`);
      }
    }
  });

  it('shows public records only: private ones are 404 with the upstream message', async () => {
    const list = (await engine.app.inject({ method: 'GET', url: '/api/jwstdata' })).json() as Array<{ id: string }>;
    assert.deepEqual(list.map((r) => r.id), [publicId]);
    for (const url of [`/api/jwstdata/${privateId}/thumbnail`, `/api/jwstdata/${privateId}/preview`, '/api/jwstdata/not-an-id/cubeinfo']) {
      const res = await engine.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().detail, 'The requested data was not found.');
    }
    const avail = (await engine.app.inject({ method: 'POST', url: '/api/jwstdata/check-availability', payload: { observationIds: [OBS] } })).json();
    assert.deepEqual(avail.results[OBS].dataIds, [publicId]);
    assert.equal(avail.results[OBS].filter, 'F090W');
  });

  it('hides everything else (404 Not Found), docs and write routes included', async () => {
    for (const [method, url] of [['GET', '/docs'], ['GET', '/openapi.json'], ['GET', `/preview/${publicId}?file_path=${PUBLIC}`], ['GET', '/library'],
      ['POST', '/mast/download/start-chunked'], ['POST', '/api/jwstdata/scan'], ['PATCH', `/api/jwstdata/${publicId}`]] as const) {
      const res = await engine.app.inject({ method, url, payload: method === 'GET' ? undefined : {} });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.deepEqual(res.json(), { detail: 'Not Found' });
    }
  });

  it('CORS for the listed origins only, with the headers browsers need exposed', async () => {
    const ok = await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: { origin: 'https://sky.example' } });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://sky.example');
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    assert.match(String(ok.headers['access-control-expose-headers']), /Retry-After/);
    const other = await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.throws(() => loadSettings({ CORS_ALLOWED_ORIGINS: 'https://a.example,*' }), ConfigError);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-client limit', async () => {
    const limited = await startTestEngine({ CE_MODE: 'true', RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const codes: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await limited.app.inject({ method: 'GET', url: '/api/health', remoteAddress: '10.0.0.1' });
        codes.push(last.statusCode);
      }
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      assert.ok(Number(last!.headers['retry-after']) >= 1);
      assert.match(last!.json().detail, /Too many requests/);
      const otherClient = await limited.app.inject({ method: 'GET', url: '/api/health', remoteAddress: '10.0.0.2' });
      assert.equal(otherClient.statusCode, 200);
    } finally {
      await limited.dispose();
    }
  });
});
