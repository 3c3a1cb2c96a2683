/**
 * Downloads one file into object storage (STORAGE_PROVIDER=s3) instead of a `.part` file: the
 * bytes are fetched in order with ranged GETs and go into a multipart upload (ResumableUpload)
 * under the file's key (`mast/{obs_id}/{file}`, the same layout as on disk), hashed on the way.
 *
 * After every completed part the upload id, the parts and the digest state of their bytes are
 * saved in the job's checkpoint (awaited), so a run after a crash, on any node, continues the
 * same upload from the end of the last saved part: no completed part is fetched or sent again;
 * the part that was being filled is fetched again. Verification (length, FITS CHECKSUM/DATASUM,
 * SHA-256) happens before the upload is completed, so the object appears under its key only
 * verified and whole. A changed file on the server (ETag, Last-Modified, length) drops the upload
 * and starts over. Servers without ranges or a length are streamed in one GET (a crash then
 * restarts the file).
 */
import { dropBody, type ChunkFetcher, type RemoteFileInfo } from './chunk-fetcher.js';
import {
  DownloadError, FileChangedError, RangeIgnoredError, TruncatedBodyError, UnsatisfiableRangeError, VerificationError,
} from './errors.js';
import type { FileDownloadHooks } from './file-downloader.js';
import { fitsVerdict } from './file-downloader.js';
import { hasChecksumFailure } from './fits-checksum.js';
import type { ResponseBody } from './http1-client.js';
import type { FileEntry, UploadCheckpoint } from './job.js';
import { ResumableDigest } from './resumable-digest.js';
import type { DigestResult } from './content-digest.js';
import { Retrier, systemClock, type Clock, type RetryPolicy } from '../core/retry.js';
import { withTransferRetries } from './transfer-retry.js';
import { changedFrom, ifRangeOf } from './validators.js';
import { ResumableUpload, type UploadState } from '../storage/resumable-upload.js';
import { MIN_PART_BYTES, type StorageProvider } from '../storage/provider.js';
import { StorageError } from '../storage/errors.js';

export interface ObjectDownloaderOptions {
  readonly fetcher: ChunkFetcher;
  readonly store: StorageProvider;
  /** Bytes per ranged GET. */
  readonly chunkSize: number;
  /** Bytes per uploaded part (at least 5 MiB, S3's minimum). */
  readonly partBytes: number;
  readonly retry: RetryPolicy;
  readonly random?: () => number;
  readonly clock?: Clock;
}

/** Bytes received and not yet taken by the upload before the connection is paused. */
const QUEUE_LIMIT = 4 * 1024 * 1024;

/** The object key of a download entry: its path relative to DATA_DIR (`mast/{obs_id}/{file}`). */
export function objectKeyOf(entry: FileEntry): string {
  return entry.relativePath;
}

export class ObjectFileDownloader {
  constructor(readonly options: ObjectDownloaderOptions) {
    if (options.partBytes < MIN_PART_BYTES) throw new RangeError(`parts must be at least ${MIN_PART_BYTES} bytes`);
  }

  /** Brings `entry` to `complete` (the object verified and in place) or throws, as FileDownloader does. */
  async download(entry: FileEntry, signal: AbortSignal, hooks: FileDownloadHooks): Promise<void> {
    await new ObjectRun(this.options, entry, signal, hooks).execute();
  }

  /** Drops the entry's unfinished upload (cancel); the parts go with it. */
  async abandon(entry: FileEntry): Promise<void> {
    const u = entry.upload;
    entry.upload = null;
    if (u) await this.options.store.abortUpload(u.key, u.uploadId);
  }
}

class ObjectRun {
  private readonly key: string;
  private remote!: RemoteFileInfo;
  private upload: ResumableUpload | undefined;
  private digest = ResumableDigest.create();
  /** Bytes of the upload that came from an earlier run (a checksum failure then retries from 0 once). */
  private resumedBytes = 0;
  private restarts = 0;

  constructor(
    private readonly o: ObjectDownloaderOptions,
    private readonly entry: FileEntry,
    private readonly signal: AbortSignal,
    private readonly hooks: FileDownloadHooks,
  ) {
    this.key = objectKeyOf(entry);
  }

  async execute(): Promise<void> {
    const { entry } = this;
    entry.status = 'downloading';
    entry.error = null;
    entry.startedAt ??= new Date().toISOString();
    this.remote = await this.withRetries(() => this.o.fetcher.probe(entry.url, this.signal));
    if (!(await this.continueUpload())) {
      if (await this.reuseFinishedObject()) return;
      await this.startUpload();
    }
    await this.hooks.beforeStreaming?.();
    for (;;) {
      try {
        await this.transfer();
        await this.finish();
        return;
      } catch (err) {
        if (this.signal.aborted || !(err instanceof DownloadError)) throw err;
        const restart = err instanceof FileChangedError || err instanceof RangeIgnoredError || err instanceof UnsatisfiableRangeError ||
          (err instanceof VerificationError && err.retryFromZero);
        if (!restart || this.restarts >= this.o.retry.maxRetries + 1) throw err;
        this.restarts++;
        this.hooks.onNotice?.(`restarting from byte 0: ${err.message}`, { file: entry.filename });
        await this.dropUpload();
        this.remote = await this.withRetries(() => this.o.fetcher.probe(entry.url, this.signal));
        this.adoptRemote();
        await this.startUpload();
      }
    }
  }

  /** The saved upload, when the server's file is still the one it holds the beginning of. */
  private async continueUpload(): Promise<boolean> {
    const { entry, remote } = this;
    const saved = entry.upload;
    if (!saved) return false;
    const changed =
      (entry.etag !== null && remote.etag !== undefined && entry.etag !== remote.etag) ||
      (entry.lastModified !== null && remote.lastModified !== undefined && entry.lastModified !== remote.lastModified) ||
      (entry.totalBytes !== undefined && remote.totalBytes !== undefined && entry.totalBytes !== remote.totalBytes);
    const usable = !changed && saved.key === this.key && remote.acceptRanges && remote.totalBytes !== undefined;
    if (usable) {
      try {
        const digest = ResumableDigest.fromState(saved.digest);
        const upload = ResumableUpload.resume(this.o.store, { key: saved.key, uploadId: saved.uploadId, partBytes: saved.partBytes, parts: saved.parts }, (s) => this.persist(s));
        if (digest.bytes === upload.nextOffset && upload.nextOffset <= remote.totalBytes!) {
          this.digest = digest;
          this.upload = upload;
          this.resumedBytes = upload.nextOffset;
          this.adoptRemote();
          entry.ranges = upload.nextOffset > 0 ? [[0, upload.nextOffset]] : [];
          this.hooks.onProgress();
          if (upload.nextOffset > 0) this.hooks.onNotice?.('continuing the multipart upload', { file: entry.filename, parts: saved.parts.length, at: upload.nextOffset });
          return true;
        }
      } catch (err) {
        if (!(err instanceof TypeError || err instanceof StorageError)) throw err;
      }
    }
    this.hooks.onNotice?.(changed ? 'file changed on the server since the last run; restarting it from byte 0' : 'the saved upload cannot be continued; restarting the file from byte 0', { file: entry.filename });
    await this.dropUpload();
    this.adoptRemote();
    return false;
  }

  private adoptRemote(): void {
    const { entry, remote } = this;
    entry.etag = remote.etag ?? null;
    entry.lastModified = remote.lastModified ?? null;
    entry.totalBytes = remote.totalBytes;
  }

  /** An object already under the key with the server's length is kept when it verifies (read back once). */
  private async reuseFinishedObject(): Promise<boolean> {
    const { entry } = this;
    this.adoptRemote();
    const total = this.remote.totalBytes;
    const st = await this.o.store.stat(this.key);
    if (!st || total === undefined || st.size !== total) return false;
    const digest = ResumableDigest.create();
    const stream = await this.o.store.readStream(this.key);
    for await (const chunk of stream) {
      if (this.signal.aborted) {
        stream.destroy();
        throw this.signal.reason;
      }
      digest.update(chunk as Buffer);
    }
    const result = digest.finish();
    if (result.bytes !== total || hasChecksumFailure(result.fits)) return false;
    await this.complete(result);
    this.hooks.onNotice?.('object already in storage and verified; not downloaded again', { file: entry.filename });
    return true;
  }

  private async startUpload(): Promise<void> {
    const { entry } = this;
    this.digest = ResumableDigest.create();
    this.resumedBytes = 0;
    entry.ranges = [];
    entry.sequential = true;
    // Saves the new upload id (persist) before any byte is sent.
    this.upload = await ResumableUpload.start(this.o.store, this.key, this.o.partBytes, (s) => this.persist(s));
  }

  /** After every completed part (and at the start): the upload and the digest of its parts, saved. */
  private async persist(state: UploadState): Promise<void> {
    const checkpoint: UploadCheckpoint = { key: state.key, uploadId: state.uploadId, partBytes: state.partBytes, parts: state.parts, digest: this.digest.state() };
    this.entry.upload = checkpoint;
    await this.hooks.onLayout?.();
  }

  private async dropUpload(): Promise<void> {
    const u = this.entry.upload;
    this.entry.upload = null;
    this.upload = undefined;
    this.entry.ranges = [];
    if (u) await this.o.store.abortUpload(u.key, u.uploadId).catch(() => undefined);
    this.hooks.onProgress();
  }

  private ifRange(): string | undefined {
    return ifRangeOf(this.entry);
  }

  private changedFrom(info: { totalBytes?: number | undefined; etag?: string | undefined; lastModified?: string | undefined }): boolean {
    return changedFrom(this.entry, info);
  }

  /** Fetches the bytes after the upload's end, in order, in ranged GETs (or one GET without ranges). */
  private async transfer(): Promise<void> {
    const upload = this.upload!;
    const total = this.entry.totalBytes;
    const ranged = this.remote.acceptRanges && total !== undefined;
    if (!ranged) {
      await this.fetchWhole();
      return;
    }
    const retrier = this.retrier();
    while (upload.written < total) {
      const start = upload.written;
      const end = Math.min(total, start + this.o.chunkSize);
      if (end >= total) this.hooks.onAllRequested?.();
      try {
        const res = await this.o.fetcher.open({ url: this.entry.url, start, end: end - 1, ranged: true, ifRange: this.ifRange() }, this.signal);
        if (this.changedFrom(res)) {
          dropBody(res.body);
          throw new FileChangedError('file changed on the server between chunks (ETag, Last-Modified or length differ)');
        }
        await this.take(res.body, res.start + res.length!);
        if (upload.written < end) throw new TruncatedBodyError(end - start, upload.written - start);
      } catch (err) {
        if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : err;
        if (!(err instanceof DownloadError) || !err.retryable) throw err;
        // Progress resets the count: a flaky link that still moves data is not a failing chunk.
        const delay = retrier.next({ retryAfterMs: err.retryAfterMs, progressed: upload.written > start });
        if (delay === undefined) throw err;
        this.hooks.onNotice?.(`retrying chunk: ${err.message}`, { file: this.entry.filename, at: upload.written, retry: retrier.retries });
        await (this.o.clock ?? systemClock).sleep(delay, this.signal);
      }
    }
    this.hooks.onAllRequested?.();
  }

  /** One GET of the whole file (no length or no ranges): a failure starts the upload over. */
  private async fetchWhole(): Promise<void> {
    const retrier = this.retrier();
    for (;;) {
      if (this.upload!.written > 0) {
        await this.dropUpload();
        await this.startUpload();
      }
      try {
        const res = await this.o.fetcher.open({ url: this.entry.url, start: 0, ranged: false }, this.signal);
        this.hooks.onAllRequested?.();
        const stop = res.length ?? Number.POSITIVE_INFINITY;
        await this.take(res.body, stop);
        if (Number.isFinite(stop) && this.upload!.written < stop) throw new TruncatedBodyError(stop, this.upload!.written);
        this.entry.totalBytes = this.upload!.written;
        return;
      } catch (err) {
        if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : err;
        if (!(err instanceof DownloadError) || !err.retryable) throw err;
        const delay = retrier.next({ retryAfterMs: err.retryAfterMs });
        if (delay === undefined) throw err;
        this.hooks.onNotice?.(`retrying stream: ${err.message}`, { file: this.entry.filename, retry: retrier.retries });
        await (this.o.clock ?? systemClock).sleep(delay, this.signal);
      }
    }
  }

  /**
   * Streams a body into the upload, stopping at `stop`. Bytes are queued (copied) as they arrive
   * and taken in order; the connection is paused while more than QUEUE_LIMIT bytes wait (a part
   * being sent to the store).
   */
  private async take(body: ResponseBody, stop: number): Promise<void> {
    const upload = this.upload!;
    let chain = Promise.resolve();
    let queued = 0;
    let paused = false;
    let failure: unknown;
    let overrun = false;
    const sink = (chunk: Buffer): boolean => {
      if (failure !== undefined || overrun) return false;
      if (upload.written + queued + chunk.length > stop) {
        overrun = true;
        body.discard();
        return false;
      }
      const copy = Buffer.from(chunk);
      queued += copy.length;
      chain = chain.then(() => this.accept(copy)).then(() => {
        queued -= copy.length;
        if (paused && queued < QUEUE_LIMIT && failure === undefined) {
          paused = false;
          body.resume();
        }
      }, (err: unknown) => {
        failure ??= err;
        body.discard();
      });
      if (queued < QUEUE_LIMIT) return true;
      paused = true;
      return false;
    };
    let bodyError: unknown;
    try {
      await body.pipe(sink);
    } catch (err) {
      bodyError = err;
    }
    await chain;
    if (failure !== undefined) throw failure;
    if (overrun) throw new TruncatedBodyError(stop, upload.written);
    if (bodyError !== undefined) throw bodyError instanceof DownloadError || this.signal.aborted ? bodyError : this.o.fetcher.mapError(bodyError);
  }

  /** Hashes and uploads bytes, split at part boundaries so the saved digest matches the saved parts. */
  private async accept(data: Buffer): Promise<void> {
    const upload = this.upload!;
    let rest = data;
    while (rest.length > 0) {
      const toBoundary = this.o.partBytes - (upload.written % this.o.partBytes);
      const piece = rest.subarray(0, Math.min(rest.length, toBoundary));
      rest = rest.subarray(piece.length);
      this.digest.update(piece);
      await upload.write(piece);
    }
    this.entry.ranges = [[0, upload.written]];
    this.hooks.onBytes(data.length);
    this.hooks.onProgress();
  }

  /** Length, FITS checksums, then the completion that makes the object visible. */
  private async finish(): Promise<void> {
    const { entry } = this;
    const upload = this.upload!;
    if (entry.totalBytes !== undefined && upload.written !== entry.totalBytes) {
      throw new VerificationError(`bytes uploaded ${upload.written} differ from the server's ${entry.totalBytes}`, { retryFromZero: true });
    }
    const result = this.digest.finish();
    if (hasChecksumFailure(result.fits)) {
      const reused = this.resumedBytes > 0;
      if (!reused) await this.dropUpload();
      throw new VerificationError('FITS checksum does not verify', { retryFromZero: reused });
    }
    await upload.complete();
    await this.complete(result);
  }

  private async complete(digest: DigestResult): Promise<void> {
    const marked = await this.hooks.beforeComplete?.(digest.sha256);
    const e = this.entry;
    marked?.();
    e.totalBytes = digest.bytes;
    e.ranges = digest.bytes > 0 ? [[0, digest.bytes]] : [];
    e.sha256 = digest.sha256;
    e.fitsChecksum = fitsVerdict(digest.fits);
    e.upload = null;
    e.status = 'complete';
    e.error = null;
    e.completedAt = new Date().toISOString();
    this.hooks.onProgress();
  }

  private retrier(): Retrier {
    return new Retrier(this.o.retry, { clock: this.o.clock, random: this.o.random, signal: this.signal });
  }

  private withRetries<T>(fn: () => Promise<T>): Promise<T> {
    return withTransferRetries(fn, this.o, this.signal, (message, data) => this.hooks.onNotice?.(message, data), this.entry.filename);
  }
}
