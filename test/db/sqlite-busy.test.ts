/**
 * The embedded database while another process holds its write lock (an API node and workers on
 * one DATA_DIR, as in test/jobs/redis/cluster-processes): a write waits for the lock without
 * blocking the event loop and lands once it is free; a lock held longer than the wait answers the
 * catalogued DB_BUSY (503, Retry-After), never SQLite's own SQLITE_BUSY as a 500. The other
 * process is a second connection to the file (SQLite locks the file the same way for both).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, SqliteDatabase } from '../../src/db/index.js';
import { DbJobStore, JOB_MIGRATIONS } from '../../src/jobs/db-store.js';
import { httpErrorOf } from '../../src/server.js';
import { catalogueMessage } from '../../src/error-catalogue.js';
import { EngineError } from '../../src/errors.js';
import type { JobRecord } from '../../src/jobs/index.js';

function record(id: string): JobRecord {
  const now = new Date().toISOString();
  return {
    id, kind: 'tag', state: 'queued', progress: 0, stage: 'Queued', createdAt: now, startedAt: null, finishedAt: null, updatedAt: now,
    owner: null, inputs: {}, result: null, outputs: [], error: null, pauseReason: null, attempts: 0, checkpoint: null,
  };
}

/** Another process's connection holding the write lock (it writes job `id`) until `release()`. */
function holdWriteLock(file: string, id: string): { release: () => void } {
  const other = new BetterSqlite3(file);
  other.exec('BEGIN IMMEDIATE');
  const r = record(id);
  other.prepare('INSERT INTO job_records (id, kind, state, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?)')
    .run(r.id, r.kind, r.state, r.createdAt, r.updatedAt, JSON.stringify(r));
  return {
    release: () => {
      other.exec('COMMIT');
      other.close();
    },
  };
}

/** Whether `p` has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), sleep(0).then(() => false)]);
}

describe('embedded database: another process holds the write lock', () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sqlite-busy-'));
    file = join(dir, 'engine.db');
    const { db } = await openDatabase({ sqliteFile: file, migrations: [JOB_MIGRATIONS] });
    await db.close();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the lock without blocking the event loop, then writes', async () => {
    const store = new DbJobStore(new SqliteDatabase(file));
    const lock = holdWriteLock(file, 'other');
    const insert = store.insert(record('waits'));
    // Timers fire while the insert waits (a synchronous wait inside SQLite would hold them back).
    let ticks = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      ticks++;
    }
    assert.equal(ticks, 5);
    assert.equal(await settled(insert), false, 'the insert waits while the lock is held');
    lock.release();
    await insert;
    assert.equal((await store.get('waits'))?.state, 'queued');
    assert.equal((await store.get('other'))?.state, 'queued', 'the other process\'s write landed too');
    await store.close();
  });

  it('answers DB_BUSY (503, Retry-After) when the lock is held longer than the wait, for statements and transactions', async () => {
    const db = new SqliteDatabase(file, { busyWaitMs: 300 });
    const store = new DbJobStore(db);
    const lock = holdWriteLock(file, 'other-2');
    try {
      const failures = await Promise.all([
        store.insert(record('refused')).then(() => undefined, (err: unknown) => err),
        store.update({ ...record('waits'), state: 'running' }, ['queued'], async () => undefined).then(() => undefined, (err: unknown) => err),
      ]);
      for (const err of failures) {
        assert.ok(err instanceof EngineError, String(err));
        assert.equal(err.code, 'DB_BUSY');
        // What the HTTP layer answers: the catalogued status, text and Retry-After.
        const answer = httpErrorOf(err);
        assert.equal(answer.httpStatus, 503);
        assert.equal(answer.message, catalogueMessage('DB_BUSY'));
        assert.ok(Number(answer.headers['retry-after']) >= 1, JSON.stringify(answer.headers));
      }
    } finally {
      lock.release();
    }
    // Reads never wait for a writer (WAL); once the lock is free, writes land again.
    assert.equal(await store.get('refused'), undefined);
    await store.insert(record('refused'));
    assert.equal((await store.get('refused'))?.state, 'queued');
    assert.equal((await store.get('waits'))?.state, 'queued', 'the refused transaction changed nothing');
    await store.close();
  });
});
