import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { SqliteJobStore } from '../../src/jobs/sqlite-store.js';
import { EngineError } from '../../src/errors.js';
import { httpErrorOf } from '../../src/server.js';
import { jobStoreConformance, sampleRecord } from './store.conformance.js';
import { tempDir } from './helpers.js';

jobStoreConformance('SqliteJobStore', async () => {
  const { dir, cleanup } = await tempDir('jobs-sqlite-');
  const path = join(dir, 'jobs.sqlite');
  return { store: new SqliteJobStore(path), reopen: async () => new SqliteJobStore(path), cleanup };
});

it('SqliteJobStore: a jobs.sqlite made before finished_at gets the column, filled from its records', async () => {
  const { dir, cleanup } = await tempDir('jobs-sqlite-old-');
  const path = join(dir, 'jobs.sqlite');
  try {
    // The schema of earlier versions, with records in it.
    const old = new Database(path);
    old.exec('CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, owner TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, record TEXT NOT NULL)');
    const put = old.prepare('INSERT INTO jobs (id, kind, state, owner, created_at, updated_at, record) VALUES (?, ?, ?, NULL, ?, ?, ?)');
    const done = sampleRecord('done', { state: 'completed', finishedAt: '2026-01-02T03:05:00.000Z', updatedAt: '2026-01-02T03:05:00.000Z' });
    const legacy = sampleRecord('legacy', { state: 'failed', finishedAt: null, updatedAt: '2026-01-02T03:06:00.000Z' });
    const queued = sampleRecord('queued');
    for (const j of [done, legacy, queued]) put.run(j.id, j.kind, j.state, j.createdAt, j.updatedAt, JSON.stringify(j));
    old.close();

    // Two processes opening it together add the column once.
    const [a, b] = [new SqliteJobStore(path), new SqliteJobStore(path)];
    try {
      const ids = async (before: string) => (await a.list({ finishedBefore: before })).jobs.map((j) => j.id).sort();
      assert.deepEqual(await ids('2026-01-02T03:05:30.000Z'), ['done']);
      assert.deepEqual(await ids('2026-01-02T04:00:00.000Z'), ['done', 'legacy']);
      assert.deepEqual(await b.get('legacy'), legacy, 'records unchanged');
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    await cleanup();
  }
});

it('SqliteJobStore: another process holding the write lock: a write waits without blocking the event loop, then DB_BUSY (503) past the wait (session 12)', async () => {
  const { dir, cleanup } = await tempDir('jobs-sqlite-busy-');
  const path = join(dir, 'jobs.sqlite');
  try {
    const setup = new SqliteJobStore(path);
    await setup.list();
    await setup.close();
    const holdLock = () => {
      const other = new Database(path);
      other.exec('BEGIN IMMEDIATE');
      return () => {
        other.exec('COMMIT');
        other.close();
      };
    };
    // Before: busy_timeout = 5000 froze the process inside SQLite, then SQLITE_BUSY (a 500).
    const store = new SqliteJobStore(path, { busyWaitMs: 300 });
    let release = holdLock();
    const refused = await store.insert(sampleRecord('refused')).then(() => undefined, (err: unknown) => err);
    release();
    assert.ok(refused instanceof EngineError, String(refused));
    assert.equal(refused.code, 'DB_BUSY');
    assert.equal(httpErrorOf(refused).httpStatus, 503);
    assert.ok(Number(httpErrorOf(refused).headers['retry-after']) >= 1);
    await store.close();

    const patient = new SqliteJobStore(path);
    await patient.list();
    release = holdLock();
    const insert = patient.insert(sampleRecord('waits'));
    let ticks = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      ticks++;
    }
    assert.equal(ticks, 5, 'timers fire while the write waits');
    release();
    await insert;
    assert.equal((await patient.get('waits'))?.id, 'waits');
    assert.equal(await patient.get('refused'), undefined);
    await patient.close();
  } finally {
    await cleanup();
  }
});
