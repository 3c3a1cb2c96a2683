/**
 * Issue #20 (session 14): a download job's checkpoint writes at file layouts and completions are
 * coalesced (src/downloads/coalesced-saves.ts). N files completing cause far fewer than N writes
 * of the whole record, the saved state still calls a file complete exactly when its library record
 * is written, the final state lists every file, and a crash between two coalesced writes (the
 * record behind the disk) resumes to a complete job without fetching the finished files again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type Database, type Queryable } from '../../src/db/index.js';
import { CoalescedSaves } from '../../src/downloads/coalesced-saves.js';
import { DownloadManager, downloadJobOf } from '../../src/downloads/download-manager.js';
import { StaticProductSource, type RemoteProduct } from '../../src/downloads/product-source.js';
import { ManualClock } from '../../src/core/retry.js';
import { DbJobStore, InProcessBackend, JOB_MIGRATIONS, JobHandlerRegistry, JobService, recordColumnsSql, wholeRecordText, type JobRecord, type RecordRow, type JobState } from '../../src/jobs/index.js';
import type { StoreWrites } from '../../src/jobs/store.js';
import { fakeServer, seededBytes, sha256, tempDir } from './helpers.js';

describe('CoalescedSaves', () => {
  it('requests made while a write is in flight share the next write, which saves the state as of every request', async () => {
    let state = 0;
    const saved: number[] = [];
    // A write lasts until the test lets it end (halfway through the requests, then at their end),
    // not for a fixed time: how many writes there are no longer depends on the machine's load.
    let endWrite = () => undefined as void;
    let writesEnd = false;
    const saves = new CoalescedSaves(async () => {
      const at = state;
      if (!writesEnd) await new Promise<void>((r) => (endWrite = r));
      saved.push(at);
    }, { spacing: 0 });
    const seen: Array<Promise<number>> = [];
    for (let i = 0; i < 100; i++) {
      state = i;
      const asked = state;
      // Each request resolves only once a write that began after it ended: one that saved `asked` or later.
      seen.push(saves.request().then(() => {
        assert.ok(saved.some((s) => s >= asked), `request at state ${asked} answered before it was saved (saved ${saved.join(',')})`);
        return asked;
      }));
      if (i % 10 === 0) await sleep(3);
      if (i === 50) endWrite();
    }
    writesEnd = true;
    endWrite();
    await Promise.all(seen);
    assert.ok(saves.writes <= 4, `${saves.writes} writes for 100 requests`);
    assert.equal(saved.at(-1), 99);
  });

  it('waits `spacing` times the last write\'s duration before the next, at most maxDelayMs', async (t) => {
    const starts: number[] = [];
    const saves = new CoalescedSaves(async () => {
      starts.push(performance.now());
      const until = performance.now() + 10;
      while (performance.now() < until); // a synchronous write of 10 ms, like a big record on SQLite
    }, { spacing: 3, maxDelayMs: 1000 });
    await saves.request();
    await saves.request();
    assert.ok(starts[1]! - starts[0]! >= 38, `second write ${(starts[1]! - starts[0]!).toFixed(1)} ms after the first`);
    const capped = new CoalescedSaves(async () => {
      starts.push(performance.now());
      const until = performance.now() + 10;
      while (performance.now() < until);
    }, { spacing: 100, maxDelayMs: 5 });
    await capped.request();
    // The wait it asks for, not the time it took (a timer of 5 ms can fire much later under load).
    const timers = t.mock.method(globalThis, 'setTimeout');
    await capped.request();
    const waits = timers.mock.calls.filter((c) => c.stack.stack?.includes('coalesced-saves')).map((c) => c.arguments[1] as number);
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! <= 5, `capped: a wait of ${waits[0]} ms`);
  });

  it('a failed write still answers its requests, and the next request writes again', async () => {
    let calls = 0;
    const saves = new CoalescedSaves(async () => {
      calls++;
      if (calls === 1) throw new Error('store away');
    });
    await saves.request();
    await saves.request();
    assert.equal(calls, 2);
  });

  it('close answers a waiting request without writing, and writes nothing after', async () => {
    let calls = 0;
    const saves = new CoalescedSaves(async () => {
      calls++;
      await sleep(30);
    }, { spacing: 0 });
    const first = saves.request();
    await sleep(5);
    const second = saves.request(); // waits for the write in flight
    await saves.close();
    await Promise.all([first, second]);
    await saves.request();
    await sleep(40);
    assert.equal(calls, 1);
  });
});

const RECORDS = { component: 'test-records', migrations: [{ version: 1, name: 'file records', sqlite: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)', postgres: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)' }] };

describe('download checkpoints are coalesced (issue #20)', () => {
  const FILES = 60;
  const obsId = 'jw04321-o001_t001_nircam';

  /** A job service and download manager over a SQLite engine database whose job-record writes take `writeMs` more. */
  async function engine(dataDir: string, dbFile: string, list: RemoteProduct[], writeMs: number, written: Array<{ record: string; records: string[] }>) {
    const { db } = await openDatabase({ databaseUrl: undefined, sqliteFile: dbFile, dataDir, migrations: [JOB_MIGRATIONS, RECORDS] } as never);
    class SlowStore extends DbJobStore {
      override async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
        await sleep(writeMs); // a record of thousands of files: its write takes a while
        const ok = await super.update(job, expect, alsoWrite);
        if (ok && job.state === 'running') written.push(await look(db, job.id));
        return ok;
      }
    }
    const jobs = new JobService({ store: new SlowStore(db, { ownsDatabase: false }), backend: new InProcessBackend({ compute: 1, transfer: 4 }), handlers: new JobHandlerRegistry(), dataDir, storeRetryMs: 1 });
    const downloads = new DownloadManager({
      downloadDir: join(dataDir, 'mast'), dataDir, products: new StaticProductSource(new Map([[obsId, list]])), jobs,
      chunkSize: 64 * 1024, maxConcurrentFiles: 3, retryClock: new ManualClock(), syncData: false,
      onFileComplete: (f) => ({ write: async (tx: Queryable) => void (await tx.run('INSERT INTO file_records (path) VALUES (?) ON CONFLICT (path) DO NOTHING', [f.relativePath])) }),
    });
    return { db, jobs, downloads };
  }

  /** The stored record (with its chunk rows when kept in parts, issue #20 session 16) and the file records, read in one statement. */
  async function look(db: Database, id: string): Promise<{ record: string; records: string[] }> {
    const rows = await db.query<RecordRow & { paths: string | null }>(`SELECT ${recordColumnsSql(db.kind)}, (SELECT group_concat(path, '|') FROM file_records) AS paths FROM job_records WHERE id = ?`, [id]);
    return { record: wholeRecordText(rows[0]!), records: (rows[0]!.paths ?? '').split('|').filter(Boolean).sort() };
  }

  const completeIn = (record: string) => downloadJobOf(JSON.parse(record) as JobRecord).files.filter((f) => f.status === 'complete').map((f) => f.relativePath).sort();

  it('N completions make far fewer than N writes; every saved state matches the records; a crash between writes resumes without fetching finished files again', async () => {
    const fake = await fakeServer();
    const tmp = await tempDir();
    const list: RemoteProduct[] = [];
    const data = new Map<string, Buffer>();
    for (let i = 0; i < FILES; i++) {
      const filename = `${obsId}_${String(i).padStart(3, '0')}_x1d.json`;
      const uri = `mast:JWST/product/${filename}`;
      const bytes = seededBytes(3000 + i * 13, i + 1);
      fake.endpoint.addFile(uri, bytes, {});
      data.set(filename, bytes);
      list.push({ filename, url: fake.url(uri), dataUri: uri, size: bytes.length });
    }
    const written: Array<{ record: string; records: string[] }> = [];
    const first = await engine(tmp.dir, join(tmp.dir, 'engine.db'), list, 15, written);
    try {
      await first.jobs.start();
      await first.downloads.start();
      const job = await first.downloads.createJob({ obsId, productType: 'SCIENCE' });
      const done = await first.downloads.waitUntilSettled(job.id);
      assert.equal(done.status, 'complete');
      // Before: one write of the whole record per completed file (60), plus the state changes.
      assert.ok(written.length < FILES / 2, `${written.length} running writes for ${FILES} files`);
      for (const w of written) assert.deepEqual(completeIn(w.record), w.records, 'a saved state calls a file complete exactly when its record is written');
      const final = await look(first.db, job.id);
      assert.equal(completeIn(final.record).length, FILES);
      assert.equal(final.records.length, FILES);
      // A kill -9 between two coalesced writes: the store holds a state in which some files are
      // not complete yet, while the disk has them all. The restarted job finishes from there.
      const mid = written.find((w) => w.records.length >= 10 && w.records.length <= FILES - 10) ?? written[Math.floor(written.length / 2)]!;
      const before = completeIn(mid.record);
      assert.ok(before.length < FILES, 'a saved state behind the disk');
      await first.downloads.close();
      await first.jobs.close();
      await first.db.close();

      const crashed = JSON.parse(mid.record) as JobRecord;
      const second = await engine(tmp.dir, join(tmp.dir, 'after-crash.db'), list, 0, []);
      await second.db.run('INSERT INTO job_records (id, kind, state, owner, created_at, updated_at, record, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
        [crashed.id, crashed.kind, crashed.state, crashed.owner, crashed.createdAt, crashed.updatedAt, mid.record]);
      for (const p of mid.records) await second.db.run('INSERT INTO file_records (path) VALUES (?)', [p]);
      const mark = fake.endpoint.requests.length;
      try {
        await second.jobs.start(); // finds the job `running`: a crash cut it; queued again
        await second.downloads.start();
        const resumed = await second.downloads.waitUntilSettled(crashed.id);
        assert.equal(resumed.status, 'complete');
        for (const f of resumed.files) {
          assert.equal(f.status, 'complete');
          const expected = sha256(data.get(f.filename)!);
          assert.equal(sha256(await readFile(f.localPath)), expected, `${f.filename} on disk`);
          assert.equal(f.sha256, expected, `${f.filename} recorded`);
        }
        const after = await look(second.db, crashed.id);
        assert.equal(completeIn(after.record).length, FILES);
        assert.equal(after.records.length, FILES);
        // The files on disk were verified there, not fetched again.
        const gets = fake.endpoint.requests.slice(mark).filter((r) => r.method === 'GET');
        assert.equal(gets.length, 0, `${gets.length} GETs after the restart`);
      } finally {
        await second.downloads.close();
        await second.jobs.close();
        await second.db.close();
      }
    } finally {
      await fake.server.close();
      await tmp.remove();
    }
  });
});
