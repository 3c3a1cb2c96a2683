/**
 * Opens the engine's database from settings: PostgreSQL when DATABASE_URL is a postgres:// URL,
 * otherwise the embedded SQLite file (DATABASE_FILE, default DATA_DIR/engine.db). Then runs the
 * migrations of every component it is given.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database } from './database.js';
import { SqliteDatabase, type SqliteDatabaseOptions } from './sqlite.js';
import { migrate, type AppliedMigration, type MigrationSet } from './migrations.js';

export interface OpenDatabaseOptions {
  /** postgres://... or postgresql://...; undefined = embedded SQLite. */
  readonly databaseUrl?: string | undefined;
  /** The SQLite file (ignored with a database URL). */
  readonly sqliteFile: string;
  readonly migrations?: readonly MigrationSet[];
  readonly maxConnections?: number;
  /** PostgreSQL: longest a statement waits for a pool connection before DB_POOL_TIMEOUT (default 10 s). */
  readonly connectionWaitMs?: number;
  /** PostgreSQL: where such a wait that ran out is logged. */
  readonly logger?: { warn(obj: object, msg?: string): void };
  /** SQLite: when its checkpoint thread starts (a one-shot process: ONE_SHOT_CHECKPOINT_THREAD_START). */
  readonly checkpointThreadStart?: SqliteDatabaseOptions['checkpointThreadStart'];
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<{ db: Database; applied: AppliedMigration[] }> {
  let db: Database;
  if (options.databaseUrl !== undefined) {
    if (!isPostgresUrl(options.databaseUrl)) throw new Error('DATABASE_URL must be a postgres:// URL');
    // pg loads only here: an embedded engine starts without it.
    const { PostgresDatabase } = await import('./postgres.js');
    db = new PostgresDatabase(options.databaseUrl, { maxConnections: options.maxConnections, connectionWaitMs: options.connectionWaitMs, logger: options.logger });
  } else {
    await mkdir(dirname(options.sqliteFile), { recursive: true });
    db = new SqliteDatabase(options.sqliteFile, options.checkpointThreadStart ? { checkpointThreadStart: options.checkpointThreadStart } : {});
  }
  try {
    const applied = await migrate(db, options.migrations ?? []);
    return { db, applied };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
