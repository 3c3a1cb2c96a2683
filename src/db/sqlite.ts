/**
 * Embedded SQLite through better-sqlite3 (synchronous, in-process). WAL journal so readers never
 * wait for the writer; statements are cached. better-sqlite3 is synchronous, so an async
 * transaction holds a lock that every other statement waits for: nothing interleaves with it.
 *
 * Other processes (an API node and workers on one DATA_DIR) write the same file: a write that
 * finds their write lock taken waits for it, first briefly inside SQLite (which blocks this
 * process), then by trying again between turns of the event loop, for up to `busyWaitMs` in all;
 * after that it fails with DB_BUSY (503, Retry-After), never with a raw SQLITE_BUSY (a 500).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { EngineError } from '../errors.js';
import { catalogueMessage } from '../error-catalogue.js';
import type { Database, Queryable, Row, SqlValue } from './database.js';
import { isMemoryDatabase, WalCheckpointer, type CheckpointerOptions, type CheckpointResult } from './sqlite-checkpointer.js';

/** SQLite's own wait for a lock, per attempt: it blocks the event loop, so it stays short. */
const SYNC_BUSY_TIMEOUT_MS = 100;
/** Default longest wait for another process's write lock before DB_BUSY. */
export const DEFAULT_BUSY_WAIT_MS = 30_000;

export interface SqliteDatabaseOptions {
  /** Longest a statement or transaction waits for another process's lock (default 30 s). */
  readonly busyWaitMs?: number;
  /**
   * WAL checkpoints on a thread of their own (sqlite-checkpointer.ts; default on for a file,
   * never for an in-memory database); false keeps SQLite's auto-checkpoint inside commits.
   */
  readonly checkpointThread?: boolean | CheckpointerOptions;
  /**
   * When the checkpoint thread starts: once about `bytes` were committed, or `ms` after opening,
   * whichever comes first (default CHECKPOINT_THREAD_START; `ms` Infinity: on `bytes` only). Until then commits checkpoint as SQLite
   * does by default (past 1000 pages of WAL), as they did while the thread booted.
   */
  readonly checkpointThreadStart?: { readonly bytes: number; readonly ms: number };
}

/**
 * A short-lived process (a one-shot CLI download commits a few KB in well under a second) never
 * starts the thread, whose boot is ~0.1 CPU s (a Node thread, better-sqlite3 loaded again); a
 * process that writes (1 MiB, a quarter of the WAL SQLite would checkpoint at) or lives on gets it
 * (issue #20, session 17).
 */
export const CHECKPOINT_THREAD_START = { bytes: 1024 * 1024, ms: 1_000 } as const;

/**
 * A one-shot download (the CLI's, one job then exit) lives as long as its transfer, so the 1 s
 * timer above started the thread amid it: its boot (~0.1 CPU s, `new Worker` ~5 ms on the event
 * loop) during the first seconds of data. Such a process commits a few KB a second (the job's
 * state), so the thread starts only once it has committed 1 MiB, still well before SQLite's own
 * checkpoint inside a commit (1000 pages of WAL) would (issue #20, session 19).
 */
export const ONE_SHOT_CHECKPOINT_THREAD_START = { bytes: CHECKPOINT_THREAD_START.bytes, ms: Number.POSITIVE_INFINITY } as const;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, ...): another connection holds the lock. */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** The catalogued answer to a database that stayed locked: 503, try again in a moment. */
function busyError(cause: unknown): EngineError {
  return new EngineError('DB_BUSY', catalogueMessage('DB_BUSY'), 503, { cause, headers: { 'retry-after': '2' } });
}

type Statement = BetterSqlite3.Statement<unknown[], Row>;

/** About the bytes a write puts in the WAL: its text and byte values (the pages it rewrites). */
function sizeOf(params: readonly SqlValue[]): number {
  let n = 64;
  for (const p of params) n += typeof p === 'string' ? p.length : p instanceof Uint8Array ? p.byteLength : 8;
  return n;
}

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

  private readonly busyWaitMs: number;
  private checkpointer: WalCheckpointer | undefined;
  /** Starts the checkpoint thread (once); undefined once started, or when there is none to start. */
  private startCheckpointer: (() => void) | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  /** About the bytes committed before the thread started. */
  private writtenBeforeThread = 0;
  private readonly startAfterBytes: number;

  constructor(readonly file: string, options: SqliteDatabaseOptions = {}) {
    this.busyWaitMs = options.busyWaitMs ?? DEFAULT_BUSY_WAIT_MS;
    this.db = new BetterSqlite3(file);
    // Opening waits inside SQLite as before (once per process, before it serves anything).
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // SQLite never gathers planner statistics by itself; without them a page of a large table can
    // sort every row instead of walking an index. SQLite's advice for long-lived connections:
    // optimize (limited, quick) when opening and again when closing.
    this.db.pragma('optimize = 0x10002');
    this.db.pragma(`busy_timeout = ${Math.min(SYNC_BUSY_TIMEOUT_MS, this.busyWaitMs)}`);
    const start = options.checkpointThreadStart ?? CHECKPOINT_THREAD_START;
    this.startAfterBytes = start.bytes;
    const thread = options.checkpointThread ?? true;
    if (thread !== false && !isMemoryDatabase(file)) {
      // Until the thread runs (and if it cannot), commits checkpoint as SQLite does by default.
      const autocheckpoint = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
      const set = (pages: number) => {
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${pages}`);
      };
      this.startCheckpointer = () => {
        this.startCheckpointer = undefined;
        clearTimeout(this.startTimer);
        this.checkpointer = new WalCheckpointer(file, { onReady: () => set(0), onLost: () => set(autocheckpoint) }, thread === true ? {} : thread);
        this.checkpointer.written = this.writtenBeforeThread;
      };
      if (start.ms <= 0) this.startCheckpointer();
      // (setTimeout would take Infinity for 1 ms)
      else if (Number.isFinite(start.ms)) {
        this.startTimer = setTimeout(() => this.startCheckpointer?.(), start.ms);
        this.startTimer.unref();
      }
    }
  }

  /** The checkpoint thread: `off` for an in-memory database or when not asked for; `starting` until it runs (or before it is started). */
  get checkpointState(): 'off' | WalCheckpointer['state'] {
    if (this.startCheckpointer) return 'starting';
    return this.checkpointer?.state ?? 'off';
  }

  /** Starts the checkpoint thread now if it has not started; resolves once it runs or could not start (tests, benches). */
  async checkpointThreadStarted(): Promise<void> {
    this.startCheckpointer?.();
    while (this.checkpointState === 'starting') await sleep(5);
  }

  /** A WAL checkpoint now on the checkpoint thread; undefined when it does not run. */
  checkpointNow(mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): Promise<CheckpointResult | undefined> {
    return this.checkpointer?.checkpoint(mode) ?? Promise.resolve(undefined);
  }

  /** Counts what a write put in the WAL, for the thread's nudges (or its start). */
  private wrote(params: readonly SqlValue[]): void {
    if (this.checkpointer) this.checkpointer.written += sizeOf(params);
    else if (this.startCheckpointer) this.writtenBeforeThread += sizeOf(params);
  }

  /**
   * Runs `attempt` (synchronous) again while another process holds the lock, pausing between
   * tries, until `busyWaitMs` has passed: then DB_BUSY. `ready` is awaited before each try.
   */
  private async whileBusy<T>(attempt: () => T, ready: () => Promise<void> = async () => undefined): Promise<T> {
    const started = Date.now();
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      await ready();
      try {
        return attempt();
      } catch (err) {
        if (!isSqliteBusy(err)) throw err;
        const waited = Date.now() - started;
        if (waited >= this.busyWaitMs) throw busyError(err);
        await sleep(Math.min(pause, this.busyWaitMs - waited));
      }
    }
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
    this.wrote(params);
    return [];
  }

  private runNow(sql: string, params: readonly SqlValue[]): number {
    const stmt = this.prepare(sql);
    if (stmt.reader) {
      stmt.all(...bind(params));
      return 0;
    }
    const changes = stmt.run(...bind(params)).changes;
    this.wrote(params);
    return changes;
  }

  /** After a commit: a checkpoint on the thread once about `nudgeBytes` were written (done before the next commit, as a rule). */
  private committed(): void {
    if (this.startCheckpointer && this.writtenBeforeThread >= this.startAfterBytes) this.startCheckpointer();
    this.checkpointer?.committed();
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    // Each try waits for our own transaction first: a statement must never run inside one.
    const rows = await this.whileBusy(() => this.queryNow<T>(sql, params), () => this.lock);
    this.committed();
    return rows;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const changes = await this.whileBusy(() => this.runNow(sql, params), () => this.lock);
    this.committed();
    return changes;
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
      // The write lock; our own is held meanwhile, so only other processes can hold it.
      await this.whileBusy(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await work(tx);
        this.db.exec('COMMIT');
        this.committed();
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw isSqliteBusy(err) ? busyError(err) : err;
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
    this.startCheckpointer = undefined;
    clearTimeout(this.startTimer);
    // The thread's connection first: the main one, closed last, checkpoints what is left and removes the WAL.
    await this.checkpointer?.stop();
    if (this.db.open) {
      this.db.pragma('optimize');
      this.db.close();
    }
  }
}
