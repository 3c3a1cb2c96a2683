/**
 * The download service: downloads are jobs of the job core (kind `download`, lane `transfer`,
 * pausable). This class registers the kind's handler (the run: product list, chunked transfers,
 * verification) with a `JobService` and maps its records to the download view (`Job`, job.ts) the
 * `/mast/download/*` routes and the CLI speak. The record is the one source of truth: state from
 * the core's state machine, the files' byte ranges and validators in its checkpoint, events on the
 * core's stream, so `/api/jobs` lists and controls downloads too, and a `jwst-engine worker` on any
 * machine sharing DATA_DIR runs them when REDIS_URL is set.
 *
 * Guarantees: a file is `complete` only after verification; pause stops every transfer and frees
 * its connection and file handle, resume continues each file from its exact byte (on any node),
 * cancel is final and removes the job's `.part` files; byte progress is checkpointed at most once a
 * second (the service's persist interval), every state change of the job at once, a file's layout
 * and completion in coalesced writes (coalesced-saves.ts: one write saves every file that changed
 * meanwhile, awaited before the file's first byte and after its completion); one observation is written
 * by one job at a time, across processes (observation-lock.ts).
 */
import { clientText } from '../client-text.js';
import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ONE_SHOT_CHECKPOINT_THREAD_START } from '../db/sqlite.js';
import { join } from 'node:path';
import { BadRequestError, ConflictError, EngineError, NotFoundError, ValidationError } from '../errors.js';
import {
  InProcessBackend, JobHandlerRegistry, JobPauseRequest, JobService, JOBS_DB_NAME, type CompletionWrites, SqliteJobStore, isActive as isCoreActive,
  type JobHandler, type JobRecord, type JobRunContext, type JobRunResult, type JobStore as CoreJobStore, type JobSummary, type JsonObject,
  isFinished as isFinishedState,
} from '../jobs/index.js';
import { enforceCacheBound } from './cache-bound.js';
import { LoopSlices } from '../core/loop-slices.js';
import { ChunkFetcher, createDownloadAgent } from './chunk-fetcher.js';
import { DiskFullError, DownloadError, PermanentHttpError } from './errors.js';
import { nodeFileLayer, type FileLayer } from './file-layer.js';
import { DigestService, SMALL_STREAM } from './digest-service.js';
import { CheckpointBuilder } from './checkpoint-builder.js';
import { CoalescedSaves } from './coalesced-saves.js';
import { FileDownloader, writtenInFileOrder } from './file-downloader.js';
import { AwsMirror, DEFAULT_AWS_MIRROR } from './aws-mirror.js';
import { ObjectFileDownloader, objectKeyOf } from './object-downloader.js';
import type { StorageProvider } from '../storage/provider.js';
import {
  fileDownloadedBytes, fileFromJson, isResumable, jobFromJson, jobToJson, jobTotals, newFileEntry, requestJson,
  type DownloadSource, type FileEntry, type Job, type JobJson, type JobStatus, type PauseReason,
} from './job.js';
import { markImported, readLegacyStates } from './legacy-state.js';
import { lockObservation } from './observation-lock.js';
import { fileInside, observationDir, relativeInside, sanitizeFilename, validateObsId, validateProductSelection } from './paths.js';
import type { ProductQuery, ProductSource, RemoteProduct } from './product-source.js';
import { redirectAllowList } from './redirect-policy.js';
import { applyRetention } from './retention.js';
import { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy } from '../core/retry.js';
import { FileSlots, type SlotTicket } from './scheduler.js';
import { etaSeconds, SpeedMeter } from './speed-meter.js';

/** The job-core kind of downloads. */
export const DOWNLOAD_KIND = 'download';

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
  /**
   * The engine's job service: download records live in its store beside every other job and run
   * on its backend (in-process, or BullMQ workers). Without it the manager makes its own (the CLI,
   * tests): records in `jobStore` (default a SqliteJobStore of its own, DATA_DIR/jobs.sqlite; the CLI passes
   * the engine's), runs in this process.
   */
  readonly jobs?: JobService;
  /** The store of the manager's own job service (only without `jobs`). */
  readonly jobStore?: CoreJobStore;
  /**
   * Only without `jobs`: find runs a crash cut at start (default true). The CLI sets false: the
   * store may be shared with a running engine whose jobs are not its to resume.
   */
  readonly recoverOnStart?: boolean;
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
  /** AUTO_RESUME_DOWNLOADS: a download cut by a crash is queued again at start (default true); false: it waits, paused (`interrupted`). */
  readonly autoResume?: boolean;
  readonly stateRetentionDays?: number;
  readonly cacheMaxBytes?: number;
  readonly fs?: FileLayer;
  readonly fetcher?: ChunkFetcher;
  /**
   * Where finished files go when not on local disk (STORAGE_PROVIDER=s3): each file streams into
   * a multipart upload under its key `mast/{obs_id}/{file}`, resumable from the checkpoint
   * (object-downloader.ts). Absent: `.part` files under the download folder.
   */
  readonly objectStore?: StorageProvider;
  /** The digest threads of this process's runs (tests inject one whose threads cannot start). */
  readonly digests?: DigestService;
  /**
   * Boot the digest threads when a job is created or run (default true: a service's first job,
   * whose products are listed meanwhile). False for a one-shot process (the CLI): they start at
   * its first file over SMALL_STREAM (8 MiB) bytes, and a download of small files, hashed on the
   * event loop, starts none (a thread's boot is ~0.1 CPU s; issue #20, session 17).
   */
  readonly startDigestThreadsEarly?: boolean;
  /** Bytes per uploaded part into `objectStore` (default 8 MiB; at least 5 MiB). */
  readonly partBytes?: number;
  /** The AWS mirror jobs with `source: 'aws'` fetch from (default: bucket stpubdata on AWS, keys from MAST_BASE_URL's path lookup). */
  readonly mirror?: AwsMirror;
  /** Only without `jobs`: progress written to the store at most this often (default 1000 ms). */
  readonly persistIntervalMs?: number;
  /** How often progress events are published per job (default 250 ms). */
  readonly progressIntervalMs?: number;
  readonly logger?: DownloadLogger;
  /**
   * Called when a file is in place and verified, before it is marked complete: the library reads
   * its headers and returns the writes of its record, which commit in the same transaction as the
   * first saved state of the job that marks the file complete (JobRunContext.alsoWrite). A failure
   * is logged, never fails the download (the file is then complete without a record until a scan).
   */
  readonly onFileComplete?: (file: CompletedDownload) => Promise<CompletionWrites | void> | CompletionWrites | void;
  /**
   * Whether something outside the downloads still needs a file that `job` (being dismissed with
   * its files) lists: the library, when a record was made from it or the file is in another user's
   * data. Dismissing a job with its files keeps such a file. Absent: nothing else does.
   */
  readonly isFileReferenced?: (localPath: string, job: { readonly id: string; readonly owner: string | null }) => Promise<boolean>;
}

export interface CompletedDownload {
  readonly jobId: string;
  readonly obsId: string;
  readonly localPath: string;
  readonly relativePath: string;
  readonly sha256: string | null;
  /** Where the file is: its local path, or `s3://bucket/key` when downloaded into object storage. */
  readonly location: string;
  /** The download job's owner (the user who asked), or null without users. */
  readonly owner: string | null;
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
  /** `aws`: fetch from the AWS mirror (bucket stpubdata), MAST for files it lacks. Default `mast`. */
  readonly source?: DownloadSource;
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

const silentLogger: DownloadLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

const ALL = Number.MAX_SAFE_INTEGER;
/** The store query of every download job (of `owner` when given): `list` and `listEach` read the same jobs. */
const downloadsOf = (owner: string | null | undefined) => ({ kinds: [DOWNLOAD_KIND], limit: ALL, ...(owner !== undefined ? { owner } : {}) });
/** `list`'s order, after the store's newest first: stably by creation. */
const oldestFirst = (a: { readonly createdAt: string }, b: { readonly createdAt: string }): number => a.createdAt.localeCompare(b.createdAt);
/** Most ids per store query of `listEach` (the SQL stores put them in one IN list). */
const IDS_PER_QUERY = 200;
/**
 * Longest `listEach` works on the event loop before it lets the loop run, ms (issue #20, session
 * 19: 10; session 20: 5, now that one job's item is made in slices too).
 */
const LIST_SLICE_MS = 5;
/** What one store query of `listEach` is sized to take, ms (its records are parsed in one piece). */
const READ_MS = 10;

/** A page of `listEach`'s list: `offset` jobs skipped, then at most `limit` (every one when absent). */
export interface ListPage {
  readonly offset: number;
  readonly limit?: number;
}

/**
 * What a finished (completed, failed, cancelled) download record's answer is kept under: its state
 * and `updatedAt`, which every write of the record changes (a resume, which runs it again, and any
 * later end); null while it is not finished. `listEach` (issue #20, session 18).
 */
export function finishedVersionOf(s: Pick<JobSummary, 'state' | 'updatedAt'>): string | null {
  return isFinishedState(s.state) ? `${s.state} ${s.updatedAt}` : null;
}
/** Longest a one-shot run waits for its digest threads to boot (~0.1 s) before its first request; later, it goes on without them as before. */
const DIGEST_BOOT_WAIT_MS = 1_000;

/** The record's inputs: the request, snake_case like the saved form (no server path: /api/jobs shows them). */
const inputsOf = (job: Job): JsonObject => requestJson(job) as unknown as JsonObject;

const STATUS_OF_STATE: Readonly<Record<JobRecord['state'], JobStatus>> = {
  queued: 'queued', running: 'downloading', paused: 'paused', completed: 'complete', failed: 'failed', cancelled: 'cancelled',
};

/**
 * The download view of a record: its checkpoint (the saved form) or, before the first run, its
 * inputs; the status, times and owner from the record (the core's state machine is the only one).
 * `files`, when given, are the checkpoint's files already read (`downloadJobIn`).
 */
export function downloadJobOf(record: JobRecord, files?: FileEntry[]): Job {
  const saved = (record.checkpoint ?? { ...record.inputs, download_dir: '', files: [], status: 'queued', message: '' }) as unknown as Partial<JobJson>;
  const job = jobFromJson({ ...saved, job_id: record.id, status: 'queued' }, files);
  const running = record.state === 'running';
  let status = STATUS_OF_STATE[record.state];
  // A running record is waiting (for its observation's turn), listing products or downloading.
  if (running) status = saved.status === 'fetching_products' || saved.status === 'downloading' ? saved.status : 'queued';
  const pauseReason: PauseReason | null = record.state === 'paused' ? (saved.pause_reason ?? record.pauseReason ?? 'user') : null;
  let error: string | null = null;
  if (record.state === 'failed') error = saved.error ?? record.error?.message ?? 'Download failed';
  else if (record.state === 'cancelled') error = 'Cancelled by user';
  else if (record.state === 'paused' && pauseReason === 'disk_full') error = saved.error ?? null;
  const messages: Partial<Record<JobStatus, string>> = {
    complete: saved.message || `Downloaded ${job.files.length} files`,
    failed: 'Download failed',
    cancelled: 'Download cancelled',
  };
  const pausedMessage: Record<PauseReason, string> = {
    user: 'Download paused', shutdown: 'Paused by engine shutdown', interrupted: 'Interrupted by an engine restart', disk_full: 'Paused: disk full',
  };
  let message = messages[status] ?? (running ? saved.message || record.stage : record.stage);
  if (status === 'paused' && pauseReason) message = pausedMessage[pauseReason];
  if (record.state === 'queued') message = record.stage === 'Queued' ? (saved.message || 'Queued for download') : record.stage;
  // Transfers of a run that is not going on (stopped, or its node died) are not moving.
  if (!running) for (const f of job.files) if (f.status === 'downloading' || (record.state === 'cancelled' && f.status === 'pending')) f.status = 'paused';
  return {
    ...job,
    status,
    pauseReason,
    error,
    message,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    completedAt: record.state === 'completed' || record.state === 'cancelled' ? record.finishedAt : null,
    updatedAt: record.updatedAt,
    owner: record.owner,
    speedBytesPerSec: running ? job.speedBytesPerSec : 0,
    currentFile: running ? job.currentFile : null,
  };
}

/** The core state a saved (legacy) download status stands for. */
function legacyState(job: Job, autoResume: boolean): { state: JobRecord['state']; pauseReason: PauseReason | null } {
  switch (job.status) {
    case 'complete': return { state: 'completed', pauseReason: null };
    case 'failed': return { state: 'failed', pauseReason: null };
    case 'cancelled': return { state: 'cancelled', pauseReason: null };
    case 'paused': return autoResume && job.pauseReason !== 'user' ? { state: 'queued', pauseReason: null } : { state: 'paused', pauseReason: job.pauseReason ?? 'user' };
    default: return autoResume ? { state: 'queued', pauseReason: null } : { state: 'paused', pauseReason: 'interrupted' };
  }
}

/**
 * `downloadJobOf(record)`, its checkpoint's files read a few at a time with the event loop let run
 * between slices (`slices`; issue #20, session 20: the record is the caller's alone, so nothing
 * changes it meanwhile).
 */
async function downloadJobIn(record: JobRecord, slices: LoopSlices): Promise<Job> {
  const forms = record.checkpoint?.files;
  return downloadJobOf(record, Array.isArray(forms) ? await slices.map(forms, fileFromJson) : undefined);
}

/** A file's progress (`DownloadManager.progress`). */
function fileProgressOf(f: FileEntry): FileProgress {
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
}

/** The job's progress with its files' (`fileProgressOf` of each of `job.files`, in order; the totals are theirs, as `jobTotals` sums them). */
function progressWith(job: Job, files: readonly FileProgress[]): JobProgress {
  let totalBytes = 0;
  let downloadedBytes = 0;
  let completedFiles = 0;
  let failedFiles = 0;
  for (const f of files) {
    totalBytes += f.totalBytes;
    downloadedBytes += f.downloadedBytes;
    if (f.status === 'complete') completedFiles++;
    else if (f.status === 'failed') failedFiles++;
  }
  const running = job.status === 'downloading';
  const speed = running ? job.speedBytesPerSec : 0;
  const eta = running ? etaSeconds(totalBytes - downloadedBytes, speed) : job.status === 'complete' ? 0 : undefined;
  const finished = job.status === 'complete' || job.status === 'failed' || job.status === 'cancelled';
  return {
    jobId: job.id,
    obsId: job.obsId,
    status: job.status,
    pauseReason: job.pauseReason,
    message: job.message,
    error: job.error,
    totalFiles: files.length,
    completedFiles,
    failedFiles,
    currentFile: running ? job.currentFile : null,
    totalBytes,
    downloadedBytes,
    percent: totalBytes > 0 ? Math.min(100, (downloadedBytes / totalBytes) * 100) : job.status === 'complete' ? 100 : 0,
    speedBytesPerSec: speed,
    etaSeconds: eta ?? null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    downloadDir: job.downloadDir,
    isFinished: finished,
    isResumable: isResumable({ status: job.status, files }),
    files,
  };
}

export class DownloadManager {
  readonly downloadDir: string;
  /** The job service downloads are records of. */
  readonly jobs: JobService;
  private readonly ownsJobs: boolean;
  private readonly o: DownloadManagerOptions;
  private readonly fs: FileLayer;
  private readonly fetcher: ChunkFetcher;
  private readonly ownAgent: ReturnType<typeof createDownloadAgent> | undefined;
  private readonly downloader: FileDownloader;
  private readonly objectDownloader: ObjectFileDownloader | undefined;
  private readonly mirror: AwsMirror;
  private readonly digests: DigestService;
  private readonly slots: FileSlots;
  /** Download views of the jobs running in this process (live objects, changed by their runs). */
  private readonly live = new Map<string, Job>();
  /** Last view seen of every download job this process heard of (for the synchronous `get`). */
  private readonly known = new Map<string, Job>();
  /** Each event's progress, shared by its subscribers (`eventProgress`). */
  private readonly progressOfEvent = new WeakMap<JobRecord, JobProgress>();
  /** Per running job with SSE subscribers, its last event's saved file forms and the progress kept of each frozen one (`progressOfRecord`); dropped when it stops running. */
  private readonly lastEventFiles = new Map<string, { readonly forms: readonly unknown[]; readonly kept: ReadonlyArray<FileProgress | undefined> }>();
  private readonly resuming = new Set<string>();
  /** createJob's check-then-submit, one at a time in this process (so equal requests join). */
  private creating: Promise<unknown> = Promise.resolve();
  private readonly log: DownloadLogger;
  private unsubscribeAll: (() => void) | undefined;
  private dailyTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;

  constructor(options: DownloadManagerOptions) {
    this.o = options;
    this.downloadDir = options.downloadDir;
    this.log = options.logger ?? silentLogger;
    const files = options.maxConcurrentFiles ?? 3;
    const perFile = options.connectionsPerFile ?? 1;
    this.fs = options.fs ?? nodeFileLayer;
    this.digests = options.digests ?? new DigestService();
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
    this.objectDownloader = options.objectStore
      ? new ObjectFileDownloader({ fetcher: this.fetcher, store: options.objectStore, chunkSize: options.chunkSize ?? 5 * 1024 * 1024, partBytes: options.partBytes ?? 8 * 1024 * 1024, retry, clock: options.retryClock })
      : undefined;
    this.mirror = options.mirror ?? new AwsMirror(DEFAULT_AWS_MIRROR, options.mastBaseUrl ?? 'https://mast.stsci.edu', { token: options.token, logger: this.log });
    this.slots = new FileSlots(files, prepareAhead);
    this.ownsJobs = options.jobs === undefined;
    this.jobs = options.jobs ?? new JobService({
      // A one-shot process (its digest threads not started early, as the CLI's) starts the WAL
      // checkpoint thread only if it commits 1 MiB, not a second into its transfer.
      store: options.jobStore ?? new SqliteJobStore(join(options.dataDir, JOBS_DB_NAME), options.startDigestThreadsEarly === false ? { checkpointThreadStart: ONE_SHOT_CHECKPOINT_THREAD_START } : {}),
      backend: new InProcessBackend({ compute: 1, transfer: Math.max(4, files) }, { logger: this.log }),
      handlers: new JobHandlerRegistry(),
      dataDir: options.dataDir,
      logger: this.log,
      progressIntervalMs: options.progressIntervalMs,
      persistIntervalMs: options.persistIntervalMs,
      recoverOnStart: options.recoverOnStart ?? true,
    });
    this.jobs.handlers.register(this.handler());
    this.unsubscribeAll = this.jobs.subscribe(undefined, (e) => {
      if (e.job.kind !== DOWNLOAD_KIND) return;
      // A job's last event files are kept while it runs (wherever: this listener hears every node's events).
      if (e.type === 'removed' || e.job.state !== 'running') this.lastEventFiles.delete(e.job.id);
      if (e.type === 'removed') this.known.delete(e.job.id);
      else if (!this.live.has(e.job.id)) this.known.set(e.job.id, downloadJobOf(e.job));
    });
  }

  /** The job-core handler of kind `download`. */
  private handler(): JobHandler {
    return {
      kind: DOWNLOAD_KIND,
      lane: 'transfer',
      pausable: true,
      holdAfterCrash: !(this.o.autoResume ?? true),
      parse: (inputs) => {
        validateObsId(String(inputs.obs_id));
        return inputs;
      },
      run: (ctx) => this.runJob(ctx),
      cancelled: async (record) => {
        const job = downloadJobOf(record);
        if (await this.removePartFiles(job)) return jobToJson(job) as unknown as JsonObject;
        return undefined;
      },
      remove: async (record, { deleteFiles }) => ({ deleted_files: deleteFiles ? await this.deleteFiles(downloadJobOf(record)) : 0 }),
    };
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle

  /** Imports older engines' state files once, starts the own job service, runs the housekeeping. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await mkdir(this.downloadDir, { recursive: true });
    await this.importLegacyState();
    if (this.ownsJobs) await this.jobs.start();
    await this.housekeeping();
    this.dailyTimer = setInterval(() => void this.housekeeping(), 86_400_000);
    this.dailyTimer.unref();
  }

  /**
   * `.download_state/*.json` of older engines become job records (same id, the file as the
   * checkpoint), once: each imported file is renamed `*.json.imported`. A job that was running or
   * paused by a restart is queued again (AUTO_RESUME_DOWNLOADS), else it waits, paused.
   */
  private async importLegacyState(): Promise<void> {
    const autoResume = this.o.autoResume ?? true;
    for (const { job, file } of await readLegacyStates(this.downloadDir, (name, err) => this.log.warn({ file: name, err }, 'unreadable download state file skipped'))) {
      try {
        if (!(await this.jobs.store.get(job.id))) {
          const { state, pauseReason } = legacyState(job, autoResume);
          const finished = state === 'completed' || state === 'failed' || state === 'cancelled';
          const record: JobRecord = {
            id: job.id,
            kind: DOWNLOAD_KIND,
            state: state === 'queued' ? 'paused' : state,
            progress: 0,
            stage: job.message,
            createdAt: job.createdAt,
            startedAt: job.startedAt,
            finishedAt: finished ? (job.completedAt ?? job.updatedAt) : null,
            updatedAt: new Date().toISOString(),
            owner: null,
            inputs: inputsOf(job),
            result: null,
            outputs: [],
            error: state === 'failed' ? { code: 'DOWNLOAD_FAILED', message: job.error ?? 'Download failed', httpStatus: 502 } : null,
            pauseReason: state === 'queued' ? 'interrupted' : pauseReason,
            attempts: 0,
            checkpoint: jobToJson({ ...job, status: state === 'queued' ? 'paused' : job.status, pauseReason: state === 'queued' ? 'interrupted' : pauseReason }) as unknown as JsonObject,
          };
          const totals = jobTotals(job);
          record.progress = totals.totalBytes > 0 ? Math.min(1, totals.downloadedBytes / totals.totalBytes) : state === 'completed' ? 1 : 0;
          await this.jobs.store.insert(record);
          // Queued through the service, so it is handed to a runner like any resumed job.
          if (state === 'queued') await this.jobs.resume(job.id);
          this.log.info({ jobId: job.id, obsId: job.obsId, state }, 'download state of an older engine imported');
        }
        await markImported(file);
      } catch (err) {
        // Another process imported it meanwhile, or the store is away: the next start tries again.
        this.log.warn({ err, jobId: job.id }, 'could not import download state');
      }
    }
  }

  /** Stops the transfers of this process (its runs go back to the queue with their bytes kept). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dailyTimer) clearInterval(this.dailyTimer);
    this.unsubscribeAll?.();
    if (this.ownsJobs) {
      await this.jobs.close();
      await this.jobs.store.close();
    }
    await this.ownAgent?.close().catch(() => undefined);
    await this.digests.close().catch(() => undefined);
  }

  /** Orphaned `.part` files and the optional cache bound. */
  async housekeeping(): Promise<void> {
    try {
      const live = (await this.list()).filter((j) => j.status !== 'complete' && j.status !== 'cancelled');
      const report = await applyRetention({ downloadDir: this.downloadDir, retentionDays: this.o.stateRetentionDays ?? 7, liveJobs: live });
      if (report.removedPartFiles.length) this.log.info(report, 'download retention applied');
      await this.applyCacheBound(live);
    } catch (err) {
      this.log.warn({ err }, 'download housekeeping failed');
    }
  }

  private async applyCacheBound(live?: Job[]): Promise<void> {
    if (!this.o.cacheMaxBytes) return;
    const unfinished = live ?? (await this.list()).filter((j) => j.status !== 'complete' && j.status !== 'cancelled');
    const report = await enforceCacheBound(this.downloadDir, this.o.cacheMaxBytes, new Set(unfinished.map((j) => j.obsId)));
    if (report.evicted.length) this.log.info(report, 'download cache bound applied (least recently used observations removed)');
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  /**
   * A new download job (its owner: the submitting user, or null), or the queued or running job
   * that already fetches every file asked for (joined, whoever submitted it).
   */
  async createJob(request: CreateJobRequest, options: { owner?: string | null } = {}): Promise<Job> {
    if (this.closed) throw new ConflictError('The download service is shutting down', 'DOWNLOAD_CLOSED');
    validateObsId(request.obsId);
    // The run's digest thread boots while the products are listed, if the run is this process's
    // (an API node without local workers leaves runs to the workers: no thread for nothing).
    if (this.jobs.runsLocally && this.o.startDigestThreadsEarly !== false) this.digests.warm();
    const selection = request.productFilenames ? validateProductSelection(request.productFilenames) : null;
    // A selection is checked against the product list now, so unknown names are the caller's 422.
    const selected = selection ? await this.listSelection(request.obsId, selection, undefined, request.source ?? 'mast') : undefined;
    const turn = this.creating.then(async () => {
      // A request for files a queued or running job already fetches joins that job.
      const joined = await this.activeJobCovering(request, selection);
      if (joined) return joined;
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
        source: request.source ?? 'mast',
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
        owner: options.owner ?? null,
        speedBytesPerSec: 0,
        currentFile: null,
      };
      if (selected) {
        job.files = this.entriesFor(job, selected);
        job.message = `Queued for download (${job.files.length} selected files)`;
      }
      const record = await this.submit(job);
      return downloadJobOf(record);
    });
    this.creating = turn.catch(() => undefined);
    return turn;
  }

  private async submit(job: Job): Promise<JobRecord> {
    // The saved form goes in as the first checkpoint (a selection's files are known already).
    return this.jobs.submit(DOWNLOAD_KIND, inputsOf(job), { owner: job.owner, id: job.id, checkpoint: jobToJson(job) as unknown as JsonObject });
  }

  /** The products named by a selection, in the listing's order; every name must be listed. */
  private async listSelection(obsId: string, names: readonly string[], signal: AbortSignal = AbortSignal.timeout(300_000), source: DownloadSource = 'mast'): Promise<RemoteProduct[]> {
    const query: ProductQuery = { filenames: names };
    const products = (await this.productSource(source).listProducts(obsId, query, signal)).filter((p) => names.includes(p.filename));
    const listed = new Set(products.map((p) => p.filename));
    const unknown = names.filter((n) => !listed.has(n));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 20).join(', ') + (unknown.length > 20 ? `, … (${unknown.length - 20} more)` : '');
      throw new ValidationError(`product_filenames: ${unknown.length} name(s) not among the products of ${obsId}: ${shown}`, 'DOWNLOAD_UNKNOWN_PRODUCTS');
    }
    return products;
  }

  /** MAST's product listing, pointing at the AWS mirror for `aws`. */
  private productSource(source: DownloadSource = 'mast'): ProductSource {
    return source === 'aws' ? this.mirror.source(this.o.products) : this.o.products;
  }

  /** The download record `jobId`, or undefined (also for another kind's job). */
  private async record(jobId: string): Promise<JobRecord | undefined> {
    const record = await this.jobs.get(jobId);
    return record?.kind === DOWNLOAD_KIND ? record : undefined;
  }

  /** Continues a paused or failed job from the bytes on disk (on any node); 409 when it already runs. */
  async resume(jobId: string): Promise<Job> {
    if (this.resuming.has(jobId)) throw new ConflictError(`Job ${jobId} is already being resumed`, 'DOWNLOAD_RESUME_CONFLICT');
    this.resuming.add(jobId);
    try {
      const record = await this.record(jobId);
      if (!record) throw new NotFoundError(`No resumable state found for job ${jobId}`, 'DOWNLOAD_JOB_NOT_FOUND');
      if (isCoreActive(record.state)) throw new ConflictError(`Job ${jobId} is already being resumed`, 'DOWNLOAD_RESUME_CONFLICT');
      if (record.state !== 'paused' && record.state !== 'failed') throw new BadRequestError(`Job ${jobId} is not resumable (status: ${downloadJobOf(record).status})`, 'DOWNLOAD_NOT_RESUMABLE');
      if (this.closed) throw new ConflictError('The download service is shutting down', 'DOWNLOAD_CLOSED');
      try {
        return downloadJobOf(await this.jobs.resume(jobId));
      } catch (err) {
        if (err instanceof EngineError && err.code === 'JOB_CHANGED') throw new ConflictError(`Job ${jobId} is already being resumed`, 'DOWNLOAD_RESUME_CONFLICT');
        throw err;
      }
    } finally {
      this.resuming.delete(jobId);
    }
  }

  /** Stops the job's transfers (wherever it runs); bytes stay on disk; the job waits for `resume`. */
  async pause(jobId: string): Promise<Job> {
    const record = await this.record(jobId);
    if (!record || !(isCoreActive(record.state) || record.state === 'paused')) throw new NotFoundError(`No active download for job ${jobId}`, 'DOWNLOAD_NOT_ACTIVE');
    return downloadJobOf(await this.jobs.pause(jobId));
  }

  /**
   * Cancels for good: transfers stop and the job's `.part` files are removed (completed files
   * stay; a `.part` another unfinished job of the folder lists is left to it); never becomes paused.
   */
  async cancel(jobId: string): Promise<{ job: Job; wasActive: boolean }> {
    const record = await this.record(jobId);
    if (!record) throw new NotFoundError(`No download found for job ${jobId}`, 'DOWNLOAD_JOB_NOT_FOUND');
    if (record.state === 'cancelled') return { job: downloadJobOf(record), wasActive: false };
    if (record.state === 'completed') throw new ConflictError(`Job ${jobId} is already complete`, 'DOWNLOAD_ALREADY_COMPLETE');
    const wasActive = isCoreActive(record.state);
    await this.jobs.cancel(jobId);
    return { job: downloadJobOf((await this.record(jobId)) ?? record), wasActive };
  }

  /** Other download jobs' files (absolute paths); `unfinishedOnly`: of jobs that may still write. */
  private async filesOfOthers(jobId: string, unfinishedOnly: boolean): Promise<Set<string>> {
    const page = await this.jobs.store.list({ kinds: [DOWNLOAD_KIND], limit: ALL, ...(unfinishedOnly ? { states: ['queued', 'running', 'paused', 'failed'] as const } : {}) });
    const paths = new Set<string>();
    for (const other of page.jobs) if (other.id !== jobId) for (const f of downloadJobOf(other).files) paths.add(f.localPath);
    return paths;
  }

  /**
   * Removes the `.part` files of a cancelled job's unfinished files; their recorded bytes go with
   * them. Returns whether the view changed (ranges dropped).
   */
  private async removePartFiles(job: Job): Promise<boolean> {
    const kept = await this.filesOfOthers(job.id, true);
    let changed = false;
    for (const f of job.files) {
      if (f.status === 'complete' || kept.has(f.localPath)) continue;
      if (f.upload) {
        // Into object storage: the unfinished multipart upload and its parts are dropped.
        try {
          if (this.objectDownloader) await this.objectDownloader.abandon(f);
          else if (this.o.objectStore) await this.o.objectStore.abortUpload(f.upload.key, f.upload.uploadId);
          f.upload = null;
          f.ranges = [];
          changed = true;
        } catch (err) {
          this.log.warn({ err, jobId: job.id, file: f.filename }, 'could not abort the multipart upload of a cancelled download');
        }
        continue;
      }
      const part = `${f.localPath}.part`;
      if (relativeInside(this.downloadDir, part) === undefined) continue;
      try {
        if ((await this.fs.size(part)) !== undefined) await this.fs.remove(part);
        if (f.ranges.length > 0) changed = true;
        f.ranges = [];
      } catch (err) {
        // Retention removes it later; the cancel itself has happened.
        this.log.warn({ err, jobId: job.id, file: f.filename }, 'could not remove the .part file of a cancelled download');
      }
    }
    return changed;
  }

  /**
   * Deletes a dismissed job's files and `.part`s, except those another download job lists
   * (running, paused or complete: they are its files too) and those the library still needs
   * (`isFileReferenced`). Returns how many were deleted.
   */
  private async deleteFiles(job: Job): Promise<number> {
    const shared = await this.filesOfOthers(job.id, false);
    let deleted = 0;
    for (const f of job.files) {
      if (shared.has(f.localPath)) continue;
      if (f.status === 'complete' && (await this.o.isFileReferenced?.(f.localPath, { id: job.id, owner: job.owner }))) continue;
      if (this.o.objectStore) {
        // Downloaded into object storage: the object (or the unfinished upload) is what goes.
        if (f.upload) await this.o.objectStore.abortUpload(f.upload.key, f.upload.uploadId).catch(() => undefined);
        if (f.status === 'complete' && (await this.o.objectStore.stat(objectKeyOf(f)))) {
          await this.o.objectStore.delete(objectKeyOf(f));
          deleted++;
        }
        continue;
      }
      for (const path of [f.localPath, `${f.localPath}.part`]) {
        if (relativeInside(this.downloadDir, path) === undefined) continue;
        if ((await this.fs.size(path)) !== undefined) {
          await this.fs.remove(path);
          deleted++;
        }
      }
    }
    return deleted;
  }

  /** Forgets a job (cancelling it first if it runs); optionally deletes its files and `.part`s. */
  async dismiss(jobId: string, deleteFiles: boolean): Promise<{ deletedFiles: number }> {
    if (!(await this.record(jobId))) throw new NotFoundError(`Job ${jobId} not found`, 'DOWNLOAD_JOB_NOT_FOUND');
    const freed = await this.jobs.remove(jobId, { deleteFiles });
    this.known.delete(jobId);
    const n = freed && typeof freed.deleted_files === 'number' ? freed.deleted_files : 0;
    return { deletedFiles: n };
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  /** The job as this process last saw it (live while it runs here); `getOrLoad` reads the store. */
  get(jobId: string): Job | undefined {
    return this.live.get(jobId) ?? this.known.get(jobId);
  }

  /** The job from its record (live when it runs here), or undefined. */
  async getOrLoad(jobId: string): Promise<Job | undefined> {
    const live = this.live.get(jobId);
    if (live) return live;
    const record = await this.record(jobId);
    if (!record) return undefined;
    const job = downloadJobOf(record);
    this.known.set(jobId, job);
    return job;
  }

  /** Every download job (of `owner` when given), oldest first. */
  async list(owner?: string | null): Promise<Job[]> {
    const page = await this.jobs.list(downloadsOf(owner));
    return page.jobs.map((r) => this.live.get(r.id) ?? downloadJobOf(r)).sort(oldestFirst);
  }

  /** `listEach`'s slice of work between turns of the event loop, ms (tests set 0: a turn at every step). */
  listSliceMs = LIST_SLICE_MS;

  /**
   * `list(owner)`'s jobs, in its order (the `page` of them: `offset` jobs skipped, at most
   * `limit`), each as `make` makes it, at less cost for finished jobs
   * whose answer the caller kept (issue #20, session 18), and without holding the event loop
   * (session 19). The store gives every job's summary first (its columns: no record, no file
   * rows), sorted into `list`'s order: the promise settles then (a store error rejects it), and
   * the items come from the iterator it gives, made as it is read. A finished job (completed,
   * failed or cancelled, not running here) for which `kept(id, version)` answers is not read at
   * all; a job running here is its live `Job`; the others are read as `list` reads them (their
   * records whole), a few per store query. `version` (`finishedVersionOf`) changes with every
   * write of a finished record; `make` gets it for a finished job it is given (null for the
   * others), to keep what it made under it. A job deleted before it is read is left out.
   *
   * The event loop runs before and after every store query and whenever `LIST_SLICE_MS` have gone
   * by, and a query reads as many records as fit in about `READ_MS` (one of 2000 files takes ~5 ms
   * to read and parse, one of ten files a fraction of a millisecond). A record read is made into
   * its `Job` a few files at a time, and `make` gets the slices to make its item the same way
   * (session 20: a job of 10,000 files in one go held the loop 60-90 ms); the item it gives may be
   * a promise. Stopping the iterator (`return`, a `for await` left) stops the work at its next item.
   */
  async listEach<T>(owner: string | null | undefined, page: ListPage, kept: (id: string, version: string) => T | undefined,
    make: (job: Job, version: string | null, slices: LoopSlices) => T | Promise<T>): Promise<AsyncGenerator<T, void, undefined>> {
    const query = downloadsOf(owner);
    // `list`'s order: the store's (newest first, ties by id), sorted stably by creation; then the page of it.
    const summaries = (await this.jobs.listSummaries(query)).sort(oldestFirst);
    const end = page.limit === undefined ? undefined : page.offset + page.limit;
    return this.eachListed(summaries.slice(page.offset, end), query, kept, make);
  }

  private async *eachListed<T>(summaries: readonly JobSummary[], query: ReturnType<typeof downloadsOf>, kept: (id: string, version: string) => T | undefined,
    make: (job: Job, version: string | null, slices: LoopSlices) => T | Promise<T>): AsyncGenerator<T, void, undefined> {
    const slices = new LoopSlices(this.listSliceMs);
    // The caller's kept items, asked for every job before any is made: asked one by one, the items
    // made meanwhile would push those not yet asked out of a cache smaller than the list (an LRU
    // scanned in a cycle), and every job would be read.
    const hits = new Map<string, T>();
    for (const s of summaries) {
      const version = this.live.has(s.id) ? null : finishedVersionOf(s);
      const hit = version === null ? undefined : kept(s.id, version);
      if (hit !== undefined) hits.set(s.id, hit);
    }
    // Each query starts a slice of its own (after a turn of the loop): it is one piece, its records parsed whole.
    const read = async (ids: readonly string[]): Promise<Map<string, JobRecord>> =>
      new Map((await this.jobs.list({ ...query, ids: [...ids] })).jobs.map((r) => [r.id, r]));
    let perQuery = 1;
    for (let at = 0; at < summaries.length;) {
      const window = summaries.slice(at, at + perQuery);
      at += window.length;
      const asked = window.filter((s) => !this.live.has(s.id) && !hits.has(s.id)).map((s) => s.id);
      let records = new Map<string, JobRecord>();
      if (asked.length > 0) {
        await slices.turn();
        const started = performance.now();
        records = await read(asked);
        // As many records per query as take a quarter of READ_MS to READ_MS.
        const took = performance.now() - started;
        if (took < READ_MS / 4) perQuery = Math.min(perQuery * 2, IDS_PER_QUERY);
        else if (took > READ_MS) perQuery = Math.max(1, perQuery >> 1);
        await slices.turn();
      }
      for (const s of window) {
        // A job that started here since is its live `Job`; one that stopped running here since was
        // not read: it is now.
        const live = this.live.get(s.id);
        const hit = hits.get(s.id);
        if (live) yield await make(live, null, slices);
        else if (hit !== undefined) yield hit;
        else {
          let record = records.get(s.id);
          if (!asked.includes(s.id)) {
            await slices.turn();
            record = (await read([s.id])).get(s.id);
          }
          if (record) yield await make(await downloadJobIn(record, slices), finishedVersionOf(record), slices);
        }
        await slices.turnIfDue();
      }
    }
  }

  async resumable(owner?: string | null): Promise<Job[]> {
    return (await this.list(owner)).filter((j) => isResumable(j));
  }

  progress(job: Job): JobProgress {
    return progressWith(job, job.files.map(fileProgressOf));
  }

  /**
   * `progress(job)`, its files' progress made with the event loop let run between slices (`slices`),
   * for a job no one else changes meanwhile (`listEach`'s read from records); a job running here is
   * made in one go, one snapshot of it (issue #20, session 20).
   */
  async progressIn(job: Job, slices: LoopSlices): Promise<JobProgress> {
    if (this.live.get(job.id) === job) return this.progress(job);
    return progressWith(job, await slices.map(job.files, fileProgressOf));
  }

  /**
   * Calls `listener` with the job's progress on every state change and on progress events (at
   * most every 250 ms), wherever it runs; `onEnd` when the job is dismissed.
   */
  subscribe(jobId: string, listener: (progress: JobProgress) => void, onEnd?: () => void): () => void {
    return this.jobs.subscribe(jobId, (e) => {
      if (e.type === 'removed') onEnd?.();
      else listener(this.eventProgress(e.job));
    });
  }

  /**
   * The progress of an event's record, made once per event: every subscriber of the job hears the
   * same event object, so the same (read-only) progress, not one parse of its file list each (issue
   * #20, session 17).
   */
  private eventProgress(record: JobRecord): JobProgress {
    let p = this.progressOfEvent.get(record);
    if (p === undefined) this.progressOfEvent.set(record, (p = this.progressOfRecord(record)));
    return p;
  }

  /**
   * A one-shot run's helper threads, one `new Worker` per turn: the digest threads not yet started
   * and, when a file may be written out of order (several connections, or a resumed file with gaps),
   * the write thread, which would otherwise boot when that file opens, amid its first pieces (libuv
   * writing them meanwhile: session 18). Resolves once all answered or failed, or after
   * DIGEST_BOOT_WAIT_MS; later, the run goes on without them as before.
   */
  private async bootOneShotThreads(job: Job): Promise<void> {
    const started = Date.now();
    do await nextTurn();
    while (this.digests.warmOne());
    const also: Array<Promise<void>> = [];
    if (this.fs.startWrites && !this.objectDownloader && job.files.some((f) => this.mayWriteOutOfOrder(f))) also.push(this.fs.startWrites());
    await this.digests.running(Math.max(0, DIGEST_BOOT_WAIT_MS - (Date.now() - started)), also);
  }

  /** Whether `f` may be written out of file order (the rule FileDownloader.fetchChunked follows, `writtenInFileOrder`). */
  private mayWriteOutOfOrder(f: FileEntry): boolean {
    if (f.status !== 'pending' || (f.totalBytes !== undefined && f.totalBytes <= SMALL_STREAM)) return false;
    const chunk = this.o.chunkSize ?? 5 * 1024 * 1024;
    // More than one chunk to fetch: all of the file's connections are used.
    const connections = f.totalBytes === undefined || f.totalBytes > chunk ? (this.o.connectionsPerFile ?? 1) : 1;
    return !writtenInFileOrder(f.ranges, connections);
  }


  /**
   * `progress(downloadJobOf(record))`, made from what changed since the job's last event when it
   * can (issue #20, session 19). A running job's checkpoints share each file's saved form, frozen,
   * while the file does not change (checkpoint-builder.ts; events carry them frozen,
   * `copyForEvent`): a file whose form is the very object of the last event's (frozen, so unchanged)
   * keeps that event's progress object, and only the others are read. The route then finds those
   * objects unchanged by identity (`chunkedProgressBytes`). What is kept is always the progress of
   * that exact frozen form, so every event still reflects its own record. A record not running (a
   * run's end: files' statuses are then rewritten) is read whole, as before.
   */
  private progressOfRecord(record: JobRecord): JobProgress {
    const saved = record.checkpoint?.files;
    if (record.state !== 'running' || !Array.isArray(saved)) return this.progress(downloadJobOf(record));
    const last = this.lastEventFiles.get(record.id);
    const files = new Array<FileProgress>(saved.length);
    const kept = new Array<FileProgress | undefined>(saved.length);
    for (let i = 0; i < saved.length; i++) {
      const form = saved[i];
      let f = last !== undefined && last.forms[i] === form ? last.kept[i] : undefined;
      if (f === undefined) {
        f = fileProgressOf(fileFromJson(form, i));
        // Only a frozen form can be known unchanged by identity at the next event.
        if (typeof form === 'object' && form !== null && Object.isFrozen(form)) kept[i] = f;
      } else kept[i] = f;
      files[i] = f;
    }
    this.lastEventFiles.set(record.id, { forms: saved, kept });
    // The job's own fields: a running record's do not depend on its files (downloadJobOf).
    return progressWith(downloadJobOf({ ...record, checkpoint: { ...record.checkpoint, files: [] } }), files);
  }

  /** Resolves when the job is no longer queued or running. */
  async waitUntilSettled(jobId: string, signal?: AbortSignal): Promise<Job> {
    if (!(await this.record(jobId))) throw new NotFoundError(`Job ${jobId} not found`, 'DOWNLOAD_JOB_NOT_FOUND');
    const record = await this.jobs.waitUntilSettled(jobId, signal);
    const job = downloadJobOf(record);
    this.known.set(jobId, job);
    return job;
  }

  // ------------------------------------------------------------------------------------------
  // Running a job (the handler's run, on whichever node took the job)

  private async runJob(ctx: JobRunContext): Promise<JobRunResult> {
    const job = downloadJobOf(ctx.job);
    if (this.o.startDigestThreadsEarly !== false) this.digests.warm();
    job.status = 'queued';
    const id = job.id;
    this.live.set(id, job);
    const speed = new SpeedMeter();
    // Job-level signal: the core's (pause, cancel, shutdown) or a full disk in any of its files.
    const local = new AbortController();
    // Every file, chunk request and backoff of the job listens to this signal.
    setMaxListeners(0, local.signal);
    const onStop = () => local.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onStop();
    else ctx.signal.addEventListener('abort', onStop, { once: true });
    const signal = local.signal;
    let saveTimer: NodeJS.Timeout | undefined;
    // Record writes of files marked complete since the last save: handed to the job core with the
    // first saved state that calls those files complete (never with an older one), whenever that
    // state is written (a coalesced write, the core's throttled one, or the end of the run).
    let held: CompletionWrites[] = [];
    // Each save's checkpoint, made again only for the files changed since the last (checkpoint-builder.ts).
    const checkpoints = new CheckpointBuilder();
    const save = (now = false) => {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = undefined;
      job.speedBytesPerSec = job.status === 'downloading' ? speed.rate() : 0;
      job.updatedAt = new Date().toISOString();
      for (const w of held) ctx.alsoWrite(w);
      held = [];
      const state = checkpoints.build(job);
      const saved = ctx.checkpoint(state as unknown as JsonObject, { now });
      ctx.progress(state.total_bytes > 0 ? state.downloaded_bytes / state.total_bytes : 0, job.message);
      return saved;
    };
    const touch = () => {
      if (saveTimer) return;
      saveTimer = setTimeout(save, Math.max(25, Math.floor((this.o.progressIntervalMs ?? 250) / 2)));
      saveTimer.unref();
    };
    // Saves that must land (a file's layout, a completed file's record): coalesced, see coalesced-saves.ts.
    const saves = new CoalescedSaves(() => save(true));
    let diskFull: DiskFullError | undefined;
    let unlock: (() => Promise<void>) | undefined;
    try {
      await mkdir(job.downloadDir, { recursive: true });
      unlock = await lockObservation(job.downloadDir, id, {
        isRunning: async (holder) => (await this.jobs.get(holder))?.state === 'running',
        waitForHolder: (holder, s) => this.waitWhileRunning(holder, s),
      }, signal, () => {
        job.message = 'Waiting for another download of this observation to finish';
        save();
      });
      if (job.files.length === 0) {
        job.status = 'fetching_products';
        job.message = 'Fetching product information from MAST...';
        save();
        const products = job.productFilenames
          ? await this.listSelection(job.obsId, job.productFilenames, signal, job.source)
          : await this.productSource(job.source).listProducts(job.obsId, {
            productType: [job.productType], calibLevel: job.calibLevel, subgroup: job.subgroup, extension: job.extension, productId: job.productId,
          }, signal);
        signal.throwIfAborted();
        job.files = this.entriesFor(job, products);
        if (job.files.length === 0) {
          job.status = 'complete';
          job.message = 'No files to download';
          return { result: { files: [] } };
        }
      }
      job.status = 'downloading';
      // A run after an earlier one (resume, restart, another worker) retries the failed files too.
      for (const f of job.files) {
        if (f.status === 'complete') continue;
        if (f.status !== 'failed' || (ctx.resumed && !f.localPath.endsWith('/.invalid'))) {
          f.status = 'pending';
          f.error = null;
        }
      }
      job.error = null;
      // A one-shot process boots its digest threads now if a file will need them (over SMALL_STREAM
      // or of unknown size): before its first bytes, not amid them, where the boot's CPU (~0.1 s a
      // thread) delays the event loop and a file's first bytes find no idle thread to split onto.
      const bootThreads = this.o.startDigestThreadsEarly === false && job.files.some((f) => f.status !== 'complete' && (f.totalBytes === undefined || f.totalBytes > SMALL_STREAM));
      // One thread now, the others in later turns (bootOneShotThreads): each `new Worker` holds
      // this thread ~4 ms, and this turn also saves the file list.
      if (bootThreads) this.digests.warmOne();
      const totals = jobTotals(job);
      job.message = `Downloading ${job.files.length} files (${formatBytes(totals.totalBytes)})...`;
      // The file list is stored before the first byte: a kill at any moment resumes from the .part files.
      save(true);
      if (!this.objectDownloader) await this.checkDiskSpace(job);
      // ... and waits for them to run (session 18): bytes that came sooner would be written here
      // (libuv) and queued for a thread still booting, at most a writer's 4 buffers a file before it
      // pauses anyway; those writes, then the burst when the threads answer, held the event loop
      // 20-45 ms, and a single file's digest splits only onto a thread that runs.
      if (bootThreads) await this.bootOneShotThreads(job);
      const todo = job.files.filter((f) => f.status === 'pending');
      const saving = { touch, saveNow: () => saves.request(), alsoWrite: (w: CompletionWrites) => void held.push(w) };
      await Promise.all(todo.map((f) => this.runFile(job, f, signal, local, speed, saving, (err) => (diskFull ??= err))));
      if (diskFull) throw diskFull;
      signal.throwIfAborted();
      const failed = job.files.filter((f) => f.status === 'failed');
      if (failed.length > 0) {
        job.status = 'failed';
        job.error = `${failed.length} file(s) failed to download: ${failed.map((f) => `${f.filename} (${f.error ?? 'error'})`).join('; ')}`;
        job.message = 'Download failed';
        throw new EngineError('DOWNLOAD_FAILED', job.error, 502);
      }
      if (!job.files.every((f) => f.status === 'complete')) throw new JobPauseRequest('interrupted');
      job.status = 'complete';
      job.message = `Downloaded ${job.files.length} files`;
      void this.applyCacheBound().catch(() => undefined);
      return { result: { files: job.files.map((f) => f.relativePath), download_dir: relativeInside(this.o.dataDir, job.downloadDir) ?? job.obsId } };
    } catch (err) {
      if (err instanceof DiskFullError) {
        job.status = 'paused';
        job.pauseReason = 'disk_full';
        job.error = `Disk full: ${clientText(err, { dataDir: this.o.dataDir })}. Free some space and resume; the bytes already written are kept.`;
        job.message = 'Paused: disk full';
        throw new JobPauseRequest('disk_full', job.error);
      }
      if (!signal.aborted && job.status !== 'failed') {
        job.status = 'failed';
        job.error = clientText(err, { dataDir: this.o.dataDir, internalMessage: 'unexpected error' });
        job.message = 'Download failed';
        this.log.warn({ err, jobId: id }, 'download job failed');
      }
      throw err;
    } finally {
      ctx.signal.removeEventListener('abort', onStop);
      await unlock?.().catch(() => undefined);
      for (const f of job.files) if (f.status === 'downloading') f.status = 'paused';
      job.currentFile = null;
      await saves.close();
      save();
      this.live.delete(id);
    }
  }

  /** Resolves once job `holderId` may have stopped running (its next state event, or 1 s). */
  private waitWhileRunning(holderId: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, 1000);
      const unsubscribe = this.jobs.subscribe(holderId, (e) => {
        if (e.type === 'progress') return;
        done();
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A queued or running download of the observation that fetches every file `request` asks for. */
  private async activeJobCovering(request: CreateJobRequest, selection: string[] | null): Promise<Job | undefined> {
    const same = (a: readonly unknown[] | null | undefined, b: readonly unknown[] | null | undefined) =>
      JSON.stringify(a ? [...a].map(String).sort() : null) === JSON.stringify(b ? [...b].map(String).sort() : null);
    const page = await this.jobs.list({ kinds: [DOWNLOAD_KIND], states: ['queued', 'running'], limit: ALL });
    for (const record of page.jobs.reverse()) {
      const job = this.live.get(record.id) ?? downloadJobOf(record);
      if (job.obsId !== request.obsId || (job.source ?? 'mast') !== (request.source ?? 'mast')) continue;
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

  private async runFile(job: Job, file: FileEntry, signal: AbortSignal, jobAbort: AbortController, speed: SpeedMeter, saving: { touch: () => void; saveNow: () => Promise<void>; alsoWrite: (w: CompletionWrites) => void }, onDiskFull: (err: DiskFullError) => void): Promise<void> {
    let ticket: SlotTicket | undefined;
    let landed: Promise<void> | undefined;
    try {
      ticket = await this.slots.enter(signal);
      const slot = ticket;
      job.currentFile = file.filename;
      let recorded = false;
      const hooks = {
        onBytes: (n: number) => speed.add(n),
        beforeStreaming: () => slot.stream(signal),
        onAllRequested: () => slot.handOver(),
        onProgress: saving.touch,
        onLayout: saving.saveNow,
        onNotice: (message: string, data?: Record<string, unknown>) => this.log.info({ jobId: job.id, ...data }, message),
        beforeComplete: async (sha256: string) => {
          const writes = await this.recordWritesOf(job, file, sha256);
          if (!writes) return undefined;
          recorded = true;
          return () => saving.alsoWrite(writes);
        },
      };
      const downloader = this.objectDownloader ?? this.downloader;
      try {
        await downloader.download(file, signal, hooks);
      } catch (err) {
        // Not on the AWS mirror (AWS answers 403 for a missing key it will not list): from MAST.
        const missing = err instanceof PermanentHttpError && (err.status === 403 || err.status === 404);
        if (!missing || !file.fallbackUrl || signal.aborted) throw err;
        this.log.info({ jobId: job.id, file: file.filename, status: (err as PermanentHttpError).status }, 'not on the AWS mirror; downloading from MAST');
        await this.forgetBytes(file);
        file.url = file.fallbackUrl;
        file.fallbackUrl = null;
        await saving.saveNow();
        await downloader.download(file, signal, hooks);
      }
      this.log.debug({ jobId: job.id, file: file.filename, sha256: file.sha256 }, 'file complete');
      // The file's record lands with the saved state that marks it complete, soon rather than with
      // the next throttled save; awaited once the slot is free (the write is shared with other files).
      if (recorded) landed = saving.saveNow();
    } catch (err) {
      if (err instanceof DiskFullError) {
        file.status = 'paused';
        file.error = clientText(err, { dataDir: this.o.dataDir });
        if (!signal.aborted) {
          onDiskFull(err);
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
      if (job.currentFile === file.filename) job.currentFile = job.files.find((f) => f.status === 'downloading')?.filename ?? null;
      saving.touch();
    }
    await landed;
  }

  /** The writes of a verified file's library record (`onFileComplete`), or undefined (none, or it failed: logged). */
  private async recordWritesOf(job: Job, file: FileEntry, sha256: string): Promise<CompletionWrites | undefined> {
    if (!this.o.onFileComplete) return undefined;
    try {
      const location = this.o.objectStore ? this.o.objectStore.location(objectKeyOf(file)) : file.localPath;
      return (await this.o.onFileComplete({ jobId: job.id, obsId: job.obsId, localPath: file.localPath, relativePath: file.relativePath, sha256, location, owner: job.owner })) ?? undefined;
    } catch (err) {
      this.log.warn({ err, jobId: job.id, file: file.filename }, 'file-complete hook failed');
      return undefined;
    }
  }

  /** Drops what a file holds of another source's bytes (its .part, or its unfinished upload). */
  private async forgetBytes(file: FileEntry): Promise<void> {
    if (file.upload) await this.objectDownloader?.abandon(file).catch(() => undefined);
    file.upload = null;
    if (relativeInside(this.downloadDir, file.localPath) !== undefined) await this.fs.remove(`${file.localPath}.part`).catch(() => undefined);
    file.ranges = [];
    file.sequential = true;
    file.etag = null;
    file.lastModified = null;
    file.status = 'downloading';
    file.error = null;
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
      out.push(newFileEntry({ filename, url: p.url, fallbackUrl: p.fallbackUrl ?? null, dataUri: p.dataUri, localPath, relativePath, totalBytes: p.size }, error));
    }
    return out;
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
