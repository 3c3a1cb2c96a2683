/**
 * Downloads are job-core records (kind `download`): `/api/jobs` lists and controls them (get,
 * pause, resume, cancel, events), `/mast/download/*` answers from the same records, and with users
 * on a download belongs to the user who started it (others' answer 404; an admin sees all).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TEST_JWT_SECRET, testToken } from '../helpers/jwt.js';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const SECRET = TEST_JWT_SECRET;
const OBS = 'jw01039-o004_t001_miri_ch3-long';
const OBS_BIG = 'jw02733-o002_t001_miri_f770w';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Json = Record<string, any>;

const token = (sub: string, role?: string) => testToken(sub, role, SECRET);

describe('downloads as job-core jobs (/api/jobs) with owners', () => {
  let fake: FakeMast;
  let engine: TestEngine;
  let alice: string;
  let bob: string;
  let admin: string;
  before(async () => {
    fake = await FakeMast.start({ imageSize: 256 });
    engine = await startTestEngine({ MAST_BASE_URL: fake.url, LIBRARY_SCAN_ON_START: 'false', JWT_SECRET_KEY: SECRET, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01', CHUNK_SIZE: '65536' });
    alice = await token('alice');
    bob = await token('bob');
    admin = await token('root', 'Admin');
  });
  after(async () => {
    await engine.dispose();
    await fake.close();
  });

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, bearer: string, payload?: object) => {
    const res = await engine.app.inject({ method, url, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: (res.headers['content-type']?.toString().includes('json') ? res.json() : { text: res.body }) as Json };
  };

  it('lists a download in /api/jobs (kind download, owner), answers it from one record on both APIs, and hides it from other users', async () => {
    const start = await call('POST', '/mast/download/start-chunked', alice, { obs_id: OBS });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const id = start.body.job_id as string;
    const record = await engine.ctx.downloads.waitUntilSettled(id);
    assert.equal(record.status, 'complete', record.error ?? '');

    const wire = await call('GET', `/api/jobs/${id}`, alice);
    assert.equal(wire.status, 200);
    assert.equal(wire.body.type, 'download');
    assert.equal(wire.body.userId, 'alice');
    assert.equal(wire.body.status, 'succeeded');
    assert.equal(wire.body.progress.fraction, 1);
    assert.equal(wire.body.request.obs_id, OBS);
    assert.equal(JSON.stringify(wire.body).includes(engine.dataDir), false, 'no server path on the wire');
    assert.deepEqual((await call('GET', '/api/jobs?kind=download', alice)).body.jobs.map((j: Json) => j.jobId), [id]);

    const p = await call('GET', `/mast/download/progress-chunked/${id}`, alice);
    assert.equal(p.body.stage, 'complete');
    for (const f of p.body.file_progress) {
      const want = fake.dataset.files.get(`mast:jwst/product/${f.filename}`.toLowerCase())!.bytes();
      assert.equal(sha(await readFile(f.local_path)), sha(want));
    }

    // The files are in Alice's "my data", and public (MAST's archive files) for everyone else.
    const mine = await call('GET', `/api/jwstdata?mine=true&observationId=${OBS}`, alice);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.equal((mine.body as unknown as Json[]).length, 2);
    assert.equal((await call('GET', `/api/jwstdata?mine=true&observationId=${OBS}`, bob)).body.length, 0);
    assert.equal((await call('GET', `/api/jwstdata?isPublic=true&observationId=${OBS}`, bob)).body.length, 2);

    // Bob: 404 on every route that reaches the job, and an empty list.
    for (const [method, url] of [
      ['GET', `/api/jobs/${id}`], ['GET', `/mast/download/progress-chunked/${id}`], ['GET', `/mast/download/progress/${id}`],
      ['POST', `/mast/download/pause/${id}`], ['POST', `/mast/download/resume/${id}`], ['POST', `/mast/download/cancel/${id}`],
      ['GET', `/mast/download/events/${id}`], ['DELETE', `/mast/download/resumable/${id}`],
    ] as const) {
      assert.equal((await call(method, url, bob)).status, 404, `${method} ${url}`);
    }
    assert.equal((await call('GET', '/mast/download/jobs', bob)).body.count, 0);
    assert.equal((await call('GET', '/api/jobs?kind=download', bob)).body.total, 0);
    // The admin sees everyone's.
    assert.equal((await call('GET', `/mast/download/progress-chunked/${id}`, admin)).status, 200);
    assert.deepEqual((await call('GET', '/mast/download/jobs', admin)).body.jobs.map((j: Json) => j.job_id), [id]);
    // Dismissed through the jobs API: gone from both.
    assert.equal((await call('DELETE', `/api/jobs/${id}`, alice)).status, 200);
    assert.equal((await call('GET', `/mast/download/progress-chunked/${id}`, alice)).status, 404);
  });

  it('pause, resume and cancel through /api/jobs act on the download (bytes kept on pause; .part files removed on cancel)', async () => {
    // Every file but the two small ones stops at 128 KiB: the job is unfinished through the pause, resume and cancel.
    const gate = fake.holdDownloads(131_072);
    try {
      const start = await call('POST', '/mast/download/start-chunked', alice, { obs_id: OBS_BIG });
      const id = start.body.job_id as string;
      for (;;) {
        const p = await call('GET', `/mast/download/progress-chunked/${id}`, alice);
        if (p.body.downloaded_bytes > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const paused = await call('POST', `/api/jobs/${id}/pause`, alice);
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      assert.equal(paused.body.state, 'paused');
      const p = (await call('GET', `/mast/download/progress-chunked/${id}`, alice)).body;
      assert.equal(p.status, 'paused');
      assert.equal(p.pause_reason, 'user');
      assert.equal(p.is_resumable, true);
      assert.ok(p.downloaded_bytes > 0);
      assert.equal((await call('POST', `/api/jobs/${id}/resume`, alice)).body.state, 'queued');
      const cancelled = await call('POST', `/api/jobs/${id}/cancel`, alice);
      assert.equal(cancelled.status, 200);
      const after = (await call('GET', `/mast/download/progress-chunked/${id}`, alice)).body;
      assert.equal(after.status, 'cancelled');
      assert.equal(after.is_resumable, false);
      for (const f of after.file_progress) if (f.status !== 'complete') await assert.rejects(readFile(`${f.local_path}.part`), { code: 'ENOENT' });
      const sse = await engine.app.inject({ method: 'GET', url: `/api/jobs/${id}/events`, headers: { authorization: `Bearer ${alice}` } });
      assert.match(sse.body, /event: end\n(id: \d+\n)?data: \{"jobId":"[0-9a-f]{12}","status":"cancelled"\}/);
    } finally {
      fake.setDownloadSwitches({ '*': {} });
      gate.release();
    }
  });

  it('dismissing with delete_files keeps a file that is in another user\'s data (its first downloader kept it)', async () => {
    const obs = 'jw09992-o004_t001_miri_f770w';
    const first = await call('POST', '/mast/download/start-chunked', alice, { obs_id: obs });
    assert.equal((await engine.ctx.downloads.waitUntilSettled(first.body.job_id)).status, 'complete');
    const files = ((await call('GET', `/mast/download/progress-chunked/${first.body.job_id}`, alice)).body.file_progress as Json[]).map((f) => f.local_path as string);
    assert.ok(files.length >= 2);
    // Alice dismisses her job and keeps the files: they stay in her "my data".
    assert.equal((await call('DELETE', `/api/jobs/${first.body.job_id}`, alice)).status, 200);
    const second = await call('POST', '/mast/download/start-chunked', bob, { obs_id: obs });
    assert.notEqual(second.body.job_id, first.body.job_id);
    assert.equal((await engine.ctx.downloads.waitUntilSettled(second.body.job_id)).status, 'complete');
    // Bob dismisses his job of the same files with delete_files: Alice's files stay.
    const d = await call('DELETE', `/mast/download/resumable/${second.body.job_id}?delete_files=true`, bob);
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.equal(d.body.deleted_files, 0);
    for (const path of files) await readFile(path);
    const mine = await call('GET', `/api/jwstdata?mine=true&observationId=${obs}`, alice);
    assert.equal((mine.body as unknown as Json[]).length, files.length, 'her records are not missing');
  });
});
