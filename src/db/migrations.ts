/**
 * Versioned schema migrations, run at start-up. Each component (the library, the jobs system, ...)
 * owns a numbered list; `schema_migrations` remembers what ran. A migration runs in one
 * transaction with its bookkeeping row, so a crash leaves it either applied or not. On PostgreSQL
 * an advisory lock makes engines starting together on one database take turns.
 */
import type { Database, Queryable } from './database.js';
import { SqliteDatabase } from './sqlite.js';
// Type only: pg loads only when a PostgreSQL database is opened (an embedded engine starts without it).
import type { PostgresDatabase } from './postgres.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The script for each backend (several statements allowed). */
  readonly sqlite: string;
  readonly postgres: string;
}

export interface MigrationSet {
  /** Stable component name, e.g. 'library' or 'jobs'. */
  readonly component: string;
  readonly migrations: readonly Migration[];
}

export interface AppliedMigration {
  readonly component: string;
  readonly version: number;
  readonly name: string;
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (component, version)
)`;

/** Postgres advisory lock key for migrations ('jwstmigr' folded into 31 bits). */
const MIGRATION_LOCK = 0x6a77_7374;

function check(set: MigrationSet): void {
  set.migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations of ${set.component} must be numbered 1, 2, 3...: found ${m.version} at ${i + 1}`);
  });
}

async function appliedVersions(q: Queryable, component: string): Promise<Set<number>> {
  const rows = await q.query<{ version: number }>('SELECT version FROM schema_migrations WHERE component = ?', [component]);
  return new Set(rows.map((r) => Number(r.version)));
}

/** Applies every migration not yet applied, in order; returns what it applied. */
export async function migrate(db: Database, sets: readonly MigrationSet[]): Promise<AppliedMigration[]> {
  sets.forEach(check);
  const applied: AppliedMigration[] = [];
  if (db instanceof SqliteDatabase) {
    db.execScript(BOOKKEEPING);
    for (const set of sets) {
      const done = await appliedVersions(db, set.component);
      for (const m of set.migrations) {
        if (done.has(m.version)) continue;
        // Another process on the same file (an API node and a worker starting together) may be
        // applying it now: look again under the write lock (BEGIN IMMEDIATE waits for theirs).
        const ran = await db.transaction(async (tx) => {
          const already = await tx.query('SELECT 1 AS x FROM schema_migrations WHERE component = ? AND version = ?', [set.component, m.version]);
          if (already.length > 0) return false;
          db.execScript(m.sqlite);
          await tx.run('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
            [set.component, m.version, m.name, new Date().toISOString()]);
          return true;
        });
        if (ran) applied.push({ component: set.component, version: m.version, name: m.name });
      }
    }
    return applied;
  }
  if (db.kind === 'postgres') {
    const pgDb = db as PostgresDatabase;
    await pgDb.withAdvisoryLock(MIGRATION_LOCK, async (conn) => {
      await conn.script(BOOKKEEPING);
      for (const set of sets) {
        const done = await appliedVersions(conn, set.component);
        for (const m of set.migrations) {
          if (done.has(m.version)) continue;
          await conn.script('BEGIN');
          try {
            await conn.script(m.postgres);
            await conn.run('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)',
              [set.component, m.version, m.name, new Date().toISOString()]);
            await conn.script('COMMIT');
          } catch (err) {
            await conn.script('ROLLBACK').catch(() => {});
            throw err;
          }
          applied.push({ component: set.component, version: m.version, name: m.name });
        }
      }
    });
    return applied;
  }
  throw new Error(`no migration runner for ${db.kind}`);
}

/** The highest applied version of each component. */
export async function schemaVersions(db: Queryable): Promise<Record<string, number>> {
  const rows = await db.query<{ component: string; version: number }>(
    'SELECT component, MAX(version) AS version FROM schema_migrations GROUP BY component');
  return Object.fromEntries(rows.map((r) => [r.component, Number(r.version)]));
}
