/**
 * Records kept in parts (issue #20, session 16): a download's checkpoint comes with its file list
 * in chunks of 64 files (`withJsonParts`), and `DbJobStore` keeps each chunk in a row of its own,
 * writing only the chunks that changed since its last write of the record. On SQLite and on a
 * private PostgreSQL: only changed chunks are written (counted, and the rows compared); every read
 * (get, list, a store opened afresh) equals the whole serialisation and `jobFromJson` loads it;
 * records written whole (older engines) load; a shorter list deletes the chunks past its end; a
 * record written whole after one in parts drops its chunks; another writer between two writes,
 * a write that does not match its states and `alsoWrite` failing leave a record that reads back
 * right; deleting the job deletes its chunks.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { openDatabase } from '../../src/db/index.js';
import { CheckpointBuilder } from '../../src/downloads/checkpoint-builder.js';
import { jobFromJson, jobToJson, newFileEntry, type Job } from '../../src/downloads/job.js';
import { DbJobStore, JOB_MIGRATIONS } from '../../src/jobs/index.js';
import { importLegacyJobs } from '../../src/jobs/legacy-import.js';
import { SqliteJobStore } from '../../src/jobs/sqlite-store.js';
import type { JobRecord, JobState, JsonObject } from '../../src/jobs/types.js';
import { forEachBackend } from '../helpers/db-backends.js';

const NOW = new Date('2026-12-07T10:00:00.000Z');

function jobOf(n: number): Job {
  const files = Array.from({ length: n }, (_, i) => newFileEntry({
    filename: `f${i}_x1d.fits`, url: `http://mast/f${i}`, dataUri: `mast:JWST/product/f${i}_x1d.fits`,
    localPath: `/data/mast/obs/f${i}_x1d.fits`, relativePath: `mast/obs/f${i}_x1d.fits`, totalBytes: 1000 + i,
  }));
  return {
    id: 'job-1', obsId: 'jw01234-o001_t001_nircam', productType: 'SCIENCE', calibLevel: [2, 3], subgroup: null, extension: ['fits'],
    productId: null, productFilenames: null, downloadDir: '/data/mast/obs', files, status: 'downloading', pauseReason: null,
    error: null, message: 'Downloading "files":[] ✓ \\ "quoted"', createdAt: NOW.toISOString(), startedAt: NOW.toISOString(),
    completedAt: null, updatedAt: NOW.toISOString(), owner: null, speedBytesPerSec: 12.5, currentFile: null,
  };
}

function recordOf(checkpoint: JsonObject | null, state: JobState = 'running', id = 'job-1'): JobRecord {
  return {
    id, kind: 'download', state, progress: 0.5, stage: 'Downloading', createdAt: NOW.toISOString(), startedAt: NOW.toISOString(),
    finishedAt: null, updatedAt: NOW.toISOString(), owner: 'ann', inputs: { obs_id: 'jw01234-o001_t001_nircam' }, result: null,
    outputs: [], error: null, pauseReason: null, attempts: 1, checkpoint,
  };
}

/** A running record with the checkpoint `builder` makes of `job` now. */
const saved = (builder: CheckpointBuilder, job: Job) => recordOf(builder.build(job, NOW) as unknown as JsonObject);

/** The job's row (queued), then its first save in parts. */
async function firstSave(store: DbJobStore, builder: CheckpointBuilder, job: Job): Promise<void> {
  await store.insert(recordOf(null, 'queued'));
  assert.equal(await store.update(saved(builder, job), ['queued']), true);
}

const complete = (job: Job, i: number) => {
  const f = job.files[i]!;
  f.status = 'complete';
  f.sha256 = (i % 256).toString(16).padStart(2, '0').repeat(32);
  f.completedAt = NOW.toISOString();
};

/** The record as the whole serialisation gives it. */
const whole = (r: JobRecord) => JSON.parse(JSON.stringify(r)) as JobRecord;

forEachBackend('job records in parts', (target) => {
  const open = async (fresh: { databaseUrl: string | undefined; sqliteFile: string }) =>
    new DbJobStore((await openDatabase({ databaseUrl: fresh.databaseUrl, sqliteFile: fresh.sqliteFile, migrations: [JOB_MIGRATIONS] })).db);
  const chunkRows = async (store: DbJobStore, id = 'job-1') =>
    (await store.db.query<{ seq: number; json: string }>('SELECT seq, json FROM job_record_parts WHERE job_id = ? ORDER BY seq', [id]))
      .map((r) => ({ seq: Number(r.seq), json: r.json }));
  /** Counts the chunk statements of each write (every statement of a transaction goes through `tx.run`). */
  const countStatements = (store: DbJobStore) => {
    const counts = { upserts: 0, deletes: 0 };
    const transaction = store.db.transaction.bind(store.db);
    store.db.transaction = (work) => transaction((tx) => work({
      kind: tx.kind,
      query: tx.query.bind(tx),
      run: (sql, params) => {
        if (sql.startsWith('INSERT INTO job_record_parts')) counts.upserts++;
        if (sql.startsWith('DELETE FROM job_record_parts')) counts.deletes++;
        return tx.run(sql, params);
      },
    }));
    return counts;
  };

  it('writes only the chunks that changed; reads (get, list, another store) equal the whole serialisation; jobFromJson loads them', async () => {
    const fresh = await target.fresh();
    const store = await open(fresh);
    const counts = countStatements(store);
    const job = jobOf(640); // 10 chunks of 64
    const builder = new CheckpointBuilder();
    try {
      await store.insert(recordOf(null, 'queued'));
      let record = saved(builder, job);
      assert.equal(await store.update(record, ['queued']), true);
      assert.equal(counts.upserts, 10, 'the first write writes every chunk');
      let rows = await chunkRows(store);
      assert.deepEqual(rows.map((r) => r.seq), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await store.get('job-1'), whole(record));

      // One file of chunk 3 changes: one chunk row written, the others untouched.
      complete(job, 3 * 64 + 5);
      record = saved(builder, job);
      const before = counts.upserts;
      assert.equal(await store.update(record, ['running']), true);
      assert.equal(counts.upserts - before, 1);
      const after = await chunkRows(store);
      assert.deepEqual(after.filter((r, i) => r.json !== rows[i]!.json).map((r) => r.seq), [3]);
      rows = after;

      // Files in chunks 0 and 9 change, and the record's own fields: two chunk rows.
      complete(job, 1);
      job.files[639]!.ranges = [[0, 17]];
      record = { ...saved(builder, job), progress: 0.75, stage: 'Almost "done"' };
      const before2 = counts.upserts;
      assert.equal(await store.update(record, ['running']), true);
      assert.equal(counts.upserts - before2, 2);
      assert.deepEqual((await chunkRows(store)).filter((r, i) => r.json !== rows[i]!.json).map((r) => r.seq), [0, 9]);
      assert.equal(counts.deletes, 1, 'only the first write cleared rows past the list');

      // Nothing changed: no chunk row written.
      const before3 = counts.upserts;
      assert.equal(await store.update(record, ['running']), true);
      assert.equal(counts.upserts, before3);

      const expected = whole(record);
      assert.deepEqual(await store.get('job-1'), expected);
      assert.deepEqual((await store.list({ kinds: ['download'] })).jobs, [expected]);
      const other = await open(fresh); // another node, or the engine after a restart
      try {
        assert.deepEqual(await other.get('job-1'), expected);
      } finally {
        await other.close();
      }
      const back = (await store.get('job-1'))!;
      const loaded = jobFromJson({ ...back.checkpoint, job_id: back.id });
      assert.equal(loaded.files.length, 640);
      assert.equal(loaded.files[3 * 64 + 5]!.status, 'complete');
      assert.deepEqual(JSON.parse(JSON.stringify(jobToJson(loaded, NOW))), JSON.parse(JSON.stringify(jobToJson(job, NOW))));
    } finally {
      await store.close();
    }
  });

  it('list({ withoutCheckpoint }): those records come with a null checkpoint, no chunk read; the others whole (session 17)', async () => {
    const fresh = await target.fresh();
    const store = await open(fresh);
    const builder = new CheckpointBuilder();
    const other = new CheckpointBuilder();
    try {
      await firstSave(store, builder, jobOf(200));
      const second = { ...jobOf(130), id: 'job-2' };
      await store.insert(recordOf(null, 'queued', 'job-2'));
      const secondRecord = { ...recordOf(other.build(second, NOW) as unknown as JsonObject, 'running', 'job-2') };
      assert.equal(await store.update(secondRecord, ['queued']), true);
      // One written whole (an older engine's row, no parts).
      const third = recordOf({ files: [1, 2, 3], note: 'whole' }, 'paused', 'job-3');
      await store.insert(recordOf(null, 'queued', 'job-3'));
      await store.db.run("UPDATE job_records SET record = ?, state = 'paused' WHERE id = 'job-3'", [JSON.stringify(third)]);
      const all = await store.list({ limit: 10 });
      const page = await store.list({ limit: 10, withoutCheckpoint: ['job-1', 'job-3', 'job-none'] });
      assert.equal(page.total, 3);
      assert.deepEqual(page.jobs.map((j) => j.id), all.jobs.map((j) => j.id));
      for (const [i, j] of page.jobs.entries()) {
        if (j.id === 'job-2') assert.deepEqual(j, whole(secondRecord));
        else assert.deepEqual(j, { ...all.jobs[i]!, checkpoint: null });
      }
      // With the other filters and paging.
      const one = await store.list({ states: ['running'], limit: 1, offset: 1, withoutCheckpoint: ['job-2'] });
      assert.equal(one.total, 2);
      assert.deepEqual(one.jobs.map((j) => [j.id, j.checkpoint === null]), [['job-1', false]]);
    } finally {
      await store.close();
    }
  });

  it('a shorter list deletes the chunks past it; an empty list keeps none; a whole write drops them', async () => {
    const fresh = await target.fresh();
    const store = await open(fresh);
    const job = jobOf(640);
    const builder = new CheckpointBuilder();
    try {
      await firstSave(store, builder, job);
      assert.equal((await chunkRows(store)).length, 10, 'one row per 64 files');
      job.files.length = 100;
      let record = saved(builder, job);
      assert.equal(await store.update(record, ['running']), true);
      assert.deepEqual((await chunkRows(store)).map((r) => r.seq), [0, 1]);
      assert.deepEqual(await store.get('job-1'), whole(record));
      job.files.length = 0;
      record = saved(builder, job);
      assert.equal(await store.update(record, ['running']), true);
      assert.deepEqual(await chunkRows(store), []);
      assert.deepEqual(await store.get('job-1'), whole(record));
      assert.deepEqual((await store.get('job-1'))!.checkpoint!.files, []);

      // In parts again, then written whole (a record as loaded, without parts): the chunks go.
      job.files.push(...jobOf(200).files);
      assert.equal(await store.update(saved(builder, job), ['running']), true);
      assert.equal((await chunkRows(store)).length, 4);
      const loaded = whole((await store.get('job-1'))!);
      const paused = { ...loaded, state: 'paused' as const, pauseReason: 'user' as const };
      assert.equal(await store.update(paused, ['running']), true);
      assert.deepEqual(await chunkRows(store), []);
      assert.deepEqual(await store.get('job-1'), paused);
    } finally {
      await store.close();
    }
  });

  it('records written whole (older engines) load, and are kept in parts from the next write in parts', async () => {
    const fresh = await target.fresh();
    const { db } = await openDatabase({ databaseUrl: fresh.databaseUrl, sqliteFile: fresh.sqliteFile, migrations: [JOB_MIGRATIONS] });
    const job = jobOf(150);
    complete(job, 7);
    const old = recordOf(JSON.parse(JSON.stringify(jobToJson(job, NOW))) as JsonObject, 'paused');
    // As the engine before this change wrote it: the whole record in the row, no table of parts.
    await db.run('INSERT INTO job_records (id, kind, state, owner, created_at, updated_at, record, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [old.id, old.kind, old.state, old.owner, old.createdAt, old.updatedAt, JSON.stringify(old), null]);
    const store = new DbJobStore(db);
    try {
      assert.deepEqual(await store.get('job-1'), old);
      assert.deepEqual((await store.list()).jobs, [old]);
      const record = recordOf(new CheckpointBuilder().build(job, NOW) as unknown as JsonObject);
      assert.equal(await store.update(record, ['paused']), true);
      assert.equal((await chunkRows(store)).length, 3);
      assert.deepEqual(await store.get('job-1'), whole(record));
    } finally {
      await store.close();
    }
  });

  it('another writer between two writes, a write whose states do not match, a failing alsoWrite: the record reads back right', async () => {
    const fresh = await target.fresh();
    const a = await open(fresh);
    const b = await open(fresh);
    const job = jobOf(300);
    const builderA = new CheckpointBuilder();
    try {
      await firstSave(a, builderA, job);
      // B (another node, a stalled run taken over) writes the record with other files changed.
      const jobB = jobOf(300);
      for (const i of [0, 70, 140]) complete(jobB, i);
      assert.equal(await b.update(recordOf(new CheckpointBuilder().build(jobB, NOW) as unknown as JsonObject), ['running']), true);
      // A writes again with one file changed: it must not keep B's chunks 0, 1 and 2.
      complete(job, 299);
      let record = saved(builderA, job);
      assert.equal(await a.update(record, ['running']), true);
      assert.deepEqual(await b.get('job-1'), whole(record));

      // A write that does not match its states changes nothing.
      complete(job, 5);
      const refused = saved(builderA, job);
      assert.equal(await a.update(refused, ['paused']), false);
      assert.deepEqual(await a.get('job-1'), whole(record));

      // alsoWrite fails: rolled back, chunks and all; the next write still reads back right.
      complete(job, 200);
      const failing = saved(builderA, job);
      await assert.rejects(a.update(failing, ['running'], async () => {
        throw new Error('record write failed');
      }), /record write failed/);
      assert.deepEqual(await b.get('job-1'), whole(record));
      complete(job, 201);
      record = saved(builderA, job);
      assert.equal(await a.update(record, ['running'], async () => undefined), true);
      assert.deepEqual(await b.get('job-1'), whole(record));

      // Deleting the job deletes its chunks.
      await b.delete('job-1');
      assert.equal(await a.get('job-1'), undefined);
      assert.deepEqual(await chunkRows(a), []);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

it('SqliteJobStore keeps records in parts too (jobs_parts), and an engine copying its jobs.sqlite gets them whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'record-parts-'));
  try {
    const store = new SqliteJobStore(join(dir, 'jobs.sqlite'));
    const job = jobOf(200);
    const builder = new CheckpointBuilder();
    let record = recordOf(null, 'queued');
    try {
      await store.insert(record);
      record = saved(builder, job);
      assert.equal(await store.update(record, ['queued']), true);
      complete(job, 150);
      record = saved(builder, job);
      assert.equal(await store.update(record, ['running']), true);
      assert.equal(store.partWrites.upserted, 5, '4 chunks, then the one that changed');
      assert.deepEqual(await store.get('job-1'), whole(record));
    } finally {
      await store.close();
    }
    const { db } = await openDatabase({ databaseUrl: undefined, sqliteFile: join(dir, 'engine.db'), migrations: [JOB_MIGRATIONS] });
    const engine = new DbJobStore(db);
    try {
      assert.equal(await importLegacyJobs(db, dir), 1);
      assert.deepEqual(await engine.get('job-1'), whole(record));
    } finally {
      await engine.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
