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
    // The clock is the test's (a write "lasts" 10 ms of it), and the wait is the one asked of
    // setTimeout: what the class decides, whatever the machine's load does to real timers.
    let now = 1000;
    t.mock.method(performance, 'now', () => now);
    const timers = t.mock.method(globalThis, 'setTimeout');
    const waitsAsked = () => timers.mock.calls.filter((c) => c.stack.stack?.includes('coalesced-saves')).map((c) => c.arguments[1] as number);
    const tenMs = async () => void (now += 10); // a write of 10 ms, like a big record on SQLite
    const saves = new CoalescedSaves(tenMs, { spacing: 3, maxDelayMs: 1000 });
    await saves.request();
    await saves.request();
    assert.deepEqual(waitsAsked(), [0, 30], 'the first write at once, the second 3 x 10 ms after the first ended');
    const capped = new CoalescedSaves(tenMs, { spacing: 100, maxDelayMs: 5 });
    await capped.request();
    await capped.request();
    assert.deepEqual(waitsAsked().slice(2), [0, 5], 'capped: 5 ms, not 100 x 10 ms');
    // The time that passed since the last write counts towards the wait.
    const later = new CoalescedSaves(tenMs, { spacing: 3, maxDelayMs: 1000 });
    await later.request();
    now += 12;
    await later.request();
    assert.deepEqual(waitsAsked().slice(4), [0, 18]);
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
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    let endWrite!: () => void;
    const writeEnds = new Promise<void>((r) => (endWrite = r));
    const saves = new CoalescedSaves(async () => {
      calls++;
      started();
      await writeEnds; // lasts until the test ends it, not for a time
    }, { spacing: 0 });
    const first = saves.request();
    await inFlight;
    const second = saves.request(); // waits for the write in flight
    const closing = saves.close();
    endWrite();
    await closing;
    await Promise.all([first, second]);
    await saves.request();
    await sleep(20); // a write scheduled after close would have started by now
    assert.equal(calls, 1);
  });
});

const RECORDS = { component: 'test-records', migrations: [{ version: 1, name: 'file records', sqlite: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)', postgres: 'CREATE TABLE file_records (path TEXT PRIMARY KEY)' }] };

describe('download checkpoints are coalesced (issue #20)', () => {
  const FILES = 60;
  const obsId = 'jw04321-o001_t001_nircam';

  /**
   * A job service and download manager over a SQLite engine database. `hold`, when given, decides
   * when each write of the running job's record may go to the database: the record is serialised
   * when the write is asked for (as DbJobStore does before its first await), and written once the
   * promise `hold` returns resolves, like a store whose writes are slow. `completed` counts the
   * files whose library record was made (the hook runs before the file is marked complete).
   */
  async function engine(dataDir: string, dbFile: string, list: RemoteProduct[], written: Array<{ record: string; records: string[] }>,
    hold?: (write: number) => Promise<void>, completed?: () => void) {
    const { db } = await openDatabase({ databaseUrl: undefined, sqliteFile: dbFile, dataDir, migrations: [JOB_MIGRATIONS, RECORDS] } as never);
    let runningWrites = 0;
    class SlowStore extends DbJobStore {
      override async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
        if (!hold || job.state !== 'running') return this.write(job, expect, alsoWrite);
        const state = structuredClone(job); // the state as of the call, as a real store serialises it
        await hold(runningWrites++); // a record of thousands of files: its write takes a while
        return this.write(state, expect, alsoWrite);
      }

      private async write(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
        const ok = await super.update(job, expect, alsoWrite);
        if (ok && job.state === 'running') written.push(await look(db, job.id));
        return ok;
      }
    }
    // No throttled progress write in the run (persistIntervalMs): the running job's writes are the
    // ones it asks for (its start, its file list, its coalesced layout and completion writes).
    const jobs = new JobService({ store: new SlowStore(db, { ownsDatabase: false }), backend: new InProcessBackend({ compute: 1, transfer: 4 }), handlers: new JobHandlerRegistry(), dataDir, storeRetryMs: 1, persistIntervalMs: 3_600_000 });
    const downloads = new DownloadManager({
      downloadDir: join(dataDir, 'mast'), dataDir, products: new StaticProductSource(new Map([[obsId, list]])), jobs,
      chunkSize: 64 * 1024, maxConcurrentFiles: 3, retryClock: new ManualClock(), syncData: false,
      onFileComplete: (f) => {
        completed?.();
        return { write: async (tx: Queryable) => void (await tx.run('INSERT INTO file_records (path) VALUES (?) ON CONFLICT (path) DO NOTHING', [f.relativePath])) };
      },
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
    // The store's writes are slow, and how slow is decided by events, not by the clock: the running
    // job's write k (after its first, the start) waits until STEP * k files have their record (all
    // of them at most). However fast or loaded the machine, the completions meanwhile share the
    // writes: 60 completions make at most FILES / STEP + 4 running writes (the start and one per
    // STEP files before the last record; after it, the write in flight and one for each of the
    // files, at most maxConcurrentFiles = 3, whose record was made but whose save not yet asked).
    const STEP = 12;
    let recorded = 0;
    const arrivals: Array<{ at: number; release: () => void }> = [];
    const completed = () => {
      recorded++;
      for (const a of arrivals.filter((w) => w.at <= recorded)) {
        arrivals.splice(arrivals.indexOf(a), 1);
        a.release();
      }
    };
    const hold = (write: number) => {
      const at = Math.min(FILES, STEP * write);
      return at <= recorded ? Promise.resolve() : new Promise<void>((release) => void arrivals.push({ at, release }));
    };
    const first = await engine(tmp.dir, join(tmp.dir, 'engine.db'), list, written, hold, completed);
    try {
      await first.jobs.start();
      await first.downloads.start();
      const job = await first.downloads.createJob({ obsId, productType: 'SCIENCE' });
      const done = await first.downloads.waitUntilSettled(job.id);
      assert.equal(done.status, 'complete');
      assert.equal(recorded, FILES);
      // Before: one write of the whole record per completed file (60), plus the state changes.
      assert.ok(written.length <= FILES / STEP + 4, `${written.length} running writes for ${FILES} files`);
      // Some saved states are behind the disk: they call some files complete, not all.
      assert.ok(written.some((w) => w.records.length > 0 && w.records.length < FILES), `records per saved state: ${written.map((w) => w.records.length).join(',')}`);
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
      const second = await engine(tmp.dir, join(tmp.dir, 'after-crash.db'), list, []);
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
