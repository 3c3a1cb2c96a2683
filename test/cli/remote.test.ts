/**
 * The CLI against a running engine: `--token` / JWST_ENGINE_TOKEN and `--engine` / JWST_ENGINE_URL
 * on `library list|show` and `api-key`; `api-key create` on the local database (DATA_DIR) makes the
 * first Admin key, which then manages keys through the engine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';
import { writeProduct } from '../library/fixtures.js';

const PUBLIC = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733-o001_t001_nircam_clear-f090w_i2d.fits';
const ALICE = 'users/alice/jw01234-o005_t002_miri_f770w_i2d.fits';

describe('jwst-engine --token against a running engine', () => {
  let engine: TestEngine;
  let url: string;
  let env: Record<string, string>;
  let aliceRecord: string;
  before(async () => {
    engine = await startTestEngine({ AUTH_ENABLED: 'true', LIBRARY_SCAN_ON_START: 'false' });
    await engine.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(engine.app.server.address() as AddressInfo).port}`;
    env = { DATA_DIR: engine.dataDir, JWST_ENGINE_URL: '', JWST_ENGINE_TOKEN: '' };
    await writeProduct(engine.dataDir, { rel: PUBLIC, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC 1234' });
    await writeProduct(engine.dataDir, { rel: ALICE, instrument: 'MIRI', filter: 'F770W' });
    const publicId = (await engine.ctx.library.registerCompletedFile({ path: PUBLIC, source: 'download' })).dataId;
    aliceRecord = (await engine.ctx.library.registerCompletedFile({ path: ALICE, source: 'job', owner: 'alice', jobId: 'job-7', inputIds: [publicId] })).dataId;
  });
  after(() => engine.dispose());

  it('creates the first Admin key locally, then manages keys and reads the library through the engine', async () => {
    const admin = await runCli(['api-key', 'create', '--name', 'ops', '--user', 'root', '--role', 'Admin'], env);
    assert.equal(admin.code, 0, admin.stderr);
    const adminKey = admin.stdout.trim();
    assert.match(adminKey, /^jwk_[0-9a-f]+_\S+$/);

    // Program options after the command; an Admin makes alice's key through POST /auth/api-keys.
    const made = await runCli(['api-key', 'create', '--name', 'laptop', '--user', 'alice', '--json', '--engine', url, '--token', adminKey], env);
    assert.equal(made.code, 0, made.stderr);
    const aliceKey = (JSON.parse(made.stdout) as { key: string; keyId: string; userId: string }).key;
    assert.equal(JSON.parse(made.stdout).userId, 'alice');

    // The token from the environment; --mine shows alice's private record only.
    const mine = await runCli(['library', 'list', '--mine', '--json'], { ...env, JWST_ENGINE_URL: url, JWST_ENGINE_TOKEN: aliceKey });
    assert.equal(mine.code, 0, mine.stderr);
    assert.deepEqual((JSON.parse(mine.stdout) as Array<{ id: string }>).map((r) => r.id), [aliceRecord]);
    // Without a token: the public records only (the anonymous view of /api/jwstdata).
    const anonymous = await runCli(['--engine', url, 'library', 'list', '--json'], env);
    assert.equal(anonymous.code, 0, anonymous.stderr);
    assert.deepEqual((JSON.parse(anonymous.stdout) as Array<{ filePath: string }>).map((r) => r.filePath), [PUBLIC]);

    const show = await runCli(['--engine', url, '--token', aliceKey, 'library', 'show', aliceRecord], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /made from: +jw02733-o001_t001_nircam_clear-f090w_i2d\.fits by job job-7/);

    // alice sees her own keys only, and revokes hers: it stops working at once.
    const listed = await runCli(['--engine', url, '--token', aliceKey, 'api-key', 'list', '--json'], env);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ userId: string }>).map((k) => k.userId), ['alice']);
    const revoked = await runCli(['--engine', url, '--token', aliceKey, 'api-key', 'revoke', aliceKey], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    const refused = await runCli(['--engine', url, '--token', aliceKey, 'library', 'list'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the engine answered 401: Invalid or expired token/);

    // The local store sees it all.
    const local = await runCli(['api-key', 'list'], env);
    assert.match(local.stdout, /root +Admin +ops .* active/);
    assert.match(local.stdout, /alice +User +laptop .* revoked/);
  });

  it('says what is wrong without a token or engine', async () => {
    const noUser = await runCli(['api-key', 'create', '--name', 'x'], env);
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /--user: whose key\?/);
    const noToken = await runCli(['--engine', url, 'api-key', 'list'], env);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /401: Not authenticated \(give a token: --token or JWST_ENGINE_TOKEN\)/);
    const nobody = await runCli(['--engine', 'http://127.0.0.1:9', 'library', 'list'], env);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /cannot reach the engine at http:\/\/127\.0\.0\.1:9/);
  });
});
