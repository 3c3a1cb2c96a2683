/**
 * Job records of engines before issue #18's shared database lived in `DATA_DIR/jobs.sqlite` (their
 * own SQLite file). The embedded engine now keeps them in `DATA_DIR/engine.db` beside the library,
 * so that a job's `completed` state and its library records commit in one transaction. This copies
 * an old file's records there once, then renames the file aside (`jobs.sqlite.migrated`).
 *
 * Crash-safe and run once, also by two processes starting together on one DATA_DIR: the copy and
 * its marker row (schema_migrations, component `jobs.sqlite import`) commit in one transaction
 * under the database's write lock, and a process that finds the marker only renames the file.
 * A record already in the database (same id) is never overwritten.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../db/database.js';
import { recordColumnsSql, wholeRecordText, type RecordRow } from './db-store.js';
import { PARTS_TABLE } from './sqlite-store.js';
import { finishedTimeOf } from './store.js';
import type { JobRecord } from './types.js';

export const LEGACY_JOBS_FILE = 'jobs.sqlite';
/** What the old file is renamed to once copied. */
export const MIGRATED_JOBS_FILE = 'jobs.sqlite.migrated';
const MARKER = 'jobs.sqlite import';

/** The old file's records (its table `jobs`), or undefined when the file is gone (another process renamed it). */
function readLegacy(file: string): JobRecord[] | undefined {
  let old: BetterSqlite3.Database;
  try {
    // Read-write: a WAL left by a crash is replayed, so its last commits are copied too.
    old = new BetterSqlite3(file, { fileMustExist: true });
  } catch (err) {
    if (!existsSync(file)) return undefined;
    throw err;
  }
  try {
    old.pragma('busy_timeout = 5000');
    const table = old.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get();
    if (!table) return [];
    // Records a later SqliteJobStore kept in parts (db-store.ts) get their chunks back.
    const hasParts = old.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(PARTS_TABLE) !== undefined;
    const rows = old.prepare(`SELECT ${hasParts ? recordColumnsSql('sqlite', 'jobs', PARTS_TABLE) : 'record, NULL AS chunks, 0 AS chunk_rows'} FROM jobs`).all() as RecordRow[];
    return rows.map((r) => JSON.parse(wholeRecordText(r)) as JobRecord);
  } finally {
    old.close();
  }
}

/**
 * Copies `DATA_DIR/jobs.sqlite` into `db` (migrated with JOB_MIGRATIONS) once. Returns how many
 * records it added (0 when another process or an earlier start did it), undefined without a file.
 */
export async function importLegacyJobs(db: Database, dataDir: string): Promise<number | undefined> {
  const file = join(dataDir, LEGACY_JOBS_FILE);
  if (!existsSync(file)) return undefined;
  const records = readLegacy(file);
  if (records === undefined) return undefined;
  const added = await db.transaction(async (tx) => {
    const done = await tx.query('SELECT 1 AS x FROM schema_migrations WHERE component = ? AND version = 1', [MARKER]);
    if (done.length > 0) return 0;
    let n = 0;
    for (const job of records) {
      n += await tx.run(`INSERT INTO job_records (id, kind, state, owner, created_at, updated_at, record, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [job.id, job.kind, job.state, job.owner, job.createdAt, job.updatedAt, JSON.stringify(job), finishedTimeOf(job)]);
    }
    await tx.run('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
      [MARKER, 1, `${records.length} job records copied from ${LEGACY_JOBS_FILE}`, new Date().toISOString()]);
    return n;
  });
  // Committed: the old file goes aside (a crash before this copies nothing again, only renames).
  for (const suffix of ['', '-wal', '-shm']) {
    await rename(file + suffix, join(dataDir, MIGRATED_JOBS_FILE + suffix)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  return added;
}
