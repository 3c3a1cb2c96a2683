import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeProduct } from '../library/fixtures.js';

let fake: FakeMast;
let engine: TestEngine;
const OBS = 'jw01039-o004_t001_miri_ch3-long';
const OBS_BIG = 'jw02733-o002_t001_miri_f770w';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

type Json = Record<string, any>;
async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const res = await engine.app.inject({ method, url, payload: payload as Json | undefined });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? (res.json() as Json) : ({ text: res.body } as Json) };
}

async function progress(jobId: string): Promise<Json> {
  const r = await call('GET', `/mast/download/progress-chunked/${jobId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function until(jobId: string, done: (p: Json) => boolean, timeoutMs = 300_000): Promise<Json> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = await progress(jobId);
    if (done(p)) return p;
    if (Date.now() > end) throw new Error(`timed out; last progress ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function fakeBytes(filename: string): Buffer {
  return fake.dataset.files.get(`mast:jwst/product/${filename}`.toLowerCase())!.bytes();
}

before(async () => {
  fake = await FakeMast.start({ imageSize: 256 });
  engine = await startTestEngine({ MAST_BASE_URL: fake.url, MAX_RETRIES: '2', RETRY_BASE_DELAY: '0.01', CHUNK_SIZE: '65536', AUTO_RESUME_DOWNLOADS: 'false' });
});
afterEach(() => fake.reset());
after(async () => {
  await engine.dispose();
  await fake.close();
});

describe('chunked download jobs over HTTP', () => {
  it('start-chunked → progress-chunked until complete, with absolute and relative paths and SHA-256', async () => {
    const start = await call('POST', '/mast/download/start-chunked', { obs_id: OBS, product_type: 'SCIENCE', resume_job_id: null, calib_level: null });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.obs_id, OBS);
    assert.equal(start.body.is_resume, false);
    assert.equal(start.body.message, 'Chunked download started');
    const p = await until(start.body.job_id, (x) => x.is_complete);
    assert.equal(p.stage, 'complete');
    assert.equal(p.error, null);
    assert.equal(p.progress, 100);
    assert.equal(p.total_files, 2);
    assert.equal(p.downloaded_files, 2);
    assert.equal(p.download_dir, join(engine.dataDir, 'mast', OBS));
    assert.equal(p.files.length, 2);
    for (const [i, abs] of p.files.entries()) {
      assert.ok(isAbsolute(abs));
      assert.equal(p.relative_files[i], `mast/${OBS}/${abs.split('/').pop()}`);
    }
    for (const f of p.file_progress) {
      const expected = fakeBytes(f.filename);
      assert.equal(f.status, 'complete');
      assert.equal(f.progress_percent, 100);
      assert.equal(f.total_bytes, expected.length);
      assert.equal(f.sha256, sha(expected));
      assert.equal(sha(await readFile(f.local_path)), sha(expected));
      // The fake's FITS products carry CHECKSUM/DATASUM (written by src/fits/writer): verified on the way in.
      assert.equal(f.fits_checksum, 'valid', f.filename);
    }
    assert.equal(p.is_resumable, false);
  });

  it('POST /mast/download waits and answers the MastDownloadResponse shape', async () => {
    const r = await call('POST', '/mast/download', { obs_id: OBS, product_type: 'SCIENCE', product_id: null });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed');
    assert.equal(r.body.file_count, 2);
    assert.ok(r.body.files.every((f: string) => isAbsolute(f)));
    assert.equal(r.body.error, null);
    assert.match(r.body.timestamp, /Z$/);
  });

  it('POST /mast/download answers 504 after MAST_DOWNLOAD_TIMEOUT (from the settings); the job goes on', async () => {
    const slow = await startTestEngine({ MAST_BASE_URL: fake.url, CHUNK_SIZE: '65536', AUTO_RESUME_DOWNLOADS: 'false', MAST_DOWNLOAD_TIMEOUT: '0.3' });
    // No byte is answered until the test ends: the wait surely outlasts the 0.3 s timeout.
    const gate = fake.holdDownloads(0);
    try {
      const r = await slow.app.inject({ method: 'POST', url: '/mast/download', payload: { obs_id: OBS } });
      assert.equal(r.statusCode, 504, r.body);
      assert.match(r.json().detail, /^Download timed out after 0\.3 seconds\. The files may be very large\. It continues as job [0-9a-f]{12}\.$/);
      const id = /job ([0-9a-f]{12})\.$/.exec(r.json().detail)![1]!;
      assert.ok(['queued', 'fetching_products', 'downloading'].includes(slow.ctx.downloads.get(id)?.status ?? ''), 'the job goes on');
    } finally {
      await slow.dispose();
      gate.release();
    }
  });

  it('legacy start + progress', async () => {
    const s = await call('POST', '/mast/download/start', { obs_id: OBS });
    assert.equal(s.body.message, 'Download started');
    const end = Date.now() + 300_000; // generous: seconds on a quiet machine, far more at load 16
    let p: Json;
    do {
      p = (await call('GET', `/mast/download/progress/${s.body.job_id}`)).body;
      await new Promise((r) => setTimeout(r, 50));
    } while (!p.is_complete && Date.now() < end);
    assert.equal(p.stage, 'complete');
    assert.equal(p.downloaded_files, 2);
  });

  it('rejects bad obs_ids with 422 and unknown jobs with 404, and accepts explicit nulls', async () => {
    for (const obs_id of ['../etc', 'a b', '..', 'x\n']) {
      const r = await call('POST', '/mast/download/start-chunked', { obs_id });
      assert.equal(r.status, 422, obs_id);
      assert.equal(r.body.detail, 'obs_id contains invalid characters');
    }
    assert.equal((await call('POST', '/mast/download/start-chunked', {})).status, 422);
    assert.equal((await call('GET', '/mast/download/progress-chunked/nosuchjob')).status, 404);
    assert.deepEqual((await call('POST', '/mast/download/resume/nosuchjob')).body, { detail: 'No resumable state found for job nosuchjob' });
    assert.deepEqual((await call('POST', '/mast/download/pause/nosuchjob')).body, { detail: 'No active download for job nosuchjob' });
    assert.deepEqual((await call('POST', '/mast/download/cancel/nosuchjob')).body, { detail: 'No download found for job nosuchjob' });
    assert.deepEqual((await call('DELETE', '/mast/download/resumable/nosuchjob')).body, { detail: 'Job nosuchjob not found' });
    assert.equal((await call('GET', '/mast/download/progress-chunked/..%2F..%2Fetc')).status, 404);
  });

  it('product_filenames: downloads exactly the ticked products (whatever product_type says), persists the selection, 422 naming unknown names', async () => {
    const chosen = [`${OBS}_x1d.fits`, `${OBS}_s3d.jpg`];
    const start = await call('POST', '/mast/download/start-chunked', { obs_id: OBS, product_type: 'SCIENCE', product_filenames: chosen });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const p = await until(start.body.job_id, (x) => x.is_complete);
    assert.equal(p.stage, 'complete', JSON.stringify(p));
    assert.deepEqual(p.file_progress.map((f: Json) => f.filename).sort(), [...chosen].sort());
    for (const f of p.file_progress) assert.equal(sha(await readFile(f.local_path)), sha(fakeBytes(f.filename)));
    const record = (await engine.ctx.jobs.get(start.body.job_id))!;
    assert.equal(record.kind, 'download');
    assert.deepEqual(record.inputs.product_filenames, chosen);
    assert.deepEqual((record.checkpoint as Json).product_filenames, chosen);

    const unknown = await call('POST', '/mast/download/start-chunked', { obs_id: OBS, product_filenames: [`${OBS}_x1d.fits`, 'jw_missing_i2d.fits'] });
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.match(unknown.body.detail, /1 name\(s\) not among the products of jw01039-o004_t001_miri_ch3-long: jw_missing_i2d\.fits$/);
    for (const bad of [['../x.fits'], ['a/b'], [], ['.x'], Array.from({ length: 1001 }, (_, i) => `f${i}.fits`)]) {
      const r = await call('POST', '/mast/download/start-chunked', { obs_id: OBS, product_filenames: bad });
      assert.equal(r.status, 422, JSON.stringify(bad).slice(0, 40));
      assert.match(JSON.stringify(r.body), /product_filenames/);
    }
    assert.equal((await call('POST', '/mast/download/start-chunked', { obs_id: OBS, product_filenames: null })).status, 200);
  });

  it('pause then resume over HTTP continues partial files to byte-identical results; racing resumes get one 409', async () => {
    // Every file but the two small ones stops at 128 KiB until the job is paused (the hold is removed by fake.reset below).
    fake.holdDownloads(131_072);
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: OBS_BIG });
    const id = body.job_id;
    await until(id, (p) => p.downloaded_bytes > 100_000);
    const paused = await call('POST', `/mast/download/pause/${id}`);
    assert.deepEqual(paused.body, { job_id: id, status: 'paused', message: 'Download paused' });
    const p1 = await progress(id);
    assert.equal(p1.stage, 'paused');
    assert.equal(p1.is_complete, false);
    assert.equal(p1.is_resumable, true);
    assert.ok(p1.downloaded_bytes > 0 && p1.downloaded_bytes < p1.total_bytes);
    const resumable = await call('GET', '/mast/download/resumable');
    assert.ok(resumable.body.jobs.some((j: Json) => j.job_id === id && j.status === 'paused'));
    fake.reset();
    const [a, b] = await Promise.all([call('POST', `/mast/download/resume/${id}`, {}), call('POST', `/mast/download/resume/${id}`, {})]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    assert.equal((a.status === 409 ? a : b).body.detail, `Job ${id} is already being resumed`);
    assert.deepEqual((a.status === 200 ? a : b).body, { job_id: id, status: 'resuming', message: 'Download resumed' });
    const done = await until(id, (p) => p.is_complete);
    assert.equal(done.stage, 'complete');
    for (const f of done.file_progress) assert.equal(sha(await readFile(f.local_path)), sha(fakeBytes(f.filename)));
  });

  it('start-chunked with resume_job_id resumes the paused job', async () => {
    // Every test takes its own observation: finished files on disk are (rightly) not fetched again.
    const obs = 'jw09992-o001_t001_miri_f770w';
    fake.holdDownloads(65_536); // both files stop after their first chunk until the pause (fake.reset below removes the hold)
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: obs });
    await until(body.job_id, (p) => p.downloaded_bytes > 0);
    assert.equal((await call('POST', `/mast/download/pause/${body.job_id}`)).status, 200);
    fake.reset();
    const again = await call('POST', '/mast/download/start-chunked', { obs_id: obs, resume_job_id: body.job_id });
    assert.deepEqual(again.body, { job_id: body.job_id, obs_id: obs, message: 'Download resumed', is_resume: true });
    assert.equal((await until(body.job_id, (p) => p.is_complete)).stage, 'complete');
  });

  it('cancel is final and removes the .part files at once; dismiss deletes the completed files', async () => {
    // The segmentation map (270720 bytes) completes; the image (806400) stops at 320 KiB: one file
    // finished and one unfinished when the cancel comes, whatever the machine's speed.
    fake.holdDownloads(327_680);
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: 'jw09992-o002_t001_miri_f770w' });
    const id = body.job_id;
    await until(id, (p) => p.file_progress.some((f: Json) => f.status === 'complete') && p.downloaded_bytes >= 270_720 + 327_680);
    const c = await call('POST', `/mast/download/cancel/${id}`);
    assert.deepEqual(c.body, { job_id: id, status: 'cancelled', message: 'Download cancelled' });
    // No wait: the answer comes once the run has ended and its .part files are removed (JobService.cancel waits for both).
    const p = await progress(id);
    assert.equal(p.stage, 'cancelled');
    assert.equal(p.is_complete, true);
    assert.equal(p.is_resumable, false);
    assert.equal((await call('POST', `/mast/download/resume/${id}`)).status, 400);
    const unfinished = p.file_progress.filter((f: Json) => f.status !== 'complete');
    const finished = p.file_progress.filter((f: Json) => f.status === 'complete');
    assert.equal(unfinished.length, 1);
    assert.equal(finished.length, 1);
    for (const f of unfinished) {
      await assert.rejects(stat(`${f.local_path}.part`), { code: 'ENOENT' }, `${f.filename}.part removed by cancel`);
      assert.equal(f.downloaded_bytes, 0);
    }
    for (const f of finished) await stat(f.local_path);
    const d = await call('DELETE', `/mast/download/resumable/${id}?delete_files=true`);
    assert.equal(d.status, 200);
    assert.equal(d.body.dismissed, true);
    assert.equal(d.body.deleted_files, finished.length);
    for (const f of finished) await assert.rejects(stat(f.local_path), { code: 'ENOENT' });
    assert.equal((await call('GET', `/mast/download/progress-chunked/${id}`)).status, 404);
  });

  it('dismiss with delete_files keeps a file the library made another record from', async () => {
    // An observation no other test here downloads (files another job lists are kept anyway).
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: 'jw09992-o004_t001_miri_f770w' });
    const id = body.job_id;
    const p = await until(id, (x) => x.is_complete);
    assert.equal(p.stage, 'complete');
    assert.ok(p.file_progress.length >= 2);
    const [used, ...unused] = p.file_progress as Json[];
    const usedRecord = await engine.ctx.library.repo.getByPath(used!.relative_path);
    assert.ok(usedRecord, 'the downloaded file is a record');
    // A product made from the first file (as a job's output would be).
    const derived = join(engine.dataDir, 'processed', 'made-from-download.fits');
    await writeProduct(engine.dataDir, { rel: 'processed/made-from-download.fits', instrument: 'MIRI' });
    await engine.ctx.library.registerCompletedFile({ path: derived, source: 'job', inputIds: [usedRecord.dataId] });
    const d = await call('DELETE', `/mast/download/resumable/${id}?delete_files=true`);
    assert.equal(d.status, 200);
    assert.equal(d.body.deleted_files, unused.length);
    await stat(used!.local_path);
    for (const f of unused) await assert.rejects(stat(f.local_path), { code: 'ENOENT' });
  });

  it('exclusive-access products without a token fail with a clear 401 message', async () => {
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: 'jw04567-o001_t001_nircam_clear-f200w', calib_level: [3] });
    const p = await until(body.job_id, (x) => x.is_complete);
    assert.equal(p.stage, 'failed');
    assert.match(p.error, /HTTP 401: not authorized \(set MAST_TOKEN/);
    assert.ok(p.file_progress.every((f: Json) => f.status === 'failed'));
  });

  it('GET /mast/download/jobs lists every job', async () => {
    const r = await call('GET', '/mast/download/jobs');
    assert.equal(r.status, 200);
    assert.equal(r.body.count, r.body.jobs.length);
    assert.ok(r.body.count >= 5);
    assert.ok(r.body.jobs.every((j: Json) => typeof j.job_id === 'string' && Array.isArray(j.file_progress)));
  });

  it('the SSE stream of a finished job sends its progress and an end event', async () => {
    const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: OBS });
    await until(body.job_id, (p) => p.is_complete);
    const res = await engine.app.inject({ method: 'GET', url: `/mast/download/events/${body.job_id}` });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = parseSse(res.body);
    assert.equal(events[0]!.event, 'progress');
    assert.equal(events[0]!.data.stage, 'complete');
    assert.deepEqual(events.at(-1), { event: 'end', data: { job_id: body.job_id, status: 'complete' } });
    assert.equal((await call('GET', '/mast/download/events/nosuchjob')).status, 404);
  });

  it('the SSE stream pushes live progress while a job runs', async () => {
    const address = await engine.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      // No byte comes before the stream's first event; then the files stop at 128 KiB until the
      // stream has pushed a live event with bytes: at least the snapshot (0 bytes), a live event
      // (some bytes, not all) and the completion, however fast or loaded the machine.
      const start = fake.holdDownloads(0);
      const { body } = await call('POST', '/mast/download/start-chunked', { obs_id: 'jw09992-o003_t001_miri_f770w' });
      let rest: { release: () => void } | undefined;
      const text = await new Promise<string>((resolve, reject) => {
        httpRequest(`${address}/mast/download/events/${body.job_id}`, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            const seen = parseSse(buf.slice(0, buf.lastIndexOf('\n\n') + 2)).filter((e) => e.event === 'progress');
            if (!rest && seen.length >= 1) {
              rest = fake.holdDownloads(131_072);
              start.release();
            }
            if (rest && seen.some((e) => e.data.stage === 'downloading' && e.data.downloaded_bytes > 0)) rest.release();
          });
          res.on('end', () => resolve(buf));
        }).on('error', reject).end();
      });
      const events = parseSse(text);
      const progressEvents = events.filter((e) => e.event === 'progress');
      assert.ok(progressEvents.length >= 3, `${progressEvents.length} progress events`);
      assert.equal(progressEvents[0]!.data.downloaded_bytes, 0, 'the first event came before any byte');
      const bytes = progressEvents.map((e) => e.data.downloaded_bytes as number);
      assert.ok(bytes.every((b, i) => i === 0 || b >= bytes[i - 1]!), 'monotonic');
      assert.ok(progressEvents.some((e) => e.data.stage === 'downloading' && e.data.downloaded_bytes > 0 && e.data.downloaded_bytes < e.data.total_bytes), 'a live event while bytes were missing');
      assert.ok(progressEvents.some((e) => e.data.stage === 'downloading' && e.data.speed_bytes_per_sec > 0));
      assert.equal(events.at(-1)!.event, 'end');
      assert.equal(progressEvents.at(-1)!.data.stage, 'complete');
    } finally {
      fake.reset();
    }
  });
});

function parseSse(text: string): Array<{ event: string; data: Json }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = JSON.parse(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')) as Json;
      return { event, data };
    });
}
