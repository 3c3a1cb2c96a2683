/**
 * `GET /mast/download/jobs` keeps finished jobs' items (issue #20, session 18): on every call the
 * answer is byte for byte the uncached one (Fastify's serialiser of the response schema over
 * `downloads.list` of the caller's jobs), through a dismiss, a resume that runs a job again, a
 * record rewritten by another node (no event here), and a running job of another node; a repeated
 * call reads only the records of jobs that are not finished and kept; users see only their jobs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { TEST_JWT_SECRET, testToken } from '../helpers/jwt.js';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { PROGRESS_SCHEMAS, chunkedProgressJson } from '../../src/routes/downloads.js';
import type { JobQuery, JobRecord } from '../../src/jobs/index.js';

const OBS = 'jw01039-o004_t001_miri_ch3-long';
const serialise = SerializerSelector()()({ schema: PROGRESS_SCHEMAS.jobs, method: 'GET', url: '/x', httpStatus: '200' }) as (data: unknown) => string;
type Json = Record<string, any>;

describe('GET /mast/download/jobs keeps finished jobs\' items, never stale', () => {
  let fake: FakeMast;
  let engine: TestEngine;
  let alice: string;
  let admin: string;
  /** Ids of the records each store `list` read whole since the last `reads()`. */
  let read: string[][] = [];
  before(async () => {
    fake = await FakeMast.start({ imageSize: 64 });
    engine = await startTestEngine({ MAST_BASE_URL: fake.url, LIBRARY_SCAN_ON_START: 'false', JWT_SECRET_KEY: TEST_JWT_SECRET, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01' });
    alice = await testToken('alice', undefined, TEST_JWT_SECRET);
    admin = await testToken('root', 'Admin', TEST_JWT_SECRET);
    const store = engine.ctx.downloads.jobs.store;
    const list = store.list.bind(store);
    store.list = async (q: JobQuery = {}) => {
      const page = await list(q);
      read.push(page.jobs.filter((j) => !q.withoutCheckpoint?.includes(j.id)).map((j) => j.id).sort());
      return page;
    };
  });
  after(async () => {
    await engine.dispose();
    await fake.close();
  });

  const reads = (): string[] => {
    const all = read.flat().sort();
    read = [];
    return all;
  };

  /** The route's answer and the uncached one, compared byte for byte; the answer parsed. */
  const answer = async (bearer: string, scope: string | undefined): Promise<Json> => {
    const res = await engine.app.inject({ method: 'GET', url: '/mast/download/jobs', headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(res.statusCode, 200, res.body);
    const downloads = engine.ctx.downloads;
    const jobs = (await downloads.list(scope)).map((j) => chunkedProgressJson(downloads.progress(j)));
    read.pop(); // the uncached list's own read
    assert.equal(res.body, serialise({ jobs, count: jobs.length }));
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    return res.json() as Json;
  };
  const statusOf = (body: Json, id: string): string | undefined => (body.jobs as Json[]).find((j) => j.job_id === id)?.status;

  it('answers as uncached on every call, reads only what is not kept, follows every change', async () => {
    const start = await engine.app.inject({ method: 'POST', url: '/mast/download/start-chunked', headers: { authorization: `Bearer ${alice}` }, payload: { obs_id: OBS } });
    assert.equal(start.statusCode, 200, start.body);
    const real = start.json().job_id as string;
    assert.equal((await engine.ctx.downloads.waitUntilSettled(real)).status, 'complete');
    const store = engine.ctx.downloads.jobs.store;
    const base = (await store.get(real))!;
    assert.ok(((base.checkpoint as Json).files as Json[]).length > 0);
    const at = (s: number) => new Date(Date.parse(base.createdAt) - 100_000 + s * 1000).toISOString();
    const clone = (id: string, over: Partial<JobRecord>): JobRecord => ({ ...structuredClone(base), id, createdAt: at(1), updatedAt: at(50), finishedAt: at(50), ...over });
    // Finished jobs of two users (two created at the same time), and a job running on another node.
    await store.insert(clone('done-a', { owner: 'alice' }));
    await store.insert(clone('cancel-b', { owner: 'bob', state: 'cancelled' }));
    await store.insert(clone('fail-a', { owner: 'alice', state: 'failed', createdAt: at(2), error: { code: 'X', message: 'boom', httpStatus: 502 } }));
    await store.insert(clone('dismiss-a', { owner: 'alice', createdAt: at(2) }));
    await store.insert(clone('run-b', { owner: 'bob', state: 'running', finishedAt: null, createdAt: at(3) }));
    const all = ['cancel-b', 'dismiss-a', 'done-a', 'fail-a', real, 'run-b'].sort();
    reads();

    let body = await answer(admin, undefined);
    assert.equal(body.count, 6);
    assert.deepEqual(reads(), all, 'the first call reads every record');
    body = await answer(admin, undefined);
    assert.deepEqual(reads(), ['run-b'], 'then only the running one');
    // Alice's jobs only, all kept already (the cache is by job, the list by the caller).
    body = await answer(alice, 'alice');
    assert.deepEqual((body.jobs as Json[]).map((j) => j.job_id).sort(), ['dismiss-a', 'done-a', 'fail-a', real].sort());
    assert.deepEqual(reads(), []);

    // Dismissed between calls: gone.
    const dismiss = await engine.app.inject({ method: 'DELETE', url: '/mast/download/resumable/dismiss-a', headers: { authorization: `Bearer ${alice}` } });
    assert.equal(dismiss.statusCode, 200, dismiss.body);
    body = await answer(admin, undefined);
    assert.equal(statusOf(body, 'dismiss-a'), undefined);
    assert.deepEqual(reads(), ['run-b']);

    // Another node finishes run-b and rewrites done-a (no event here): both read again.
    const runB = (await store.get('run-b'))!;
    assert.equal(await store.update({ ...runB, state: 'completed', finishedAt: at(60), updatedAt: at(60) }), true);
    const doneA = (await store.get('done-a'))!;
    assert.equal(await store.update({ ...doneA, state: 'completed', updatedAt: at(61), checkpoint: { ...(doneA.checkpoint as Json), message: 'Rewritten elsewhere' } }), true);
    body = await answer(admin, undefined);
    assert.equal(statusOf(body, 'run-b'), 'complete');
    assert.equal((body.jobs as Json[]).find((j) => j.job_id === 'done-a')!.message, 'Rewritten elsewhere');
    assert.deepEqual(reads(), ['done-a', 'run-b']);
    await answer(admin, undefined);
    assert.deepEqual(reads(), []);

    // Resumed: it runs again, and its item follows.
    assert.equal(statusOf(body, 'fail-a'), 'failed');
    const resume = await engine.app.inject({ method: 'POST', url: '/mast/download/resume/fail-a', headers: { authorization: `Bearer ${alice}` } });
    assert.equal(resume.statusCode, 200, resume.body);
    const settled = await engine.ctx.downloads.waitUntilSettled('fail-a');
    body = await answer(admin, undefined);
    assert.equal(statusOf(body, 'fail-a'), settled.status);
    assert.notEqual((body.jobs as Json[]).find((j) => j.job_id === 'fail-a')!.error, 'boom');
    assert.deepEqual(reads(), ['fail-a']);
    await answer(admin, undefined);
    await answer(alice, 'alice');
    assert.deepEqual(reads(), []);
  });
});
