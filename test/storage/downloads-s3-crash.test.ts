/**
 * An engine downloading into S3 (STORAGE_PROVIDER=s3, fauxqs in this process) is killed with
 * SIGKILL mid-file, then started again: the job resumes the same multipart upload from the parts
 * saved in its checkpoint (the range after the last saved part is the first byte fetched again,
 * so no completed part is downloaded twice), nothing is visible under the final key before the
 * file is complete and verified, and the objects end byte-identical to MAST's files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobStoreFromSettings } from '../../src/jobs/store-from-settings.js';
import { loadSettings } from '../../src/config.js';
import { S3Storage } from '../../src/storage/s3.js';
import { FakeMast } from '../fake-mast/server.js';
import type { FakeDownloadEndpoint } from '../fake-mast/download-endpoint.js';
import { freePort, spawnEngine, waitForHealth, type SpawnedEngine } from '../helpers/engine-process.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Json = Record<string, any>;
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const OBS = 'jw09992-o004_t001_miri_f770w';

let fake: FakeMast;
let s3: TestS3;
let store: S3Storage;
before(async () => {
  // 1536-pixel images: the i2d is 27 MiB (6 parts of 5 MiB), the segmentation map 9 MiB (2 parts).
  fake = await FakeMast.start({ imageSize: 1536 });
  s3 = await startTestS3('fauxqs', ['engine']);
  store = new S3Storage(s3.settings('engine'));
});
after(async () => {
  await store.close();
  await s3.stop();
  await fake.close();
});

async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function waitFor(port: number, jobId: string, done: (p: Json) => boolean, timeoutMs = 300_000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(port, 'GET', `/mast/download/progress-chunked/${jobId}`);
    if (r.status === 200 && done(r.body)) return r.body;
    if (Date.now() > until) throw new Error(`timed out: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function objectSha(key: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await store.readStream(key)) h.update(c as Buffer);
  return h.digest('hex');
}

describe('download into S3, engine killed with SIGKILL mid-file', () => {
  it('resumes the same multipart upload after the restart and ends with verified, identical objects', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'download-s3-crash-'));
    const port = await freePort();
    let proc: SpawnedEngine | undefined;
    let held: { release: () => void } | undefined;
    const start = async () => {
      proc = spawnEngine({
        PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKER_THREADS: '1',
        MAST_BASE_URL: fake.url, CHUNK_SIZE: String(MiB), RETRY_BASE_DELAY: '0.01', MAX_CONCURRENT_FILES: '2',
        ...s3.env('engine'), S3_UPLOAD_PART_MB: '5',
      });
      await waitForHealth(port, proc);
    };
    try {
      fake.reset();
      // The segmentation map (9.4 MB) completes; the i2d (28 MB) stops at 12 MiB until the kill:
      // past two parts, mid-file, however fast or loaded the machine.
      held = fake.holdDownloads(12 * MiB);
      await start();
      const started = await call(port, 'POST', '/mast/download/start-chunked', { obs_id: OBS });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const id = started.body.job_id as string;
      // Past two parts of the i2d; then until the checkpoint holds them (saved after each one) and
      // holds the map as complete, read from the job store: the bytes arrive at once up to the
      // hold, so a margin of bytes is no margin of time for the saves (a kill between the map's
      // last part and its saved completion would leave an object the checkpoint calls unfinished).
      await waitFor(port, id, (p) => (p.file_progress as Json[]).some((f) => /_i2d\.fits$/.test(f.filename) && f.downloaded_bytes > 2 * PART + MiB));
      const live = await jobStoreFromSettings(loadSettings({ DATA_DIR: dataDir }));
      try {
        const saved = async () => ((((await live.get(id))?.checkpoint as Json | undefined)?.files ?? []) as Json[]);
        const ready = (files: Json[]) => files.length > 0 && files.every((f) => (/_i2d\.fits$/.test(f.filename) ? (f.upload?.parts.length ?? 0) >= 2 : f.status === 'complete'));
        while (!ready(await saved())) await new Promise((res) => setTimeout(res, 20));
      } finally {
        await live.close();
      }
      proc!.child.kill('SIGKILL');
      await proc!.exited;

      const db = await jobStoreFromSettings(loadSettings({ DATA_DIR: dataDir }));
      const record = (await db.get(id))!;
      await db.close();
      const files = (record.checkpoint as Json).files as Json[];
      const partial = files.filter((f) => f.status !== 'complete' && f.upload);
      assert.ok(partial.length > 0, 'an upload in progress is saved');
      for (const f of partial) {
        assert.equal(f.upload.key, `mast/${OBS}/${f.filename}`);
        assert.equal(f.upload.part_bytes, PART);
        assert.ok(typeof f.upload.upload_id === 'string' && f.upload.upload_id.length > 0);
        assert.equal(await store.stat(f.upload.key), undefined, `nothing under ${f.upload.key} before completion`);
      }
      const i2d = files.find((f) => /_i2d\.fits$/.test(f.filename))!;
      assert.ok(i2d.upload.parts.length >= 2, `the i2d has saved parts (${i2d.upload.parts.length})`);

      const endpoint = fake.downloadState.get('endpoint') as FakeDownloadEndpoint;
      const mark = endpoint.requests.length;
      fake.setDownloadSwitches({ '*': {} });
      await start();
      const done = await waitFor(port, id, (p) => p.is_complete);
      assert.equal(done.stage, 'complete', JSON.stringify(done));
      for (const f of done.file_progress as Json[]) {
        const expected = sha(fake.dataset.files.get(`mast:jwst/product/${f.filename}`.toLowerCase())!.bytes());
        assert.equal(f.sha256, expected);
        assert.equal(await objectSha(`mast/${OBS}/${f.filename}`), expected, `${f.filename} identical in the bucket`);
      }
      // The upload continued at the end of the saved parts: that byte is the first fetched again,
      // and every later byte is fetched once (no completed part downloaded twice).
      for (const f of partial) {
        const resumedAt = (f.upload.parts as Json[]).length * PART;
        const gets = endpoint.requests.slice(mark).filter((r) => r.method === 'GET' && r.uri.toLowerCase().endsWith(String(f.filename).toLowerCase()));
        assert.ok(gets.length > 0);
        assert.ok(gets[0]!.range?.startsWith(`bytes=${resumedAt}-`), `${f.filename} resumed at ${gets[0]!.range}, saved parts end at ${resumedAt}`);
        const fetched = gets.reduce((n, r) => {
          const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '');
          return n + (m ? Number(m[2]) - Number(m[1]) + 1 : 0);
        }, 0);
        assert.equal(fetched, f.total_bytes - resumedAt, `${f.filename}: bytes fetched after the restart`);
      }
      // Nothing of the files on the engine's disk.
      const local = await readdir(join(dataDir, 'mast', OBS)).catch(() => [] as string[]);
      assert.deepEqual(local.filter((n) => !n.startsWith('.')), []);
      proc!.child.kill('SIGTERM');
      await proc!.exited;
    } finally {
      proc?.child.kill('SIGKILL');
      held?.release();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
