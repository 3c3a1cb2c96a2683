/**
 * The embedded job store: one SQLite database, `DATA_DIR/jobs.sqlite` (better-sqlite3), in WAL
 * mode. Each record is kept whole as JSON, beside the columns queries filter and sort on. A
 * committed write survives SIGKILL (WAL, synchronous=NORMAL: a power cut may lose the last
 * transactions, never corrupt the file). Statements are synchronous and take microseconds; the
 * interface is async so a PostgreSQL store can implement it too.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { emptyCounts, finishedAtBackfill, finishedTimeOf, jobQueryWhere, sqlMarks, StoreWritesUnsupportedError, type JobPage, type JobQuery, type JobStore, type StoreWrites } from './store.js';
import { JOB_STATES, type JobRecord, type JobState } from './types.js';

export const JOBS_DB_NAME = 'jobs.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (kind, created_at DESC);
`;

/**
 * Files made before `finished_at` existed get the column, filled from the records, once (under the
 * write lock: an API node and a worker opening the file together add it once).
 */
const ADD_FINISHED_AT = `
ALTER TABLE jobs ADD COLUMN finished_at TEXT;
UPDATE jobs SET finished_at = ${finishedAtBackfill("json_extract(record, '$.finishedAt')")};
`;
const FINISHED_INDEX = 'CREATE INDEX IF NOT EXISTS jobs_by_finished ON jobs (finished_at)';

export class SqliteJobStore implements JobStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly getStmt: Database.Statement<[string], { record: string }>;
  private readonly deleteStmt: Database.Statement;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Several processes (API, workers on a shared volume) may write: wait for the lock, do not fail.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const hasFinishedAt = () => (this.db.pragma('table_info(jobs)') as Array<{ name: string }>).some((c) => c.name === 'finished_at');
    if (!hasFinishedAt()) {
      this.db.transaction(() => {
        if (!hasFinishedAt()) this.db.exec(ADD_FINISHED_AT);
      }).immediate();
    }
    this.db.exec(FINISHED_INDEX);
    this.insertStmt = this.db.prepare('INSERT INTO jobs (id, kind, state, owner, created_at, updated_at, record, finished_at) VALUES (@id, @kind, @state, @owner, @createdAt, @updatedAt, @record, @finishedAt)');
    this.getStmt = this.db.prepare('SELECT record FROM jobs WHERE id = ?');
    this.deleteStmt = this.db.prepare('DELETE FROM jobs WHERE id = ?');
  }

  async insert(job: JobRecord): Promise<void> {
    this.insertStmt.run(row(job));
  }

  async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
    if (alsoWrite) throw new StoreWritesUnsupportedError('SqliteJobStore');
    const states = expect ?? JOB_STATES;
    const sql = `UPDATE jobs SET state = @state, updated_at = @updatedAt, record = @record, finished_at = @finishedAt WHERE id = @id AND state IN (${sqlMarks(states.length)})`;
    const info = this.db.prepare(sql).run(row(job), ...states);
    return info.changes === 1;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = this.getStmt.get(id);
    return r ? (JSON.parse(r.record) as JobRecord) : undefined;
  }

  async list(query: JobQuery = {}): Promise<JobPage> {
    const { clause, params } = jobQueryWhere(query);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs ${clause}`).get(...params) as { n: number }).n;
    const limit = Math.min(query.limit ?? 50, Number.MAX_SAFE_INTEGER);
    const rows = this.db
      .prepare(`SELECT record FROM jobs ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...params, limit === Number.MAX_SAFE_INTEGER ? -1 : limit, query.offset ?? 0) as Array<{ record: string }>;
    return { total, jobs: rows.map((r) => JSON.parse(r.record) as JobRecord) };
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts = emptyCounts();
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as Array<{ state: JobState; n: number }>) {
      if (r.state in counts) counts[r.state] = r.n;
    }
    return counts;
  }

  async delete(id: string): Promise<void> {
    this.deleteStmt.run(id);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function row(job: JobRecord): Record<string, string | null> {
  return { id: job.id, kind: job.kind, state: job.state, owner: job.owner, createdAt: job.createdAt, updatedAt: job.updatedAt, record: JSON.stringify(job), finishedAt: finishedTimeOf(job) };
}
