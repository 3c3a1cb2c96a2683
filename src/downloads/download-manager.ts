/**
 * The download service: creates jobs, runs them through the job queue, keeps their state in the
 * job store, and reports progress. HTTP routes and the CLI are thin layers over this class.
 *
 * Guarantees: a file is `complete` only after verification; pause stops every transfer and frees
 * its connection and file handle, resume continues each file from its exact byte, cancel is
 * final; state changes are saved at once, byte progress at most once a second; after a crash the
 * unfinished jobs are found again (and resumed when AUTO_RESUME_DOWNLOADS).
 */
import { clientText } from '../client-text.js';
import { EventEmitter, setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { enforceCacheBound } from './cache-bound.js';
import { ChunkFetcher, createDownloadAgent } from './chunk-fetcher.js';
import { DiskFullError, DownloadError, TransferAbortedError } from './errors.js';
import { nodeFileLayer, type FileLayer } from './file-layer.js';
import { DigestService } from './digest-service.js';
import { FileDownloader } from './file-downloader.js';
import { FileJobStore } from './file-job-store.js';
import {
  canTransition, fileDownloadedBytes, isActive, isResumable, jobTotals, newFileEntry, transition,
  type FileEntry, type Job, type JobStatus, type PauseReason,
} from './job.js';
import { JobPersister } from './job-persister.js';
import { InProcessJobQueue, type JobQueue } from './job-queue.js';
import { assertJobId, type JobStore } from './job-store.js';
import { fileInside, observationDir, relativeInside, sanitizeFilename, validateObsId, validateProductSelection } from './paths.js';
import type { ProductQuery, ProductSource, RemoteProduct } from './product-source.js';
import { redirectAllowList } from './redirect-policy.js';
import { applyRetention } from './retention.js';
import { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy } from '../core/retry.js';
import { FileSlots, type SlotTicket } from './scheduler.js';
import { etaSeconds, SpeedMeter } from './speed-meter.js';

export interface DownloadLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface DownloadManagerOptions {
  /** MAST_DOWNLOAD_DIR. */
  readonly downloadDir: string;
  /** DATA_DIR, for the relative paths reported beside absolute ones. */
  readonly dataDir: string;
  readonly products: ProductSource;
  /** Origin that receives the MAST token (MAST_BASE_URL). */
  readonly mastBaseUrl?: string;
  /** Mirrors a download may be redirected to beside MAST_BASE_URL's host (DOWNLOAD_ALLOWED_HOSTS). */
  readonly allowedHosts?: readonly string[];
  readonly token?: string;
  readonly chunkSize?: number;
  readonly maxConcurrentFiles?: number;
  readonly connectionsPerFile?: number;
  /** Connections to one host at most (default: files × (2 × connections per file + 1), at most 32). */
  readonly connectionsPerHost?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Time for the waits between retries (tests inject one that does not sleep). */
  readonly retryClock?: Clock;
  /** Seconds without a byte before a transfer counts as stalled (default 60 s). */
  readonly stallTimeoutMs?: number;
  /** fsync each file before marking it complete, so `complete` survives a power cut (default true). */
  readonly syncData?: boolean;
  readonly autoResume?: boolean;
  readonly stateRetentionDays?: number;
  readonly cacheMaxBytes?: number;
  readonly store?: JobStore;
  readonly queue?: JobQueue;
  readonly fs?: FileLayer;
  readonly fetcher?: ChunkFetcher;
  readonly persistIntervalMs?: number;
  /** How often progress events are emitted per job (default 250 ms). */
  readonly progressIntervalMs?: number;
  readonly logger?: DownloadLogger;
  /**
   * Called when a file is complete (verified, renamed into place), before the job can complete:
   * the library registers its record here. A failure is logged, never fails the download.
   */
  readonly onFileComplete?: (file: CompletedDownload) => Promise<void> | void;
}

export interface CompletedDownload {
  readonly jobId: string;
  readonly obsId: string;
  readonly localPath: string;
  readonly relativePath: string;
  readonly sha256: string | null;
}

export interface CreateJobRequest {
  readonly obsId: string;
  readonly productType?: string;
  readonly calibLevel?: readonly number[] | null;
  readonly subgroup?: readonly string[] | null;
  /** File extensions (default `fits`, `*` for every one): the shared selection rule's. */
  readonly extension?: readonly string[] | null;
  readonly productId?: string | null;
  /**
   * Exact productFilename values to download. The product list is fetched when the job is
   * created and every name must be in it (else ValidationError naming the unknown ones); the
   * type, level, subgroup and extension filters do not apply to a selection.
   */
  readonly productFilenames?: readonly string[] | null;
}

export interface FileProgress {
  readonly filename: string;
  readonly localPath: string;
  readonly relativePath: string;
  readonly totalBytes: number;
  readonly downloadedBytes: number;
  readonly percent: number;
  readonly status: FileEntry['status'];
  readonly error: string | null;
  readonly sha256: string | null;
  readonly fitsChecksum: FileEntry['fitsChecksum'];
}

export interface JobProgress {
  readonly jobId: string;
  readonly obsId: string;
  readonly status: JobStatus;
  readonly pauseReason: PauseReason | null;
  readonly message: string;
  readonly error: string | null;
  readonly totalFiles: number;
  readonly completedFiles: number;
  readonly failedFiles: number;
  readonly currentFile: string | null;
  readonly totalBytes: number;
  readonly downloadedBytes: number;
  readonly percent: number;
  readonly speedBytesPerSec: number;
  readonly etaSeconds: number | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly downloadDir: string;
  /** complete, failed or cancelled (the contract's `is_complete`). */
  readonly isFinished: boolean;
  readonly isResumable: boolean;
  readonly files: readonly FileProgress[];
}

type StopReason = { kind: 'pause' | 'cancel' | 'shutdown' | 'disk_full'; error?: DiskFullError };

interface Runtime {
  speed: SpeedMeter;
  currentFile: string | null;
  stop: StopReason | undefined;
  lastEmit: number;
  emitTimer: NodeJS.Timeout | undefined;
}

const silentLogger: DownloadLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export class DownloadManager {
  readonly downloadDir: string;
  private readonly o: DownloadManagerOptions;
  private readonly store: JobStore;
  private readonly queue: JobQueue;
  private readonly fs: FileLayer;
  private readonly fetcher: ChunkFetcher;
  private readonly ownAgent: ReturnType<typeof createDownloadAgent> | undefined;
  private readonly downloader: FileDownloader;
  private readonly digests = new DigestService();
  private readonly persister: JobPersister;
  private readonly slots: FileSlots;
  private readonly jobs = new Map<string, Job>();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly resuming = new Set<string>();
  /** One running job per observation folder: the tail of each folder's turns (see observationTurn). */
  private readonly folderTurns = new Map<string, Promise<void>>();
  private readonly events = new EventEmitter();
  private readonly log: DownloadLogger;
  private dailyTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;

  constructor(options: DownloadManagerOptions) {
    this.o = options;
    this.downloadDir = options.downloadDir;
    this.log = options.logger ?? silentLogger;
    this.events.setMaxListeners(0);
    this.store = options.store ?? new FileJobStore(options.downloadDir, { onBadFile: (file, err) => this.log.warn({ file, err }, 'unreadable download state file skipped') });
    const files = options.maxConcurrentFiles ?? 3;
    const perFile = options.connectionsPerFile ?? 1;
    this.queue = options.queue ?? new InProcessJobQueue(Math.max(4, files));
    this.fs = options.fs ?? nodeFileLayer;
    // Each streaming connection may hold one request ahead of the one it streams; beyond those,
    // a connection per slot lets the next file send its first request while the one before it
    // finishes (FileSlots). Files only prepare on connections beyond the streaming ones, so a
    // preparing file can never hold a connection a streaming file waits for.
    const streamingConnections = files * perFile * 2;
    const perHost = options.connectionsPerHost ?? Math.min(32, streamingConnections + files);
    const prepareAhead = options.fetcher ? 0 : Math.max(0, Math.min(files, perHost - streamingConnections));
    if (options.fetcher) this.fetcher = options.fetcher;
    else {
      this.ownAgent = createDownloadAgent(perHost);
      this.fetcher = new ChunkFetcher({
        dispatcher: this.ownAgent,
        token: options.token,
        tokenOrigin: options.mastBaseUrl ? new URL(options.mastBaseUrl).origin : undefined,
        redirects: options.mastBaseUrl ? redirectAllowList(options.mastBaseUrl, options.allowedHosts) : undefined,
        stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
      });
    }
    const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.downloader = new FileDownloader({ fetcher: this.fetcher, fs: this.fs, chunkSize: options.chunkSize ?? 5 * 1024 * 1024, connectionsPerFile: perFile, retry, clock: options.retryClock, syncData: options.syncData, digests: this.digests });
    this.persister = new JobPersister(this.store, {
      intervalMs: options.persistIntervalMs ?? 1000,
      onError: (job, err) => this.log.error({ err, jobId: job.id }, 'could not save download state'),
    });
    this.slots = new FileSlots(files, prepareAhead);
    this.queue.process(async (jobId, signal) => {
      try {
        await this.runJob(jobId, signal);
      } finally {
        // Once the queue has let the job go (after this handler returns), waiters may settle.
        setImmediate(() => this.events.emit(`settled:${jobId}`));
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle

  /** Finds unfinished jobs again (resuming them when allowed) and runs the housekeeping. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await mkdir(this.downloadDir, { recursive: true });
    if (this.store instanceof FileJobStore) await this.store.removeStaleTemporaries().catch(() => 0);
    for (const job of await this.store.list()) {
      if (isActive(job.status)) {
        // It was running when the engine stopped (crash or kill -9).
        transition(job, 'paused');
        job.pauseReason = 'interrupted';
        job.message = 'Interrupted by an engine restart';
      }
      for (const f of job.files) if (f.status === 'downloading') f.status = 'paused';
      this.jobs.set(job.id, job);
    }
    await this.housekeeping();
    const auto = this.o.autoResume ?? true;
    for (const job of this.jobs.values()) {
      if (job.status !== 'paused') continue;
      if (auto && job.pauseReason !== 'user') {
        this.log.info({ jobId: job.id, obsId: job.obsId }, 'resuming unfinished download');
        await this.resume(job.id).catch((err: unknown) => this.log.warn({ err, jobId: job.id }, 'could not resume'));
      } else await this.persister.flush(job);
    }
    this.dailyTimer = setInterval(() => void this.housekeeping(), 86_400_000);
    this.dailyTimer.unref();
  }

  /** Stops every transfer, saves every job (as paused by shutdown, so a restart resumes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dailyTimer) clearInterval(this.dailyTimer);
    for (const job of this.jobs.values()) if (isActive(job.status)) this.runtime(job.id).stop = { kind: 'shutdown' };
    await this.queue.close(new TransferAbortedError('engine shutting down'));
    for (const job of this.jobs.values()) {
      if (job.status === 'queued') {
        // Waiting in the queue, never started: keep it resumable.
        transition(job, 'paused');
        job.pauseReason = 'shutdown';
      }
      const rt = this.runtimes.get(job.id);
      if (rt?.emitTimer) clearTimeout(rt.emitTimer);
    }
    await this.persister.drain(this.jobs.values());
    for (const job of this.jobs.values()) await this.persister.flush(job);
    await this.ownAgent?.close().catch(() => undefined);
    await this.digests.close().catch(() => undefined);
  }

  /** Retention and the optional cache bound. */
  async housekeeping(): Promise<void> {
    try {
      const live = [...this.jobs.values()].filter((j) => !['complete', 'cancelled'].includes(j.status));
      const report = await applyRetention({ store: this.store, downloadDir: this.downloadDir, retentionDays: this.o.stateRetentionDays ?? 7, liveJobs: live });
      for (const id of report.removedStates) this.jobs.delete(id);
      if (report.removedStates.length || report.removedPartFiles.length) this.log.info(report, 'download retention applied');
      await this.applyCacheBound();
    } catch (err) {
      this.log.warn({ err }, 'download housekeeping failed');
    }
  }

  private async applyCacheBound(): Promise<void> {
    if (!this.o.cacheMaxBytes) return;
    const protectedObs = new Set([...this.jobs.values()].filter((j) => j.status !== 'complete' && j.status !== 'cancelled').map((j) => j.obsId));
    const report = await enforceCacheBound(this.downloadDir, this.o.cacheMaxBytes, protectedObs);
    if (report.evicted.length) this.log.info(report, 'download cache bound applied (least recently used observations removed)');
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  async createJob(request: CreateJobRequest): Promise<Job> {
    if (this.closed) throw new ConflictError('The download service is shutting down', 'DOWNLOAD_CLOSED');
    validateObsId(request.obsId);
    const selection = request.productFilenames ? validateProductSelection(request.productFilenames) : null;
    // A request for files a queued or running job already fetches joins that job.
    const joined = this.activeJobCovering(request, selection);
    if (joined) return joined;
    // A selection is checked against the product list now, so unknown names are the caller's 422.
    const selected = selection ? await this.listSelection(request.obsId, selection) : undefined;
    if (this.closed) throw new ConflictError('The download service is shutting down', 'DOWNLOAD_CLOSED');
    const now = new Date().toISOString();
    const job: Job = {
      id: randomUUID().replace(/-/g, '').slice(0, 12),
      obsId: request.obsId,
      productType: request.productType ?? 'SCIENCE',
      calibLevel: request.calibLevel ? [...request.calibLevel] : null,
      subgroup: request.subgroup ? [...request.subgroup] : null,
      extension: request.extension && request.extension.length > 0 ? [...request.extension] : null,
      productId: request.productId ?? null,
      productFilenames: selection,
      downloadDir: observationDir(this.downloadDir, request.obsId),
      files: [],
      status: 'queued',
      pauseReason: null,
      error: null,
      message: 'Queued for download',
      createdAt: now,
      startedAt: null,
      completedAt: null,
      updatedAt: now,
    };
    if (selected) {
      job.files = this.entriesFor(job, selected);
      job.message = `Queued for download (${job.files.length} selected files)`;
    }
    this.jobs.set(job.id, job);
    await this.persister.flush(job);
    this.emit(job, true);
    this.queue.enqueue(job.id);
    return job;
  }

  /** The products named by a selection, in the listing's order; every name must be listed. */
  private async listSelection(obsId: string, names: readonly string[], signal: AbortSignal = AbortSignal.timeout(300_000)): Promise<RemoteProduct[]> {
    const query: ProductQuery = { filenames: names };
    const products = (await this.o.products.listProducts(obsId, query, signal)).filter((p) => names.includes(p.filename));
    const listed = new Set(products.map((p) => p.filename));
    const unknown = names.filter((n) => !listed.has(n));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 20).join(', ') + (unknown.length > 20 ? `, … (${unknown.length - 20} more)` : '');
      throw new ValidationError(`product_filenames: ${unknown.length} name(s) not among the products of ${obsId}: ${shown}`, 'DOWNLOAD_UNKNOWN_PRODUCTS');
    }
    return products;
  }

  /** Continues a paused or failed job from the bytes on disk; 409 when it already runs. */
  async resume(jobId: string): Promise<Job> {
    assertJobId(jobId);
    if (this.resuming.has(jobId)) throw new ConflictError(`Job ${jobId} is already being resumed`, 'DOWNLOAD_RESUME_CONFLICT');
    this.resuming.add(jobId);
    try {
      const job = await this.getOrLoad(jobId);
      if (!job) throw new NotFoundError(`No resumable state found for job ${jobId}`, 'DOWNLOAD_JOB_NOT_FOUND');
      if (isActive(job.status) || this.queue.has(jobId)) throw new ConflictError(`Job ${jobId} is already being resumed`, 'DOWNLOAD_RESUME_CONFLICT');
      if (job.status !== 'paused' && job.status !== 'failed') throw new BadRequestError(`Job ${jobId} is not resumable (status: ${job.status})`, 'DOWNLOAD_NOT_RESUMABLE');
      if (this.closed) throw new ConflictError('The download service is shutting down', 'DOWNLOAD_CLOSED');
      transition(job, 'queued');
      job.error = null;
      job.message = 'Resuming download...';
      for (const f of job.files) if (f.status === 'failed' || f.status === 'paused' || f.status === 'downloading') f.status = 'pending';
      this.runtime(jobId).stop = undefined;
      await this.persister.flush(job);
      this.emit(job, true);
      this.queue.enqueue(job.id);
      return job;
    } finally {
      this.resuming.delete(jobId);
    }
  }

  /** Stops the job's transfers; bytes stay on disk; the job waits for `resume`. */
  async pause(jobId: string): Promise<Job> {
    assertJobId(jobId);
    const job = this.jobs.get(jobId);
    if (!job || !(isActive(job.status) || job.status === 'paused')) throw new NotFoundError(`No active download for job ${jobId}`, 'DOWNLOAD_NOT_ACTIVE');
    if (job.status === 'paused') return job;
    this.runtime(jobId).stop = { kind: 'pause' };
    await this.queue.abort(jobId, new TransferAbortedError('paused by user'));
    if (isActive(job.status)) this.settleStopped(job, { kind: 'pause' });
    await this.persister.flush(job);
    this.emit(job, true);
    return job;
  }

  /**
   * Cancels for good: transfers stop and the job's `.part` files are removed at once (completed
   * files stay; a `.part` another unfinished job of the folder lists is left to it); never becomes
   * paused.
   */
  async cancel(jobId: string): Promise<{ job: Job; wasActive: boolean }> {
    assertJobId(jobId);
    const job = await this.getOrLoad(jobId);
    if (!job) throw new NotFoundError(`No download found for job ${jobId}`, 'DOWNLOAD_JOB_NOT_FOUND');
    if (job.status === 'cancelled') return { job, wasActive: false };
    if (job.status === 'complete') throw new ConflictError(`Job ${jobId} is already complete`, 'DOWNLOAD_ALREADY_COMPLETE');
    const wasActive = isActive(job.status);
    this.runtime(jobId).stop = { kind: 'cancel' };
    transition(job, 'cancelled');
    job.error = 'Cancelled by user';
    job.message = 'Download cancelled';
    await this.queue.abort(jobId, new TransferAbortedError('cancelled by user'));
    for (const f of job.files) if (f.status === 'downloading' || f.status === 'pending') f.status = 'paused';
    // The handler has returned (queue.abort waits): no transfer of this job writes any more.
    await this.removePartFiles(job);
    await this.persister.flush(job);
    this.emit(job, true);
    return { job, wasActive };
  }

  /** Removes the `.part` files of a cancelled job's unfinished files; their recorded bytes go with them. */
  private async removePartFiles(job: Job): Promise<void> {
    const kept = new Set<string>();
    for (const other of this.jobs.values()) {
      if (other.id !== job.id && other.status !== 'cancelled') for (const f of other.files) kept.add(f.localPath);
    }
    for (const f of job.files) {
      if (f.status === 'complete' || kept.has(f.localPath)) continue;
      const part = `${f.localPath}.part`;
      if (relativeInside(this.downloadDir, part) === undefined) continue;
      try {
        if ((await this.fs.size(part)) !== undefined) await this.fs.remove(part);
        f.ranges = [];
      } catch (err) {
        // Retention removes it later; the cancel itself has happened.
        this.log.warn({ err, jobId: job.id, file: f.filename }, 'could not remove the .part file of a cancelled download');
      }
    }
  }

  /** Forgets a job (cancelling it first if it runs); optionally deletes its files and `.part`s. */
  async dismiss(jobId: string, deleteFiles: boolean): Promise<{ deletedFiles: number }> {
    assertJobId(jobId);
    const job = await this.getOrLoad(jobId);
    if (!job) throw new NotFoundError(`Job ${jobId} not found`, 'DOWNLOAD_JOB_NOT_FOUND');
    if (isActive(job.status)) await this.cancel(jobId);
    let deletedFiles = 0;
    if (deleteFiles) {
      // Files another job lists (running, paused or complete) stay: they are its files too.
      const shared = new Set<string>();
      for (const other of this.jobs.values()) if (other.id !== jobId) for (const f of other.files) shared.add(f.localPath);
      for (const f of job.files) {
        if (shared.has(f.localPath)) continue;
        for (const path of [f.localPath, `${f.localPath}.part`]) {
          if (relativeInside(this.downloadDir, path) === undefined) continue;
          if ((await this.fs.size(path)) !== undefined) {
            await this.fs.remove(path);
            deletedFiles++;
          }
        }
      }
    }
    this.persister.forget(jobId);
    await this.store.delete(jobId);
    this.jobs.delete(jobId);
    const rt = this.runtimes.get(jobId);
    if (rt?.emitTimer) clearTimeout(rt.emitTimer);
    this.runtimes.delete(jobId);
    this.events.emit(`end:${jobId}`);
    return { deletedFiles };
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  get(jobId: string): Job | undefined {
    return this.jobs.get(jobId);
  }

  async getOrLoad(jobId: string): Promise<Job | undefined> {
    const mem = this.jobs.get(jobId);
    if (mem) return mem;
    const loaded = await this.store.load(jobId);
    if (!loaded) return undefined;
    // Another caller may have loaded it meanwhile: keep one object per job.
    const again = this.jobs.get(jobId);
    if (again) return again;
    if (isActive(loaded.status) && !this.queue.has(jobId)) {
      transition(loaded, 'paused');
      loaded.pauseReason = 'interrupted';
    }
    this.jobs.set(jobId, loaded);
    return loaded;
  }

  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  resumable(): Job[] {
    return this.list().filter((j) => isResumable(j) && !this.queue.has(j.id));
  }

  progress(job: Job): JobProgress {
    const totals = jobTotals(job);
    const rt = this.runtimes.get(job.id);
    const running = job.status === 'downloading';
    const speed = running && rt ? rt.speed.rate() : 0;
    const eta = running ? etaSeconds(totals.totalBytes - totals.downloadedBytes, speed) : job.status === 'complete' ? 0 : undefined;
    const finished = job.status === 'complete' || job.status === 'failed' || job.status === 'cancelled';
    return {
      jobId: job.id,
      obsId: job.obsId,
      status: job.status,
      pauseReason: job.pauseReason,
      message: job.message,
      error: job.error,
      totalFiles: job.files.length,
      completedFiles: totals.completedFiles,
      failedFiles: job.files.filter((f) => f.status === 'failed').length,
      currentFile: running ? rt?.currentFile ?? null : null,
      totalBytes: totals.totalBytes,
      downloadedBytes: totals.downloadedBytes,
      percent: totals.totalBytes > 0 ? Math.min(100, (totals.downloadedBytes / totals.totalBytes) * 100) : job.status === 'complete' ? 100 : 0,
      speedBytesPerSec: speed,
      etaSeconds: eta ?? null,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      completedAt: job.completedAt,
      downloadDir: job.downloadDir,
      isFinished: finished,
      isResumable: isResumable(job) && !this.queue.has(job.id),
      files: job.files.map((f) => {
        const total = f.totalBytes ?? 0;
        const done = fileDownloadedBytes(f);
        return {
          filename: f.filename,
          localPath: f.localPath,
          relativePath: f.relativePath,
          totalBytes: total,
          downloadedBytes: done,
          percent: total > 0 ? Math.min(100, (done / total) * 100) : f.status === 'complete' ? 100 : 0,
          status: f.status,
          error: f.error,
          sha256: f.sha256,
          fitsChecksum: f.fitsChecksum,
        };
      }),
    };
  }

  /** Calls `listener` with the job's progress on every state change and at most every 250 ms. */
  subscribe(jobId: string, listener: (progress: JobProgress) => void, onEnd?: () => void): () => void {
    const name = `update:${jobId}`;
    this.events.on(name, listener);
    if (onEnd) this.events.on(`end:${jobId}`, onEnd);
    return () => {
      this.events.off(name, listener);
      if (onEnd) this.events.off(`end:${jobId}`, onEnd);
    };
  }

  /** Resolves when the job is no longer queued or running. */
  waitUntilSettled(jobId: string, signal?: AbortSignal): Promise<Job> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const job = this.jobs.get(jobId);
        if (!job) {
          done();
          reject(new NotFoundError(`Job ${jobId} not found`));
        } else if (!isActive(job.status) && !this.queue.has(jobId)) {
          done();
          resolve(job);
        }
      };
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      const unsubscribe = this.subscribe(jobId, check, check);
      this.events.on(`settled:${jobId}`, check);
      const timer = setInterval(check, 200);
      const done = () => {
        unsubscribe();
        this.events.off(`settled:${jobId}`, check);
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  // ------------------------------------------------------------------------------------------
  // Running a job

  private runtime(jobId: string): Runtime {
    let rt = this.runtimes.get(jobId);
    if (!rt) {
      rt = { speed: new SpeedMeter(), currentFile: null, stop: undefined, lastEmit: 0, emitTimer: undefined };
      this.runtimes.set(jobId, rt);
    }
    return rt;
  }

  private async runJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'queued') return;
    const rt = this.runtime(jobId);
    rt.speed.reset();
    // Job-level signal: the queue's (pause, cancel, shutdown) or a full disk in any of its files.
    const local = new AbortController();
    // Every file, chunk request and backoff of the job listens to this signal.
    setMaxListeners(0, local.signal);
    const onQueueAbort = () => local.abort(queueSignal.reason);
    queueSignal.addEventListener('abort', onQueueAbort, { once: true });
    const signal = local.signal;
    let endTurn: (() => void) | undefined;
    try {
      endTurn = await this.observationTurn(job, signal);
      if (job.files.length === 0) {
        transition(job, 'fetching_products');
        job.message = 'Fetching product information from MAST...';
        await this.persister.flush(job);
        this.emit(job, true);
        const products = job.productFilenames
          ? await this.listSelection(job.obsId, job.productFilenames, signal)
          : await this.o.products.listProducts(job.obsId, {
            productType: [job.productType], calibLevel: job.calibLevel, subgroup: job.subgroup, extension: job.extension, productId: job.productId,
          }, signal);
        signal.throwIfAborted();
        job.files = this.entriesFor(job, products);
        if (job.files.length === 0) {
          transition(job, 'complete');
          job.message = 'No files to download';
          return;
        }
      }
      transition(job, 'downloading');
      job.startedAt ??= new Date().toISOString();
      for (const f of job.files) if (f.status !== 'complete' && f.status !== 'failed') f.status = 'pending';
      const totals = jobTotals(job);
      job.message = `Downloading ${job.files.length} files (${formatBytes(totals.totalBytes)})...`;
      await this.persister.flush(job);
      this.emit(job, true);
      await this.checkDiskSpace(job);
      await mkdir(job.downloadDir, { recursive: true });
      const todo = job.files.filter((f) => f.status === 'pending');
      await Promise.all(todo.map((f) => this.runFile(job, f, signal, local)));
    } catch (err) {
      if (err instanceof DiskFullError) rt.stop = { kind: 'disk_full', error: err };
      else if (!signal.aborted) {
        if (canTransition(job.status, 'failed')) {
          transition(job, 'failed');
          job.error = clientText(err, { dataDir: this.o.dataDir, internalMessage: 'unexpected error' });
          job.message = 'Download failed';
          this.log.warn({ err, jobId }, 'download job failed');
        }
      }
    } finally {
      endTurn?.();
      queueSignal.removeEventListener('abort', onQueueAbort);
      if (isActive(job.status)) this.settle(job);
      for (const f of job.files) if (f.status === 'downloading') f.status = 'paused';
      rt.currentFile = null;
      await this.persister.flush(job);
      this.emit(job, true);
      if ((job.status as JobStatus) === 'complete') void this.applyCacheBound().catch(() => undefined);
    }
  }

  /**
   * Waits until no other job of the same observation folder runs, so two jobs never write the
   * same `.part` (a later job then finds the files the earlier one finished, verified, on disk).
   * Returns the function that lets the next job in.
   */
  private async observationTurn(job: Job, signal: AbortSignal): Promise<() => void> {
    const key = job.downloadDir;
    const previous = this.folderTurns.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.folderTurns.set(key, tail);
    const end = () => {
      release();
      if (this.folderTurns.get(key) === tail) this.folderTurns.delete(key);
    };
    if (!previous) return end;
    job.message = 'Waiting for another download of this observation to finish';
    this.emit(job, true);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        void previous.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    } catch (err) {
      end();
      throw err;
    }
    return end;
  }

  /** A queued or running job of the observation that fetches every file `request` asks for. */
  private activeJobCovering(request: CreateJobRequest, selection: string[] | null): Job | undefined {
    const same = (a: readonly unknown[] | null | undefined, b: readonly unknown[] | null | undefined) =>
      JSON.stringify(a ? [...a].map(String).sort() : null) === JSON.stringify(b ? [...b].map(String).sort() : null);
    for (const job of this.jobs.values()) {
      if (!isActive(job.status) || job.obsId !== request.obsId) continue;
      const sameFilters = (request.productType ?? 'SCIENCE') === job.productType && same(request.calibLevel, job.calibLevel) &&
        same(request.subgroup, job.subgroup) && same(request.extension?.length ? request.extension : null, job.extension) &&
        (request.productId ?? null) === job.productId;
      if (!selection && !job.productFilenames && sameFilters) return job;
      if (selection) {
        const names = job.productFilenames ?? (job.files.length > 0 ? job.files.map((f) => f.filename) : null);
        if (names && selection.every((n) => names.includes(n))) return job;
      }
    }
    return undefined;
  }

  /** Decides the end state of a job whose transfers have all returned. */
  private settle(job: Job): void {
    const stop = this.runtime(job.id).stop;
    if (stop) {
      this.settleStopped(job, stop);
      return;
    }
    const failed = job.files.filter((f) => f.status === 'failed');
    if (failed.length > 0) {
      transition(job, 'failed');
      job.error = `${failed.length} file(s) failed to download: ${failed.map((f) => `${f.filename} (${f.error ?? 'error'})`).join('; ')}`;
      job.message = 'Download failed';
      return;
    }
    if (job.files.every((f) => f.status === 'complete')) {
      transition(job, 'complete');
      job.error = null;
      job.message = `Downloaded ${job.files.length} files`;
      return;
    }
    transition(job, 'paused');
    job.pauseReason = 'interrupted';
  }

  private settleStopped(job: Job, stop: StopReason): void {
    if (job.status === 'cancelled' || stop.kind === 'cancel') return;
    transition(job, 'paused');
    if (stop.kind === 'disk_full') {
      job.pauseReason = 'disk_full';
      job.error = `Disk full: ${stop.error ? clientText(stop.error, { dataDir: this.o.dataDir }) : 'no space left'}. Free some space and resume; the bytes already written are kept.`;
      job.message = 'Paused: disk full';
    } else if (stop.kind === 'shutdown') {
      job.pauseReason = 'shutdown';
      job.message = 'Paused by engine shutdown';
    } else {
      job.pauseReason = 'user';
      job.message = 'Download paused';
    }
  }

  private async runFile(job: Job, file: FileEntry, signal: AbortSignal, jobAbort: AbortController): Promise<void> {
    let ticket: SlotTicket | undefined;
    const rt = this.runtime(job.id);
    try {
      ticket = await this.slots.enter(signal);
      const slot = ticket;
      rt.currentFile = file.filename;
      await this.downloader.download(file, signal, {
        onBytes: (n) => rt.speed.add(n),
        beforeStreaming: () => slot.stream(signal),
        onAllRequested: () => slot.handOver(),
        onProgress: () => {
          this.persister.touch(job);
          this.emit(job, false);
        },
        onNotice: (message, data) => this.log.info({ jobId: job.id, ...data }, message),
      });
      this.log.debug({ jobId: job.id, file: file.filename, sha256: file.sha256 }, 'file complete');
      if (this.o.onFileComplete && file.status === 'complete') {
        try {
          await this.o.onFileComplete({ jobId: job.id, obsId: job.obsId, localPath: file.localPath, relativePath: file.relativePath, sha256: file.sha256 ?? null });
        } catch (err) {
          this.log.warn({ err, jobId: job.id, file: file.filename }, 'file-complete hook failed');
        }
      }
    } catch (err) {
      if (err instanceof DiskFullError) {
        file.status = 'paused';
        file.error = clientText(err, { dataDir: this.o.dataDir });
        if (!signal.aborted) {
          rt.stop = { kind: 'disk_full', error: err };
          jobAbort.abort(err);
        }
      } else if (signal.aborted) {
        if (file.status !== 'complete') file.status = 'paused';
      } else {
        file.status = 'failed';
        file.error = clientText(err, { dataDir: this.o.dataDir, internalMessage: 'unexpected error' });
        if (!(err instanceof DownloadError)) this.log.error({ err, jobId: job.id, file: file.filename }, 'unexpected download error');
      }
    } finally {
      ticket?.release();
      if (rt.currentFile === file.filename) rt.currentFile = job.files.find((f) => f.status === 'downloading')?.filename ?? null;
      this.persister.touch(job);
      this.emit(job, true);
    }
  }

  private async checkDiskSpace(job: Job): Promise<void> {
    const free = await this.fs.freeBytes(this.downloadDir);
    if (free === undefined) return;
    let need = 0;
    for (const f of job.files) if (f.status !== 'complete' && f.totalBytes !== undefined) need += Math.max(0, f.totalBytes - fileDownloadedBytes(f));
    if (need > free) throw new DiskFullError(`not enough free disk space: ${formatBytes(need)} needed, ${formatBytes(free)} free in ${this.downloadDir}`);
  }

  private entriesFor(job: Job, products: readonly RemoteProduct[]): FileEntry[] {
    const seen = new Set<string>();
    const out: FileEntry[] = [];
    for (const p of products) {
      let filename: string;
      let error: string | null = null;
      try {
        filename = sanitizeFilename(p.filename);
      } catch (err) {
        filename = p.filename;
        error = (err as Error).message;
      }
      if (seen.has(filename)) continue;
      seen.add(filename);
      const localPath = error ? `${job.downloadDir}/.invalid` : fileInside(job.downloadDir, filename);
      const relativePath = relativeInside(this.o.dataDir, localPath) ?? relativeInside(this.downloadDir, localPath) ?? filename;
      out.push(newFileEntry({ filename, url: p.url, dataUri: p.dataUri, localPath, relativePath, totalBytes: p.size }, error));
    }
    return out;
  }

  /** Progress events: state changes at once, byte progress at most every `progressIntervalMs`. */
  private emit(job: Job, now: boolean): void {
    const rt = this.runtime(job.id);
    const interval = this.o.progressIntervalMs ?? 250;
    const fire = () => {
      rt.emitTimer = undefined;
      rt.lastEmit = Date.now();
      this.events.emit(`update:${job.id}`, this.progress(job));
    };
    if (now) {
      if (rt.emitTimer) clearTimeout(rt.emitTimer);
      fire();
      return;
    }
    if (rt.emitTimer) return;
    rt.emitTimer = setTimeout(fire, Math.max(0, interval - (Date.now() - rt.lastEmit)));
    rt.emitTimer.unref();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
