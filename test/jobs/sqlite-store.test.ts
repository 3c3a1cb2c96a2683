import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteJobStore } from '../../src/jobs/sqlite-store.js';
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
