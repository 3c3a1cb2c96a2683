/**
 * The library: records for every FITS/ECSV file under DATA_DIR. Downloads and job outputs prepare
 * a completed file's record (`prepareCompletedFile`) and commit it in the transaction that marks the
 * file or job complete (`commitCompletedFile`; `registerCompletedFile` does both at once); `scan` finds files placed by hand and notices
 * deleted ones (headers only, never pixel data). `resolve` turns a data_id into its sandboxed path
 * for the viewer and analysis routes. No HTTP in here.
 */
import { createHash } from 'node:crypto';
import { opendir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Database, Queryable } from '../db/index.js';
import { NotFoundError } from '../errors.js';
import { readFileFacts, isLibraryFile, type FactsLimits } from './facts.js';
import { locationStream } from '../storage/locations.js';
import type { StorageProvider } from '../storage/provider.js';
import { SqlRecordRepository, type FileRecordInput, type RecordRepository } from './repository.js';
import { EVERYONE, canSee, type LibraryRecord, type RecordSource, type Viewer, type Visibility } from './record.js';

/** Records a scan writes in one transaction. */
const SCAN_BATCH = 256;

/** A scan that changed this many records refreshes the planner's statistics. */
const STATISTICS_REFRESH_CHANGES = 1000;

export interface Thumbnail {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

export interface LibraryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface LibraryServiceOptions {
  readonly db: Database;
  readonly dataDir: string;
  /**
   * The object store (STORAGE_PROVIDER=s3): a record's path is the key of an object there first,
   * then a file under DATA_DIR; scans list both.
   */
  readonly objects?: StorageProvider;
  /** Renders a stored thumbnail for a completed file (pixel work; the engine runs it in the pool). A local path or s3:// location. */
  readonly thumbnailer?: (absPath: string) => Promise<Thumbnail>;
  /** Visibility of records nobody owns (scanned or single-user files): default 'public'. */
  readonly defaultVisibility?: Visibility;
  readonly logger?: LibraryLogger;
  /** Bounds of the header read of a compressed file (MAX_DECOMPRESSION_RATIO): a bomb is not inflated to index it. */
  readonly readLimits?: FactsLimits;
}

export interface CompletedFile {
  /** Absolute, or relative to DATA_DIR. */
  readonly path: string;
  readonly source: RecordSource;
  /** Already known (downloads verify it); computed when absent. */
  readonly sha256?: string | null;
  readonly jobId?: string | null;
  readonly inputIds?: readonly string[];
  readonly owner?: string | null;
  readonly visibility?: Visibility;
  readonly description?: string | null;
  /** Wait for the stored thumbnail (default: rendered in the background). */
  readonly awaitThumbnail?: boolean;
}

/** A completed file's record, ready to write (`LibraryService.prepareCompletedFile`). */
export interface PreparedFile {
  readonly input: FileRecordInput;
  /** Where the file is read from (local path or s3:// location), for its thumbnail. */
  readonly location: string;
  readonly awaitThumbnail: boolean;
}

export interface ScanReport {
  readonly files: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly missing: number;
  readonly restored: number;
  readonly durationMs: number;
}

/** Record ids are UUIDs: anything else is a path. */
export const DATA_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SHA-256 of a local file or an object (`s3://`), streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await locationStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(runners);
}

export class LibraryService {
  readonly repo: RecordRepository;
  readonly db: Database;
  readonly dataDir: string;
  private readonly options: LibraryServiceOptions;
  private scanning: Promise<ScanReport> | undefined;
  private readonly background = new Set<Promise<void>>();

  constructor(options: LibraryServiceOptions) {
    this.options = options;
    this.db = options.db;
    this.dataDir = options.dataDir;
    this.repo = new SqlRecordRepository(options.db);
  }

  /**
   * Where the file of a DATA_DIR-relative path is: the object of that key when there is one, else
   * the local file; undefined when neither exists.
   */
  async locate(rel: string): Promise<{ location: string; size: number; mtimeMs: number } | undefined> {
    const objects = this.options.objects;
    if (objects) {
      const info = await objects.stat(rel).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'STORAGE_BAD_KEY') return undefined;
        throw err;
      });
      if (info) return { location: objects.location(rel), size: info.size, mtimeMs: info.modifiedAt.getTime() };
    }
    const abs = join(this.dataDir, rel);
    const st = await stat(abs).catch(() => undefined);
    return st?.isFile() ? { location: abs, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  }

  /** DATA_DIR-relative with '/' separators, or undefined when `path` is outside DATA_DIR. */
  relativePath(path: string): string | undefined {
    const abs = isAbsolute(path) ? path : join(this.dataDir, path);
    const rel = relative(this.dataDir, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return rel.split(sep).join('/');
  }

  /**
   * The record of a file that just completed (download, job output, import): facts from its
   * headers, size, checksum, lineage and owner, then its thumbnail. Returns the record.
   */
  async registerCompletedFile(file: CompletedFile): Promise<LibraryRecord> {
    const prepared = await this.prepareCompletedFile(file);
    const record = await this.commitCompletedFile(prepared);
    await this.afterCommit(prepared, record);
    return (await this.repo.get(record.dataId)) ?? record;
  }

  /**
   * The file work of a completed file's record, outside any transaction: its location, header
   * facts and SHA-256 (read from the file unless known). `commitCompletedFile` writes the record
   * later, e.g. in the transaction that marks its job or download complete.
   */
  async prepareCompletedFile(file: CompletedFile): Promise<PreparedFile> {
    const rel = this.relativePath(file.path);
    if (rel === undefined) throw new NotFoundError('File is outside the data directory');
    const info = await this.locate(rel);
    if (!info) throw new NotFoundError(`File not found: ${rel.split('/').pop() ?? rel}`);
    // A file registered already, unchanged since (a download's file, then its job's outputs), keeps its checksum.
    const known = file.sha256 ? undefined : await this.repo.getByPath(rel);
    const knownSha = known?.sha256 && known.sizeBytes === info.size && known.fileMtimeMs === Math.round(info.mtimeMs) ? known.sha256 : undefined;
    const [facts, sha256] = await Promise.all([readFileFacts(info.location, rel, this.options.readLimits), file.sha256 ?? knownSha ?? sha256File(info.location)]);
    const input: FileRecordInput = {
      ...facts,
      path: rel,
      sizeBytes: info.size,
      fileMtimeMs: info.mtimeMs,
      sha256,
      source: file.source,
      jobId: file.jobId ?? null,
      inputIds: file.inputIds ?? [],
      owner: file.owner ?? null,
      visibility: file.visibility ?? (file.owner ? 'private' : this.options.defaultVisibility ?? 'public'),
      description: file.description ?? null,
    };
    return { input, location: info.location, awaitThumbnail: file.awaitThumbnail === true };
  }

  /**
   * Writes a prepared record: on the library's database, or in `tx`, a transaction of the same
   * database that other writes share (idempotent: run again after a rollback, it writes the same).
   */
  commitCompletedFile(prepared: PreparedFile, tx?: Queryable): Promise<LibraryRecord> {
    return this.repo.upsertFile(prepared.input, tx);
  }

  /** After the record is committed: its thumbnail (pixel work), in the background unless asked to wait. */
  async afterCommit(prepared: PreparedFile, record: LibraryRecord): Promise<void> {
    if (!this.options.thumbnailer || (record.dataType !== 'image' && record.dataType !== 'cube')) return;
    // Rendering reads pixels: downloads do not wait for it unless asked.
    const render = this.storeThumbnail(record, prepared.location).then(() => undefined, (err: unknown) => this.options.logger?.warn({ err, path: record.path }, 'thumbnail failed'));
    if (prepared.awaitThumbnail) await render;
    else {
      this.background.add(render);
      void render.finally(() => this.background.delete(render));
    }
  }

  /**
   * `noticeGoneJobFiles` in the background (the job core's `removed` event does not wait): an
   * error goes to `onError`; `idle()` and `close()` wait for it.
   */
  noticeGoneJobFilesLater(jobId: string, onError: (err: unknown) => void): void {
    const work = this.noticeGoneJobFiles(jobId).then(() => undefined, onError);
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** Resolves when the background work is done: thumbnails being rendered, removed jobs' files being checked. */
  async idle(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  private async storeThumbnail(record: LibraryRecord, abs: string): Promise<Thumbnail | undefined> {
    if (!this.options.thumbnailer) return undefined;
    const thumb = await this.options.thumbnailer(abs);
    await this.repo.setThumbnail(record.dataId, thumb.mediaType, thumb.bytes);
    return thumb;
  }

  /** The stored thumbnail, rendered and stored on first use for images; undefined for tables. */
  async thumbnail(record: LibraryRecord): Promise<Thumbnail | undefined> {
    const stored = await this.repo.getThumbnail(record.dataId);
    if (stored) return stored;
    if (record.dataType !== 'image' && record.dataType !== 'cube') return undefined;
    try {
      const found = await this.locate(record.path);
      return found ? await this.storeThumbnail(record, found.location) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A record the viewer may see, by id; 404 otherwise (private records are not revealed). Its file
   * is looked at (one stat): a file deleted on disk marks the record missing and answers 404, a
   * file back again clears the mark.
   */
  async resolve(dataId: string, viewer: Viewer, message = 'The requested data was not found.'): Promise<LibraryRecord> {
    const record = DATA_ID.test(dataId) ? await this.repo.get(dataId) : undefined;
    if (!record || !canSee(viewer, record)) throw new NotFoundError(message, 'DATA_NOT_FOUND');
    const present = await this.fileExists(record.path);
    if (present === record.missing) await this.repo.setMissing([record.dataId], !present);
    if (!present) throw new NotFoundError(message, 'DATA_NOT_FOUND');
    return present === !record.missing ? record : { ...record, missing: false };
  }

  /** The record of a DATA_DIR-relative (or absolute) path or of a record id, whoever owns it. */
  async recordOf(pathOrId: string): Promise<LibraryRecord | undefined> {
    if (DATA_ID.test(pathOrId)) return this.repo.get(pathOrId);
    const rel = this.relativePath(pathOrId);
    return rel === undefined ? undefined : this.repo.getByPath(rel);
  }

  private async fileExists(rel: string): Promise<boolean> {
    return (await this.locate(rel)) !== undefined;
  }

  /**
   * Whether the library still needs this file (absolute or DATA_DIR-relative path): another record
   * was made from it (lineage) and is still there, or, asked on behalf of `by.owner`, its record is
   * in another user's data (a file its first downloader kept when they dismissed their job). A
   * download dismissed with its files keeps such a file, so a product's inputs never vanish under
   * it and one user never deletes another's data.
   */
  async isReferenced(path: string, by?: { readonly owner: string | null }): Promise<boolean> {
    const rel = this.relativePath(path);
    if (rel === undefined) return false;
    const record = await this.repo.getByPath(rel);
    if (!record) return false;
    if (by && record.owner !== null && record.owner !== by.owner) return true;
    return (await this.repo.derivedFrom(record.dataId, EVERYONE)).some((r) => !r.missing);
  }

  /** Marks the records of a job whose files are gone missing (after the job was removed). Returns how many. */
  async noticeGoneJobFiles(jobId: string): Promise<number> {
    const gone: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.repo.list({ viewer: EVERYONE, jobId, includeArchived: true, limit: 1000, cursor });
      for (const r of page.records) if (!(await this.fileExists(r.path))) gone.push(r.dataId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return gone.length ? this.repo.setMissing(gone, true) : 0;
  }

  /**
   * The records of files listed on disk (DATA_DIR-relative paths), by path. A file without one yet
   * (placed by hand since the last scan) gets it now from its headers, as a scan would.
   */
  async recordsForPaths(paths: readonly string[], concurrency = 8): Promise<Map<string, LibraryRecord>> {
    const found = await this.repo.getByPaths(paths);
    const unknown = paths.filter((p) => !found.has(p));
    await eachLimited(unknown, concurrency, async (rel) => {
      const info = await this.locate(rel).catch(() => undefined);
      if (!info) return;
      const facts = await readFileFacts(info.location, rel, this.options.readLimits);
      found.set(rel, await this.repo.upsertFile({
        ...facts, path: rel, sizeBytes: info.size, fileMtimeMs: info.mtimeMs, source: 'scan', visibility: this.options.defaultVisibility ?? 'public',
      }));
    });
    return found;
  }

  /**
   * Walks DATA_DIR for FITS/ECSV files: new ones get records, changed ones (size or mtime) are
   * re-read, unchanged ones cost a stat, and records whose file is gone are marked missing.
   * One scan at a time: a second call shares the running one.
   */
  scan(options: { concurrency?: number } = {}): Promise<ScanReport> {
    this.scanning ??= this.runScan(options.concurrency ?? 16).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async runScan(concurrency: number): Promise<ScanReport> {
    const started = performance.now();
    const known = await this.repo.scanIndex();
    const seen = new Set<string>();
    const toRead: Array<{ rel: string; size: number; mtimeMs: number; location: string }> = [];
    let unchanged = 0;
    let restored: string[] = [];
    const consider = (rel: string, size: number, mtimeMs: number, location: string) => {
      if (seen.has(rel)) return; // an object and a local file of the same path: the object is the record's
      seen.add(rel);
      const k = known.get(rel);
      if (k && k.sizeBytes === size && k.fileMtimeMs === Math.round(mtimeMs)) {
        unchanged++;
        if (k.missing) restored.push(k.dataId);
      } else {
        toRead.push({ rel, size, mtimeMs, location });
      }
    };

    // The object store first (one listing, no per-object request): what a node without a shared disk sees.
    const objects = this.options.objects;
    if (objects) {
      for await (const o of objects.list('')) {
        const name = o.key.split('/').pop() ?? o.key;
        if (o.key.split('/').some((part) => part.startsWith('.')) || !isLibraryFile(name)) continue;
        consider(o.key, o.size, o.modifiedAt.getTime(), objects.location(o.key));
      }
    }

    const dirs = [this.dataDir];
    while (dirs.length > 0) {
      const dir = dirs.pop()!;
      let handle;
      try {
        handle = await opendir(dir, { bufferSize: 256 });
      } catch {
        continue;
      }
      const files: string[] = [];
      for await (const entry of handle) {
        if (entry.name.startsWith('.')) continue; // state folders, partial downloads
        const full = join(dir, entry.name);
        if (entry.isDirectory()) dirs.push(full);
        else if (entry.isFile() && isLibraryFile(entry.name)) files.push(full);
      }
      await eachLimited(files, concurrency, async (full) => {
        const info = await stat(full).catch(() => undefined);
        if (!info) return;
        consider(relative(this.dataDir, full).split(sep).join('/'), info.size, info.mtimeMs, full);
      });
    }

    let added = 0;
    let updated = 0;
    // Records are written SCAN_BATCH to a transaction: one commit per file rewrote the table's
    // and every index's pages each time (on SQLite ~80 kB of WAL per file, most of a scan's time).
    let pending: FileRecordInput[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      await this.db.transaction(async (tx) => {
        for (const input of batch) await this.repo.upsertFile(input, tx);
      });
      for (const input of batch) {
        if (known.has(input.path)) updated++;
        else added++;
      }
    };
    await eachLimited(toRead, concurrency, async ({ rel, size, mtimeMs, location }) => {
      const facts = await readFileFacts(location, rel, this.options.readLimits);
      pending.push({
        ...facts, path: rel, sizeBytes: size, fileMtimeMs: mtimeMs, source: 'scan',
        visibility: this.options.defaultVisibility ?? 'public',
      });
      if (pending.length >= SCAN_BATCH) await flush();
    });
    await flush();

    const gone = [...known.entries()].filter(([path, k]) => !k.missing && !seen.has(path)).map(([, k]) => k.dataId);
    await this.repo.setMissing(gone, true);
    if (restored.length) await this.repo.setMissing(restored, false);
    // Many records changed at once: the planner's statistics are stale (see refreshStatistics).
    if (added + updated + gone.length + restored.length >= STATISTICS_REFRESH_CHANGES) await this.repo.refreshStatistics();
    const report: ScanReport = {
      files: seen.size, added, updated, unchanged, missing: gone.length, restored: restored.length,
      durationMs: Math.round(performance.now() - started),
    };
    restored = [];
    this.options.logger?.info({ ...report }, 'library scan done');
    return report;
  }

  async close(): Promise<void> {
    await this.scanning?.catch(() => undefined);
    await this.idle();
    await this.db.close();
  }
}
