/** Owners on jobs: with users on, each user sees and reaches only their own jobs (others' are 404); admins all. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TEST_JWT_SECRET, testToken } from '../helpers/jwt.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeFits } from '../../src/fits/writer.js';
import { syntheticPlane } from '../analysis/fixtures.js';

const SECRET = TEST_JWT_SECRET;
const ANALYSIS = { data_id: 'j', file_path: 'data/synthetic.fits', algorithm: 'gaussian_filter', parameters: { sigma: 2 } };

const token = (sub: string, role?: string) => testToken(sub, role, SECRET);

describe('job owners (users on)', () => {
  let engine: TestEngine;
  let alice: string;
  let bobKey: string;
  let admin: string;
  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false', JWT_SECRET_KEY: SECRET });
    await mkdir(join(engine.dataDir, 'data'), { recursive: true });
    const plane = syntheticPlane();
    await writeFits(join(engine.dataDir, 'data', 'synthetic.fits'), [
      { axes: [] },
      { axes: [plane.width, plane.height], data: plane.data as Float32Array, extname: 'SCI' },
    ]);
    alice = await token('alice');
    bobKey = (await engine.ctx.auth.apiKeys.create('bob', 'User', 'script')).key; // an API key acts as its user
    admin = await token('root', 'Admin');
  });
  after(async () => {
    await engine.dispose();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, bearer?: string, payload?: object) =>
    engine.app.inject({ method, url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, ...(payload ? { payload } : {}) });

  it('records the submitter as owner; lists only the caller\'s jobs; another user\'s job is 404 everywhere', async () => {
    const a = await call('POST', '/process/jobs', alice, ANALYSIS);
    assert.equal(a.statusCode, 202, a.body);
    const aliceJob = a.json().job_id as string;
    const b = await call('POST', '/process/jobs', bobKey, ANALYSIS);
    assert.equal(b.statusCode, 202, b.body);
    const bobJob = b.json().job_id as string;
    await engine.ctx.jobs.waitUntilSettled(aliceJob);
    await engine.ctx.jobs.waitUntilSettled(bobJob);

    assert.equal((await engine.ctx.jobs.get(aliceJob))?.owner, 'alice');
    assert.equal((await engine.ctx.jobs.get(bobJob))?.owner, 'bob');

    const aliceList = (await call('GET', '/api/jobs', alice)).json();
    assert.deepEqual(aliceList.jobs.map((j: { jobId: string }) => j.jobId), [aliceJob]);
    assert.equal(aliceList.total, 1);
    assert.equal(aliceList.jobs[0].userId, 'alice');
    const bobList = (await call('GET', '/api/jobs?all=true', bobKey)).json();
    assert.deepEqual(bobList.jobs.map((j: { jobId: string }) => j.jobId), [bobJob], 'all=true does not widen a user\'s list');
    const adminList = (await call('GET', '/api/jobs', admin)).json();
    assert.deepEqual(adminList.jobs.map((j: { jobId: string }) => j.jobId).sort(), [aliceJob, bobJob].sort());

    // Bob cannot reach Alice's job by any route: 404 with the same answer as a missing job.
    const missing = await call('GET', '/api/jobs/no-such-job', bobKey);
    assert.equal(missing.statusCode, 404);
    for (const [method, url] of [
      ['GET', `/api/jobs/${aliceJob}`],
      ['GET', `/api/jobs/${aliceJob}/events`],
      ['GET', `/api/jobs/${aliceJob}/outputs/0/download`],
      ['POST', `/api/jobs/${aliceJob}/outputs/0/save`],
      ['POST', `/api/jobs/${aliceJob}/cancel`],
      ['POST', `/api/jobs/${aliceJob}/resume`],
      ['DELETE', `/api/jobs/${aliceJob}`],
      ['GET', `/process/jobs/${aliceJob}`],
      ['GET', `/composite/jobs/${aliceJob}`],
      ['GET', `/mosaic/jobs/${aliceJob}`],
    ] as const) {
      const res = await call(method, url, bobKey);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      if (url.startsWith('/api/jobs/')) assert.equal(res.json().detail, missing.json().detail, url);
    }
    assert.equal((await engine.ctx.jobs.get(aliceJob))?.state, 'completed', 'untouched by bob');

    // Her own job and the admin reach it.
    assert.equal((await call('GET', `/api/jobs/${aliceJob}`, alice)).statusCode, 200);
    assert.equal((await call('GET', `/process/jobs/${aliceJob}`, alice)).statusCode, 200);
    assert.equal((await call('GET', `/api/jobs/${bobJob}`, admin)).statusCode, 200);
    assert.equal((await call('GET', `/api/jobs/${aliceJob}/outputs/0/download`, alice)).statusCode, 200);
    const del = await call('DELETE', `/api/jobs/${aliceJob}`, alice);
    assert.equal(del.statusCode, 200, del.body);
    assert.equal(await engine.ctx.jobs.get(aliceJob), undefined);
    assert.equal((await call('DELETE', `/api/jobs/${bobJob}`, admin)).statusCode, 200);

    // No token: 401, not a list.
    assert.equal((await call('GET', '/api/jobs')).statusCode, 401);
  });
});
