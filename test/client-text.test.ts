/**
 * Client-safe error text (src/client-text.ts): no absolute server path and no raw system message
 * reaches a client, checked on real and injected ENOENT/ENOTDIR/EACCES/ENOSPC failures, through
 * the job service, the download manager and the worker-thread boundary.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientText, scrubText, toClientError } from '../src/client-text.js';
import { EngineError } from '../src/errors.js';
import { FitsError } from '../src/fits/errors.js';
import { DiskFullError } from '../src/downloads/errors.js';
import { DownloadManager } from '../src/downloads/download-manager.js';
import { StaticProductSource } from '../src/downloads/product-source.js';
import { nodeFileLayer, type FileLayer } from '../src/downloads/file-layer.js';
import runTask from '../src/workers/worker.js';
import { WorkerPool } from '../src/workers/pool.js';
import { makeService, tempDir } from './jobs/helpers.js';
import { fakeServer, seededBytes } from './downloads/helpers.js';

/** A Node-style system error, as fs would throw it. */
function sysError(code: string, text: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

/** The text a client may read: no absolute path under `dir` or /tmp, no `ENOENT:`-style message. */
function assertClientSafe(text: string | null | undefined, dir: string, label: string): void {
  assert.ok(text, `${label}: has a text`);
  assert.ok(!text.includes(dir), `${label}: no server path in ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /(^|[\s'"(])\/(tmp|home|root|var|app|work)\//, `${label}: no absolute path in ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /\bE[A-Z]{2,}\b/, `${label}: no raw system error in ${JSON.stringify(text)}`);
}

describe('client-text', () => {
  it('makes paths DATA_DIR-relative and system messages plain sentences', () => {
    const dataDir = '/srv/engine/data';
    assert.equal(
      scrubText(`ENOENT: no such file or directory, rename '${dataDir}/mast/jw1/a.fits.part' -> '${dataDir}/mast/jw1/a.fits'`, { dataDir }),
      'a file or folder the engine needs was not found (mast/jw1/a.fits.part)',
    );
    assert.equal(scrubText(`cannot open ${dataDir}/mast/x.fits: ENOENT`, { dataDir }), 'cannot open mast/x.fits: not found');
    assert.equal(scrubText('free in /var/lib/engine/cache.', { dataDir }), 'free in cache.');
    // Not paths: URLs, routes named in advice, ratios.
    for (const kept of [
      'HTTP 404: not found on the server (https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/x.fits)',
      'Check the id with POST /mast/search/observation.',
      'body ended after 10/20 bytes',
      'MAST rejected the search query: ERROR: invalid input, try again',
      'redirect refused (DOWNLOAD_REDIRECT_REFUSED): 127.0.0.1 is a loopback or private address',
    ]) assert.equal(scrubText(kept, { dataDir }), kept);
    assert.equal(scrubText("network error: ECONNRESET ECONNRESET: socket hang up, read", { dataDir }), 'network error: a network connection failed');
  });

  it('turns system errors into catalogued codes and anything unexpected into INTERNAL', () => {
    const cases: Array<[string, string, number]> = [
      ['ENOENT', 'IO_NOT_FOUND', 404], ['EACCES', 'IO_DENIED', 500], ['EROFS', 'IO_DENIED', 500],
      ['ENOSPC', 'IO_NO_SPACE', 507], ['EIO', 'IO_FAILED', 500], ['EMFILE', 'IO_BUSY', 503],
    ];
    for (const [errno, code, status] of cases) {
      const e = toClientError(sysError(errno, 'some system text', 'open', '/tmp/x/y.fits'));
      assert.equal(e.code, code, errno);
      assert.equal(e.httpStatus, status, errno);
      assertClientSafe(e.message, '/tmp/x', errno);
    }
    const internal = toClientError(new Error('secret /home/u/src/file.ts:12'));
    assert.equal(internal.code, 'INTERNAL');
    assert.equal(internal.message, 'Internal server error');
    const keeps = new EngineError('RENDER_BUSY', 'busy', 429, { headers: { 'retry-after': '2' } });
    assert.equal(toClientError(keeps), keeps, 'a clean engine error is passed as it is');
    const fits = toClientError(new FitsError('FITS_IO', 'cannot open /tmp/d/x.fits: EACCES'), { dataDir: '/tmp/d' });
    assert.deepEqual([fits.code, fits.httpStatus, fits.message], ['FITS_IO', 400, 'cannot open x.fits: permission denied']);
  });

  it('keeps the code and status of errors across the worker-thread boundary, system errors included', async () => {
    const { dir, cleanup } = await tempDir('client-text-worker-');
    const pool = new WorkerPool({ threads: 1 });
    try {
      await writeFile(join(dir, 'bad.ecsv'), 'not a table');
      await assert.rejects(pool.run('tables.info', { path: join(dir, 'bad.ecsv') }), (err: EngineError) => {
        assert.equal(err.code, 'TABLE_BAD_FORMAT');
        assert.equal(err.httpStatus, 400);
        return true;
      });
      await assert.rejects(pool.run('tables.info', { path: join(dir, 'missing', 'x.ecsv') }), (err: EngineError) => {
        assert.equal(err.code, 'IO_NOT_FOUND');
        assert.equal(err.httpStatus, 404);
        assertClientSafe(err.message, dir, 'worker ENOENT');
        return true;
      });
      const flat = await runTask({ task: 'ping', payload: { spinMs: Number.NaN } });
      assert.equal(flat.ok, true);
    } finally {
      await pool.close();
      await cleanup();
    }
  });

  it('stores client-safe errors in core jobs (real ENOTDIR/ENOENT, injected EACCES/ENOSPC)', async () => {
    const { dir, cleanup } = await tempDir('client-text-jobs-');
    // A file where DATA_DIR/processed should be a folder: every outputDir() fails.
    await writeFile(join(dir, 'processed'), 'in the way');
    const jobs = makeService(dir, [
      { kind: 'writes', run: async ({ outputDir }) => { await outputDir(); return {}; } },
      { kind: 'reads', run: async () => { await readFile(join(dir, 'gone', 'x.fits')); return {}; } },
      { kind: 'denied', run: async () => { throw sysError('EACCES', 'permission denied', 'open', join(dir, 'mast', 'x.fits')); } },
      { kind: 'full', run: async () => { throw sysError('ENOSPC', 'no space left on device', 'write', join(dir, 'processed', 'x.fits')); } },
    ]);
    await jobs.start();
    try {
      const expected: Record<string, [string, number]> = {
        writes: ['IO_NOT_FOUND', 404], reads: ['IO_NOT_FOUND', 404], denied: ['IO_DENIED', 500], full: ['IO_NO_SPACE', 507],
      };
      for (const [kind, [code, status]] of Object.entries(expected)) {
        const job = await jobs.waitUntilSettled((await jobs.submit(kind, {})).id);
        assert.equal(job.state, 'failed', kind);
        assert.equal(job.error?.code, code, kind);
        assert.equal(job.error?.httpStatus, status, kind);
        assertClientSafe(job.error?.message, dir, `job ${kind}`);
      }
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  describe('download jobs', () => {
    let fake: Awaited<ReturnType<typeof fakeServer>>;
    before(async () => {
      fake = await fakeServer();
    });
    after(async () => {
      await fake.server.close();
    });

    /** The real file system, except that `op` fails with the system error `errno` (carrying the absolute path). */
    function failing(op: 'rename' | 'write', errno: string): FileLayer {
      const text = errno === 'ENOSPC' ? 'no space left on device' : errno === 'EACCES' ? 'permission denied' : 'no such file or directory';
      return {
        ...nodeFileLayer,
        rename: async (from, to) => {
          if (op === 'rename') throw Object.assign(new Error(`${errno}: ${text}, rename '${from}' -> '${to}'`), { code: errno, path: from, dest: to });
          return nodeFileLayer.rename(from, to);
        },
        async openWritable(path) {
          const inner = await nodeFileLayer.openWritable(path);
          if (op !== 'write') return inner;
          return {
            write: async () => { throw Object.assign(new Error(`${errno}: ${text}, write '${path}'`), { code: errno, path }); },
            truncate: (n) => inner.truncate(n),
            sync: () => inner.sync(),
            close: () => inner.close(),
          };
        },
      };
    }

    for (const [op, errno] of [['rename', 'ENOENT'], ['rename', 'EACCES'], ['write', 'EACCES'], ['write', 'EIO']] as const) {
      it(`keeps ${errno} on ${op} out of the job's and the file's error text`, async () => {
        const { dir, cleanup } = await tempDir('client-text-dl-');
        const products = new StaticProductSource();
        const obsId = `jw09${op.length}${errno.length}-o001_t001_nircam`;
        const filename = `${obsId}_cal.fits`;
        const uri = `mast:JWST/product/${filename}-${op}-${errno}`;
        fake.endpoint.addFile(uri, seededBytes(20_000, 7), {});
        products.set(obsId, [{ filename, url: fake.url(uri), dataUri: uri, size: 20_000 }]);
        const m = new DownloadManager({
          downloadDir: join(dir, 'mast'), dataDir: dir, products, fs: failing(op, errno),
          chunkSize: 16 * 1024, maxConcurrentFiles: 1, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
          stallTimeoutMs: 2000, persistIntervalMs: 100, progressIntervalMs: 50,
        });
        await m.start();
        try {
          const job = await m.waitUntilSettled((await m.createJob({ obsId })).id);
          assert.equal(job.status, 'failed');
          if (process.env.SHOW_ERRORS) console.log(job.error, job.files.map((f) => f.error));
          assertClientSafe(job.error, dir, 'job error');
          for (const f of job.files) if (f.error) assertClientSafe(f.error, dir, 'file error');
        } finally {
          await m.close();
          await cleanup();
        }
      });
    }

    it('keeps a disk-full pause message free of server paths', async () => {
      const { dir, cleanup } = await tempDir('client-text-full-');
      await mkdir(join(dir, 'mast'), { recursive: true });
      const full = new DiskFullError(`disk full while writing ${join(dir, 'mast', 'x.fits.part')}`, 0, sysError('ENOSPC', 'no space left on device', 'write', join(dir, 'mast', 'x.fits.part')));
      assertClientSafe(clientText(full, { dataDir: dir }), dir, 'disk full');
      assert.equal(clientText(full, { dataDir: dir }), 'disk full while writing mast/x.fits.part');
      await cleanup();
    });
  });
});
