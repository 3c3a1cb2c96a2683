/**
 * The job service: the one place that creates jobs, moves them through the state machine, keeps
 * their records in the store and tells subscribers. Routes, the CLI and workers use it; it uses a
 * store (where records live), a backend (where jobs run), an event bus and the handler registry.
 *
 * The record of a job running here is live in memory: progress is published at most every
 * `progressIntervalMs` and written at most every `persistIntervalMs`; state changes are written
 * and published at once. Terminal states stick: writes are conditional on the stored state.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, EngineError, NotFoundError } from '../errors.js';
import { catalogueEntry, catalogueMessage } from '../error-catalogue.js';
import { toClientError } from '../client-text.js';
import { JobRunDeferred, type JobBackend, type JobRunner, type JobStartFailure } from './backend.js';
import { LocalJobEvents, type JobEventBus, type JobEventListener } from './events.js';
import { JobHandlerRegistry, JobPauseRequest, JobStop, stopOf, type JobRunContext } from './handlers.js';
import { isActive, isFinished, transition } from './state.js';
import { StoreWritesUnsupportedError, type JobPage, type JobQuery, type JobStore, type JobSummary, type StoreWrites } from './store.js';
import type { StorageProvider } from '../storage/provider.js';
import { copyForEvent, copyRecord, isJobId, type JobError, type JobEvent, type JobRecord, type JsonObject } from './types.js';

/** Longest wait for the backend to take a new job's ticket (Redis away: BullMQ waits for ever). */
const DEFAULT_ENQUEUE_WAIT_MS = 10_000;

export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobServiceOptions {
  readonly store: JobStore;
  readonly backend: JobBackend;
  readonly handlers: JobHandlerRegistry;
  /** DATA_DIR: outputs go to `DATA_DIR/processed/{job id}`. */
  readonly dataDir: string;
  readonly events?: JobEventBus;
  readonly logger?: JobLogger;
  /** Progress events per job at most this often (default 250 ms). */
  readonly progressIntervalMs?: number;
  /** Progress written to the store at most this often (default 1000 ms). */
  readonly persistIntervalMs?: number;
  /** Runs a job may start before a cut run counts as failed (default 3). */
  readonly maxAttempts?: number;
  /**
   * Run jobs in this process (default true). An API node with no local workers sets false: it
   * submits and controls jobs, workers elsewhere run them.
   */
  readonly runLocally?: boolean;
  /**
   * Re-queue jobs found `running` at start (they were cut by a crash). Default true; a
   * distributed backend with stalled-job detection sets false (workers elsewhere may still run them).
   */
  readonly recoverOnStart?: boolean;
  /** Longest wait for the backend to take a new job's ticket before the job is withdrawn (JOB_QUEUE_UNAVAILABLE; default 10 s). */
  readonly enqueueWaitMs?: number;
  /** First wait before writing the end of a run again when the store failed (default 500 ms, doubling to 30 s). */
  readonly storeRetryMs?: number;
  /**
   * The object store (STORAGE_PROVIDER=s3): a completed run's outputs in its folder are written
   * there under the same keys (`processed/{id}/{name}`) and the local folder is removed, so any node
   * serves and reads them without a shared disk; removing the job deletes those objects.
   */
  readonly outputStore?: StorageProvider;
}

/**
 * Other records to commit with a write of a job's record (see `beforeComplete`, and a run's
 * `alsoWrite`): `write` runs in that transaction (again if it is retried: idempotent),
 * `committed` once it committed.
 */
export interface CompletionWrites {
  readonly write: StoreWrites;
  committed?(): void;
}

/**
 * Work done before a successful run is marked completed (see `beforeComplete`): the file work
 * now; what it returns is written in the transaction that marks the job completed.
 */
export type CompletionHook = (job: Readonly<JobRecord>) => Promise<CompletionWrites | void>;

export interface SubmitOptions {
  readonly owner?: string | null;
  /** The id to give the job (a kind with its own id form, e.g. downloads' 12 hex digits); default a UUID. */
  readonly id?: string;
  /** A first checkpoint (what the kind already knows at submit, e.g. a download's selected files). */
  readonly checkpoint?: JsonObject;
}

export interface Readiness {
  /** Jobs waiting to run. */
  readonly queueDepth: number;
  readonly running: number;
  /** Jobs that may run at once on this node's backend. */
  readonly capacity: number;
  /** running / capacity (1 when there is no capacity). */
  readonly saturation: number;
  readonly lanes: Readonly<Record<string, { queued: number; running: number; capacity: number }>>;
}

const silent: JobLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const INTERRUPTED: JobError = { code: 'JOB_INTERRUPTED', message: 'interrupted by service restart too many times', httpStatus: 500 };

/**
 * Errors that end a run without failing the job (session 14): the record goes back to `queued` and
 * the backend runs it again after a wait (`JobRunDeferred`; its attempts and backoff are the
 * backend's, `maxTransientAttempts` and `transientRetryMs`); only when those are used up is the job
 * failed with the error. THREADS_UNAVAILABLE: the worker pool could not make a thread for a task
 * (out of threads); the pool makes it for a later task once threads are available again.
 */
const TRANSIENT_RUN_ERRORS: ReadonlySet<string> = new Set(['THREADS_UNAVAILABLE']);

/**
 * The client-safe error of a failed run: its catalogued code and status, a message with no server
 * path or raw system text (src/client-text.ts); server-side failures say only "Processing failed",
 * except system errors (disk full, permission denied), whose plain sentence tells the user what
 * is wrong.
 */
export function jobErrorOf(err: unknown, dataDir?: string): JobError {
  const e = toClientError(err, { dataDir });
  // System errors and download errors (MAST's answers, already client-safe) keep their sentence.
  const area = catalogueEntry(e.code)?.area;
  const plain = area === 'system' || area === 'downloads';
  return { code: e.code, message: e.httpStatus >= 500 && !plain ? 'Processing failed' : e.message, httpStatus: e.httpStatus };
}

interface Live {
  job: JobRecord;
  publishTimer: NodeJS.Timeout | undefined;
  lastPublish: number;
  persistTimer: NodeJS.Timeout | undefined;
  lastPersist: number;
  persisting: Promise<unknown> | undefined;
  /** Record writes (`JobRunContext.alsoWrite`) waiting for a write of the job's record to land. */
  pending: CompletionWrites[];
}

/** Several writes as one (in order, in the caller's transaction); undefined for none. */
function allWrites(writes: readonly CompletionWrites[]): StoreWrites | undefined {
  if (writes.length === 0) return undefined;
  return async (tx) => {
    for (const w of writes) await w.write(tx);
  };
}

function committed(writes: readonly CompletionWrites[], log: JobLogger, jobId: string): void {
  for (const w of writes) {
    try {
      w.committed?.();
    } catch (err) {
      log.warn({ err, jobId }, 'after-commit step failed');
    }
  }
}

export class JobService {
  readonly store: JobStore;
  readonly backend: JobBackend;
  readonly handlers: JobHandlerRegistry;
  readonly events: JobEventBus;
  readonly dataDir: string;
  private readonly o: JobServiceOptions;
  private readonly log: JobLogger;
  private readonly live = new Map<string, Live>();
  private readonly runEndListeners = new Set<(job: JobRecord) => void>();
  private readonly completionHooks = new Set<CompletionHook>();
  private started = false;
  private closed = false;
  /** Aborted by close(): cuts the waits between retries of a failed store write. */
  private readonly closing = new AbortController();

  constructor(options: JobServiceOptions) {
    this.o = options;
    this.store = options.store;
    this.backend = options.backend;
    this.handlers = options.handlers;
    this.events = options.events ?? new LocalJobEvents();
    this.dataDir = options.dataDir;
    this.log = options.logger ?? silent;
  }

  /** Whether this process runs jobs (false: an API node that only queues them for workers). */
  get runsLocally(): boolean {
    return this.o.runLocally ?? true;
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle

  /** Finds jobs cut by a crash again (re-queued), queues the queued ones, starts the backend. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.o.recoverOnStart ?? true) await this.recover();
    if (this.runsLocally) await this.backend.start(this.runner, this.failStart);
  }

  private async recover(): Promise<void> {
    const page = await this.store.list({ states: ['running', 'queued'], limit: Number.MAX_SAFE_INTEGER });
    // Oldest first, so jobs start in the order they were asked for.
    for (const job of page.jobs.reverse()) {
      if (job.state === 'running' && this.handlers.has(job.kind) && this.handlers.get(job.kind).holdAfterCrash) {
        transition(job, 'paused', undefined, 'interrupted');
        job.stage = 'Interrupted by a restart; waiting for resume';
        if (await this.store.update(job, ['running'])) this.publish('state', job);
        continue;
      }
      if (job.state === 'running') await this.requeueCut(job, 'restart');
      if (job.state === 'queued') await this.enqueue(job);
    }
  }

  /** A run cut by a restart or a dead worker: queued again, or failed after `maxAttempts` runs. */
  private async requeueCut(job: JobRecord, by: 'restart' | 'stalled worker'): Promise<'queued' | 'failed' | undefined> {
    if (job.attempts >= (this.o.maxAttempts ?? 3)) {
      transition(job, 'failed');
      job.error = INTERRUPTED;
      job.stage = 'Interrupted';
    } else {
      transition(job, 'queued');
      job.stage = `Interrupted by a ${by}; queued again`;
    }
    if (!(await this.store.update(job, ['running']))) return undefined;
    this.log.info({ jobId: job.id, kind: job.kind, state: job.state }, `job cut by a ${by} found again`);
    return job.state === 'failed' ? 'failed' : 'queued';
  }

  /** Stops local runs (re-queued, so the next start resumes them) and closes the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.backend.close(new JobStop('shutdown'));
    await this.events.close();
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  async submit(kind: string, inputs: JsonObject, options: SubmitOptions = {}): Promise<JobRecord> {
    if (this.closed) throw new ConflictError('The job service is shutting down', 'JOB_SERVICE_CLOSED');
    const handler = this.handlers.get(kind);
    const parsed = handler.parse ? handler.parse(inputs) : inputs;
    if (options.id !== undefined && !isJobId(options.id)) throw new Error(`invalid job id ${JSON.stringify(options.id)}`);
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: options.id ?? randomUUID(),
      kind,
      state: 'queued',
      progress: 0,
      stage: 'Queued',
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
      owner: options.owner ?? null,
      inputs: parsed,
      result: null,
      outputs: [],
      error: null,
      pauseReason: null,
      attempts: 0,
      checkpoint: options.checkpoint ?? null,
    };
    await this.store.insert(job);
    this.publish('created', job);
    await this.enqueueNew(job);
    return copyRecord(job);
  }

  /**
   * Queues a job just inserted, or takes its record back: a record no queue holds a ticket of is
   * a job that never runs (or, on Redis, runs only when the next sweep finds it). The queue may
   * refuse (a Redis error reply) or not answer (Redis away: BullMQ's commands wait for it for
   * ever), so the wait is bounded; then the record is withdrawn and the caller gets the catalogued
   * 503 to retry. A ticket that still reaches the queue later finds no queued record and ends.
   */
  private enqueueNew(job: JobRecord): Promise<void> {
    return this.enqueueOrUndo(job, () => this.withdraw(job), 'could not withdraw a job the queue did not take');
  }

  /**
   * Queues `job` within the bounded wait, or undoes what made it queued: `undo` resolves false when
   * the record is no longer queued (a worker took it: the ticket did arrive, and the job runs).
   * Otherwise the caller gets JOB_QUEUE_UNAVAILABLE (503, Retry-After). If `undo` itself fails (the
   * store too), the record stays queued and the backend's sweep queues it later.
   */
  private async enqueueOrUndo(job: JobRecord, undo: () => Promise<boolean>, undoFailed: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waitMs = this.o.enqueueWaitMs ?? DEFAULT_ENQUEUE_WAIT_MS;
    try {
      await Promise.race([
        this.enqueue(job),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`the job queue did not answer in ${waitMs} ms`)), waitMs);
        }),
      ]);
      return;
    } catch (err) {
      const undone = await undo().catch((e: unknown) => {
        this.log.warn({ err: e, jobId: job.id }, undoFailed);
        return true;
      });
      if (!undone) return;
      this.log.warn({ err, jobId: job.id, kind: job.kind }, 'job not queued (JOB_QUEUE_UNAVAILABLE)');
      throw new EngineError('JOB_QUEUE_UNAVAILABLE', catalogueMessage('JOB_QUEUE_UNAVAILABLE'), 503, { cause: err, headers: { 'retry-after': '2' } });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes a queued record no run has taken; false when it is no longer queued (a run took it). */
  private async withdraw(job: JobRecord): Promise<boolean> {
    const gone: JobRecord = { ...copyRecord(job), state: 'cancelled', stage: 'Not queued', updatedAt: new Date().toISOString() };
    if (!(await this.store.update(gone, ['queued']))) return false;
    await this.store.delete(job.id);
    this.publish('removed', gone);
    return true;
  }

  /**
   * Cancels a job that is not finished. Returns false (and the job) when it already was.
   * Resolves once a local run has stopped.
   */
  async cancel(id: string): Promise<{ cancelled: boolean; job: JobRecord }> {
    const job = await this.require(id);
    if (isFinished(job.state)) return { cancelled: false, job };
    if (job.state === 'queued' || job.state === 'paused') {
      transition(job, 'cancelled');
      job.stage = 'Cancelled';
      if (await this.store.update(job, ['queued', 'paused'])) {
        await this.backend.stop(id, new JobStop('cancel'));
        await this.afterCancel(job);
        this.publish('state', job);
        return { cancelled: true, job: copyRecord(job) };
      }
    }
    // Running (here or elsewhere): the run settles the record as cancelled.
    await this.backend.stop(id, new JobStop('cancel'));
    const after = await this.require(id);
    return { cancelled: after.state === 'cancelled' || !isFinished(after.state), job: after };
  }

  /** Pauses a queued or running job of a pausable kind (its next run continues where it stopped). */
  async pause(id: string): Promise<JobRecord> {
    const job = await this.require(id);
    if (!this.handlers.get(job.kind).pausable) throw new ConflictError(`Jobs of kind ${job.kind} cannot be paused`, 'JOB_NOT_PAUSABLE');
    if (job.state === 'paused') return job;
    if (job.state === 'queued') {
      transition(job, 'paused');
      job.stage = 'Paused';
      if (await this.store.update(job, ['queued'])) {
        await this.backend.stop(id, new JobStop('pause'));
        this.publish('state', job);
        return copyRecord(job);
      }
    } else if (job.state !== 'running') {
      transition(job, 'paused'); // throws the transition error
    }
    await this.backend.stop(id, new JobStop('pause'));
    return this.require(id);
  }

  /** Queues a paused (or failed) job again. */
  async resume(id: string): Promise<JobRecord> {
    const job = await this.require(id);
    if (job.state === 'queued' || job.state === 'running') return job;
    const from = job.state;
    const before = copyRecord(job);
    transition(job, 'queued');
    job.stage = 'Queued';
    job.error = null;
    if (from === 'failed') job.attempts = 0;
    if (!(await this.store.update(job, [from]))) throw new ConflictError(`Job ${id} changed meanwhile; try again`, 'JOB_CHANGED');
    this.publish('state', job);
    // As for submit: a queued record without a ticket would wait for the sweep (30 s on Redis).
    await this.enqueueOrUndo(job, () => this.putBack(before), 'could not put back a job the queue did not take');
    return copyRecord(job);
  }

  /** Puts a resumed record back as it was (paused or failed) if it is still queued (no run took it). */
  private async putBack(before: JobRecord): Promise<boolean> {
    const back: JobRecord = { ...copyRecord(before), updatedAt: new Date().toISOString() };
    if (!(await this.store.update(back, ['queued']))) return false;
    this.publish('state', back);
    return true;
  }

  /**
   * Forgets a job: cancels it when it is not finished, deletes its output folder, lets its
   * handler free the rest (`deleteFiles`: also files outside the output folder the job made).
   */
  async remove(id: string, options: { deleteFiles?: boolean } = {}): Promise<JsonObject | void> {
    const job = await this.require(id);
    if (!isFinished(job.state)) await this.cancel(id);
    const final = (await this.store.get(id)) ?? job;
    await rm(this.outputDirOf(id), { recursive: true, force: true });
    await this.removeStoredOutputs(id);
    // A node without the kind's handler (an older worker) still removes the record and folder.
    let freed: JsonObject | void = undefined;
    if (this.handlers.has(final.kind)) freed = await this.handlers.get(final.kind).remove?.(final, { deleteFiles: options.deleteFiles ?? false });
    await this.store.delete(id);
    this.publish('removed', final);
    return freed;
  }

  /** The kind's `cancelled` hook (frees what only a resumed run needed); its checkpoint is kept. */
  private async afterCancel(job: JobRecord): Promise<void> {
    const hook = this.handlers.has(job.kind) ? this.handlers.get(job.kind).cancelled : undefined;
    if (!hook) return;
    try {
      const checkpoint = await hook(copyRecord(job));
      if (checkpoint) {
        job.checkpoint = checkpoint;
        await this.store.update(job, ['cancelled']);
      }
    } catch (err) {
      this.log.warn({ err, jobId: job.id, kind: job.kind }, 'cancel hook failed');
    }
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  /**
   * The job (live when it runs here), or undefined. A live record comes as an event's copy does
   * (`copyForEvent`): its fields copied, its checkpoint frozen and shared, never copied (a
   * download's lists every file: a deep copy per poll held the event loop ~7 ms at 2000 files;
   * issue #20, session 17). Nothing changes a checkpoint in place, and a caller that tried would throw.
   */
  async get(id: string): Promise<JobRecord | undefined> {
    if (!isJobId(id)) return undefined;
    const live = this.live.get(id);
    if (live) return copyForEvent(live.job);
    return this.store.get(id);
  }

  async require(id: string): Promise<JobRecord> {
    const job = await this.get(id);
    if (!job) throw new NotFoundError('Job not found', 'JOB_NOT_FOUND');
    return job;
  }

  /**
   * A page of jobs; those running here are their live records as `get` gives them. The store is
   * asked not to read their checkpoints (`withoutCheckpoint`): it would read and parse a running
   * download's whole file list only for it to be replaced (issue #20, session 17). A job that
   * stopped running here meanwhile is read again, whole.
   */
  async list(query: JobQuery = {}): Promise<JobPage> {
    const live = [...this.live.keys()];
    const page = await this.store.list(live.length > 0 ? { ...query, withoutCheckpoint: [...(query.withoutCheckpoint ?? []), ...live] } : query);
    const jobs: JobRecord[] = [];
    for (const j of page.jobs) {
      const now = this.live.get(j.id);
      if (now) jobs.push(copyForEvent(now.job));
      else if (live.includes(j.id) && !query.withoutCheckpoint?.includes(j.id)) jobs.push((await this.store.get(j.id)) ?? j);
      else jobs.push(j);
    }
    return { total: page.total, jobs };
  }

  /**
   * The summaries of the jobs `list(query)` would give, from the store alone (no record read: a
   * job running here may have written since, its `updatedAt` and progress newer in memory).
   */
  listSummaries(query: JobQuery = {}): Promise<JobSummary[]> {
    return this.store.listSummaries(query);
  }

  /**
   * Runs `hook` with the record of every run that succeeded, before it is marked `completed` (for
   * every kind). The hook does its file work (headers, checksums) and returns the writes (the
   * library's records of the outputs) that the store commits in the same transaction as the
   * `completed` state: whoever sees the job completed finds them, and a job cancelled meanwhile
   * (the conditional write finds it no longer running) leaves none. A hook that throws fails the
   * job (its error is the job's). Writes need a store on a shared database (DbJobStore). Returns
   * the function that removes it.
   */
  beforeComplete(hook: CompletionHook): () => void {
    this.completionHooks.add(hook);
    return () => this.completionHooks.delete(hook);
  }

  /**
   * Calls `listener` with the record each time a run in this process ends (whatever its state);
   * output retention prunes then. Returns the function that stops it.
   */
  onRunEnd(listener: (job: JobRecord) => void): () => void {
    this.runEndListeners.add(listener);
    return () => this.runEndListeners.delete(listener);
  }

  subscribe(jobId: string | undefined, listener: JobEventListener): () => void {
    return this.events.subscribe(jobId, listener);
  }

  /** Resolves with the record once the job is no longer queued or running. */
  async waitUntilSettled(id: string, signal?: AbortSignal): Promise<JobRecord> {
    return new Promise<JobRecord>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const check = (job: JobRecord | undefined) => {
        if (!job) finish(() => reject(new NotFoundError('Job not found', 'JOB_NOT_FOUND')));
        else if (!isActive(job.state)) finish(() => resolve(copyRecord(job)));
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      const unsubscribe = this.subscribe(id, (e) => (e.type === 'removed' ? check(undefined) : check(e.job)));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.get(id).then(check, (err: unknown) => finish(() => reject(err)));
    });
  }

  async readiness(): Promise<Readiness> {
    const s = await this.backend.stats();
    return { queueDepth: s.queued, running: s.running, capacity: s.capacity, saturation: s.capacity > 0 ? Math.min(1, s.running / s.capacity) : 1, lanes: s.lanes };
  }

  /**
   * With an object store: the outputs in the job's folder (`processed/{id}/...`) become objects of
   * the same keys, then the folder goes. Outputs elsewhere (a download's files) are left as they are.
   */
  private async storeOutputs(job: JobRecord): Promise<void> {
    const store = this.o.outputStore;
    if (!store) return;
    const folder = `processed/${job.id}/`;
    for (const out of job.outputs) {
      if (!out.path.startsWith(folder)) continue;
      const local = join(this.dataDir, out.path);
      if (!(await stat(local).then((s) => s.isFile(), () => false))) continue;
      await store.write(out.path, createReadStream(local));
    }
    await rm(this.outputDirOf(job.id), { recursive: true, force: true });
  }

  /** The objects of a removed job's folder (the store's listing: outputs of every run). */
  private async removeStoredOutputs(id: string): Promise<void> {
    const store = this.o.outputStore;
    if (!store) return;
    const keys: string[] = [];
    for await (const o of store.list(`processed/${id}/`)) keys.push(o.key);
    for (const key of keys) await store.delete(key);
  }

  /** `DATA_DIR/processed/{id}`: the job's own output folder. */
  outputDirOf(id: string): string {
    if (!isJobId(id)) throw new NotFoundError('Job not found', 'JOB_NOT_FOUND');
    return join(this.dataDir, 'processed', id);
  }

  // ------------------------------------------------------------------------------------------
  // Running

  private async enqueue(job: JobRecord): Promise<void> {
    const handler = this.handlers.has(job.kind) ? this.handlers.get(job.kind) : undefined;
    await this.backend.enqueue({ id: job.id, kind: job.kind, lane: handler?.lane ?? 'compute' });
  }

  /**
   * A job whose runner kept throwing before its run (the backend gives its ticket up): a `queued`
   * record, or a `running` one a dead worker left (`reclaim`), is failed with JOB_START_FAILED, or
   * with `options.error` (a job whose runs kept ending on a transient failure, THREADS_UNAVAILABLE).
   */
  readonly failStart: JobStartFailure = async (id, attempts, options = {}) => {
    const job = await this.store.get(id);
    if (!job || this.live.has(id)) return false;
    const was = job.state;
    if (was !== 'queued' && !(was === 'running' && options.reclaim)) return false;
    transition(job, 'failed');
    job.error = options.error ?? { code: 'JOB_START_FAILED', message: catalogueMessage('JOB_START_FAILED'), httpStatus: 500 };
    job.stage = 'Failed';
    if (!(await this.store.update(job, [was]))) return false;
    this.log.error({ jobId: id, kind: job.kind, attempts, code: job.error.code }, options.error ? 'job failed after its runs were deferred (transient failure) too many times' : 'job could not be started; failed (JOB_START_FAILED)');
    this.publish('state', job);
    return true;
  };

  /** Runs one job to its end in this process (the backend calls it). */
  readonly runner: JobRunner = async (id, signal, options = {}) => {
    const job = await this.store.get(id);
    if (job?.state === 'running' && options.reclaim && !this.live.has(id)) {
      const now = await this.requeueCut(job, 'stalled worker');
      if (now !== 'queued') return now === 'failed' ? this.publish('state', job) : undefined;
    }
    if (!job || job.state !== 'queued') return;
    if (!this.handlers.has(job.kind)) {
      transition(job, 'failed');
      job.error = { code: 'JOB_NO_HANDLER', message: `No handler for jobs of kind ${job.kind} on this node`, httpStatus: 500 };
      if (await this.store.update(job, ['queued'])) this.publish('state', job);
      return;
    }
    const handler = this.handlers.get(job.kind);
    const resumed = job.attempts > 0;
    transition(job, 'running');
    job.error = null;
    job.stage = resumed ? 'Resuming' : 'Starting';
    if (!(await this.store.update(job, ['queued']))) return; // cancelled or paused meanwhile
    options.started?.(); // the run began: the backend forgets its failed starts (session 12)
    const live: Live = { job, publishTimer: undefined, lastPublish: 0, persistTimer: undefined, lastPersist: Date.now(), persisting: undefined, pending: [] };
    let completion: CompletionWrites[] = [];
    /** Set when the run ended on a transient failure and its record is to be queued again. */
    let deferred: JobRunDeferred | undefined;
    this.live.set(id, live);
    this.publish('state', job);
    const ctx: JobRunContext = {
      job: copyRecord(job),
      inputs: job.inputs,
      signal,
      resumed,
      progress: (fraction, stage) => {
        if (job.state !== 'running') return;
        const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : job.progress;
        job.progress = Math.max(job.progress, f);
        if (stage !== undefined) job.stage = stage;
        this.touch(live);
      },
      outputDir: async () => {
        const dir = this.outputDirOf(id);
        await mkdir(dir, { recursive: true });
        return dir;
      },
      checkpoint: async (state, options) => {
        job.checkpoint = state;
        this.touch(live, options?.now === true);
        if (options?.now === true) await live.persisting;
      },
      alsoWrite: (writes) => {
        live.pending.push(writes);
      },
    };
    try {
      const out = await handler.run(ctx);
      const stop = stopOf(signal);
      if (stop) this.settleStopped(job, stop);
      else {
        job.result = out.result ?? null;
        job.outputs = [...(out.outputs ?? [])];
        await this.storeOutputs(job);
        const writes: CompletionWrites[] = [];
        for (const hook of this.completionHooks) {
          const w = await hook(copyRecord(job));
          if (w) writes.push(w);
        }
        // Stopped while the hooks read the files: the stop wins, their records are not written.
        const late = stopOf(signal);
        if (late) this.settleStopped(job, late);
        else {
          completion = writes;
          transition(job, 'completed');
          job.stage = 'Completed';
        }
      }
    } catch (err) {
      const stop = stopOf(signal);
      if (stop) this.settleStopped(job, stop);
      else if (err instanceof JobPauseRequest) {
        transition(job, 'paused', undefined, err.reason);
        job.stage = 'Paused';
      } else {
        const error = jobErrorOf(err, this.dataDir);
        if (TRANSIENT_RUN_ERRORS.has(error.code)) {
          // Not failed (session 14): queued again, and the backend runs it again after a wait.
          transition(job, 'queued');
          // A run that found no thread is not a run: it must not use up the attempts a restart counts (requeueCut).
          job.attempts = Math.max(0, job.attempts - 1);
          job.stage = 'No worker thread could be made; queued to run again shortly';
          deferred = new JobRunDeferred(error, { cause: err });
        } else {
          transition(job, 'failed');
          job.error = error;
          job.stage = 'Failed';
          if (job.error.httpStatus >= 500) this.log.error({ err, jobId: id, kind: job.kind }, 'job failed');
        }
      }
    } finally {
      if (live.publishTimer) clearTimeout(live.publishTimer);
      if (live.persistTimer) clearTimeout(live.persistTimer);
      await live.persisting;
      this.live.delete(id);
      job.updatedAt = new Date().toISOString();
      // The files a checkpoint marked done and, when completed, the outputs: their records commit with this write.
      const writes = [...live.pending, ...((job.state as string) === 'completed' ? completion : [])];
      if (await this.settle(job, allWrites(writes))) {
        committed(writes, this.log, id);
        if ((job.state as string) === 'cancelled') await this.afterCancel(job);
        this.publish('state', job);
      } else {
        deferred = undefined; // cancelled elsewhere meanwhile: nothing to run again
        this.publish('state', (await this.store.get(id).catch(() => undefined)) ?? job);
      }
      for (const listener of this.runEndListeners) {
        try {
          listener(copyRecord(job));
        } catch (err) {
          this.log.warn({ err, jobId: id }, 'run-end listener failed');
        }
      }
    }
    // The record is queued again: the backend takes the job again after its wait (or fails it).
    if (deferred) throw deferred;
  };

  /**
   * Writes the end of a run. The store may be unreachable (database down): the write is retried,
   * backing off up to 30 s, until it answers or the service closes, so a finished run is never
   * left `running` with nobody to run it (meanwhile its queue ticket stays taken, so no other
   * worker starts it). `alsoWrite` (records) commits in the same transaction, retried with it.
   * Returns whether the record was still `running` (false: cancelled elsewhere; nothing written).
   */
  private async settle(job: JobRecord, alsoWrite?: StoreWrites): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.update(job, ['running'], alsoWrite);
      } catch (err) {
        if (this.closed || err instanceof StoreWritesUnsupportedError) throw err;
        const wait = Math.min(30_000, (this.o.storeRetryMs ?? 500) * 2 ** Math.min(attempt, 10));
        this.log.warn({ err, jobId: job.id, state: job.state, retryInMs: wait }, 'could not save the end of a job run; retrying');
        await sleep(wait, undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    }
  }

  private settleStopped(job: JobRecord, stop: JobStop): void {
    if (stop.kind === 'cancel') {
      transition(job, 'cancelled');
      job.stage = 'Cancelled';
    } else if (stop.kind === 'pause') {
      transition(job, 'paused', undefined, 'user');
      job.stage = 'Paused';
    } else {
      // Shutdown: queued again, so the next start runs it (a pausable job continues).
      transition(job, 'queued');
      job.stage = 'Interrupted by shutdown; queued again';
    }
  }

  /** Progress changed: publish and persist, each throttled. */
  private touch(live: Live, persistNow = false): void {
    const now = Date.now();
    if (persistNow) {
      // Written now: the timer's write would come up to a second later.
      if (live.persistTimer) clearTimeout(live.persistTimer);
      live.persistTimer = undefined;
      live.lastPersist = now;
      if (live.job.state === 'running') {
        live.job.updatedAt = new Date().toISOString();
        const previous = live.persisting ?? Promise.resolve();
        live.persisting = previous.then(() => this.persistLive(live)).then(() => undefined, (err: unknown) => this.log.warn({ err, jobId: live.job.id }, 'could not save job progress'));
      }
    }
    const pInterval = this.o.progressIntervalMs ?? 250;
    if (!live.publishTimer) {
      live.publishTimer = setTimeout(() => {
        live.publishTimer = undefined;
        live.lastPublish = Date.now();
        if (live.job.state === 'running') this.publish('progress', live.job);
      }, Math.max(0, pInterval - (now - live.lastPublish)));
      live.publishTimer.unref?.();
    }
    const sInterval = this.o.persistIntervalMs ?? 1000;
    if (!live.persistTimer) {
      live.persistTimer = setTimeout(() => {
        live.persistTimer = undefined;
        live.lastPersist = Date.now();
        if (live.job.state !== 'running') return;
        live.job.updatedAt = new Date().toISOString();
        // After the write before it: one that carries record writes must land (or fail) before another starts.
        const previous = live.persisting ?? Promise.resolve();
        live.persisting = previous.then(() => this.persistLive(live)).catch((err: unknown) => this.log.warn({ err, jobId: live.job.id }, 'could not save job progress'));
      }, Math.max(0, sInterval - (now - live.lastPersist)));
      live.persistTimer.unref?.();
    }
  }

  /**
   * Writes a running job's record with the record writes waiting for it (one transaction); those
   * that did not land stay waiting for the next write (the end of the run's, at the latest). The
   * writes of one job are chained (`live.persisting`), so none overtakes one that carries records.
   */
  private async persistLive(live: Live): Promise<void> {
    const writes = [...live.pending];
    if (await this.store.update(live.job, ['running'], allWrites(writes))) {
      live.pending = live.pending.filter((w) => !writes.includes(w));
      committed(writes, this.log, live.job.id);
    }
  }

  private publish(type: JobEvent['type'], job: JobRecord): void {
    this.events.publish({ type, job: copyForEvent(job) });
  }
}
