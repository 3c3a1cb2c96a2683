/**
 * The library's records in the database: one implementation over the src/db interface, so
 * SQLite and PostgreSQL run the same SQL (portable types, `?` placeholders, row values and
 * ON CONFLICT, which both have). Visibility rules are applied here, in SQL, for every read.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable, Row, SqlValue } from '../db/index.js';
import { CALIBRATION_LEVELS, type CalibrationLevel, type DataType, type FileFacts, type LibraryRecord, type RecordSource, type SkyPoint, type Viewer, type Visibility } from './record.js';

/** What a new or refreshed file brings to its record. */
export interface FileRecordInput extends FileFacts {
  readonly path: string;
  readonly sizeBytes: number;
  readonly fileMtimeMs: number;
  readonly sha256?: string | null;
  readonly source: RecordSource;
  readonly jobId?: string | null;
  readonly inputIds?: readonly string[];
  readonly owner?: string | null;
  readonly visibility?: Visibility;
  readonly description?: string | null;
}

export interface RecordQuery {
  readonly viewer: Viewer;
  /** Only the viewer's own records (a user's "my data"). */
  readonly mine?: boolean;
  readonly levels?: readonly CalibrationLevel[];
  readonly instrument?: string;
  readonly filter?: string;
  /** Case-insensitive prefix of the target name. */
  readonly target?: string;
  readonly observationId?: string;
  readonly dataType?: DataType;
  readonly visibility?: Visibility;
  readonly jobId?: string;
  readonly includeArchived?: boolean;
  readonly includeMissing?: boolean;
  /** 1..1000 */
  readonly limit: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
  /** Also count every matching record (one more query). */
  readonly withTotal?: boolean;
}

export interface RecordPage {
  readonly records: LibraryRecord[];
  readonly nextCursor: string | null;
  readonly total: number | null;
}

export interface ScanEntry {
  readonly dataId: string;
  readonly sizeBytes: number;
  readonly fileMtimeMs: number;
  readonly missing: boolean;
}

export interface Availability {
  readonly available: boolean;
  readonly dataIds: string[];
  readonly filter: string | null;
  readonly levels: CalibrationLevel[];
  readonly paths: string[];
}

export interface RecordPatch {
  readonly visibility?: Visibility;
  readonly archived?: boolean;
  readonly owner?: string | null;
  readonly description?: string | null;
}

/** The repository every backend offers. */
export interface RecordRepository {
  upsertFile(input: FileRecordInput, q?: Queryable): Promise<LibraryRecord>;
  get(dataId: string, q?: Queryable): Promise<LibraryRecord | undefined>;
  getByPath(path: string, q?: Queryable): Promise<LibraryRecord | undefined>;
  /** The records of these paths (those that have one), by path. */
  getByPaths(paths: readonly string[]): Promise<Map<string, LibraryRecord>>;
  list(query: RecordQuery): Promise<RecordPage>;
  update(dataId: string, patch: RecordPatch): Promise<LibraryRecord | undefined>;
  remove(dataId: string): Promise<boolean>;
  /** Every record's path with what a scan compares (size, mtime). */
  scanIndex(): Promise<Map<string, ScanEntry>>;
  setMissing(dataIds: readonly string[], missing: boolean): Promise<number>;
  /** Brings the query planner's statistics up to date, after many records changed at once. */
  refreshStatistics(): Promise<void>;
  setThumbnail(dataId: string, mediaType: string, bytes: Uint8Array): Promise<void>;
  getThumbnail(dataId: string): Promise<{ mediaType: string; bytes: Uint8Array } | undefined>;
  /** Non-archived, present L2a/L2b/L3 records per observation, as the viewer may see them. */
  availability(observationIds: readonly string[], viewer: Viewer): Promise<Map<string, Availability>>;
  /** Records that list `dataId` among their inputs. */
  derivedFrom(dataId: string, viewer: Viewer): Promise<LibraryRecord[]>;
  count(): Promise<number>;
}

const COLUMNS = `data_id, path, file_name, data_type, observation_id, calibration_level, instrument, filter, target, ra, dec, footprint,
  size_bytes, sha256, file_mtime_ms, created_at, updated_at, source, job_id, input_ids, owner, visibility, archived, missing, has_thumbnail, description, metadata`;

function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRecord(r: Row): LibraryRecord {
  return {
    dataId: String(r.data_id),
    path: String(r.path),
    fileName: String(r.file_name),
    dataType: String(r.data_type) as DataType,
    observationId: str(r.observation_id),
    calibrationLevel: (str(r.calibration_level) as CalibrationLevel | null),
    instrument: str(r.instrument),
    filter: str(r.filter),
    target: str(r.target),
    ra: numOrNull(r.ra),
    dec: numOrNull(r.dec),
    footprint: parseJson<SkyPoint[] | null>(r.footprint, null),
    sizeBytes: Number(r.size_bytes),
    sha256: str(r.sha256),
    fileMtimeMs: Number(r.file_mtime_ms),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    source: String(r.source) as RecordSource,
    jobId: str(r.job_id),
    inputIds: parseJson<string[]>(r.input_ids, []),
    owner: str(r.owner),
    visibility: String(r.visibility) as Visibility,
    archived: Number(r.archived) === 1,
    missing: Number(r.missing) === 1,
    hasThumbnail: Number(r.has_thumbnail) === 1,
    description: str(r.description),
    metadata: parseJson<Record<string, string | number | boolean | null>>(r.metadata, {}),
  };
}

/** Instruments and filters are compared in upper case, as the headers write them. */
export function normaliseKey(v: string | null | undefined): string | null {
  const t = v?.trim();
  return t ? t.toUpperCase() : null;
}

function encodeCursor(createdAt: string, dataId: string): string {
  return Buffer.from(JSON.stringify([createdAt, dataId])).toString('base64url');
}

export class InvalidCursorError extends Error {}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new InvalidCursorError('invalid cursor');
}

/** The visibility clause for a viewer (SQL and its parameters). */
function visibleTo(viewer: Viewer): { sql: string; params: SqlValue[] } {
  if (viewer.kind === 'everyone') return { sql: '1 = 1', params: [] };
  if (viewer.kind === 'anonymous') return { sql: "visibility = 'public'", params: [] };
  if (viewer.admin) return { sql: '1 = 1', params: [] };
  return { sql: "(visibility = 'public' OR owner = ?)", params: [viewer.userId] };
}

export class SqlRecordRepository implements RecordRepository {
  constructor(private readonly db: Queryable) {}

  async upsertFile(input: FileRecordInput, q: Queryable = this.db): Promise<LibraryRecord> {
    const now = new Date().toISOString();
    const params: SqlValue[] = [
      randomUUID(), input.path, input.path.split('/').pop() ?? input.path, input.dataType, input.observationId,
      input.calibrationLevel, normaliseKey(input.instrument), normaliseKey(input.filter), input.target, input.target?.trim().toLowerCase() ?? null,
      input.ra, input.dec, input.footprint ? JSON.stringify(input.footprint) : null,
      input.sizeBytes, input.sha256 ?? null, Math.round(input.fileMtimeMs), now, now, input.source, input.jobId ?? null,
      JSON.stringify(input.inputIds ?? []), input.owner ?? null, input.visibility ?? 'private', input.description ?? null, JSON.stringify(input.metadata),
    ];
    // A known path keeps its id, creation time, owner and visibility (an unowned record takes its
    // first owner's); the file's facts are refreshed.
    // A changed file without a new checksum loses its old one (it no longer describes the bytes).
    const rows = await q.query(`INSERT INTO library_records (data_id, path, file_name, data_type, observation_id, calibration_level, instrument, filter, target, target_key,
        ra, dec, footprint, size_bytes, sha256, file_mtime_ms, created_at, updated_at, source, job_id, input_ids, owner, visibility, description, metadata)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (path) DO UPDATE SET
        data_type = excluded.data_type, observation_id = excluded.observation_id, calibration_level = excluded.calibration_level,
        instrument = excluded.instrument, filter = excluded.filter, target = excluded.target, target_key = excluded.target_key,
        ra = excluded.ra, dec = excluded.dec, footprint = excluded.footprint,
        sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN excluded.sha256
                      WHEN library_records.size_bytes = excluded.size_bytes AND library_records.file_mtime_ms = excluded.file_mtime_ms THEN library_records.sha256
                      ELSE NULL END,
        size_bytes = excluded.size_bytes, file_mtime_ms = excluded.file_mtime_ms, updated_at = excluded.updated_at,
        job_id = COALESCE(excluded.job_id, library_records.job_id),
        input_ids = CASE WHEN excluded.input_ids = '[]' THEN library_records.input_ids ELSE excluded.input_ids END,
        visibility = CASE WHEN library_records.owner IS NULL AND excluded.owner IS NOT NULL THEN excluded.visibility ELSE library_records.visibility END,
        owner = COALESCE(library_records.owner, excluded.owner),
        description = COALESCE(excluded.description, library_records.description),
        metadata = excluded.metadata, missing = 0
      RETURNING ${COLUMNS}`, params);
    return toRecord(rows[0]!);
  }

  async get(dataId: string, q: Queryable = this.db): Promise<LibraryRecord | undefined> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM library_records WHERE data_id = ?`, [dataId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async getByPath(path: string, q: Queryable = this.db): Promise<LibraryRecord | undefined> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM library_records WHERE path = ?`, [path]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async getByPaths(paths: readonly string[]): Promise<Map<string, LibraryRecord>> {
    const out = new Map<string, LibraryRecord>();
    for (let i = 0; i < paths.length; i += 500) {
      const batch = paths.slice(i, i + 500);
      const rows = await this.db.query(`SELECT ${COLUMNS} FROM library_records WHERE path IN (${batch.map(() => '?').join(', ')})`, batch);
      for (const r of rows) out.set(String(r.path), toRecord(r));
    }
    return out;
  }

  private where(query: RecordQuery): { sql: string; params: SqlValue[] } {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    const vis = visibleTo(query.viewer);
    clauses.push(vis.sql);
    params.push(...vis.params);
    if (query.mine) {
      if (query.viewer.kind === 'user') {
        clauses.push('owner = ?');
        params.push(query.viewer.userId);
      } else if (query.viewer.kind === 'anonymous') {
        clauses.push('1 = 0');
      }
    }
    const levels = (query.levels ?? []).filter((l) => (CALIBRATION_LEVELS as readonly string[]).includes(l));
    if (levels.length === 1) {
      clauses.push('calibration_level = ?');
      params.push(levels[0]!);
    } else if (levels.length > 1) {
      clauses.push(`calibration_level IN (${levels.map(() => '?').join(', ')})`);
      params.push(...levels);
    }
    const eq = (column: string, value: string | null | undefined) => {
      if (value === undefined || value === null) return;
      clauses.push(`${column} = ?`);
      params.push(value);
    };
    eq('instrument', normaliseKey(query.instrument));
    eq('filter', normaliseKey(query.filter));
    eq('observation_id', query.observationId);
    eq('data_type', query.dataType);
    eq('visibility', query.visibility);
    eq('job_id', query.jobId);
    const target = query.target?.trim().toLowerCase();
    if (target) {
      // A range on the lower-cased key: a prefix match both backends answer from the index.
      clauses.push('target_key >= ? AND target_key < ?');
      params.push(target, `${target}\uffff`);
    }
    if (!query.includeArchived) clauses.push('archived = 0');
    if (!query.includeMissing) clauses.push('missing = 0');
    return { sql: clauses.join(' AND '), params };
  }

  async list(query: RecordQuery): Promise<RecordPage> {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit)));
    const { sql, params } = this.where(query);
    let pageSql = sql;
    const pageParams = [...params];
    if (query.cursor) {
      const [createdAt, dataId] = decodeCursor(query.cursor);
      pageSql += ' AND (created_at < ? OR (created_at = ? AND data_id < ?))';
      pageParams.push(createdAt, createdAt, dataId);
    }
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM library_records WHERE ${pageSql} ORDER BY created_at DESC, data_id DESC LIMIT ?`, [...pageParams, limit + 1]);
    const records = rows.slice(0, limit).map(toRecord);
    const last = records[records.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor(last.createdAt, last.dataId) : null;
    let total: number | null = null;
    if (query.withTotal) {
      const c = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM library_records WHERE ${sql}`, params);
      total = Number(c[0]?.n ?? 0);
    }
    return { records, nextCursor, total };
  }

  async update(dataId: string, patch: RecordPatch): Promise<LibraryRecord | undefined> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    if (patch.visibility !== undefined) { sets.push('visibility = ?'); params.push(patch.visibility); }
    if (patch.archived !== undefined) { sets.push('archived = ?'); params.push(patch.archived ? 1 : 0); }
    if (patch.owner !== undefined) { sets.push('owner = ?'); params.push(patch.owner); }
    if (patch.description !== undefined) { sets.push('description = ?'); params.push(patch.description); }
    if (sets.length === 0) return this.get(dataId);
    sets.push('updated_at = ?');
    params.push(new Date().toISOString(), dataId);
    const rows = await this.db.query(`UPDATE library_records SET ${sets.join(', ')} WHERE data_id = ? RETURNING ${COLUMNS}`, params);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async remove(dataId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM library_records WHERE data_id = ?', [dataId])) > 0;
  }

  async scanIndex(): Promise<Map<string, ScanEntry>> {
    const rows = await this.db.query('SELECT path, data_id, size_bytes, file_mtime_ms, missing FROM library_records');
    const out = new Map<string, ScanEntry>();
    for (const r of rows) {
      out.set(String(r.path), { dataId: String(r.data_id), sizeBytes: Number(r.size_bytes), fileMtimeMs: Number(r.file_mtime_ms), missing: Number(r.missing) === 1 });
    }
    return out;
  }

  /**
   * Without statistics (a fresh table, or one that grew by a large scan) both databases answer a
   * user's page (public OR own, newest first) by collecting and sorting every visible record:
   * seconds at 1,000,000 records. With them they walk the date index and stop after one page
   * (< 1 ms). SQLite has no automatic ANALYZE; PostgreSQL's autovacuum comes later. Same SQL on both.
   */
  async refreshStatistics(): Promise<void> {
    await this.db.run('ANALYZE library_records');
  }

  async setMissing(dataIds: readonly string[], missing: boolean): Promise<number> {
    let changed = 0;
    for (let i = 0; i < dataIds.length; i += 500) {
      const batch = dataIds.slice(i, i + 500);
      changed += await this.db.run(`UPDATE library_records SET missing = ?, updated_at = ? WHERE data_id IN (${batch.map(() => '?').join(', ')})`,
        [missing ? 1 : 0, new Date().toISOString(), ...batch]);
    }
    return changed;
  }

  async setThumbnail(dataId: string, mediaType: string, bytes: Uint8Array): Promise<void> {
    await this.db.run(`INSERT INTO library_thumbnails (data_id, media_type, bytes) VALUES (?, ?, ?)
      ON CONFLICT (data_id) DO UPDATE SET media_type = excluded.media_type, bytes = excluded.bytes`, [dataId, mediaType, bytes]);
    await this.db.run('UPDATE library_records SET has_thumbnail = 1 WHERE data_id = ?', [dataId]);
  }

  async getThumbnail(dataId: string): Promise<{ mediaType: string; bytes: Uint8Array } | undefined> {
    const rows = await this.db.query<{ media_type: string; bytes: Uint8Array }>('SELECT media_type, bytes FROM library_thumbnails WHERE data_id = ?', [dataId]);
    return rows[0] ? { mediaType: rows[0].media_type, bytes: rows[0].bytes } : undefined;
  }

  async availability(observationIds: readonly string[], viewer: Viewer): Promise<Map<string, Availability>> {
    const out = new Map<string, Availability>();
    if (observationIds.length === 0) return out;
    const vis = visibleTo(viewer);
    const rows = await this.db.query(
      `SELECT data_id, observation_id, filter, calibration_level, path FROM library_records
       WHERE observation_id IN (${observationIds.map(() => '?').join(', ')}) AND archived = 0 AND missing = 0
         AND calibration_level IN ('L2a', 'L2b', 'L3') AND ${vis.sql}
       ORDER BY created_at, data_id`, [...observationIds, ...vis.params]);
    for (const r of rows) {
      const obs = String(r.observation_id);
      const a = out.get(obs) ?? { available: true, dataIds: [], filter: null, levels: [], paths: [] };
      a.dataIds.push(String(r.data_id));
      a.paths.push(String(r.path));
      const level = String(r.calibration_level) as CalibrationLevel;
      if (!a.levels.includes(level)) a.levels.push(level);
      out.set(obs, { ...a, filter: a.filter ?? str(r.filter) });
    }
    return out;
  }

  async derivedFrom(dataId: string, viewer: Viewer): Promise<LibraryRecord[]> {
    const vis = visibleTo(viewer);
    // input_ids is a JSON array of ids; ids never contain quotes, so a quoted substring is exact.
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM library_records WHERE input_ids LIKE ? AND ${vis.sql} ORDER BY created_at LIMIT 200`,
      [`%"${dataId.replace(/[%_"\\]/g, '')}"%`, ...vis.params]);
    return rows.map(toRecord);
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM library_records');
    return Number(rows[0]?.n ?? 0);
  }
}
