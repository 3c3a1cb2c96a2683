/**
 * A running download's checkpoint, built incrementally (issue #20, session 15). `jobToJson` and the
 * store's `JSON.stringify` of the record each went over every file at each save: 20-40 ms and
 * 10-20 ms in one block at 5000 files, several times a second. Here each file's saved form
 * (`fileToJson`, frozen) and its JSON text are cached and made again only when the file changed
 * since (its fields are compared with the cached form at each build: a file is never written
 * stale, whoever changed it); the texts are joined in chunks of `CHUNK` files, a chunk joined again
 * only when one of its files changed; the checkpoint's text is the chunks, concatenated inside the
 * job's few fields. The checkpoint is handed with its text (`withJsonParts`: the job's fields around
 * the chunks), so the stores write that text (`recordJson`; `DbJobStore` writes only the chunks that
 * changed, issue #20 session 16) and events share the frozen files instead of copying or freezing them.
 *
 * The saved form is unchanged: the text parses to what `JSON.stringify(jobToJson(job))` gives
 * (test/downloads/checkpoint-builder.test.ts), and a build saves the job as it is when called.
 */
import { deepFreeze, withJsonParts, type JsonObject } from '../jobs/types.js';
import { fileToJson, jobJsonWith, type FileEntry, type FileJson, type Job, type JobJson } from './job.js';

/** Files per cached chunk of text. */
const CHUNK = 64;

/** The fields of a file a saved form was made from (ranges copied; an upload only as "has one"). */
type Seen = Omit<FileEntry, 'ranges' | 'upload'> & { readonly ranges: ReadonlyArray<readonly [number, number]>; readonly hasUpload: boolean };

/**
 * A file's saved form and text, with the fields they were made from (`seen`: one object literal,
 * so one fixed shape, and comparing 5000 of them costs well under a millisecond; the saved form
 * itself, made with spreads, is not fast to read).
 */
class CachedFile {
  private readonly seen: Seen;
  /** The file's share of the job's totals (`jobTotals`). */
  readonly totalBytes: number;
  readonly downloadedBytes: number;

  constructor(f: FileEntry, readonly json: FileJson, readonly text: string) {
    this.seen = {
      filename: f.filename, url: f.url, fallbackUrl: f.fallbackUrl, dataUri: f.dataUri, localPath: f.localPath,
      relativePath: f.relativePath, totalBytes: f.totalBytes, ranges: f.ranges.map(([a, b]) => [a, b] as const),
      sequential: f.sequential, status: f.status, error: f.error, startedAt: f.startedAt, completedAt: f.completedAt,
      sha256: f.sha256, etag: f.etag, lastModified: f.lastModified, fitsChecksum: f.fitsChecksum, hasUpload: f.upload !== null,
    };
    this.totalBytes = f.totalBytes ?? 0;
    this.downloadedBytes = json.downloaded_bytes;
  }

  /** Whether `f` still has the fields this was made from (every field `fileToJson` reads). */
  matches(f: FileEntry): boolean {
    const s = this.seen;
    // An upload in progress (object storage) changes part by part: made again each time (few files at once).
    if (s.hasUpload || f.upload !== null) return false;
    if (f.status !== s.status || f.totalBytes !== s.totalBytes || f.sequential !== s.sequential || f.error !== s.error ||
      f.startedAt !== s.startedAt || f.completedAt !== s.completedAt || f.sha256 !== s.sha256 || f.etag !== s.etag ||
      f.lastModified !== s.lastModified || f.fitsChecksum !== s.fitsChecksum || f.url !== s.url ||
      f.fallbackUrl !== s.fallbackUrl || f.dataUri !== s.dataUri || f.localPath !== s.localPath ||
      f.relativePath !== s.relativePath || f.filename !== s.filename) return false;
    const a = f.ranges;
    const b = s.ranges;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
    return true;
  }
}

export class CheckpointBuilder {
  /** Files whose saved form was made again (for tests and the bench). */
  remade = 0;
  private readonly files = new WeakMap<FileEntry, CachedFile>();
  /**
   * The last build's files by list position, and their cached forms (issue #20, session 19): a
   * file still at its place is found without a WeakMap lookup (0.81 -> 0.68 ms per build at 5000
   * files). Only a hint: the entry must be the same object, and its fields still `matches` as
   * before; a file replaced, moved, added or removed falls back to the WeakMap, so an unchanged
   * file keeps its frozen form (the same object) wherever it is.
   */
  private atEntry: FileEntry[] = [];
  private atCached: CachedFile[] = [];
  /** Per chunk: the file texts it was joined from, and the join. */
  private chunks: Array<{ texts: string[]; text: string }> = [];

  /** `jobToJson(job, now)`, frozen, with its JSON text in parts (`withJsonParts`: the chunks as made here, a chunk the same string while none of its files changed). */
  build(job: Job, now: Date = new Date()): JobJson {
    const files: FileJson[] = new Array<FileJson>(job.files.length);
    const chunkTexts: string[] = [];
    let totalBytes = 0;
    let downloadedBytes = 0;
    const atEntry = this.atEntry;
    const atCached = this.atCached;
    for (let c = 0; c * CHUNK < job.files.length; c++) {
      const texts: string[] = [];
      let same = this.chunks[c] !== undefined;
      for (let i = c * CHUNK; i < Math.min(job.files.length, (c + 1) * CHUNK); i++) {
        const f = job.files[i]!;
        let cached = atEntry[i] === f ? atCached[i] : this.files.get(f);
        if (!cached || !cached.matches(f)) {
          // Frozen: events and later checkpoints share it. An upload's digest state is the live entry's: copied first.
          const json = deepFreeze(f.upload ? structuredClone(fileToJson(f)) : fileToJson(f));
          cached = new CachedFile(f, json, JSON.stringify(json));
          this.files.set(f, cached);
          this.remade++;
        }
        atEntry[i] = f;
        atCached[i] = cached;
        files[i] = cached.json;
        totalBytes += cached.totalBytes;
        downloadedBytes += cached.downloadedBytes;
        if (same && this.chunks[c]!.texts[texts.length] !== cached.text) same = false;
        texts.push(cached.text);
      }
      if (!same || this.chunks[c]!.texts.length !== texts.length) this.chunks[c] = { texts, text: texts.join(',') };
      chunkTexts.push(this.chunks[c]!.text);
    }
    this.chunks.length = chunkTexts.length;
    // The list shrunk: positions past its end hold no files (nor keep them alive).
    atEntry.length = job.files.length;
    atCached.length = job.files.length;
    const json = jobJsonWith(job, files, { totalBytes, downloadedBytes }, now);
    // The job's own fields with an empty file list, then the files' text put in that list. No
    // string value can hold `"files":[]` (a quote inside a string is escaped), and no key before
    // `files` is an object's: the first one is the list's.
    const outer = JSON.stringify({ ...json, files: [] });
    const at = outer.indexOf('"files":[]') + '"files":['.length;
    return withJsonParts(json as unknown as JsonObject, { head: outer.slice(0, at), chunks: chunkTexts, tail: outer.slice(at) }) as unknown as JobJson;
  }
}
