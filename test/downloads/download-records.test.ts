/**
 * A downloaded file's record commits with the saved state that marks the file complete (issue #18),
 * on SQLite and PostgreSQL: whatever moment the store is looked at, the files its saved state calls
 * complete are exactly the files with a record, also while the record writes fail (then the saved
 * state stays behind until a write carries both).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase, type Queryable } from '../../src/db/index.js';
import { DownloadManager, downloadJobOf } from '../../src/downloads/download-manager.js';
import { StaticProductSource, type RemoteProduct } from '../../src/downloads/product-source.js';
import { ManualClock } from '../../src/core/retry.js';
import { DbJobStore, InProcessBackend, JOB_MIGRATIONS, JobHandlerRegistry, JobService, recordColumnsSql, wholeRecordText, type JobRecord, type RecordRow } from '../../src/jobs/index.js';
import { forEachBackend } from '../helpers/db-backends.js';
import { fakeServer, seededBytes } from './helpers.js';

const RECORDS = { component: 'test-records', migrations: [{ version: 1, name: 'file records', sqlite: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)', postgres: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)' }] };

forEachBackend('download records', (target) => {
  it('the saved state marks a file complete exactly when its record is written, through failed writes', async () => {
    const fake = await fakeServer();
    const where = await target.fresh();
    const { db } = await openDatabase({ ...where, migrations: [JOB_MIGRATIONS, RECORDS] });
    const store = new DbJobStore(db, { ownsDatabase: false });
    const jobs = new JobService({ store, backend: new InProcessBackend({ compute: 1, transfer: 4 }), handlers: new JobHandlerRegistry(), dataDir: where.dataDir, persistIntervalMs: 1, progressIntervalMs: 1, storeRetryMs: 1 });
    const obsId = 'jw01234-o001_t001_nircam';
    const list: RemoteProduct[] = [];
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    for (let i = 0; i < 6; i++) {
      const uri = `mast:JWST/product/${obsId}_${i}_cal.fits`;
      const bytes = seededBytes(40_000 + i * 7_000, i + 1);
      // The last file's bytes past its first 16 KiB piece are held until a look has seen records
      // written while the job runs: the job cannot end before, however fast or loaded the machine
      // (it came slowly, ~5 s, before: a wait on the clock, issue #20).
      fake.endpoint.addFile(uri, bytes, i === 5 ? { holdAt: { byte: 16 * 1024, until } } : {});
      list.push({ filename: `${obsId}_${i}_cal.fits`, url: fake.url(uri), dataUri: uri, size: bytes.length });
    }
    const failed = new Set<string>();
    const downloads = new DownloadManager({
      downloadDir: join(where.dataDir, 'mast'),
      dataDir: where.dataDir,
      products: new StaticProductSource(new Map([[obsId, list]])),
      jobs,
      chunkSize: 16 * 1024,
      maxConcurrentFiles: 2,
      retryClock: new ManualClock(),
      progressIntervalMs: 1,
      // The first write of each record fails (a database hiccup inside the transaction).
      onFileComplete: (f) => ({
        write: async (tx: Queryable) => {
          if (!failed.has(f.relativePath)) {
            failed.add(f.relativePath);
            throw new Error('injected failure inside the record write');
          }
          await tx.run('INSERT INTO file_records (path) VALUES (?) ON CONFLICT (path) DO NOTHING', [f.relativePath]);
        },
      }),
    });
    // The store as one statement sees it: the files its saved state calls complete, and the records.
    const looks: Array<Promise<{ complete: string[]; records: string[]; state: string }>> = [];
    const look = async (id: string) => {
      // The record with its chunk rows (a record kept in parts, issue #20 session 16), in the same statement.
      const rows = await db.query<RecordRow & { paths: string | null }>(
        `SELECT ${recordColumnsSql(target.kind)}, (SELECT ${target.kind === 'postgres' ? "string_agg(path, '|' ORDER BY path)" : "group_concat(path, '|')"} FROM file_records) AS paths FROM job_records WHERE id = ?`, [id]);
      const job = downloadJobOf(JSON.parse(wholeRecordText(rows[0]!)) as JobRecord);
      return { complete: job.files.filter((f) => f.status === 'complete').map((f) => f.relativePath).sort(), records: (rows[0]!.paths ?? '').split('|').filter(Boolean).sort(), state: (JSON.parse(wholeRecordText(rows[0]!)) as JobRecord).state };
    };
    await jobs.start();
    await downloads.start();
    try {
      const job = await downloads.createJob({ obsId, productType: 'SCIENCE' });
      const stop = jobs.subscribe(job.id, () => looks.push(look(job.id)));
      let settled = false;
      void (async () => {
        while (!settled) {
          const seen = look(job.id);
          looks.push(seen);
          const s = await seen;
          if (s.records.length > 0 && s.state === 'running') return release();
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const done = await downloads.waitUntilSettled(job.id);
      settled = true; // (only a failed run ends before the release)
      stop();
      assert.equal(done.status, 'complete');
      assert.equal(failed.size, 6, 'each record write failed once');
      const seen = await Promise.all([...looks, look(job.id)]);
      for (const s of seen) assert.deepEqual(s.complete, s.records);
      assert.equal(seen.at(-1)!.records.length, 6);
      // Written by a running write, not only by the end of the run. (Not "some but not all": the
      // checkpoint writes are coalesced (issue #20, session 14), and as every record's first write
      // fails here, a loaded machine may batch the later ones into one write.)
      assert.ok(seen.some((s) => s.records.length > 0 && s.state === 'running'), 'files recorded while the job ran');
    } finally {
      await downloads.close();
      await jobs.close();
      await db.close();
      await fake.server.close();
    }
  });
});
