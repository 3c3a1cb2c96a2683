/**
 * PostgreSQL through `pg` (a connection pool). Several engine machines can share one database:
 * migrations take an advisory lock, and every write is a single statement or a transaction.
 * BIGINT columns come back as JavaScript numbers (sizes and times stay far below 2^53).
 *
 * A statement waits at most `connectionWaitMs` (DATABASE_POOL_WAIT, 10 s) for a connection (all
 * `maxConnections` busy, or the server slow to accept a new one), then fails with the catalogued
 * DB_POOL_TIMEOUT (503, Retry-After) and a log line; pg's own default waits for ever (session 12).
 */
import pg from 'pg';
import { EngineError } from '../errors.js';
import { catalogueMessage } from '../error-catalogue.js';
import { toDollarParams, type Database, type Queryable, type Row, type SqlValue } from './database.js';

/** Default longest wait for a pool connection before DB_POOL_TIMEOUT. */
export const DEFAULT_CONNECTION_WAIT_MS = 10_000;

export interface PostgresDatabaseOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number | undefined;
  /** Longest a statement waits for a connection (default 10 s). */
  readonly connectionWaitMs?: number | undefined;
  /** Where a wait that ran out is logged. */
  readonly logger?: { warn(obj: object, msg?: string): void } | undefined;
}

/** pg-pool's errors for a wait that ran out: no connection freed, or a new one not opened, in time. */
function isConnectionWaitTimeout(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return message === 'timeout exceeded when trying to connect' || message === 'Connection terminated due to connection timeout';
}

/** Errno codes of a connection that could not be opened or was cut. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that cannot take work now: shutting down, starting up, out of connection slots. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * The server refused or cut the connection (not the statement's fault): pg's own messages for a
 * lost connection, a socket errno, SQLSTATE class 08 (connection exception) or the states above.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  return /^Connection terminated|is not queryable$/.test(err.message);
}

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
  constructor(protected readonly client: pg.Pool | pg.PoolClient, protected readonly waited: (err: unknown) => unknown = (err) => err) {}

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const result = await this.client.query(toDollarParams(sql), bind(params)).catch((err: unknown) => Promise.reject(this.waited(err)));
    return result.rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.client.query(toDollarParams(sql), bind(params)).catch((err: unknown) => Promise.reject(this.waited(err)));
    return result.rowCount ?? 0;
  }
}

export class PostgresDatabase extends PgQueryable implements Database {
  private readonly pool: pg.Pool;

  constructor(readonly url: string, options: PostgresDatabaseOptions = {}) {
    const waitMs = options.connectionWaitMs ?? DEFAULT_CONNECTION_WAIT_MS;
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, connectionTimeoutMillis: waitMs });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // A wait for a connection that ran out: the catalogued 503, and a line saying how busy the pool
    // was. A connection refused or cut (the server restarting, full, a reset socket): 503 too, so
    // the client retries, instead of "Internal server error" (session 13).
    const waited = (err: unknown): unknown => {
      if (isConnectionFailure(err)) {
        options.logger?.warn({ database: redactUrl(url), reason: (err as Error).message, code: (err as { code?: unknown }).code }, 'database connection failed (DB_UNAVAILABLE)');
        return new EngineError('DB_UNAVAILABLE', catalogueMessage('DB_UNAVAILABLE'), 503, { cause: err, headers: { 'retry-after': '2' } });
      }
      if (!isConnectionWaitTimeout(err)) return err;
      options.logger?.warn({ database: redactUrl(url), waitedMs: waitMs, connections: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, reason: (err as Error).message },
        'no database connection within the wait (DB_POOL_TIMEOUT)');
      return new EngineError('DB_POOL_TIMEOUT', catalogueMessage('DB_POOL_TIMEOUT'), 503, { cause: err, headers: { 'retry-after': '2' } });
    };
    super(pool, waited);
    this.pool = pool;
  }

  /**
   * A connection of our own until `release`. pg-pool drops its error listener while a client is
   * checked out, and a client whose server cuts it (a restart, pg_terminate_backend) emits 'error':
   * without a listener that is an uncaught exception that ends the process. The statement in
   * flight rejects with the same error; the pool drops the broken client when it comes back.
   */
  private async connect(): Promise<{ client: pg.PoolClient; release: () => void }> {
    const client = await this.pool.connect().catch((err: unknown) => Promise.reject(this.waited(err)));
    const onError = (): void => undefined;
    client.on('error', onError);
    return {
      client,
      release: () => {
        client.removeListener('error', onError);
        client.release();
      },
    };
  }

  get description(): string {
    return redactUrl(this.url);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inTransaction(work).catch((err: unknown) => Promise.reject(this.waited(err)));
  }

  private async inTransaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const { client, release } = await this.connect();
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
      release();
    }
  }

  /** Runs `work` on one connection holding a session advisory lock (migrations). */
  async withAdvisoryLock<T>(key: number, work: (client: Queryable & { script(sql: string): Promise<void> }) => Promise<T>): Promise<T> {
    const { client, release } = await this.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      const q = Object.assign(new PgQueryable(client), { script: async (sql: string) => { await client.query(sql); } });
      try {
        return await work(q);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
      }
    } finally {
      release();
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
