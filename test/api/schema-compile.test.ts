/**
 * The engine compiles each route's schemas on first use (src/lazy-compilers.ts, for a fast start):
 * here every route's schemas are compiled up front, as Fastify does by default, so that a schema
 * that cannot compile fails the tests rather than a user's first request. And the lazy compilers
 * validate and serialise as the eager ones do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildServer } from '../../src/server.js';
import { routeModules } from '../../src/routes/index.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

describe('route schemas', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
  });

  it('every request and response schema compiles (eagerly, as Fastify does by default)', async () => {
    const app = await buildServer(engine.ctx, routeModules, { lazySchemas: false });
    try {
      await app.ready();
      assert.ok(app.printRoutes().length > 0);
    } finally {
      await app.close();
    }
  });

  it('lazy and eager compilers give the same validation answer and the same body', async () => {
    const eager = await buildServer(engine.ctx, routeModules, { lazySchemas: false });
    try {
      for (const req of [
        { method: 'POST' as const, url: '/mast/search/target', payload: { target_name: 5, radius: 'x' } },
        { method: 'POST' as const, url: '/mast/search/target', payload: {} },
        { method: 'GET' as const, url: '/' },
        // Ajv coerces "-Infinity" to a number and lets it past `minimum`: refused as 422 by the guard.
        { method: 'POST' as const, url: '/mast/search/recent', payload: { offset: '-Infinity' } },
      ]) {
        const [a, b] = await Promise.all([engine.app.inject(req), eager.inject(req)]);
        assert.equal(a.statusCode, b.statusCode, req.url);
        assert.equal(a.body, b.body, req.url);
        if ((req.payload as { offset?: string } | undefined)?.offset === '-Infinity') {
          assert.equal(a.statusCode, 422);
          assert.match(a.body, /finite/);
        }
      }
    } finally {
      await eager.close();
    }
  });
});
