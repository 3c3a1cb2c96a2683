/**
 * Where job records live. The engine's is `DbJobStore` on its database (DATA_DIR/engine.db or
 * DATABASE_URL's, shared with the library); `MemoryJobStore` serves tests and embedding;
 * `SqliteJobStore` a standalone download manager. Every store passes test/jobs/store.conformance.ts.
 *
 * `update` is conditional: it writes only when the stored state is one of `expect`, so that a
 * terminal state written by one process is never overwritten by another (cancel on an API node
 * while a worker finishes).
 */
import type { Queryable } from '../db/database.js';
import type { JobRecord, JobState } from './types.js';
import { copyRecord } from './types.js';
import { isFinished } from './state.js';

export interface JobQuery {
  readonly kinds?: readonly string[];
  readonly states?: readonly JobState[];
  /** Only this owner's jobs (undefined: everyone's). */
  readonly owner?: string | null;
  /** Only these ids (an empty list: none). The SQL stores put them in one IN list: pass at most a few hundred. */
  readonly ids?: readonly string[];
  /**
   * Only jobs that finished (completed, failed or cancelled) before this ISO time, by
   * `finishedTimeOf` (the stores keep it in a column, so the query reads no other record).
   */
  readonly finishedBefore?: string;
  /**
   * Records of these ids may come with `checkpoint: null`: the caller has them already (the job
   * service: its live records), so a store need not read them (DbJobStore reads none of their
   * chunk rows nor parses them; issue #20, session 17). A store that ignores it returns them whole.
   */
  readonly withoutCheckpoint?: readonly string[];
  /** Newest first; default 50. */
  readonly limit?: number;
  readonly offset?: number;
}

/** `?, ?, ?` for n SQL parameters. */
export const sqlMarks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The WHERE clause (with `?` parameters) that selects a query's jobs, for the SQL stores. */
export function jobQueryWhere(query: JobQuery): { clause: string; params: string[] } {
  const where: string[] = [];
  const params: string[] = [];
  if (query.kinds && query.kinds.length > 0) {
    where.push(`kind IN (${sqlMarks(query.kinds.length)})`);
    params.push(...query.kinds);
  }
  if (query.states && query.states.length > 0) {
    where.push(`state IN (${sqlMarks(query.states.length)})`);
    params.push(...query.states);
  }
  if (query.owner === null) where.push('owner IS NULL');
  else if (query.owner !== undefined) {
    where.push('owner = ?');
    params.push(query.owner);
  }
  if (query.ids) {
    if (query.ids.length === 0) where.push('0 = 1');
    else {
      where.push(`id IN (${sqlMarks(query.ids.length)})`);
      params.push(...query.ids);
    }
  }
  if (query.finishedBefore !== undefined) {
    where.push('finished_at < ?');
    params.push(query.finishedBefore);
  }
  return { clause: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/**
 * What a list of jobs shows without their records: the columns the stores keep beside each record
 * (`listSummaries` reads nothing else: no record text, no chunk rows).
 */
export interface JobSummary {
  readonly id: string;
  readonly kind: string;
  readonly state: JobState;
  readonly owner: string | null;
  readonly createdAt: string;
  /** Every write of the record changes it (with `state`: what a cache of a finished job's answer is keyed by). */
  readonly updatedAt: string;
}

export function summaryOf(job: JobRecord): JobSummary {
  return { id: job.id, kind: job.kind, state: job.state, owner: job.owner, createdAt: job.createdAt, updatedAt: job.updatedAt };
}

export interface JobPage {
  readonly jobs: JobRecord[];
  /** Jobs matching the query, all pages. */
  readonly total: number;
}

/**
 * Other records written in the transaction that writes a job's record (a job's library records
 * with its `completed` state). Run again whenever that transaction is retried: idempotent.
 */
export type StoreWrites = (tx: Queryable) => Promise<void>;

/** A store without a database to share refuses `alsoWrite` with this error (never retried). */
export class StoreWritesUnsupportedError extends Error {
  constructor(store: string) {
    super(`${store} cannot write other records with a job's record: use DbJobStore on the engine's database`);
    this.name = 'StoreWritesUnsupportedError';
  }
}

export interface JobStore {
  /** Adds a new record (its id must be new). */
  insert(job: JobRecord): Promise<void>;
  /**
   * Replaces the record when its stored state is one of `expect` (any state when omitted);
   * returns false (and writes nothing) otherwise or when the record is gone. `alsoWrite` runs in
   * the same transaction after the record matched: all of it commits, or none (false, or its
   * error, rolls it all back). Only stores on a shared database take it (DbJobStore).
   */
  update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean>;
  get(id: string): Promise<JobRecord | undefined>;
  list(query?: JobQuery): Promise<JobPage>;
  /**
   * The summaries of the jobs `list(query)` gives, in the same order (newest first, ties by id),
   * without reading their records (`withoutCheckpoint` is ignored: nothing of a record is read).
   */
  listSummaries(query?: JobQuery): Promise<JobSummary[]>;
  /** Counts by state (for readiness). */
  countByState(): Promise<Record<JobState, number>>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

export function emptyCounts(): Record<JobState, number> {
  return { queued: 0, running: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 };
}

/**
 * When a job finished, as the stores index it (column `finished_at`): its `finishedAt`, or, for a
 * finished record without one (older records), its last write; null while it is not finished.
 */
export function finishedTimeOf(job: JobRecord): string | null {
  return job.finishedAt ?? (isFinished(job.state) ? job.updatedAt : null);
}

/** The same value for records kept before the column existed (SQL over the stored JSON; `json` is the dialect's extraction of `$.finishedAt`). */
export const finishedAtBackfill = (json: string): string =>
  `COALESCE(${json}, CASE WHEN state IN ('completed', 'failed', 'cancelled') THEN updated_at END)`;

export function matches(job: JobRecord, q: JobQuery): boolean {
  if (q.kinds && q.kinds.length > 0 && !q.kinds.includes(job.kind)) return false;
  if (q.states && q.states.length > 0 && !q.states.includes(job.state)) return false;
  if (q.owner !== undefined && job.owner !== q.owner) return false;
  if (q.ids && !q.ids.includes(job.id)) return false;
  if (q.finishedBefore !== undefined) {
    const finished = finishedTimeOf(job);
    if (finished === null || !(finished < q.finishedBefore)) return false;
  }
  return true;
}

/** Newest first, ties by id, so pages are stable. */
export function newestFirst(a: JobRecord, b: JobRecord): number {
  return b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
}

export class MemoryJobStore implements JobStore {
  private readonly records = new Map<string, JobRecord>();

  async insert(job: JobRecord): Promise<void> {
    if (this.records.has(job.id)) throw new Error(`job ${job.id} exists`);
    this.records.set(job.id, copyRecord(job));
  }

  async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
    if (alsoWrite) throw new StoreWritesUnsupportedError('MemoryJobStore');
    const stored = this.records.get(job.id);
    if (!stored || (expect && !expect.includes(stored.state))) return false;
    this.records.set(job.id, copyRecord(job));
    return true;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const job = this.records.get(id);
    return job ? copyRecord(job) : undefined;
  }

  async list(query: JobQuery = {}): Promise<JobPage> {
    const all = [...this.records.values()].filter((j) => matches(j, query)).sort(newestFirst);
    const offset = query.offset ?? 0;
    return { jobs: all.slice(offset, offset + (query.limit ?? 50)).map(copyRecord), total: all.length };
  }

  async listSummaries(query: JobQuery = {}): Promise<JobSummary[]> {
    const all = [...this.records.values()].filter((j) => matches(j, query)).sort(newestFirst);
    const offset = query.offset ?? 0;
    return all.slice(offset, offset + (query.limit ?? 50)).map(summaryOf);
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts = emptyCounts();
    for (const j of this.records.values()) counts[j.state]++;
    return counts;
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async close(): Promise<void> {}
}
