/**
 * Embedded SQLite through better-sqlite3 (synchronous, in-process). WAL journal so readers never
 * wait for the writer; statements are cached. better-sqlite3 is synchronous, so an async
 * transaction holds a lock that every other statement waits for: nothing interleaves with it.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Queryable, Row, SqlValue } from './database.js';

type Statement = BetterSqlite3.Statement<unknown[], Row>;

function bind(params: readonly SqlValue[]): unknown[] {
  // SQLite has no boolean type: store 0/1 like the schema says.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteDatabase implements Database {
  readonly kind = 'sqlite' as const;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, Statement>();
  /** Resolves when the running transaction (if any) ends. */
  private lock: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // SQLite never gathers planner statistics by itself; without them a page of a large table can
    // sort every row instead of walking an index. SQLite's advice for long-lived connections:
    // optimize (limited, quick) when opening and again when closing.
    this.db.pragma('optimize = 0x10002');
  }

  get description(): string {
    return `sqlite:${this.file}`;
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql) as Statement;
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private queryNow<T extends Row>(sql: string, params: readonly SqlValue[]): T[] {
    const stmt = this.prepare(sql);
    if (stmt.reader) return stmt.all(...bind(params)) as T[];
    stmt.run(...bind(params));
    return [];
  }

  private runNow(sql: string, params: readonly SqlValue[]): number {
    const stmt = this.prepare(sql);
    if (stmt.reader) {
      stmt.all(...bind(params));
      return 0;
    }
    return stmt.run(...bind(params)).changes;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    await this.lock;
    return this.queryNow<T>(sql, params);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.lock;
    return this.runNow(sql, params);
  }

  /** Runs a script of several statements (migrations). */
  execScript(sql: string): void {
    this.db.exec(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    // Wait for any transaction before us, then hold the lock until ours ends.
    let release!: () => void;
    const previous = this.lock;
    const mine = new Promise<void>((r) => (release = r));
    this.lock = previous.then(() => mine);
    await previous;
    const tx: Queryable = {
      kind: 'sqlite',
      query: async <R extends Row = Row>(sql: string, params: readonly SqlValue[] = []) => this.queryNow<R>(sql, params),
      run: async (sql: string, params: readonly SqlValue[] = []) => this.runNow(sql, params),
    };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      release();
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    await this.lock;
    if (this.db.open) {
      this.db.pragma('optimize');
      this.db.close();
    }
  }
}
