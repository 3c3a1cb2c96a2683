/**
 * The engine's database, whichever backend holds it: one small async interface over embedded
 * SQLite (better-sqlite3, the default, a file in DATA_DIR) and PostgreSQL (pg, DATABASE_URL).
 * SQL is written once with `?` placeholders and portable types; each backend adapts it.
 * No HTTP in here.
 */

export type DatabaseKind = 'sqlite' | 'postgres';

/** A value a query can bind: what both backends store the same way. */
export type SqlValue = string | number | boolean | null | Uint8Array;

export type Row = Record<string, unknown>;

/** What both the database and an open transaction can do. */
export interface Queryable {
  readonly kind: DatabaseKind;
  /** Runs one statement; returns its rows (empty for statements without RETURNING). */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs one statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Database extends Queryable {
  /** Human-readable location without credentials (for logs and /api/health). */
  readonly description: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cheap liveness check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...` (our SQL never has `?` in literals). */
export function toDollarParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
