/** Users (JWT HS256 as upstream, RS256/ES256 by JWKS, API keys) and the single-user default; data_id everywhere. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeProduct } from '../library/fixtures.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const PUBLIC = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733-o001_t001_nircam_clear-f090w_i2d.fits';
const ALICE = 'users/alice/jw01234-o005_t002_miri_f770w_i2d.fits';

async function hs256(claims: Record<string, unknown>, options: { exp?: string | number; iss?: string; aud?: string; secret?: string } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()
    .setIssuer(options.iss ?? 'JwstDataAnalysis').setAudience(options.aud ?? 'JwstDataAnalysisClient');
  jwt = jwt.setExpirationTime(options.exp ?? '10m');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

async function seed(engine: TestEngine): Promise<{ publicId: string; aliceId: string }> {
  await writeProduct(engine.dataDir, { rel: PUBLIC, instrument: 'NIRCAM', filter: 'F090W' });
  await writeProduct(engine.dataDir, { rel: ALICE, instrument: 'MIRI', filter: 'F770W' });
  const publicId = (await engine.ctx.library.registerCompletedFile({ path: PUBLIC, source: 'download' })).dataId;
  const aliceId = (await engine.ctx.library.registerCompletedFile({ path: ALICE, source: 'job', owner: 'alice', jobId: 'job-7', inputIds: [publicId] })).dataId;
  return { publicId, aliceId };
}

describe('single-user mode (no auth setting)', () => {
  let engine: TestEngine;
  let ids: { publicId: string; aliceId: string };
  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
    ids = await seed(engine);
  });
  after(() => engine.dispose());

  it('needs no token and shows every record', async () => {
    const list = (await engine.app.inject({ method: 'GET', url: '/api/jwstdata' })).json() as Array<{ id: string }>;
    assert.equal(list.length, 2);
    const ignored = await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: { authorization: 'Bearer whatever' } });
    assert.equal(ignored.statusCode, 200);
  });

  it('takes a data_id wherever a file_path goes: {data_id} in the path, data_id beside, or the id as file_path', async () => {
    const byPath = await engine.app.inject({ method: 'GET', url: `/cubeinfo/x?file_path=${encodeURIComponent(ALICE)}` });
    assert.equal(byPath.statusCode, 200, byPath.body);
    const inPath = await engine.app.inject({ method: 'GET', url: `/cubeinfo/${ids.aliceId}` });
    assert.equal(inPath.statusCode, 200, inPath.body);
    assert.equal(inPath.json().is_cube, false);
    const asFilePath = await engine.app.inject({ method: 'GET', url: `/histogram/x?file_path=${ids.aliceId}` });
    assert.equal(asFilePath.statusCode, 200, asFilePath.body);
    const thumb = await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: { data_id: ids.publicId } });
    assert.equal(thumb.statusCode, 200, thumb.body);
    assert.ok(thumb.json().thumbnail_base64.length > 10);
    const unknown = await engine.app.inject({ method: 'GET', url: '/cubeinfo/00000000-0000-4000-8000-000000000000' });
    assert.equal(unknown.statusCode, 404);
    // Paths still go through the sandbox.
    const escape = await engine.app.inject({ method: 'GET', url: '/cubeinfo/x?file_path=../../etc/passwd' });
    assert.equal(escape.statusCode, 403);
  });

  it('tells the lineage of a file', async () => {
    const lineage = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata/${ids.aliceId}/lineage` })).json();
    assert.equal(lineage.jobId, 'job-7');
    assert.deepEqual(lineage.inputs.map((i: { id: string }) => i.id), [ids.publicId]);
    const parent = (await engine.app.inject({ method: 'GET', url: `/api/jwstdata/${ids.publicId}/lineage` })).json();
    assert.deepEqual(parent.outputs.map((o: { id: string }) => o.id), [ids.aliceId]);
  });

  it('GET /api/health has the .NET HealthChecks shape', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'Healthy');
    assert.deepEqual(body.checks.map((c: { name: string }) => c.name), ['processing_engine', 'database']);
  });

  it('pages with X-Next-Cursor and filters', async () => {
    const first = await engine.app.inject({ method: 'GET', url: '/api/jwstdata?limit=1&withTotal=true' });
    assert.equal(first.headers['x-total-count'], '2');
    const cursor = String(first.headers['x-next-cursor']);
    const second = await engine.app.inject({ method: 'GET', url: `/api/jwstdata?limit=1&cursor=${cursor}` });
    assert.notEqual(first.json()[0].id, second.json()[0].id);
    assert.equal(second.headers['x-next-cursor'], undefined);
    const miri = (await engine.app.inject({ method: 'GET', url: '/api/jwstdata?instrument=miri&level=L3' })).json();
    assert.deepEqual(miri.map((r: { id: string }) => r.id), [ids.aliceId]);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jwstdata?level=L9' })).statusCode, 400);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jwstdata?cursor=zzz' })).statusCode, 400);
  });
});

describe('users (JWT_SECRET_KEY, JWT_JWKS_URL, API keys)', () => {
  let engine: TestEngine;
  let ids: { publicId: string; aliceId: string };
  let jwks: Server;
  let rsaPrivate: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let ecPrivate: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  before(async () => {
    const pair = await generateKeyPair('RS256');
    rsaPrivate = pair.privateKey;
    const ec = await generateKeyPair('ES256');
    ecPrivate = ec.privateKey;
    const keys = [
      { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const port = (jwks.address() as AddressInfo).port;
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false', JWT_SECRET_KEY: SECRET, JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
    ids = await seed(engine);
  });
  after(async () => {
    await engine.dispose();
    await new Promise((r) => jwks.close(r));
  });

  const get = (url: string, token?: string) => engine.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('401 Not authenticated (WWW-Authenticate: Bearer) without a token on user routes; anonymous read of public data', async () => {
    const res = await get(`/cubeinfo/${ids.publicId}`);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().detail, 'Not authenticated');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    const list = (await get('/api/jwstdata')).json() as Array<{ id: string }>;
    assert.deepEqual(list.map((r) => r.id), [ids.publicId]);
    assert.equal((await get('/api/health')).statusCode, 200);
  });

  it('401 Invalid or expired token: bad signature, expired past the skew, wrong issuer or audience, no sub, not Bearer', async () => {
    const bad = [
      await hs256({ sub: 'alice' }, { secret: 'another-secret-another-secret-another-secret' }),
      await hs256({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 120 }),
      await hs256({ sub: 'alice' }, { iss: 'someone-else' }),
      await hs256({ sub: 'alice' }, { aud: 'someone-else' }),
      await hs256({}),
      'not.a.jwt',
    ];
    for (const token of bad) {
      const res = await get('/api/jwstdata', token);
      assert.equal(res.statusCode, 401, token);
      assert.equal(res.json().detail, 'Invalid or expired token');
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
    const basic = await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: { authorization: 'Basic abc' } });
    assert.equal(basic.statusCode, 401, 'a non-Bearer header is never silently anonymous');
    // Within the 30 s clock skew an expired token still passes.
    const skew = await hs256({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 5 });
    assert.equal((await get('/api/jwstdata', skew)).statusCode, 200);
  });

  it("private records belong to their owner; Admin (role claim, also as an array) sees all; others get 404", async () => {
    const alice = await hs256({ sub: 'alice', unique_name: 'Alice' });
    const bob = await hs256({ sub: 'bob' });
    const admin = await hs256({ sub: 'root', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': ['User', 'Admin'] });
    const ids2 = (token: string, q = '') => get(`/api/jwstdata${q}`, token).then((r) => (r.json() as Array<{ id: string }>).map((x) => x.id).sort());
    assert.deepEqual(await ids2(alice), [ids.publicId, ids.aliceId].sort());
    assert.deepEqual(await ids2(alice, '?mine=true'), [ids.aliceId]);
    assert.deepEqual(await ids2(bob), [ids.publicId]);
    assert.deepEqual(await ids2(admin), [ids.publicId, ids.aliceId].sort());
    assert.equal((await get(`/cubeinfo/${ids.aliceId}`, bob)).statusCode, 404);
    assert.equal((await get(`/cubeinfo/${ids.aliceId}`, alice)).statusCode, 200);
    const scan = await engine.app.inject({ method: 'POST', url: '/api/jwstdata/scan', headers: { authorization: `Bearer ${bob}` } });
    assert.equal(scan.statusCode, 403);
    assert.equal(scan.json().detail, 'Insufficient role');
    const adminScan = await engine.app.inject({ method: 'POST', url: '/api/jwstdata/scan', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(adminScan.statusCode, 200);
    const publish = await engine.app.inject({ method: 'PATCH', url: `/api/jwstdata/${ids.aliceId}`, headers: { authorization: `Bearer ${alice}` }, payload: { isPublic: true } });
    assert.equal(publish.json().isPublic, true);
    assert.deepEqual(await ids2(bob), [ids.publicId, ids.aliceId].sort());
    await engine.ctx.library.repo.update(ids.aliceId, { visibility: 'private' });
  });

  it('RS256 tokens verified with the JWKS URL', async () => {
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('JwstDataAnalysis')
      .setAudience('JwstDataAnalysisClient').setExpirationTime('5m').sign(rsaPrivate);
    const list = (await get('/api/jwstdata?mine=true', token)).json() as Array<{ id: string }>;
    assert.deepEqual(list.map((r) => r.id), [ids.aliceId]);
  });

  it('ES256 tokens verified with the JWKS URL; a token signed by a key not in the set, or with its kid but the wrong key, is refused', async () => {
    const es = (kid: string, key: typeof ecPrivate) => new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer('JwstDataAnalysis')
      .setAudience('JwstDataAnalysisClient').setExpirationTime('5m').sign(key);
    const list = (await get('/api/jwstdata?mine=true', await es('k2', ecPrivate))).json() as Array<{ id: string }>;
    assert.deepEqual(list.map((r) => r.id), [ids.aliceId]);
    const stranger = (await generateKeyPair('ES256')).privateKey;
    for (const token of [await es('k2', stranger), await es('k9', stranger)]) {
      const res = await get('/api/jwstdata', token);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().detail, 'Invalid or expired token');
    }
  });

  it('API keys act as their user; a revoked key is refused', async () => {
    const { key, info } = await engine.ctx.auth.apiKeys.create('alice', 'User', 'script');
    assert.match(key, /^jwk_/);
    assert.deepEqual(((await get('/api/jwstdata?mine=true', key)).json() as Array<{ id: string }>).map((r) => r.id), [ids.aliceId]);
    await engine.ctx.auth.apiKeys.revoke(info.keyId);
    assert.equal((await get('/api/jwstdata', key)).statusCode, 401);
  });
});
