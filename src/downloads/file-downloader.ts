/**
 * Downloads one file into `{name}.part` and renames it only after verification.
 *
 * Order of business: probe → reuse a verified final file → compare validators with the bytes
 * already on disk (a changed file restarts from 0) → fetch the missing byte ranges in CHUNK_SIZE
 * pieces, over one connection or several → check size, FITS CHECKSUM/DATASUM → SHA-256 → rename.
 * Every byte written is recorded in `entry.ranges` right after the write, so pause, crash or
 * ENOSPC lose nothing that reached the disk.
 *
 * The probe of a file with nothing on disk is the Range request for its first chunk (its
 * Content-Range tells the length, with the validators), which is then streamed: no HEAD round
 * trip per file. Files with bytes on disk, and servers that do not answer that request with a
 * 206 and a length, are probed with HEAD first.
 */
import { setMaxListeners } from 'node:events';
import { addRange, clipRanges, coveredBytes, missingRanges, prefixEnd, splitIntoChunks, type ByteRange } from './byte-ranges.js';
import { dropBody, type ChunkFetcher, type RangeResponse, type RemoteFileInfo } from './chunk-fetcher.js';
import type { ResponseBody } from './http1-client.js';
import type { DigestResult } from './content-digest.js';
import { BatchWriter } from './batch-writer.js';
import { DigestService, feedFile, SMALL_STREAM, type StreamDigest } from './digest-service.js';
import { PrefixDigest } from './prefix-digest.js';
import {
  DiskFullError, DownloadError, FileChangedError, RangeIgnoredError, RangeMismatchError, TruncatedBodyError,
  UnsatisfiableRangeError, VerificationError,
} from './errors.js';
import type { FileLayer, WritableFile } from './file-layer.js';
import { hasChecksumFailure, type FitsChecksumReport } from './fits-checksum.js';
import type { FileEntry, FitsVerdict } from './job.js';
import { Retrier, systemClock, type Clock, type RetryPolicy } from '../core/retry.js';
import { withTransferRetries } from './transfer-retry.js';
import { changedFrom, ifRangeOf } from './validators.js';

export interface FileDownloaderOptions {
  readonly fetcher: ChunkFetcher;
  readonly fs: FileLayer;
  readonly chunkSize: number;
  /** Connections for one file (CONNECTIONS_PER_FILE); used when the file spans several chunks. */
  readonly connectionsPerFile: number;
  readonly retry: RetryPolicy;
  readonly random?: () => number;
  /** Time for the waits between retries (tests inject one that does not sleep). */
  readonly clock?: Clock;
  /** fsync each finished file before it is renamed and marked complete (default true). */
  readonly syncData?: boolean;
  /** Where SHA-256 and FITS checksums are computed (default: on this thread). */
  readonly digests?: DigestService;
}

const inThreadDigests = new DigestService({ useWorker: false });

export interface FileDownloadHooks {
  /** Bytes that crossed the network in this run and reached the disk. */
  onBytes(bytes: number): void;
  /** The entry changed (ranges, length, status); save it soon. */
  onProgress(): void;
  /**
   * How the bytes will be laid out is decided (in order from the start, or pieces anywhere):
   * resolves once that is saved, before the first byte is written, so a resumed run knows
   * whether it may trust the whole `.part` file (a kill in the file's first second included).
   */
  onLayout?(): Promise<void>;
  /** Something worth a log line (a retry, a restart). */
  onNotice?(message: string, data?: Record<string, unknown>): void;
  /**
   * Set-up is done (disk checks, validators, the first request sent): resolves when the file may
   * stream bytes (the scheduler's slot). Rejects to stop (abort).
   */
  beforeStreaming?(): Promise<void>;
  /**
   * Every byte of the file has been requested: what is left is streaming the last pieces and
   * verifying (a retry may still request again). Called at most once per download.
   */
  onAllRequested?(): void;
  /**
   * The file is in place and verified (`sha256`), about to be marked complete: resolves to what to
   * run in the same tick as that mark (registering its library record's write, so that no saved
   * state says `complete` without it).
   */
  beforeComplete?(sha256: string): Promise<(() => void) | void>;
}


type Mode = 'chunked' | 'whole';

export class FileDownloader {
  constructor(private readonly options: FileDownloaderOptions) {}

  /**
   * Brings `entry` to `complete`, or throws: TransferAbortedError (the signal's reason) on pause or
   * cancel, DiskFullError, VerificationError, or the last DownloadError after the retries.
   */
  async download(entry: FileEntry, signal: AbortSignal, hooks: FileDownloadHooks): Promise<void> {
    const run = new FileRun(this.options, entry, signal, hooks);
    await run.execute();
  }
}

class FileRun {
  private readonly part: string;
  private remote!: RemoteFileInfo;
  private restarts: Retrier | undefined;
  private verifyRestartUsed = false;
  /** Bytes that came from an earlier run (only those can be blamed on a mixed version). */
  private readonly initialBytes: number;
  /** Every digest this run created: disposed at the end, so a failed run leaves none behind. */
  private readonly digests = new Set<StreamDigest>();
  private allRequestedSaid = false;

  constructor(
    private readonly o: FileDownloaderOptions,
    private readonly entry: FileEntry,
    private readonly signal: AbortSignal,
    private readonly hooks: FileDownloadHooks,
  ) {
    this.part = `${entry.localPath}.part`;
    this.initialBytes = coveredBytes(entry.ranges);
  }

  async execute(): Promise<void> {
    const { entry } = this;
    entry.status = 'downloading';
    entry.error = null;
    entry.startedAt ??= new Date().toISOString();
    const first = await this.openFirstChunk();
    try {
      if (first) this.remote = first.info;
      else {
        this.remote = await this.withRetries(() => this.o.fetcher.probe(entry.url, this.signal));
        if (await this.reuseFinishedFile()) return;
      }
      await this.reconcileWithDisk();
      await this.hooks.beforeStreaming?.();
      await this.transfer(first);
    } finally {
      // Whatever happened, the first response does not hold its connection (a no-op once read),
      // and no digest stays open on a digest thread (a no-op for finished ones).
      if (first) dropBody(first.response.body);
      for (const d of this.digests) d.dispose();
      this.digests.clear();
    }
  }

  /** Fetches and finishes the file, starting over where the server's answers require it. */
  private async transfer(first: FirstChunk | undefined): Promise<void> {
    const { entry } = this;
    for (let prefetched = first; ; prefetched = undefined) {
      try {
        const mode: Mode = this.remote.totalBytes !== undefined ? 'chunked' : 'whole';
        const streamed = mode === 'chunked' ? await this.fetchChunked(prefetched) : await this.fetchWhole();
        await this.finish(streamed);
        return;
      } catch (err) {
        if (this.signal.aborted || !(err instanceof DownloadError)) throw err;
        if (err instanceof RangeIgnoredError) {
          if (this.changedFrom(err)) await this.restartFromZero('file changed on the server (If-Range answered 200)');
          else {
            this.hooks.onNotice?.('server ignores Range; fetching the whole file in one stream', { file: entry.filename });
            await this.resetBytes();
            this.remote = { ...this.remote, acceptRanges: false };
            await this.guardRestarts(err);
            const streamed = await this.fetchWhole();
            await this.finish(streamed);
            return;
          }
        } else if (err instanceof FileChangedError) {
          await this.restartFromZero(err.message);
        } else if (err instanceof UnsatisfiableRangeError) {
          // 416: believe the disk if it already holds the whole file; otherwise the file changed.
          if (err.totalBytes !== undefined && err.totalBytes === entry.totalBytes && coveredBytes(entry.ranges) === err.totalBytes) {
            await this.finish(undefined);
            return;
          }
          await this.restartFromZero(`server length is now ${err.totalBytes ?? 'unknown'} (416)`);
        } else if (err instanceof VerificationError && err.retryFromZero && !this.verifyRestartUsed) {
          this.verifyRestartUsed = true;
          await this.restartFromZero(`verification failed on resumed bytes (${err.message}); fetching again from byte 0`);
        } else throw err;
        await this.guardRestarts(err);
      }
    }
  }

  /**
   * For a file with nothing on disk (no entry ranges, no .part, no final file): the Range request
   * of its first chunk, which also tells the length and validators. Undefined when the file has
   * bytes on disk or the answer is not a 206 with a length (then HEAD decides, as for any file).
   */
  private async openFirstChunk(): Promise<FirstChunk | undefined> {
    const { entry } = this;
    if (entry.ranges.length > 0 || (await this.o.fs.size(this.part)) !== undefined || (await this.o.fs.size(entry.localPath)) !== undefined) return undefined;
    let res: RangeResponse;
    try {
      res = await this.withRetries(() => this.o.fetcher.open({ url: entry.url, start: 0, end: this.o.chunkSize - 1, ranged: true }, this.signal));
    } catch (err) {
      // Permanent answers (404...) are as final as HEAD's; a 200 or 416 is left to HEAD to explain.
      if (err instanceof RangeIgnoredError || err instanceof UnsatisfiableRangeError) return undefined;
      throw err;
    }
    if (res.status !== 206 || res.totalBytes === undefined) {
      dropBody(res.body);
      return undefined;
    }
    return {
      info: { totalBytes: res.totalBytes, etag: res.etag, lastModified: res.lastModified, acceptRanges: true },
      chunk: [res.start, res.start + res.length!],
      response: res,
    };
  }

  /** A final file of the server's length that verifies is kept as it is. */
  private async reuseFinishedFile(): Promise<boolean> {
    const { entry, remote } = this;
    const size = await this.o.fs.size(entry.localPath);
    if (size === undefined || remote.totalBytes === undefined || size !== remote.totalBytes) return false;
    const digest = await this.digestOf(entry.localPath, size);
    if (hasChecksumFailure(digest.fits)) return false;
    await this.complete(digest, size);
    await this.o.fs.remove(this.part);
    this.hooks.onNotice?.('file already on disk and verified; not downloaded again', { file: entry.filename });
    return true;
  }

  /** Keeps the bytes on disk that belong to the server's current version of the file. */
  private async reconcileWithDisk(): Promise<void> {
    const { entry, remote } = this;
    const hadBytes = entry.ranges.length > 0 || entry.sequential;
    const changed =
      hadBytes &&
      ((entry.etag !== null && remote.etag !== undefined && entry.etag !== remote.etag) ||
        (entry.lastModified !== null && remote.lastModified !== undefined && entry.lastModified !== remote.lastModified) ||
        (entry.ranges.length > 0 && entry.totalBytes !== undefined && remote.totalBytes !== undefined && entry.totalBytes !== remote.totalBytes));
    entry.etag = remote.etag ?? null;
    entry.lastModified = remote.lastModified ?? null;
    if (remote.totalBytes !== undefined) entry.totalBytes = remote.totalBytes;
    if (changed) {
      this.hooks.onNotice?.('file changed on the server since the last run; restarting it from byte 0', { file: entry.filename });
      await this.resetBytes();
      return;
    }
    const partSize = (await this.o.fs.size(this.part)) ?? 0;
    let ranges = clipRanges(entry.ranges, partSize);
    // Written in order: everything up to the .part size is good, even bytes the last save missed.
    if (entry.sequential && ranges.length <= 1 && prefixEnd(ranges) === coveredBytes(ranges)) ranges = partSize > 0 ? [[0, partSize]] : [];
    if (remote.totalBytes !== undefined && partSize > remote.totalBytes) {
      await this.resetBytes();
      return;
    }
    entry.ranges = ranges;
    this.hooks.onProgress();
  }

  private changedFrom(info: { totalBytes?: number | undefined; etag?: string | undefined; lastModified?: string | undefined }): boolean {
    return changedFrom(this.entry, info);
  }

  private async restartFromZero(why: string): Promise<void> {
    this.hooks.onNotice?.(`restarting from byte 0: ${why}`, { file: this.entry.filename });
    await this.resetBytes();
    this.remote = await this.withRetries(() => this.o.fetcher.probe(this.entry.url, this.signal));
    this.entry.etag = this.remote.etag ?? null;
    this.entry.lastModified = this.remote.lastModified ?? null;
    this.entry.totalBytes = this.remote.totalBytes;
  }

  private async guardRestarts(err: Error): Promise<void> {
    // A restart from byte 0 is allowed once more than a retry (the first is no failure of the link).
    this.restarts ??= this.retrier({ ...this.o.retry, maxRetries: this.o.retry.maxRetries + 1 }, this.signal);
    await this.restarts.wait(err);
  }

  private retrier(policy: RetryPolicy, signal: AbortSignal): Retrier {
    return new Retrier(policy, { clock: this.o.clock, random: this.o.random, signal });
  }

  private async resetBytes(): Promise<void> {
    await this.o.fs.remove(this.part);
    this.entry.ranges = [];
    this.entry.sequential = true;
    this.hooks.onProgress();
  }

  private ifRange(): string | undefined {
    return ifRangeOf(this.entry);
  }

  /**
   * Fetches the missing ranges; returns the streamed digest when bytes were written in order.
   * `first`, the already open response of the first chunk, is streamed by the first connection.
   */
  private async fetchChunked(first?: FirstChunk): Promise<StreamDigest | undefined> {
    const { entry } = this;
    const total = entry.totalBytes!;
    const gaps = missingRanges(entry.ranges, total);
    const chunks = splitIntoChunks(gaps, this.o.chunkSize);
    let prefetched: { chunk: ByteRange; response: Promise<RangeResponse> } | undefined;
    if (first) {
      const [start, end] = chunks[0] ?? [];
      if (start === first.chunk[0] && end === first.chunk[1]) prefetched = { chunk: chunks.shift()!, response: Promise.resolve(first.response) };
      else dropBody(first.response.body);
    }
    const workers = Math.max(1, Math.min(this.o.connectionsPerFile, chunks.length + (prefetched ? 1 : 0)));
    const inOrder = writtenInFileOrder(entry.ranges, workers);
    if (entry.sequential !== inOrder) {
      entry.sequential = inOrder;
      await this.hooks.onLayout?.();
    }
    const digest = inOrder ? await this.primeDigest(prefixEnd(entry.ranges)) : undefined;
    // Out of order, the bytes written so far in file order are read back and hashed meanwhile.
    const behind: PrefixDigest | undefined = inOrder ? undefined : new PrefixDigest(this.newDigest(total), (from, to) => feedFile(behind!.digest, this.o.fs, this.part, to, this.signal, from));
    behind?.grew(prefixEnd(entry.ranges));
    // In order, the digest's thread also writes the file (BatchWriter): no write thread to start.
    const file = await this.o.fs.openWritable(this.part, { viaDigestThread: digest?.updateAndWrite !== undefined, smallFile: total <= SMALL_STREAM });
    const syncer = this.o.syncData !== false ? new BackgroundSync(file) : undefined;
    const local = new AbortController();
    setMaxListeners(0, local.signal);
    const onAbort = () => local.abort(this.signal.reason);
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const queue = [...chunks];
      let firstError: unknown;
      let digestBroken = false;
      const fail = (err: unknown) => {
        if (firstError !== undefined) return;
        firstError = err;
        // One file-level failure stops the sibling connections of this file.
        local.abort(err);
      };
      const worker = async () => {
        // One writer per connection, kept across its pieces (no flush-and-wait between them).
        let writer: BatchWriter | undefined;
        // The next piece is requested while the current one streams, hiding the round trip;
        // it is dropped (freeing its connection) whenever the current piece has to be retried.
        let ahead = prefetched as { chunk: ByteRange; response: Promise<RangeResponse> } | undefined;
        prefetched = undefined;
        const lookahead: Lookahead = {
          start: () => {
            if (ahead || firstError !== undefined) return;
            const next = queue.shift();
            if (next) ahead = { chunk: next, response: this.openEarly(next, local.signal) };
            if (queue.length === 0) this.allRequested();
          },
          drop: () => {
            if (!ahead) return;
            discard(ahead.response);
            queue.unshift(ahead.chunk);
            ahead = undefined;
          },
        };
        try {
          for (let chunk = ahead?.chunk ?? queue.shift(); chunk; ) {
            if (firstError !== undefined) return;
            const early = ahead?.response;
            ahead = undefined;
            // This piece is requested now (or already was): the file may be all requested.
            if (queue.length === 0) this.allRequested();
            writer ??= new BatchWriter(file, chunk[0], digest, (at, length) => {
              this.record(at, length);
              syncer?.written(length);
              behind?.grew(prefixEnd(entry.ranges));
            });
            try {
              await this.fetchChunk(writer, chunk, local.signal, early, lookahead);
            } catch (err) {
              fail(err);
              return;
            }
            // `ahead` was set by lookahead.start() during fetchChunk (TypeScript cannot see that).
            const next = ahead as { chunk: ByteRange } | undefined;
            chunk = next?.chunk ?? queue.shift();
          }
          await writer?.drain().catch(fail);
        } finally {
          if (ahead) discard(ahead.response);
          // Bytes received before a failure or a pause are written (and recorded) before the file closes.
          await writer?.close();
          if (writer?.digestBroken) digestBroken = true;
        }
      };
      await Promise.all(Array.from({ length: workers }, worker));
      if (this.signal.aborted) throw this.signal.reason;
      if (firstError !== undefined) throw firstError;
      await syncer?.settle();
      if (this.o.syncData !== false) await file.sync();
      if (behind) return prefixEnd(entry.ranges) === total ? await behind.upTo(total) : undefined;
      if (!digestBroken) return digest;
      digest?.dispose();
      return undefined;
    } finally {
      await behind?.abandon();
      this.signal.removeEventListener('abort', onAbort);
      await syncer?.settle().catch(() => undefined);
      await file.close().catch(() => undefined);
    }
  }

  /** Requests a piece ahead of time; its failure surfaces when (and if) it is awaited. */
  private openEarly([start, end]: ByteRange, signal: AbortSignal): Promise<RangeResponse> {
    const response = this.o.fetcher.open({ url: this.entry.url, start, end: end - 1, ranged: true, ifRange: this.ifRange() }, signal);
    response.catch(() => undefined);
    return response;
  }

  private async fetchChunk(writer: BatchWriter, [start, end]: ByteRange, signal: AbortSignal, early: Promise<RangeResponse> | undefined, lookahead: Lookahead): Promise<void> {
    let pos = start;
    const retrier = this.retrier(this.o.retry, signal);
    let pending = early;
    while (pos < end) {
      const before = pos;
      try {
        const opening = pending ?? this.o.fetcher.open({ url: this.entry.url, start: pos, end: end - 1, ranged: true, ifRange: this.ifRange() }, signal);
        pending = undefined;
        const res = await opening;
        if (this.changedFrom(res)) {
          dropBody(res.body);
          throw new FileChangedError('file changed on the server between chunks (ETag, Last-Modified or length differ)');
        }
        const stop = res.start + res.length!;
        lookahead.start();
        try {
          await this.take(writer, res.body, pos, stop);
        } finally {
          pos = writer.received;
        }
        if (pos < stop) throw new TruncatedBodyError(stop - before, pos - before);
      } catch (err) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
        lookahead.drop();
        if (err instanceof DiskFullError || !(err instanceof DownloadError)) throw err;
        if (err instanceof RangeIgnoredError || err instanceof FileChangedError || err instanceof UnsatisfiableRangeError) throw err;
        if (!err.retryable) throw err;
        // Progress resets the count: a flaky link that still moves data is not a failing chunk.
        const delay = retrier.next({ retryAfterMs: err.retryAfterMs, progressed: pos > before });
        if (delay === undefined) throw err;
        this.hooks.onNotice?.(`retrying chunk: ${err.message}`, { file: this.entry.filename, at: pos, retry: retrier.retries });
        await (this.o.clock ?? systemClock).sleep(delay, signal);
      }
    }
  }

  /** One stream from the current prefix (or 0) to the end: no length known, or no Range support. */
  private async fetchWhole(): Promise<StreamDigest | undefined> {
    const { entry } = this;
    const retrier = this.retrier(this.o.retry, this.signal);
    let digest: StreamDigest | undefined;
    for (;;) {
      const from = this.remote.acceptRanges ? prefixEnd(entry.ranges) : 0;
      if (from === 0 && entry.ranges.length > 0) await this.resetBytes();
      digest?.dispose();
      digest = await this.primeDigest(from);
      entry.sequential = true;
      const file = await this.o.fs.openWritable(this.part, { viaDigestThread: digest.updateAndWrite !== undefined, smallFile: entry.totalBytes !== undefined && entry.totalBytes <= SMALL_STREAM });
      const syncer = this.o.syncData !== false ? new BackgroundSync(file) : undefined;
      let pos = from;
      let writer: BatchWriter | undefined;
      try {
        const res = await this.o.fetcher.open({ url: entry.url, start: from, ranged: from > 0, ifRange: this.ifRange() }, this.signal);
        this.allRequested();
        if (res.status === 200) {
          // The whole file from byte 0: nothing already in the .part may survive past its end.
          await file.truncate(0);
          entry.ranges = [];
          pos = 0;
          digest.dispose();
          if (res.totalBytes !== undefined) entry.totalBytes = res.totalBytes;
          digest = this.newDigest(entry.totalBytes);
          entry.etag = res.etag ?? entry.etag;
          entry.lastModified = res.lastModified ?? entry.lastModified;
        }
        const stop = res.length === undefined ? Number.POSITIVE_INFINITY : res.start + res.length;
        writer = new BatchWriter(file, pos, digest, (at, length) => {
          this.record(at, length);
          syncer?.written(length);
        });
        try {
          await this.take(writer, res.body, pos, stop);
        } finally {
          pos = writer.received;
        }
        if (Number.isFinite(stop) && pos < stop) throw new TruncatedBodyError(stop, pos);
        await writer.drain();
        if (entry.totalBytes === undefined || !Number.isFinite(stop)) entry.totalBytes = pos;
        await syncer?.settle();
        if (this.o.syncData !== false) await file.sync();
        return digest;
      } catch (err) {
        if (this.signal.aborted) throw this.signal.reason instanceof Error ? this.signal.reason : err;
        if (err instanceof RangeIgnoredError) {
          // Asked to continue, got the whole file: start over from byte 0 without Range.
          this.remote = { ...this.remote, acceptRanges: false };
        } else if (err instanceof DiskFullError || !(err instanceof DownloadError) || !err.retryable) throw err;
        const e = err as DownloadError;
        const delay = retrier.next({ retryAfterMs: e.retryAfterMs });
        if (delay === undefined) throw err;
        this.hooks.onNotice?.(`retrying stream: ${e.message}`, { file: entry.filename, at: pos, retry: retrier.retries });
        await (this.o.clock ?? systemClock).sleep(delay, this.signal);
      } finally {
        await writer?.close();
        await syncer?.settle().catch(() => undefined);
        await file.close().catch(() => undefined);
      }
    }
  }

  /** A digest already fed with the first `length` bytes of the .part file. */
  private async primeDigest(length: number): Promise<StreamDigest> {
    const digest = this.newDigest(this.entry.totalBytes);
    if (length > 0) await feedFile(digest, this.o.fs, this.part, length, this.signal);
    return digest;
  }

  /** `fileBytes`: the whole file's size when known (a small file may hash on this thread, DigestService.create). */
  private newDigest(fileBytes?: number): StreamDigest {
    return this.track((this.o.digests ?? inThreadDigests).create(fileBytes));
  }

  private allRequested(): void {
    if (this.allRequestedSaid) return;
    this.allRequestedSaid = true;
    this.hooks.onAllRequested?.();
  }

  private track(digest: StreamDigest): StreamDigest {
    this.digests.add(digest);
    return digest;
  }

  /** SHA-256 and FITS checksums of the first `size` bytes of a file on disk. */
  private async digestOf(path: string, size: number): Promise<DigestResult> {
    for (const service of [this.o.digests ?? inThreadDigests, inThreadDigests]) {
      const digest = this.track(service.create(size));
      await feedFile(digest, this.o.fs, path, size, this.signal);
      const result = await digest.finish().catch(() => undefined);
      if (result) return result;
      // The digest worker failed meanwhile: read the file again on this thread.
    }
    throw new Error('unreachable');
  }

  /** Streams one body through the writer; errors come out named (DownloadError or the abort reason). */
  private async take(writer: BatchWriter, body: ResponseBody, pos: number, stop: number): Promise<void> {
    try {
      await writer.take(body, pos, stop);
    } catch (err) {
      throw err instanceof DownloadError || this.signal.aborted ? err : this.o.fetcher.mapError(err);
    }
  }

  private record(pos: number, length: number): void {
    this.entry.ranges = addRange(this.entry.ranges, pos, pos + length);
    this.hooks.onBytes(length);
    this.hooks.onProgress();
  }

  /** Size, FITS checksums and SHA-256, then the rename that makes the file visible. */
  private async finish(streamed: StreamDigest | undefined): Promise<void> {
    const { entry } = this;
    const size = (await this.o.fs.size(this.part)) ?? 0;
    if (entry.totalBytes !== undefined && size !== entry.totalBytes) {
      await this.resetBytes();
      throw new VerificationError(`size on disk ${size} differs from the server's ${entry.totalBytes}`);
    }
    // The digest fed while streaming, when it saw exactly these bytes; else the file is read again.
    let digest: DigestResult | undefined;
    if (streamed && streamed.bytes === size) digest = await streamed.finish().catch(() => undefined);
    else streamed?.dispose();
    digest ??= await this.digestOf(this.part, size);
    if (hasChecksumFailure(digest.fits)) {
      const why = describeChecksumFailure(digest.fits);
      const reused = this.initialBytes > 0;
      await this.resetBytes();
      throw new VerificationError(`FITS checksum does not verify: ${why}`, { retryFromZero: reused });
    }
    await this.o.fs.rename(this.part, entry.localPath);
    await this.complete(digest, size);
  }

  private async complete(digest: DigestResult, size: number): Promise<void> {
    const marked = await this.hooks.beforeComplete?.(digest.sha256);
    const e = this.entry;
    marked?.();
    e.totalBytes = size;
    e.ranges = size > 0 ? [[0, size]] : [];
    e.sha256 = digest.sha256;
    e.fitsChecksum = fitsVerdict(digest.fits);
    e.status = 'complete';
    e.error = null;
    e.completedAt = new Date().toISOString();
    this.hooks.onProgress();
  }

  private withRetries<T>(fn: () => Promise<T>): Promise<T> {
    return withTransferRetries(fn, this.o, this.signal, (message, data) => this.hooks.onNotice?.(message, data), this.entry.filename);
  }
}

/**
 * fsync in the background every SYNC_EVERY bytes written, so the kernel writes the file back while
 * it downloads and the final fsync (before `complete`) has little left to do. Never awaited by
 * the transfer; errors are left to the final fsync, which reports them.
 */
class BackgroundSync {
  private static readonly SYNC_EVERY = 32 * 1024 * 1024;
  private pending = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly file: WritableFile) {}

  written(bytes: number): void {
    this.pending += bytes;
    if (this.pending < BackgroundSync.SYNC_EVERY || this.running) return;
    this.pending = 0;
    this.running = this.file.sync().catch(() => undefined).finally(() => (this.running = undefined));
  }

  /** Waits for a background fsync in flight (the file must not close under it). */
  async settle(): Promise<void> {
    await this.running;
  }
}

/** The open response of a file's first chunk, and what it told about the file. */
interface FirstChunk {
  readonly info: RemoteFileInfo;
  readonly chunk: ByteRange;
  readonly response: RangeResponse;
}

interface Lookahead {
  /** Request the next piece now (called once the current response has been accepted). */
  start(): void;
  /** Give the early request up and put its piece back in the queue. */
  drop(): void;
}

/**
 * Whether a file with `ranges` already on disk, fetched over `connections` connections, is written
 * in file order (its digest thread then writes it; otherwise the write thread does, out of order).
 * The one rule `fetchChunked` follows and a one-shot run predicts to start the write thread early.
 */
export function writtenInFileOrder(ranges: readonly ByteRange[], connections: number): boolean {
  return connections === 1 && (ranges.length === 0 || (ranges.length === 1 && ranges[0]![0] === 0));
}

function discard(response: Promise<RangeResponse>): void {
  response.then((r) => dropBody(r.body), () => undefined);
}

export function fitsVerdict(report: FitsChecksumReport): FitsVerdict {
  if (!report.isFits) return 'not_fits';
  return report.hdus.some((h) => h.checksum === 'valid' || h.datasum === 'valid') ? 'valid' : 'absent';
}

function describeChecksumFailure(report: FitsChecksumReport): string {
  return report.hdus
    .filter((h) => h.checksum === 'invalid' || h.datasum === 'invalid')
    .map((h) => `HDU ${h.index}${h.checksum === 'invalid' ? ' CHECKSUM' : ''}${h.datasum === 'invalid' ? ' DATASUM' : ''}`)
    .join(', ');
}
