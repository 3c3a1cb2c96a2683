/** DbJobStore (the job store on src/db) holds the JobStore contract on SQLite and on a private PostgreSQL. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, schemaVersions, type Queryable } from '../../src/db/index.js';
import { DbJobStore, JOB_MIGRATIONS } from '../../src/jobs/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../../src/config.js';
import { jobServiceFromSettings } from '../../src/routes/job-kinds.js';
import { forEachBackend } from '../helpers/db-backends.js';
import { jobStoreConformance, sampleRecord } from './store.conformance.js';

forEachBackend('DbJobStore', (target) => {
  const open = (fresh: { databaseUrl: string | undefined; sqliteFile: string }) => async () =>
    new DbJobStore((await openDatabase({ databaseUrl: fresh.databaseUrl, sqliteFile: fresh.sqliteFile, migrations: [JOB_MIGRATIONS] })).db);

  jobStoreConformance(`DbJobStore on ${target.kind}`, async () => {
    const fresh = await target.fresh();
    return { store: await open(fresh)(), reopen: open(fresh) };
  });

  it('migrates once (component jobs, version 2) and keeps paging stable on equal creation times', async () => {
    const fresh = await target.fresh();
    const first = await open(fresh)();
    const again = await open(fresh)(); // a second node starting on the same database
    try {
      assert.equal((await schemaVersions(first.db)).jobs, JOB_MIGRATIONS.migrations.length);
      for (const id of ['b', 'a', 'C', 'c']) await first.insert(sampleRecord(id));
      const ids = (await again.list({ limit: 10 })).jobs.map((j) => j.id);
      assert.deepEqual(ids, ['c', 'b', 'a', 'C'], 'ties by id, bytewise, newest first');
      assert.equal((await again.list({ limit: 2, offset: 3 })).jobs.length, 1);
    } finally {
      await first.close();
      await again.close();
    }
  });

  it('version 2 fills finished_at from the records a version-1 database holds', async () => {
    const fresh = await target.fresh();
    const v1 = await openDatabase({ databaseUrl: fresh.databaseUrl, sqliteFile: fresh.sqliteFile, migrations: [{ component: 'jobs', migrations: JOB_MIGRATIONS.migrations.slice(0, 1) }] });
    const done = sampleRecord('done', { state: 'completed', finishedAt: '2026-01-02T03:05:00.000Z', updatedAt: '2026-01-02T03:05:00.000Z' });
    const legacy = sampleRecord('legacy', { state: 'cancelled', finishedAt: null, updatedAt: '2026-01-02T03:06:00.000Z' });
    for (const j of [done, legacy, sampleRecord('queued')]) {
      await v1.db.run('INSERT INTO job_records (id, kind, state, owner, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [j.id, j.kind, j.state, j.owner, j.createdAt, j.updatedAt, JSON.stringify(j)]);
    }
    await v1.db.close();
    const store = await open(fresh)();
    try {
      assert.equal((await schemaVersions(store.db)).jobs, 2);
      const ids = async (before: string) => (await store.list({ finishedBefore: before })).jobs.map((j) => j.id).sort();
      assert.deepEqual(await ids('2026-01-02T03:05:30.000Z'), ['done']);
      assert.deepEqual(await ids('2026-01-02T04:00:00.000Z'), ['done', 'legacy']);
    } finally {
      await store.close();
    }
  });

  it('update with alsoWrite: the record and the other writes commit together, or neither (no match, or a failure inside)', async () => {
    const fresh = await target.fresh();
    const extra = { component: 'test-extra', migrations: [{ version: 1, name: 'notes', sqlite: 'CREATE TABLE notes (job TEXT NOT NULL)', postgres: 'CREATE TABLE notes (job TEXT NOT NULL)' }] };
    const { db } = await openDatabase({ databaseUrl: fresh.databaseUrl, sqliteFile: fresh.sqliteFile, migrations: [JOB_MIGRATIONS, extra] });
    const store = new DbJobStore(db);
    const notes = async () => (await db.query<{ job: string }>('SELECT job FROM notes ORDER BY job')).map((r) => r.job);
    const note = (id: string) => async (tx: Queryable) => { await tx.run('INSERT INTO notes (job) VALUES (?)', [id]); };
    try {
      await store.insert(sampleRecord('a', { state: 'running' }));
      await store.insert(sampleRecord('b', { state: 'cancelled' }));
      // A failure after some of the writes: the record and those writes roll back.
      await assert.rejects(store.update(sampleRecord('a', { state: 'completed' }), ['running'], async (tx) => {
        await note('a')(tx);
        throw new Error('injected');
      }), /injected/);
      assert.equal((await store.get('a'))!.state, 'running');
      assert.deepEqual(await notes(), []);
      // The stored state no longer matches (cancelled meanwhile): nothing written, the writes never run.
      let ran = false;
      assert.equal(await store.update(sampleRecord('b', { state: 'completed' }), ['running'], async (tx) => { ran = true; await note('b')(tx); }), false);
      assert.equal(ran, false);
      assert.equal((await store.get('b'))!.state, 'cancelled');
      // A match: both.
      assert.equal(await store.update(sampleRecord('a', { state: 'completed' }), ['running'], note('a')), true);
      assert.equal((await store.get('a'))!.state, 'completed');
      assert.deepEqual(await notes(), ['a']);
    } finally {
      await store.close();
    }
  });

  it('the engine keeps job records in the engine\'s database: DATABASE_URL\'s (PostgreSQL), else DATA_DIR/engine.db, never a jobs.sqlite', async () => {
    const fresh = await target.fresh();
    const env = { DATA_DIR: fresh.dataDir, LOG_LEVEL: 'silent', ...(fresh.databaseUrl ? { DATABASE_URL: fresh.databaseUrl } : {}) };
    const jobs = await jobServiceFromSettings(loadSettings(env));
    jobs.handlers.register({ kind: 'echo', run: async ({ inputs }) => ({ result: { echoed: inputs } }) });
    await jobs.start();
    try {
      const job = await jobs.submit('echo', { n: 1 }, { owner: 'ann' });
      assert.equal((await jobs.waitUntilSettled(job.id)).state, 'completed');
      assert.ok(jobs.store instanceof DbJobStore);
      assert.equal(jobs.store.db.kind, target.kind);
      assert.equal(existsSync(join(fresh.dataDir, 'jobs.sqlite')), false);
      assert.equal(existsSync(join(fresh.dataDir, 'engine.db')), target.kind === 'sqlite');
      const rows = await jobs.store.db.query<{ id: string; state: string; owner: string }>('SELECT id, state, owner FROM job_records');
      assert.deepEqual(rows.map((r) => ({ ...r })), [{ id: job.id, state: 'completed', owner: 'ann' }]);
    } finally {
      await jobs.close();
      await jobs.store.close();
    }
  });
});
