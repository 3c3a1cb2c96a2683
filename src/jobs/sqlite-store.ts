/**
 * A job store in a SQLite file of its own, `DATA_DIR/jobs.sqlite` (table `jobs`): the default of a
 * standalone `DownloadManager` (the engine's is `DbJobStore` on DATA_DIR/engine.db), and the file
 * an engine before issue #18 kept its records in (copied into engine.db once: legacy-import.ts).
 *
 * It is `DbJobStore` on `src/db`'s `SqliteDatabase`, so it waits for another process's write lock
 * the same way (100 ms inside SQLite, then between event-loop turns, up to `busyWaitMs`, 30 s by
 * default) and then answers DB_BUSY (503, Retry-After), never blocking the event loop for
 * seconds (it used SQLite's own `busy_timeout = 5000` until session 12). It refuses writes of
 * other records with a job's (`alsoWrite`): the library's tables are not in this file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteDatabase, type SqliteDatabaseOptions } from '../db/sqlite.js';
import type { Queryable } from '../db/database.js';
import { DbJobStore, partsTableSql } from './db-store.js';
import { finishedAtBackfill, StoreWritesUnsupportedError, type JobPage, type JobQuery, type JobSummary, type StoreWrites } from './store.js';
import type { JobRecord, JobState } from './types.js';

export const JOBS_DB_NAME = 'jobs.sqlite';
/** The chunks of records kept in parts. */
export const PARTS_TABLE = 'jobs_parts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL,
  finished_at TEXT
)`,
  'CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at DESC, id DESC)',
  'CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state)',
  'CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (kind, created_at DESC)',
  // Records kept in parts (db-store.ts, issue #20, session 16).
  partsTableSql(PARTS_TABLE, 'jobs', ''),
];

/**
 * Files made before `finished_at` existed get the column, filled from the records, once (under the
 * write lock: an API node and a worker opening the file together add it once).
 */
const ADD_FINISHED_AT = [
  'ALTER TABLE jobs ADD COLUMN finished_at TEXT',
  `UPDATE jobs SET finished_at = ${finishedAtBackfill("json_extract(record, '$.finishedAt')")}`,
];
const FINISHED_INDEX = 'CREATE INDEX IF NOT EXISTS jobs_by_finished ON jobs (finished_at)';

async function hasFinishedAt(q: Queryable): Promise<boolean> {
  return (await q.query<{ name: string }>('PRAGMA table_info(jobs)')).some((c) => c.name === 'finished_at');
}

async function prepareSchema(db: SqliteDatabase): Promise<void> {
  for (const sql of SCHEMA) await db.run(sql);
  if (!(await hasFinishedAt(db))) {
    await db.transaction(async (tx) => {
      if (!(await hasFinishedAt(tx))) for (const sql of ADD_FINISHED_AT) await tx.run(sql);
    });
  }
  await db.run(FINISHED_INDEX);
}

export class SqliteJobStore extends DbJobStore {
  readonly path: string;
  /** The schema, made on first use (its writes wait for the lock like any other). */
  private readonly ready: Promise<void>;

  constructor(path: string, options: SqliteDatabaseOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    const db = new SqliteDatabase(path, options);
    const ready = prepareSchema(db);
    super(db, { table: 'jobs', parts: { table: PARTS_TABLE, ready: () => ready } });
    this.path = path;
    this.ready = ready;
    this.ready.catch(() => undefined); // reported by the first call that awaits it
  }

  override async insert(job: JobRecord): Promise<void> {
    await this.ready;
    return super.insert(job);
  }

  override async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
    if (alsoWrite) throw new StoreWritesUnsupportedError('SqliteJobStore');
    await this.ready;
    return super.update(job, expect);
  }

  override async get(id: string): Promise<JobRecord | undefined> {
    await this.ready;
    return super.get(id);
  }

  override async list(query: JobQuery = {}): Promise<JobPage> {
    await this.ready;
    return super.list(query);
  }

  override async listSummaries(query: JobQuery = {}): Promise<JobSummary[]> {
    await this.ready;
    return super.listSummaries(query);
  }

  override async countByState(): Promise<Record<JobState, number>> {
    await this.ready;
    return super.countByState();
  }

  override async delete(id: string): Promise<void> {
    await this.ready;
    return super.delete(id);
  }

  override async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    return super.close();
  }
}
