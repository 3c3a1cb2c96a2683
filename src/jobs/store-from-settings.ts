/** The job store the settings name (used by the engine, job workers and the CLI). */
import type { Settings } from '../config.js';
import type { Database } from '../db/database.js';
import type { MigrationSet } from '../db/migrations.js';
import { openDatabase, type OpenDatabaseOptions } from '../db/open.js'; // not db/index: it loads pg
import { DbJobStore, JOB_MIGRATIONS, JOB_PART_MIGRATIONS } from './db-store.js';
import { importLegacyJobs, LEGACY_JOBS_FILE, MIGRATED_JOBS_FILE } from './legacy-import.js';
import type { JobLogger } from './service.js';

/**
 * The engine's database with the jobs' schema (and `alsoMigrate`'s, e.g. the library's): the
 * database of DATABASE_URL (PostgreSQL), else the embedded DATABASE_FILE (DATA_DIR/engine.db),
 * where an older engine's DATA_DIR/jobs.sqlite is copied once. Job records and library records
 * live in this one database, so a job's completion and its records commit together.
 * `checkpointThreadStart`: the embedded database's (a one-shot process: ONE_SHOT_CHECKPOINT_THREAD_START).
 */
export async function openJobDatabase(
  settings: Settings, logger?: JobLogger, alsoMigrate: readonly MigrationSet[] = [], checkpointThreadStart?: OpenDatabaseOptions['checkpointThreadStart'],
): Promise<Database> {
  const { db, applied } = await openDatabase({
    checkpointThreadStart,
    databaseUrl: settings.databaseUrl,
    sqliteFile: settings.databaseFile,
    connectionWaitMs: settings.databasePoolWaitMs,
    ...(logger ? { logger } : {}),
    migrations: [...alsoMigrate, JOB_MIGRATIONS, JOB_PART_MIGRATIONS],
  });
  try {
    if (applied.length) logger?.info({ database: db.description, applied: applied.map((m) => `${m.component}:${m.version}`) }, 'database migrated');
    if (settings.databaseUrl === undefined) {
      const added = await importLegacyJobs(db, settings.dataDir);
      if (added !== undefined) logger?.info({ database: db.description, added }, `job records copied from ${LEGACY_JOBS_FILE}; the file is now ${MIGRATED_JOBS_FILE}`);
    }
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** A job store on its own handle of the engine's database (the CLI; the engine shares the library's). */
export async function jobStoreFromSettings(settings: Settings, logger?: JobLogger): Promise<DbJobStore> {
  return new DbJobStore(await openJobDatabase(settings, logger));
}
