/**
 * The job store on the engine's shared database (src/db), beside the library: DATA_DIR/engine.db
 * (embedded), or with DATABASE_URL (PostgreSQL) the one database every engine and worker machine
 * shares, so no node needs a SQLite file on a shared volume. The engine opens that database once
 * for both (`ownsDatabase: false`), so `update(..., alsoWrite)` commits a job's state and its
 * library records in one transaction.
 *
 * Like `SqliteJobStore`, each record is kept as JSON text beside the columns queries filter and
 * sort on; `update` is conditional (`WHERE state IN (...)`), so a terminal state written by one node
 * sticks against another on any backend.
 *
 * A record whose checkpoint comes in parts (`withJsonParts`: a download's file list in chunks of 64
 * files) is kept in parts (issue #20, session 16): the record without the chunks in the job's row,
 * headed by a mark (`#parts <generation> <chunks> <offset>`, a line JSON never starts with), and
 * each chunk in a row of its own (`job_record_parts`). A write of such a record rewrites only the
 * chunks that changed since this store's last write of it, in one transaction with the row (and
 * with `alsoWrite`'s writes); every write gives the row a new generation, and the next one skips
 * unchanged chunks only when the row still has the generation this store wrote (else another
 * writer came between: every chunk is written again). Reads select the row with its chunks
 * joined (one statement, so one snapshot: `recordColumnsSql`) and put them back in, so every
 * loader gets the same record (`jobFromJson` reads it); a record written whole (older engines,
 * records without parts) is read as before.
 */
import { randomUUID } from 'node:crypto';
import type { Database, DatabaseKind, Queryable } from '../db/database.js';
import { migrate, type MigrationSet } from '../db/migrations.js'; // not db/index: it loads pg
import { emptyCounts, finishedAtBackfill, finishedTimeOf, jobQueryWhere, sqlMarks, type JobPage, type JobQuery, type JobStore, type JobSummary, type StoreWrites } from './store.js';
import { JOB_STATES, recordJson, recordJsonParts, spliceJsonChunks, type JobRecord, type JobState } from './types.js';

/** The `jobs` component's schema: table `job_records` (ids and times sort bytewise on PostgreSQL). */
export const JOB_MIGRATIONS: MigrationSet = {
  component: 'jobs',
  migrations: [
    {
      version: 1,
      name: 'job records',
      sqlite: `
CREATE TABLE job_records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX job_records_by_created ON job_records (created_at DESC, id DESC);
CREATE INDEX job_records_by_state ON job_records (state);
CREATE INDEX job_records_by_owner ON job_records (owner, created_at DESC);
`,
      postgres: `
CREATE TABLE job_records (
  id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  owner TEXT,
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX job_records_by_created ON job_records (created_at DESC, id DESC);
CREATE INDEX job_records_by_state ON job_records (state);
CREATE INDEX job_records_by_owner ON job_records (owner, created_at DESC);
`,
    },
    {
      // When a job finished, as a column, so retention asks for "finished before T" instead of
      // reading every finished record (filled from the records kept so far).
      version: 2,
      name: 'job records finished_at',
      sqlite: `
ALTER TABLE job_records ADD COLUMN finished_at TEXT;
UPDATE job_records SET finished_at = ${finishedAtBackfill("json_extract(record, '$.finishedAt')")};
CREATE INDEX job_records_by_finished ON job_records (finished_at);
`,
      postgres: `
ALTER TABLE job_records ADD COLUMN finished_at TEXT COLLATE "C";
UPDATE job_records SET finished_at = ${finishedAtBackfill("(record::jsonb ->> 'finishedAt')")};
CREATE INDEX job_records_by_finished ON job_records (finished_at);
`,
    },
  ],
};

/**
 * The chunks of records kept in parts (`job_record_parts`), a component of its own: `DbJobStore`
 * applies it before its first write in parts (so a database migrated with `JOB_MIGRATIONS` alone
 * gets it too); the engine applies it at start with the others (store-from-settings.ts).
 */
export const JOB_PART_MIGRATIONS: MigrationSet = {
  component: 'job record parts',
  migrations: [
    {
      version: 1,
      name: 'job record parts',
      sqlite: partsTableSql('job_record_parts', 'job_records', ''),
      postgres: partsTableSql('job_record_parts', 'job_records', ' COLLATE "C"'),
    },
  ],
};

/** The chunks' table: deleted with their job (`ON DELETE CASCADE`). */
export function partsTableSql(table: string, jobs: string, collate: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  job_id TEXT${collate} NOT NULL REFERENCES ${jobs} (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
`;
}

/** The first line of a record kept in parts: `#parts <generation> <chunks> <offset>\n`. */
const PARTS_MARK = '#parts ';

/**
 * What a statement selects to read records whole in one snapshot (`wholeRecordText`): `record`,
 * `chunks` (the record's chunk rows joined with commas, in order) and `chunk_rows` (how many).
 */
export function recordColumnsSql(kind: DatabaseKind, table = 'job_records', partsTable = 'job_record_parts', without = ''): string {
  const joined = kind === 'postgres' ? "string_agg(p.json, ',' ORDER BY p.seq)" : "group_concat(p.json, ',' ORDER BY p.seq)";
  return `${table}.record AS record, (SELECT ${joined} FROM ${partsTable} p WHERE p.job_id = ${table}.id${without}) AS chunks, ` +
    `(SELECT COUNT(*) FROM ${partsTable} p WHERE p.job_id = ${table}.id${without}) AS chunk_rows`;
}

export type RecordRow = {
  readonly record: string;
  readonly chunks: string | null;
  readonly chunk_rows: number | string | null;
};

/** A record's JSON text from a row `recordColumnsSql` selected: a record kept in parts gets its chunks back. */
export function wholeRecordText(row: RecordRow): string {
  const { record } = row;
  if (!record.startsWith(PARTS_MARK)) return record;
  const end = record.indexOf('\n');
  const [, chunks, at] = record.slice(PARTS_MARK.length, end).split(' ');
  if (Number(row.chunk_rows ?? 0) !== Number(chunks)) throw new Error(`a job record kept in ${chunks} parts has ${row.chunk_rows ?? 0}`);
  return spliceJsonChunks(record.slice(end + 1), Number(at), row.chunks === null ? [] : [row.chunks]);
}

export interface DbJobStoreOptions {
  /** Close the database with the store (default true: the store opened it for itself). */
  readonly ownsDatabase?: boolean;
  /** The records' table (default `job_records`; `SqliteJobStore`'s `jobs.sqlite` calls it `jobs`). */
  readonly table?: string;
  /**
   * The table of their chunks and how it is made (default `job_record_parts`, through
   * `JOB_PART_MIGRATIONS`; `SqliteJobStore` makes `jobs_parts` with its schema).
   */
  readonly parts?: { readonly table: string; readonly ready: () => Promise<void> };
}

/** What this store last wrote of a running record kept in parts: the row's generation and the chunks. */
interface WrittenParts {
  readonly generation: string;
  readonly chunks: readonly string[];
}

/** A JobStore on a migrated src/db database (run `JOB_MIGRATIONS` first, e.g. through openDatabase). */
export class DbJobStore implements JobStore {
  private closed = false;
  private readonly table: string;
  private readonly partsTable: string;
  private partsReady: Promise<void> | undefined;
  /** Per running job written in parts: what the row and its chunk rows hold if nobody else wrote since. */
  private readonly written = new Map<string, WrittenParts>();
  /** Generations: this store's prefix and a counter (unique per write; no two stores share one). */
  private readonly generationPrefix = randomUUID().slice(0, 8);
  private generations = 0;
  /** Chunk rows written and deleted (tests and the bench). */
  readonly partWrites = { upserted: 0, deleteStatements: 0 };

  /** What reads select: the record and its chunks, in one statement (one snapshot). */
  private readonly columns: string;

  constructor(readonly db: Database, private readonly options: DbJobStoreOptions = {}) {
    this.table = options.table ?? 'job_records';
    this.partsTable = options.parts?.table ?? 'job_record_parts';
    this.columns = recordColumnsSql(db.kind, this.table, this.partsTable);
  }

  get description(): string {
    return this.db.description;
  }

  /** The chunks' table exists (made once, on first need). */
  private ensureParts(): Promise<void> {
    this.partsReady ??= (this.options.parts?.ready ?? (async () => void (await migrate(this.db, [JOB_PART_MIGRATIONS]))))();
    this.partsReady.catch(() => {
      this.partsReady = undefined; // the next write tries again
    });
    return this.partsReady;
  }

  async insert(job: JobRecord): Promise<void> {
    // The chunks' table before the first record: whoever reads a record can read its chunks.
    await this.ensureParts();
    await this.db.run(`INSERT INTO ${this.table} (id, kind, state, owner, created_at, updated_at, record, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [job.id, job.kind, job.state, job.owner, job.createdAt, job.updatedAt, recordJson(job), finishedTimeOf(job)]);
  }

  async update(job: JobRecord, expect?: readonly JobState[], alsoWrite?: StoreWrites): Promise<boolean> {
    const states = expect ?? JOB_STATES;
    const parts = recordJsonParts(job);
    if (parts) return this.updateInParts(job, states, parts, alsoWrite);
    const sql = `UPDATE ${this.table} SET state = ?, owner = ?, updated_at = ?, record = ?, finished_at = ? WHERE id = ? AND state IN (${sqlMarks(states.length)})`;
    const params = [job.state, job.owner, job.updatedAt, recordJson(job), finishedTimeOf(job), job.id, ...states];
    // A record with a checkpoint may replace one kept in parts: its chunk rows go in the same
    // transaction (none otherwise: only checkpoints come in parts).
    this.written.delete(job.id);
    const mayHaveParts = job.checkpoint !== null;
    if (mayHaveParts) await this.ensureParts();
    if (!alsoWrite && !mayHaveParts) return (await this.db.run(sql, params)) === 1;
    // The record first: when it no longer matches (cancelled elsewhere) the other writes never run.
    return this.db.transaction(async (tx) => {
      if ((await tx.run(sql, params)) !== 1) return false;
      if (mayHaveParts) await this.deleteParts(tx, job.id, 0);
      if (alsoWrite) await alsoWrite(tx);
      return true;
    });
  }

  private async deleteParts(tx: Queryable, id: string, from: number): Promise<void> {
    this.partWrites.deleteStatements++;
    await tx.run(`DELETE FROM ${this.partsTable} WHERE job_id = ? AND seq >= ?`, [id, from]);
  }

  /** `update` of a record kept in parts: the row, the chunks that changed, `alsoWrite`, one transaction. */
  private async updateInParts(job: JobRecord, states: readonly JobState[], parts: NonNullable<ReturnType<typeof recordJsonParts>>,
    alsoWrite: StoreWrites | undefined): Promise<boolean> {
    await this.ensureParts();
    const generation = `${this.generationPrefix}${(this.generations++).toString(36)}`;
    const { chunks } = parts;
    const record = `${PARTS_MARK}${generation} ${chunks.length} ${parts.at}\n${parts.text}`;
    const set = `UPDATE ${this.table} SET state = ?, owner = ?, updated_at = ?, record = ?, finished_at = ? WHERE id = ? AND state IN (${sqlMarks(states.length)})`;
    const params = [job.state, job.owner, job.updatedAt, record, finishedTimeOf(job), job.id, ...states];
    try {
      return await this.db.transaction(async (tx) => {
        const before = this.written.get(job.id);
        this.written.delete(job.id); // until this one commits
        // Only chunks that changed when the row holds what this store wrote last (its generation).
        const since = before && (await tx.run(`${set} AND substr(record, 1, ?) = ?`,
          [...params, PARTS_MARK.length + before.generation.length + 1, `${PARTS_MARK}${before.generation} `])) === 1 ? before : undefined;
        if (!since && (await tx.run(set, params)) !== 1) return false;
        for (let i = 0; i < chunks.length; i++) {
          if (since && since.chunks[i] === chunks[i]) continue;
          this.partWrites.upserted++;
          await tx.run(`INSERT INTO ${this.partsTable} (job_id, seq, json) VALUES (?, ?, ?) ON CONFLICT (job_id, seq) DO UPDATE SET json = excluded.json`,
            [job.id, i, chunks[i]!]);
        }
        // A shorter list (or rows of another writer): no chunk past the last.
        if (!since || since.chunks.length > chunks.length) await this.deleteParts(tx, job.id, chunks.length);
        if (alsoWrite) await alsoWrite(tx);
        // Kept only while the job runs: a paused or finished job's next write (if any) writes every chunk.
        if (job.state === 'running') this.written.set(job.id, { generation, chunks });
        return true;
      });
    } catch (err) {
      this.written.delete(job.id);
      throw err;
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.ensureParts();
    const rows = await this.db.query<RecordRow>(`SELECT ${this.columns} FROM ${this.table} WHERE id = ?`, [id]);
    return this.parse(rows)[0];
  }

  async list(query: JobQuery = {}): Promise<JobPage> {
    const { clause, params } = jobQueryWhere(query);
    const count = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${this.table} ${clause}`, params);
    const limit = Math.max(0, Math.min(query.limit ?? 50, Number.MAX_SAFE_INTEGER));
    await this.ensureParts();
    const paging = [limit, Math.max(0, query.offset ?? 0)];
    const without = query.withoutCheckpoint ?? [];
    if (without.length === 0) {
      const rows = await this.db.query<RecordRow>(`SELECT ${this.columns} FROM ${this.table} ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, [...params, ...paging]);
      return { total: Number(count[0]?.n ?? 0), jobs: this.parse(rows) };
    }
    // The chunk rows of those records are not read; their rows' text without them is still JSON.
    const not = ` AND p.job_id NOT IN (${sqlMarks(without.length)})`;
    const rows = await this.db.query<RecordRow & { readonly id: string }>(
      `SELECT ${this.table}.id AS id, ${recordColumnsSql(this.db.kind, this.table, this.partsTable, not)} FROM ${this.table} ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
      [...without, ...without, ...params, ...paging]);
    const skip = new Set(without);
    return {
      total: Number(count[0]?.n ?? 0),
      jobs: rows.map((r) => {
        if (!skip.has(r.id)) return this.parse([r])[0]!;
        const text = r.record.startsWith(PARTS_MARK) ? r.record.slice(r.record.indexOf('\n') + 1) : r.record;
        return { ...(JSON.parse(text) as JobRecord), checkpoint: null };
      }),
    };
  }

  async listSummaries(query: JobQuery = {}): Promise<JobSummary[]> {
    const { clause, params } = jobQueryWhere(query);
    const limit = Math.max(0, Math.min(query.limit ?? 50, Number.MAX_SAFE_INTEGER));
    const rows = await this.db.query<{ id: string; kind: string; state: JobState; owner: string | null; created_at: string; updated_at: string }>(
      `SELECT id, kind, state, owner, created_at, updated_at FROM ${this.table} ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
      [...params, limit, Math.max(0, query.offset ?? 0)]);
    return rows.map((r) => ({ id: r.id, kind: r.kind, state: r.state, owner: r.owner, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  /** The records of `rows` (selected with `recordColumnsSql`), in order. */
  private parse(rows: readonly RecordRow[]): JobRecord[] {
    return rows.map((r) => JSON.parse(wholeRecordText(r)) as JobRecord);
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts = emptyCounts();
    for (const r of await this.db.query<{ state: JobState; n: number | string }>(`SELECT state, COUNT(*) AS n FROM ${this.table} GROUP BY state`)) {
      if (r.state in counts) counts[r.state] = Number(r.n);
    }
    return counts;
  }

  async delete(id: string): Promise<void> {
    this.written.delete(id);
    // Its chunk rows go with it (ON DELETE CASCADE).
    await this.db.run(`DELETE FROM ${this.table} WHERE id = ?`, [id]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsDatabase ?? true) await this.db.close();
  }
}
