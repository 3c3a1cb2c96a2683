/** The error contract: validation 422 naming the field, EngineError -> status + detail, no internals leaked. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { loadSettings } from '../../src/config.js';
import { createEngineContext } from '../../src/engine.js';
import { buildServer, type App } from '../../src/server.js';
import { ConflictError } from '../../src/errors.js';
import type { EngineContext } from '../../src/context.js';

describe('error mapping', () => {
  let app: App;
  let ctx: EngineContext;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'errors-test-'));
    ctx = await createEngineContext(loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent', WORKER_THREADS: '1' }));
    app = await buildServer(ctx, [
      (a) => {
        a.post('/t/validate', {
          schema: { body: Type.Object({ ra: Type.Number({ minimum: 0, exclusiveMaximum: 360 }), name: Type.String() }) },
        }, async () => ({ ok: true }));
        a.get('/t/conflict', async () => {
          throw new ConflictError('Job is already running');
        });
        a.get('/t/crash', async () => {
          throw new Error('secret internal /home/x/file.ts:12');
        });
        a.get('/t/file', async (req) => {
          const q = req.query as { file_path: string };
          return { path: await ctx.sandbox.resolve(q.file_path) };
        });
      },
    ]);
  });
  after(async () => {
    await app.close();
    await ctx.pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 422 with a FastAPI-style detail that names the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/t/validate', payload: { ra: 400, name: 'x' } });
    assert.equal(res.statusCode, 422);
    const detail = res.json().detail;
    assert.ok(Array.isArray(detail));
    assert.deepEqual(detail[0].loc, ['body', 'ra']);
    const missing = await app.inject({ method: 'POST', url: '/t/validate', payload: { ra: 1 } });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json().detail[0].loc, ['body', 'name']);
    assert.equal(missing.json().detail[0].msg, 'Field required');
  });

  it('maps engine errors to their status with a detail body', async () => {
    const res = await app.inject({ method: 'GET', url: '/t/conflict' });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { detail: 'Job is already running' });
  });

  it('never leaks internal exception text or stacks', async () => {
    const res = await app.inject({ method: 'GET', url: '/t/crash' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { detail: 'Internal server error' });
  });

  it('answers malformed JSON with 400 and a detail', async () => {
    const res = await app.inject({ method: 'POST', url: '/t/validate', headers: { 'content-type': 'application/json' }, payload: '{"ra": ' });
    assert.equal(res.statusCode, 400);
    assert.equal(typeof res.json().detail, 'string');
  });

  it('applies the path sandbox to file_path parameters', async () => {
    const denied = await app.inject({ method: 'GET', url: '/t/file?file_path=../etc/passwd' });
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(denied.json(), { detail: 'Access denied: invalid path' });
    const missing = await app.inject({ method: 'GET', url: '/t/file?file_path=nope.fits' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: 'File not found: nope.fits' });
  });
});
