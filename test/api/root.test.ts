import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

describe('GET / and /health', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => {
    await engine.dispose();
  });

  it('answers the contract banner', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { message: 'JWST Data Processing Engine', status: 'running' });
  });

  it('reports real health checks', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'healthy');
    assert.equal(body.service, 'jwst-processing-engine');
    assert.equal(body.checks.data_dir_writable.ok, true);
    assert.equal(body.checks.worker_pool.ok, true);
    assert.equal(body.checks.job_backend.ok, true);
    assert.match(body.version, /^\d+\.\d+\.\d+/);
  });

  it('reports readiness apart: job queue depth, render gate and worker saturation', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/health/ready' });
    const body = res.json();
    // Whether a pool thread answered within its budget depends on the machine's load: the test
    // checks the report's shape and consistency, not the timing.
    assert.equal(typeof body.worker_pool.answered, 'boolean');
    assert.equal(body.ready, body.worker_pool.answered);
    assert.equal(res.statusCode, body.ready ? 200 : 503);
    assert.equal(body.jobs.backend, 'in-process');
    assert.equal(body.jobs.queue_depth, 0);
    assert.ok(body.jobs.lanes.compute.capacity >= 1);
    assert.equal(body.render_gate.slots, 2);
    const live = await engine.app.inject({ method: 'GET', url: '/health' });
    assert.equal(live.statusCode, 200, 'liveness does not depend on readiness');
  });

  it('serves OpenAPI at /openapi.json and Swagger UI at /docs', async () => {
    const spec = await engine.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
    assert.match(spec.json().openapi, /^3\./);
    assert.ok(spec.json().paths['/health']);
    const docs = await engine.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  it('answers unknown paths with a detail body', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'Not Found' });
  });
});
