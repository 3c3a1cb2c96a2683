/** POST/GET/DELETE /auth/api-keys: who may create, list and revoke which keys; off without users, absent in public mode. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

describe('/auth/api-keys with users', () => {
  let engine: TestEngine;
  let admin: string;
  let alice: string;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  before(async () => {
    engine = await startTestEngine({ AUTH_ENABLED: 'true', LIBRARY_SCAN_ON_START: 'false' });
    admin = (await engine.ctx.auth.apiKeys.create('root', 'Admin', 'ops')).key;
    alice = (await engine.ctx.auth.apiKeys.create('alice', 'User', 'laptop')).key;
  });
  after(() => engine.dispose());

  it('GET /auth/me says who a token is, and answers without one', async () => {
    const anonymous = await engine.app.inject({ method: 'GET', url: '/auth/me' });
    assert.equal(anonymous.statusCode, 200);
    assert.deepEqual(anonymous.json(), { authEnabled: true, user: null });
    const me = (await engine.app.inject({ method: 'GET', url: '/auth/me', headers: as(alice) })).json();
    assert.deepEqual(me.user, { userId: 'alice', username: null, roles: ['User'], admin: false, via: 'api-key' });
    assert.equal((await engine.app.inject({ method: 'GET', url: '/auth/me', headers: as('jwk_bad_key') })).statusCode, 401);
  });

  it('needs a token', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/auth/api-keys' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  });

  it('lets a user create, list and revoke only their own keys, never Admin ones', async () => {
    const own = await engine.app.inject({ method: 'POST', url: '/auth/api-keys', headers: as(alice), payload: { name: 'ci' } });
    assert.equal(own.statusCode, 201, own.body);
    const made = own.json();
    assert.equal(made.userId, 'alice');
    assert.equal(made.role, 'User');
    assert.match(made.key, /^jwk_/);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: as(made.key) })).statusCode, 200, 'the new key works');

    for (const payload of [{ name: 'x', userId: 'bob' }, { name: 'x', role: 'Admin' }]) {
      const res = await engine.app.inject({ method: 'POST', url: '/auth/api-keys', headers: as(alice), payload });
      assert.equal(res.statusCode, 403, JSON.stringify(payload));
      assert.equal(res.json().detail, 'Insufficient role');
    }
    const listed = (await engine.app.inject({ method: 'GET', url: '/auth/api-keys?userId=root', headers: as(alice) })).json().keys as Array<{ userId: string; name: string }>;
    assert.deepEqual(listed.map((k) => [k.userId, k.name]), [['alice', 'laptop'], ['alice', 'ci']]);
    assert.ok(!JSON.stringify(listed).includes('jwk_'), 'never the secrets');

    const rootKey = (await engine.ctx.auth.apiKeys.list('root'))[0]!.keyId;
    assert.equal((await engine.app.inject({ method: 'DELETE', url: `/auth/api-keys/${rootKey}`, headers: as(alice) })).statusCode, 404, "another user's key is not revealed");
    assert.equal((await engine.app.inject({ method: 'DELETE', url: `/auth/api-keys/${made.keyId}`, headers: as(alice) })).statusCode, 204);
    assert.equal((await engine.app.inject({ method: 'GET', url: '/api/jwstdata', headers: as(made.key) })).statusCode, 401, 'revoked at once');
  });

  it('lets an Admin create keys for anyone with either role and see every key', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/auth/api-keys', headers: as(admin), payload: { name: 'svc', userId: 'pipeline', role: 'Admin' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().role, 'Admin');
    const all = (await engine.app.inject({ method: 'GET', url: '/auth/api-keys', headers: as(admin) })).json().keys as Array<{ userId: string }>;
    assert.deepEqual([...new Set(all.map((k) => k.userId))].sort(), ['alice', 'pipeline', 'root']);
    const one = (await engine.app.inject({ method: 'GET', url: '/auth/api-keys?userId=pipeline', headers: as(admin) })).json().keys;
    assert.equal(one.length, 1);
  });

  it('bounds the request', async () => {
    for (const payload of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'x', role: 'Root' }, { name: 'x', userId: ' padded ' }, { name: 'x', extra: 1 }]) {
      const res = await engine.app.inject({ method: 'POST', url: '/auth/api-keys', headers: as(admin), payload });
      assert.ok(res.statusCode === 422 || res.statusCode === 400, `${JSON.stringify(payload)} → ${res.statusCode}`);
    }
  });
});

describe('/auth/api-keys without users, and in public mode', () => {
  it('answers 404 USERS_DISABLED without users (nobody to give a key to) and 404 in public mode', async () => {
    const single = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
    try {
      const res = await single.app.inject({ method: 'POST', url: '/auth/api-keys', payload: { name: 'x' } });
      assert.equal(res.statusCode, 404);
      assert.match(res.json().detail, /single-user mode/);
      assert.equal((await single.app.inject({ method: 'GET', url: '/auth/api-keys' })).statusCode, 404);
      assert.deepEqual((await single.app.inject({ method: 'GET', url: '/auth/me' })).json(), { authEnabled: false, user: null });
    } finally {
      await single.dispose();
    }
    const pub = await startTestEngine({ PUBLIC_MODE: 'true', LIBRARY_SCAN_ON_START: 'false' });
    try {
      assert.equal((await pub.app.inject({ method: 'GET', url: '/auth/api-keys' })).statusCode, 404);
    } finally {
      await pub.dispose();
    }
  });
});
