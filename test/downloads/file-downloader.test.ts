import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { FileDownloader } from '../../src/downloads/file-downloader.js';
import { nodeFileLayer, type FileLayer } from '../../src/downloads/file-layer.js';
import { DiskFullError, PermanentHttpError, RedirectRefusedError, TransferAbortedError, VerificationError } from '../../src/downloads/errors.js';
import type { FileEntry } from '../../src/downloads/job.js';
import { ManualClock } from '../../src/core/retry.js';
import { diskThatFillsUp, entryFor, fakeServer, seededBytes, sha256, tempDir, testFetcher } from './helpers.js';

const CHUNK = 16 * 1024;
const RETRY = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 2000 };

describe('FileDownloader against the fake Download/file endpoint', () => {
  let fake: Awaited<ReturnType<typeof fakeServer>>;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let n = 0;
  before(async () => {
    fake = await fakeServer();
    tmp = await tempDir();
  });
  after(async () => {
    await fake.server.close();
    await tmp.remove();
  });

  function setup(size: number, faults: Parameters<typeof fake.endpoint.addFile>[2] = {}, opts: { connections?: number; stallMs?: number; fs?: FileLayer } = {}) {
    const name = `f${++n}_cal.fits`;
    const uri = `mast:JWST/product/${name}`;
    const data = seededBytes(size, n);
    fake.endpoint.addFile(uri, data, faults);
    const entry = entryFor(tmp.dir, name, fake.url(uri));
    // The shared retry helper waits on this clock: no real sleeping between retries.
    const clock = new ManualClock();
    const downloader = new FileDownloader({
      clock,
      fetcher: testFetcher(opts.stallMs ?? 2000),
      fs: opts.fs ?? nodeFileLayer,
      chunkSize: CHUNK,
      connectionsPerFile: opts.connections ?? 1,
      retry: RETRY,
    });
    const notices: string[] = [];
    const run = (signal: AbortSignal = new AbortController().signal) =>
      downloader.download(entry, signal, { onBytes: () => undefined, onProgress: () => undefined, onNotice: (m) => notices.push(m) });
    return { uri, data, entry, run, notices, clock, downloader };
  }

  async function assertIdentical(entry: FileEntry, data: Buffer) {
    assert.equal(entry.status, 'complete');
    const onDisk = await readFile(entry.localPath);
    assert.equal(sha256(onDisk), sha256(data));
    assert.equal(entry.sha256, sha256(data));
    await assert.rejects(stat(`${entry.localPath}.part`), { code: 'ENOENT' });
  }

  it('downloads in Range chunks and records the SHA-256', async () => {
    const t = setup(100_000);
    await t.run();
    await assertIdentical(t.entry, t.data);
    const requests = fake.endpoint.requests.filter((r) => r.uri === t.uri);
    const gets = requests.filter((r) => r.method === 'GET');
    assert.equal(gets.length, Math.ceil(100_000 / CHUNK));
    assert.equal(requests.length, gets.length, 'no HEAD: the first chunk tells the length and validators');
    // The first request has no validator to send yet; every later one guards against a change.
    assert.ok(gets.every((r) => r.status === 206));
    assert.equal(gets[0]!.range, `bytes=0-${CHUNK - 1}`);
    assert.equal(gets[0]!.ifRange, undefined);
    assert.ok(gets.slice(1).every((r) => r.ifRange !== undefined));
  });

  it('survives a connection reset mid-chunk and resumes from the exact byte', async () => {
    const t = setup(80_000, { resetMidBody: { count: 2, afterBytes: 5000 } });
    await t.run();
    await assertIdentical(t.entry, t.data);
    const firstChunk = fake.endpoint.requests.filter((r) => r.uri === t.uri && r.method === 'GET' && r.range?.endsWith(`-${CHUNK - 1}`));
    // A TCP reset may discard bytes still in the kernel buffer: the retry starts at what arrived.
    assert.equal(firstChunk[0]!.range, `bytes=0-${CHUNK - 1}`);
    assert.match(firstChunk[1]!.range!, new RegExp(`^bytes=(0|5000)-${CHUNK - 1}$`));
  });

  it('retries a burst of 5xx answers', async () => {
    const t = setup(40_000, { serverErrors: 3 });
    await t.run();
    await assertIdentical(t.entry, t.data);
    // exponential backoff with jitter (base 5 ms): 5-7.5, 10-15, 20-30 ms, waited on the injected clock
    assert.equal(t.clock.sleeps.length, 3);
    t.clock.sleeps.forEach((ms, i) => assert.ok(ms >= 5 * 2 ** i && ms <= 7.5 * 2 ** i, `retry ${i + 1}: ${ms} ms`));
  });

  it('fails the file when 5xx outlast MAX_RETRIES', async () => {
    const t = setup(40_000, { serverErrors: 10 });
    await assert.rejects(t.run(), /HTTP 503/);
    assert.notEqual(t.entry.status, 'complete');
    assert.equal(t.clock.sleeps.length, RETRY.maxRetries, 'the retry budget, then the error');
  });

  it('waits as long as Retry-After says on 429 (capped at maxRetryAfterMs)', async () => {
    const t = setup(20_000, { rateLimited: { count: 1, retryAfterSeconds: 1 } });
    await t.run();
    // Retry-After (1 s) wins over the backoff (5-7.5 ms); the injected clock waited it, no real sleep.
    assert.deepEqual(t.clock.sleeps, [1000], 'Retry-After honoured');
    await assertIdentical(t.entry, t.data);
    const capped = setup(20_000, { rateLimited: { count: 1, retryAfterSeconds: 3600 } });
    await capped.run();
    assert.deepEqual(capped.clock.sleeps, [RETRY.maxRetryAfterMs]);
    await assertIdentical(t.entry, t.data);
  });

  it('restarts from byte 0 when a Range request is answered 200 (never appends)', async () => {
    const t = setup(50_000, { ignoreRange: true });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('keeps the good bytes of a truncated body and fetches the rest', async () => {
    const t = setup(50_000, { truncateBody: { count: 3, afterBytes: 3000 } });
    await t.run();
    await assertIdentical(t.entry, t.data);
    const firstChunk = fake.endpoint.requests.filter((r) => r.uri === t.uri && r.method === 'GET' && r.range?.endsWith('-16383'));
    // Each retry of a cut piece starts right after the bytes that arrived (3000 per cut).
    assert.deepEqual(firstChunk.slice(0, 2).map((r) => r.range), ['bytes=0-16383', 'bytes=3000-16383']);
    firstChunk.forEach((r, i) => assert.equal(r.range, `bytes=${3000 * i}-16383`));
  });

  it('restarts when the file changes between chunks (If-Range) and ends with the new version', async () => {
    const t = setup(60_000);
    const next = seededBytes(61_000, 999);
    fake.endpoint.setFaults(t.uri, { changeAfterGets: { gets: 2, data: next } });
    await t.run();
    await assertIdentical(t.entry, next);
  });

  it('detects a change between chunks even without validators (length differs)', async () => {
    const t = setup(60_000, { noEtag: true, noLastModified: true });
    const next = seededBytes(70_000, 777);
    fake.endpoint.setFaults(t.uri, { noEtag: true, noLastModified: true, changeAfterGets: { gets: 1, data: next } });
    await t.run();
    await assertIdentical(t.entry, next);
  });

  it('gives up on a stalled server within the stall timeout and retries', async () => {
    const t = setup(40_000, { stallBody: { count: 1, afterBytes: 2000 } }, { stallMs: 300 });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('answers 416 by checking the disk: a complete .part is finished, not refetched', async () => {
    const t = setup(30_000, { force416: 1 });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('downloads a file served without Content-Length', async () => {
    const t = setup(45_000, { noContentLength: true });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('fails at once on 404 with a clear message', async () => {
    const t = setup(10_000, { status: 404 });
    await assert.rejects(t.run(), (err: unknown) => err instanceof PermanentHttpError && /404: not found/.test(err.message));
    const gets = fake.endpoint.requests.filter((r) => r.uri === t.uri);
    assert.equal(gets.length, 1, 'no retry of a permanent error');
  });

  it('uses several connections for one file when asked', async () => {
    const t = setup(200_000, {}, { connections: 4 });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('saves a layout of pieces anywhere before its first byte (a resumed run must not take the .part for a prefix)', async () => {
    const t = setup(200_000, {}, { connections: 4 });
    assert.equal(t.entry.sequential, true, 'a new entry assumes bytes in order');
    const seen: Array<{ sequential: boolean; partBytes: number }> = [];
    await t.downloader.download(t.entry, new AbortController().signal, {
      onBytes: () => undefined,
      onProgress: () => undefined,
      onLayout: async () => {
        seen.push({ sequential: t.entry.sequential, partBytes: (await stat(`${t.entry.localPath}.part`).catch(() => undefined))?.size ?? 0 });
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    await assertIdentical(t.entry, t.data);
    assert.deepEqual(seen, [{ sequential: false, partBytes: 0 }]);
  });

  it('pauses on ENOSPC keeping every byte written, then resumes after space is freed', async () => {
    const disk = diskThatFillsUp(30_000);
    const t = setup(90_000, {}, { fs: disk });
    await assert.rejects(t.run(), DiskFullError);
    assert.equal(t.entry.ranges[0]![1], 30_000);
    assert.equal((await stat(`${t.entry.localPath}.part`)).size, 30_000);
    disk.capacity = Number.POSITIVE_INFINITY;
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('stops on abort leaving an exact .part that a later run continues', async () => {
    // The bytes from 32 KiB on are held (never released: the abort ends the held request): the
    // abort comes once bytes are on disk, not after a fixed time, and the file is surely unfinished.
    const t = setup(120_000, { holdAt: { byte: 2 * CHUNK, until: new Promise(() => undefined) } }, { stallMs: 60_000 });
    const c = new AbortController();
    const running = t.run(c.signal);
    while ((await stat(`${t.entry.localPath}.part`).then((st) => st.size, () => 0)) === 0) await new Promise((r) => setTimeout(r, 10));
    c.abort(new TransferAbortedError('paused'));
    await assert.rejects(running, TransferAbortedError);
    const have = t.entry.ranges[0]![1];
    assert.ok(have > 0 && have < 120_000);
    assert.equal((await stat(`${t.entry.localPath}.part`)).size, have);
    fake.endpoint.setFaults(t.uri, {});
    await t.run();
    await assertIdentical(t.entry, t.data);
    const afterPause = fake.endpoint.requests.filter((r) => r.uri === t.uri && r.method === 'GET').at(-Math.ceil((120_000 - have) / CHUNK));
    assert.match(afterPause!.range!, new RegExp(`^bytes=${have}-`));
  });

  it('does not download again a final file already on disk that verifies', async () => {
    const t = setup(20_000);
    await writeFile(t.entry.localPath, t.data);
    await t.run();
    await assertIdentical(t.entry, t.data);
    assert.equal(fake.endpoint.requests.filter((r) => r.uri === t.uri && r.method === 'GET').length, 0);
  });

  it('fails at once on 401 and 403, naming the token', async () => {
    const a = setup(1000, { status: 401 });
    await assert.rejects(a.run(), /HTTP 401: not authorized \(set MAST_TOKEN/);
    const b = setup(1000, { status: 403 });
    await assert.rejects(b.run(), /HTTP 403: access forbidden/);
  });

  it('falls back to GET bytes=0-0 when HEAD is refused', async () => {
    const t = setup(30_000, { headStatus: 405 });
    await t.run();
    await assertIdentical(t.entry, t.data);
  });

  it('follows redirects to a storage host, sending the MAST token to the MAST origin only', async () => {
    const storage = await fakeServer();
    try {
      const name = 'redirected_i2d.fits';
      const uri = `mast:JWST/product/${name}`;
      const data = seededBytes(50_000, 4242);
      fake.endpoint.addFile(uri, data, { redirectToOrigin: storage.server.url, requireToken: 'sekrit' });
      storage.endpoint.addFile(uri, data);
      const entry = entryFor(tmp.dir, name, fake.url(uri));
      const origin = new URL(fake.server.url).origin;
      const downloader = new FileDownloader({ fetcher: testFetcher(2000, { token: 'sekrit', tokenOrigin: origin }), fs: nodeFileLayer, chunkSize: CHUNK, connectionsPerFile: 1, retry: RETRY });
      await downloader.download(entry, new AbortController().signal, { onBytes: () => undefined, onProgress: () => undefined });
      await assertIdentical(entry, data);
      const atMast = fake.endpoint.requests.filter((r) => r.uri === uri);
      const atStorage = storage.endpoint.requests.filter((r) => r.uri === uri);
      assert.ok(atMast.length > 0 && atMast.every((r) => r.authorization === 'token sekrit' && r.status === 302));
      assert.ok(atStorage.length > 0 && atStorage.every((r) => r.authorization === undefined), 'no token to the storage host');
    } finally {
      await storage.server.close();
    }
  });

  it('refuses a redirect to a host that is not allowed: nothing is fetched there and nothing is saved', async () => {
    const storage = await fakeServer();
    try {
      const name = 'spoofed_i2d.fits';
      const uri = `mast:JWST/product/${name}`;
      // A compromised answer points at the machine itself under another name (not MAST's host).
      const elsewhere = storage.server.url.replace('127.0.0.1', 'localhost');
      fake.endpoint.addFile(uri, seededBytes(20_000, 77), { redirectToOrigin: elsewhere });
      storage.endpoint.addFile(uri, Buffer.from('internal service body'));
      const entry = entryFor(tmp.dir, name, fake.url(uri));
      const downloader = new FileDownloader({ fetcher: testFetcher(2000), fs: nodeFileLayer, chunkSize: CHUNK, connectionsPerFile: 1, retry: RETRY });
      await assert.rejects(downloader.download(entry, new AbortController().signal, { onBytes: () => undefined, onProgress: () => undefined }),
        (e: unknown) => e instanceof RedirectRefusedError && e.code === 'DOWNLOAD_REDIRECT_REFUSED' && /localhost is neither the host of MAST_BASE_URL nor in DOWNLOAD_ALLOWED_HOSTS/.test(e.message));
      assert.notEqual(entry.status, 'complete');
      assert.equal(storage.endpoint.requests.length, 0, 'the disallowed host was never asked');
      await assert.rejects(stat(entry.localPath), { code: 'ENOENT' });
      await assert.rejects(stat(`${entry.localPath}.part`), { code: 'ENOENT' });
    } finally {
      await storage.server.close();
    }
  });

  it('never completes a FITS file whose CHECKSUM fails', async () => {
    const bad = await readFile(new URL('../fixtures/fits-corpus/astropy-checksum_false.fits', import.meta.url));
    const t = setup(10);
    fake.endpoint.addFile(t.uri, bad);
    await assert.rejects(t.run(), VerificationError);
    assert.notEqual(t.entry.status, 'complete');
    await assert.rejects(stat(t.entry.localPath), { code: 'ENOENT' });
  });

  it('completes a FITS file whose CHECKSUM and DATASUM verify', async () => {
    const good = await readFile(new URL('../fixtures/fits-corpus/astropy-checksum.fits', import.meta.url));
    const t = setup(10);
    fake.endpoint.addFile(t.uri, good);
    await t.run();
    await assertIdentical(t.entry, good);
    assert.equal(t.entry.fitsChecksum, 'valid');
  });
});
