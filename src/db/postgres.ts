/**
 * PostgreSQL through `pg` (a connection pool). Several engine machines can share one database:
 * migrations take an advisory lock, and every write is a single statement or a transaction.
 * BIGINT columns come back as JavaScript numbers (sizes and times stay far below 2^53).
 */
import pg from 'pg';
import { toDollarParams, type Database, type Queryable, type Row, type SqlValue } from './database.js';

pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p) : p));
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

class PgQueryable implements Queryable {
  readonly kind = 'postgres' as const;
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.client.query(toDollarParams(sql), bind(params));
    return result.rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.client.query(toDollarParams(sql), bind(params));
    return result.rowCount ?? 0;
  }
}

export class PostgresDatabase extends PgQueryable implements Database {
  private readonly pool: pg.Pool;

  constructor(readonly url: string, options: { maxConnections?: number } = {}) {
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    super(pool);
    this.pool = pool;
  }

  get description(): string {
    return redactUrl(this.url);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await work(new PgQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } finally {
      client.release();
    }
  }

  /** Runs `work` on one connection holding a session advisory lock (migrations). */
  async withAdvisoryLock<T>(key: number, work: (client: Queryable & { script(sql: string): Promise<void> }) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      const q = Object.assign(new PgQueryable(client), { script: async (sql: string) => { await client.query(sql); } });
      try {
        return await work(q);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
      }
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
