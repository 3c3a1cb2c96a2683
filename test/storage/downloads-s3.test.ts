/**
 * Downloads into object storage (issue #19): the download manager with an S3 store (fauxqs) streams
 * each file into a multipart upload under `mast/{obs_id}/{file}`, saves the upload id, parts and
 * digest in the checkpoint, continues the same upload after a pause without fetching or sending a
 * completed part again, verifies before completing (nothing under the key until then), and drops
 * the upload on cancel. The SIGKILL case runs in downloads-s3-crash.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DownloadManager, downloadJobOf } from '../../src/downloads/download-manager.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import { ManualClock } from '../../src/core/retry.js';
import { S3Storage } from '../../src/storage/s3.js';
import type { StorageProvider, UploadedPart } from '../../src/storage/provider.js';
import type { DownloadFaults } from '../fake-mast/download-endpoint.js';
import { fakeServer, serveObservation, sha256, tempDir } from '../downloads/helpers.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

/** The S3 provider, counting the multipart calls it makes. */
function counted(inner: S3Storage) {
  const calls = { start: 0, parts: [] as number[], complete: 0, abort: 0 };
  const store: StorageProvider = Object.assign(Object.create(inner) as S3Storage, {
    startUpload: async (key: string) => {
      calls.start++;
      return inner.startUpload(key);
    },
    uploadPart: async (key: string, id: string, n: number, body: Buffer): Promise<UploadedPart> => {
      calls.parts.push(n);
      return inner.uploadPart(key, id, n, body);
    },
    completeUpload: async (key: string, id: string, parts: readonly UploadedPart[]) => {
      calls.complete++;
      return inner.completeUpload(key, id, parts);
    },
    abortUpload: async (key: string, id: string) => {
      calls.abort++;
      return inner.abortUpload(key, id);
    },
  });
  return { store, calls };
}

describe('downloads into S3 (multipart, resumable, verified)', () => {
  let s3: TestS3;
  let fake: Awaited<ReturnType<typeof fakeServer>>;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let raw: S3Storage;
  const products = new StaticProductSource();
  const managers: DownloadManager[] = [];
  let seq = 0;

  before(async () => {
    s3 = await startTestS3('fauxqs', ['engine']);
    raw = new S3Storage(s3.settings('engine'));
    fake = await fakeServer();
    tmp = await tempDir();
  });
  after(async () => {
    for (const m of managers) await m.close();
    await raw.close();
    await fake.server.close();
    await s3.stop();
    await tmp.remove();
  });

  /** An observation of `sizes.length` files on the fake; returns its id, contents and URIs. */
  const observation = (sizes: number[], faults: Array<DownloadFaults | undefined> = []) => serveObservation(fake, products, ++seq, sizes, faults);

  function manager(store: StorageProvider, dir: string): DownloadManager {
    const m = new DownloadManager({
      downloadDir: join(dir, 'mast'),
      dataDir: dir,
      products,
      chunkSize: MiB,
      maxConcurrentFiles: 2,
      objectStore: store,
      partBytes: PART,
      retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 50 },
      retryClock: new ManualClock(),
      // A held body (holdAt) waits for the test, not for a stall timeout.
      stallTimeoutMs: 60_000,
      persistIntervalMs: 100,
      progressIntervalMs: 50,
    });
    managers.push(m);
    return m;
  }

  async function objectBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await raw.readStream(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  it('streams every file into an object under mast/{obs_id}/{file}, verified, in ceil(size/part) parts; nothing on local disk', async () => {
    const { store, calls } = counted(raw);
    const dir = join(tmp.dir, 'a');
    const m = manager(store, dir);
    await m.start();
    const { obsId, data } = observation([12 * MiB + 123, 100_000]);
    const job = await m.createJob({ obsId });
    const done = await m.waitUntilSettled(job.id);
    assert.equal(done.status, 'complete', done.error ?? '');
    for (const f of done.files) {
      const key = `mast/${obsId}/${f.filename}`;
      assert.equal(f.relativePath, key);
      const bytes = await objectBytes(key);
      assert.equal(sha256(bytes), sha256(data.get(f.filename)!), `${key} identical`);
      assert.equal(f.sha256, sha256(data.get(f.filename)!));
      assert.equal(f.upload, null, 'no upload left in the checkpoint');
    }
    // 12 MiB + 123 bytes in 5 MiB parts: 3 parts; 100 kB: 1 part. No part sent twice.
    assert.equal(calls.start, 2);
    assert.equal(calls.parts.length, 4);
    assert.equal(calls.complete, 2);
    // Nothing of the files on local disk (no .part, no final file).
    const local = await readdir(join(dir, 'mast', obsId)).catch(() => [] as string[]);
    assert.deepEqual(local.filter((n) => !n.startsWith('.')), []);
    // Each byte fetched once: the GETs cover the file exactly.
    const gets = fake.endpoint.requests.filter((r) => r.method === 'GET' && r.uri.includes(obsId));
    assert.equal(gets.length, 13 + 1);
  });

  it('a pause after some parts leaves no object; resume continues the same upload: completed parts neither fetched nor sent again', async () => {
    const { store, calls } = counted(raw);
    const dir = join(tmp.dir, 'b');
    const m = manager(store, dir);
    await m.start();
    const size = 17 * MiB + 5;
    // The bytes stop after two parts until the pause (held, not throttled: however fast or loaded
    // the machine, the pause comes before the file is complete).
    let release!: () => void;
    const { obsId, data } = observation([size], [{ holdAt: { byte: 2 * PART, until: new Promise<void>((r) => (release = r)) } }]);
    const job = await m.createJob({ obsId });
    // Wait for two completed parts saved in the checkpoint, then pause.
    for (;;) {
      const saved = downloadJobOf((await m.jobs.store.get(job.id))!);
      if ((saved.files[0]?.upload?.parts.length ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await m.pause(job.id);
    await m.waitUntilSettled(job.id);
    const paused = downloadJobOf((await m.jobs.store.get(job.id))!);
    const file = paused.files[0]!;
    const upload = file.upload!;
    assert.ok(upload.parts.length >= 2, 'parts saved');
    const key = `mast/${obsId}/${file.filename}`;
    assert.equal(upload.key, key);
    assert.equal(await raw.stat(key), undefined, 'no object under the key before completion');
    const partsBefore = calls.parts.length;
    assert.equal(partsBefore, upload.parts.length, 'every part sent was saved before the pause returned');

    const mark = fake.endpoint.requests.length;
    fake.endpoint.faults.set(`mast:JWST/product/${file.filename}`, {});
    release();
    await m.resume(job.id);
    const done = await m.waitUntilSettled(job.id);
    assert.equal(done.status, 'complete', done.error ?? '');
    assert.equal(sha256(await objectBytes(key)), sha256(data.get(file.filename)!));
    assert.equal(calls.start, 1, 'the same multipart upload');
    assert.equal(calls.parts.length, Math.ceil(size / PART), 'each part sent once');
    assert.deepEqual([...calls.parts].sort((a, b) => a - b), Array.from({ length: Math.ceil(size / PART) }, (_, i) => i + 1));
    const gets = fake.endpoint.requests.slice(mark).filter((r) => r.method === 'GET');
    const first = gets[0]!;
    assert.equal(first.range, `bytes=${upload.parts.length * PART}-${upload.parts.length * PART + MiB - 1}`, 'continued at the end of the saved parts');
  });

  it('never completes a file whose FITS CHECKSUM fails: no object, the upload dropped', async () => {
    const { store, calls } = counted(raw);
    const m = manager(store, join(tmp.dir, 'c'));
    await m.start();
    const bad = await readFile(new URL('../fixtures/fits-corpus/astropy-checksum_false.fits', import.meta.url));
    const obsId = `jw0${++seq}-o001_t001_nircam`;
    const filename = `${obsId}_bad_cal.fits`;
    const uri = `mast:JWST/product/${filename}`;
    fake.endpoint.addFile(uri, bad);
    products.set(obsId, [{ filename, url: fake.url(uri), dataUri: uri, size: bad.length }]);
    const job = await m.createJob({ obsId });
    const done = await m.waitUntilSettled(job.id);
    assert.equal(done.status, 'failed');
    assert.match(done.files[0]!.error ?? '', /checksum/i);
    assert.equal(await raw.stat(`mast/${obsId}/${filename}`), undefined);
    assert.equal(calls.complete, 0);
    assert.equal(calls.abort, 1);
  });

  it('cancel drops the unfinished upload', async () => {
    const { store, calls } = counted(raw);
    const m = manager(store, join(tmp.dir, 'd'));
    await m.start();
    // The bytes stop after the first part until the cancel: the file is surely unfinished then.
    const { obsId } = observation([11 * MiB], [{ holdAt: { byte: PART, until: new Promise<void>(() => undefined) } }]);
    const job = await m.createJob({ obsId });
    for (;;) {
      const saved = downloadJobOf((await m.jobs.store.get(job.id))!);
      if ((saved.files[0]?.upload?.parts.length ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await m.cancel(job.id);
    const done = await m.waitUntilSettled(job.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(calls.abort, 1);
    assert.equal(calls.complete, 0);
    assert.equal(downloadJobOf((await m.jobs.store.get(job.id))!).files[0]!.upload, null);
  });
});
