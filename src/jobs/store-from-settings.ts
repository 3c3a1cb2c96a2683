/** The job store the settings name (used by the engine, job workers and the CLI). */
import { join } from 'node:path';
import type { Settings } from '../config.js';
import { openDatabase } from '../db/open.js'; // not db/index: it loads pg
import { DbJobStore, JOB_MIGRATIONS } from './db-store.js';
import { JOBS_DB_NAME, SqliteJobStore } from './sqlite-store.js';
import type { JobLogger } from './service.js';
import type { JobStore } from './store.js';

/**
 * Where job records live: with DATABASE_URL, the shared PostgreSQL database (table job_records,
 * migrated here), so every engine and worker machine reads the same records without sharing a
 * SQLite file; otherwise the embedded DATA_DIR/jobs.sqlite.
 */
export async function jobStoreFromSettings(settings: Settings, logger?: JobLogger): Promise<JobStore> {
  if (settings.databaseUrl === undefined) return new SqliteJobStore(join(settings.dataDir, JOBS_DB_NAME));
  const { db, applied } = await openDatabase({ databaseUrl: settings.databaseUrl, sqliteFile: settings.databaseFile, migrations: [JOB_MIGRATIONS], maxConnections: 5 });
  if (applied.length) logger?.info({ database: db.description, applied: applied.map((m) => `${m.component}:${m.version}`) }, 'job store migrated');
  return new DbJobStore(db);
}
