/**
 * The job store on the engine's shared database (src/db), beside the library: DATA_DIR/engine.db
 * (embedded), or with DATABASE_URL (PostgreSQL) the one database every engine and worker machine
 * shares, so no node needs a SQLite file on a shared volume. The engine opens that database once
 * for both (`ownsDatabase: false`), so `update(..., alsoWrite)` commits a job's state and its
 * library records in one transaction.
 *
 * Like `SqliteJobStore`, each record is kept whole as JSON text beside the columns queries filter
 * and sort on; `update` is one conditional statement (`WHERE state IN (...)`), so a terminal state
 * written by one node sticks against another on any backend.
 */
import type { Database, MigrationSet } from '../db/index.js';
import { emptyCounts, finishedAtBackfill, finishedTimeOf, jobQueryWhere, sqlMarks, type JobPage, type JobQuery, type JobStore, type StoreWrites } from './store.js';
import { JOB_STATES, recordJson, type JobRecord, type JobState } from './types.js';

/** The `jobs` component's schema: table `job_records` (ids and times sort bytewise on PostgreSQL). */
export const JOB_MIGRATIONS: MigrationSet = {
  component: 'jobs',
  migrations: [
    {
      version: 1,
      name: 'job records',
      sqlite: `
CREATE TABLE job_records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX job_records_by_created ON job_records (created_at DESC, id DESC);
CREATE INDEX job_records_by_state ON job_records (state);
CREATE INDEX job_records_by_owner ON job_records (owner, created_at DESC);
`,
      postgres: `
CREATE TABLE job_records (
  id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX job_records_by_created ON job_records (created_at DESC, id DESC);
CREATE INDEX job_records_by_state ON job_records (state);
CREATE INDEX job_records_by_owner ON job_records (owner, created_at DESC);
`,
    },
    {
      // When a job finished, as a column, so retention asks for "finished before T" instead of
      // reading every finished record (filled from the records kept so far).
      version: 2,
      name: 'job records finished_at',
      sqlite: `
ALTER TABLE job_records ADD COLUMN finished_at TEXT;
UPDATE job_records SET finished_at = ${finishedAtBackfill("json_extract(record, '$.finishedAt')")};
CREATE INDEX job_records_by_finished ON job_records (finished_at);
`,
      postgres: `
ALTER TABLE job_records ADD COLUMN finished_at TEXT COLLATE "C";
UPDATE job_records SET finished_at = ${finishedAtBackfill("(record::jsonb ->> 'finishedAt')")};
CREATE INDEX job_records_by_finished ON job_records (finished_at);
`,
    },
  ],
};


export interface DbJobStoreOptions {
  /** Close the database with the store (default true: the store opened it for itself). */
  readonly ownsDatabase?: boolean;
  /** The records' table (default `job_records`; `SqliteJobStore`'s `jobs.sqlite` calls it `jobs`). */
  readonly table?: string;
}

/** A JobStore on a migrated src/db database (run `JOB_MIGRATIONS` first, e.g. through openDatabase). */
export class DbJobStore implements JobStore {
  private closed = false;
  private readonly table: string;

  constructor(readonly db: Database, private readonly options: DbJobStoreOptions = {}) {
    this.table = options.table ?? 'job_records';
  }

  get description(): string {
    return this.db.description;
  }

  async insert(job: JobRecord): Promise<void> {
    await this.db.run(`INSERT INTO ${this.table} (id, kind, state, owner, created_at, updated_at, record, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [job.id, job.kind, job.state, job.owner, job.createdAt, job.updatedAt, recordJson(job), finishedTimeOf(job)]);
  }

  async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
    const states = expect ?? JOB_STATES;
    const sql = `UPDATE ${this.table} SET state = ?, owner = ?, updated_at = ?, record = ?, finished_at = ? WHERE id = ? AND state IN (${sqlMarks(states.length)})`;
    const params = [job.state, job.owner, job.updatedAt, recordJson(job), finishedTimeOf(job), job.id, ...states];
    if (!alsoWrite) return (await this.db.run(sql, params)) === 1;
    // The record first: when it no longer matches (cancelled elsewhere) the other writes never run.
    return this.db.transaction(async (tx) => {
      if ((await tx.run(sql, params)) !== 1) return false;
      await alsoWrite(tx);
      return true;
    });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const rows = await this.db.query<{ record: string }>(`SELECT record FROM ${this.table} WHERE id = ?`, [id]);
    return rows[0] ? (JSON.parse(rows[0].record) as JobRecord) : undefined;
  }

  async list(query: JobQuery = {}): Promise<JobPage> {
    const { clause, params } = jobQueryWhere(query);
    const count = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${this.table} ${clause}`, params);
    const limit = Math.max(0, Math.min(query.limit ?? 50, Number.MAX_SAFE_INTEGER));
    const rows = await this.db.query<{ record: string }>(
      `SELECT record FROM ${this.table} ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
      [...params, limit, Math.max(0, query.offset ?? 0)]);
    return { total: Number(count[0]?.n ?? 0), jobs: rows.map((r) => JSON.parse(r.record) as JobRecord) };
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts = emptyCounts();
    for (const r of await this.db.query<{ state: JobState; n: number | string }>(`SELECT state, COUNT(*) AS n FROM ${this.table} GROUP BY state`)) {
      if (r.state in counts) counts[r.state] = Number(r.n);
    }
    return counts;
  }

  async delete(id: string): Promise<void> {
    await this.db.run(`DELETE FROM ${this.table} WHERE id = ?`, [id]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsDatabase ?? true) await this.db.close();
  }
}
