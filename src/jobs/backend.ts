/**
 * Who runs jobs. The service decides *what* a job is and keeps its record; a backend decides
 * *where and when* it runs. `InProcessBackend` runs jobs in this process, a bounded number per
 * lane; a BullMQ backend hands job ids to `jwst-engine worker` processes on any machine and
 * relays stops to them. The service only ever talks to this interface.
 */
import type { JobLane, JobStop } from './handlers.js';
import type { JobLogger } from './service.js';
import type { JobError } from './types.js';

export interface JobRunOptions {
  /**
   * The job's previous run was cut on another node (its worker died: a stalled BullMQ job), so a
   * record still `running` is taken over: re-queued (counting the attempt) and run here.
   */
  readonly reclaim?: boolean;
  /**
   * Called once the run began (the record is marked running): the backend forgets the failed
   * starts it counted for the job (a later take, after a crash or a stop, counts from zero).
   */
  readonly started?: () => void;
}

/**
 * Runs one job here, to its end; `signal` aborts with a JobStop. Throws only when the run could not
 * begin (the job store failed before the record was marked running), or with `JobRunDeferred` when
 * the run ended on a transient failure and its record is queued again: either way the backend takes
 * the job again later (`afterStartFailure`).
 */
export type JobRunner = (jobId: string, signal: AbortSignal, options?: JobRunOptions) => Promise<void>;

/**
 * Records that job `jobId` could not be started: its runner threw before the run began (the
 * store failed) `attempts` times in a row, and the backend gives its ticket up. Resolves with
 * whether a record was marked failed (false: nothing to fail, e.g. it was cancelled meanwhile);
 * rejects when the store fails too (the backend then keeps the ticket). With `error` (runs that
 * each ended with `JobRunDeferred`), the queued record is failed with that error instead of
 * JOB_START_FAILED.
 */
export type JobStartFailure = (jobId: string, attempts: number, options?: JobFailOptions) => Promise<boolean>;

export interface JobFailOptions {
  /** The record may be `running`, left by a dead worker (see JobRunOptions). */
  readonly reclaim?: boolean;
  /** The error to fail the job with (default JOB_START_FAILED). */
  readonly error?: JobError;
}

/**
 * Thrown by a runner whose run ended on a transient failure (THREADS_UNAVAILABLE: no worker thread
 * could be made for a task; session 14): the record was put back `queued` (not failed). The backend
 * takes the job again after a wait, as after a failed start (`afterStartFailure`), and after
 * `maxTransientAttempts` such runs in a row fails it with `error`, the failure's own.
 */
export class JobRunDeferred extends Error {
  constructor(readonly error: JobError, options?: { cause?: unknown }) {
    super(`job run deferred: ${error.code}`, options);
    this.name = 'JobRunDeferred';
  }
}

/** How a backend takes again a job whose runner threw before its run (the store failed). */
export interface StartRetryOptions {
  /** Takes in a row before the job is failed with JOB_START_FAILED (default 20, JOB_START_ATTEMPTS). */
  readonly maxStartAttempts?: number;
  /** First wait before it is taken again, doubling up to 30 s (default 500 ms: 1 s, 2 s, ... 30 s). */
  readonly startRetryMs?: number;
  /** Runs in a row that end with `JobRunDeferred` (THREADS_UNAVAILABLE) before the job fails with its error (default 4, JOB_THREAD_ATTEMPTS). */
  readonly maxTransientAttempts?: number;
  /** Wait before such a job runs again, doubling up to 30 s (default 2000 ms: 2 s, 4 s, 8 s; JOB_THREAD_RETRY_MS). */
  readonly transientRetryMs?: number;
  /**
   * The wait really used before a job is taken again, given the one chosen above (default: that
   * one; the in-process backend's timer, BullMQ's ticket delay). Called once per retry, as it is
   * scheduled: tests see a retry scheduled and hold it pending (a wait of a day) instead of racing
   * a wait of real time (issue #20; test/jobs/thread-retry.test.ts).
   */
  readonly retryWait?: (ms: number, job: RetryingJob) => number;
}

/** The job whose next take `StartRetryOptions.retryWait` times. */
export interface RetryingJob {
  readonly id: string;
  readonly kind: string;
  /** Failed takes in a row of this sort, this one included. */
  readonly failures: number;
  /** The run ended with `JobRunDeferred` (THREADS_UNAVAILABLE), not a failed start. */
  readonly deferred: boolean;
}

export const DEFAULT_MAX_START_ATTEMPTS = 20;
export const DEFAULT_MAX_TRANSIENT_ATTEMPTS = 4;

export interface StartFailure {
  readonly id: string;
  readonly kind: string;
  /** Failed takes in a row, this one included (of the failure's sort: `transientFailures` for a `JobRunDeferred`). */
  readonly failures: number;
  readonly reclaim: boolean;
  readonly err: unknown;
}

/** Which count of failed takes in a row a runner's throw adds to (`afterStartFailure`'s `failures`). */
export function failureCount(err: unknown): 'startFailures' | 'transientFailures' {
  return err instanceof JobRunDeferred ? 'transientFailures' : 'startFailures';
}

/**
 * What a backend does after a job's runner threw before its run (both backends, session 12):
 * from the `maxStartAttempts`-th failure on, the record is failed (`failStart`, JOB_START_FAILED)
 * and undefined is returned: the backend drops the job. Otherwise, and whenever the store does
 * not take that write either, the wait in ms before the job is taken again: the backend keeps it,
 * so no record is left queued (or running) with nothing to run it. A run that ended with
 * `JobRunDeferred` (session 14) goes the same way with its own bounds: failed with its error from
 * the `maxTransientAttempts`-th on, else taken again after `transientRetryMs` doubling.
 */
export async function afterStartFailure(
  o: StartRetryOptions, failStart: JobStartFailure | undefined, log: JobLogger, f: StartFailure,
): Promise<number | undefined> {
  const what = { jobId: f.id, kind: f.kind, attempts: f.failures };
  const deferred = f.err instanceof JobRunDeferred ? f.err : undefined;
  const max = deferred ? (o.maxTransientAttempts ?? DEFAULT_MAX_TRANSIENT_ATTEMPTS) : (o.maxStartAttempts ?? DEFAULT_MAX_START_ATTEMPTS);
  if (f.failures >= max && failStart) {
    const options: JobFailOptions = deferred ? { reclaim: false, error: deferred.error } : { reclaim: f.reclaim };
    const recorded = await failStart(f.id, f.failures, options).then(() => true, (err: unknown) => {
      log.warn({ ...what, err }, 'could not record a job that cannot be started; it is taken again later');
      return false;
    });
    if (recorded) return undefined;
  }
  const wait = (ms: number) => (o.retryWait ? o.retryWait(ms, { id: f.id, kind: f.kind, failures: f.failures, deferred: deferred !== undefined }) : ms);
  if (deferred) {
    const delay = wait(Math.min(30_000, (o.transientRetryMs ?? 2000) * 2 ** Math.min(f.failures - 1, 10)));
    log.warn({ ...what, code: deferred.error.code, retryInMs: delay }, 'job run deferred (transient failure); it is queued and runs again later');
    return delay;
  }
  const delay = wait(Math.min(30_000, (o.startRetryMs ?? 500) * 2 ** Math.min(f.failures, 6)));
  log.warn({ ...what, err: f.err, retryInMs: delay }, 'could not start a job (job store failed); it is taken again later');
  return delay;
}

export interface JobTicket {
  readonly id: string;
  readonly kind: string;
  readonly lane: JobLane;
}

export interface LaneStats {
  readonly queued: number;
  readonly running: number;
  /** Jobs that may run at once (0: no local workers). */
  readonly capacity: number;
}

export interface BackendStats {
  readonly queued: number;
  readonly running: number;
  readonly capacity: number;
  readonly lanes: Readonly<Record<string, LaneStats>>;
}

export interface BackendHealth {
  readonly ok: boolean;
  /** Client-safe, e.g. "redis unreachable". */
  readonly detail?: string;
}

export interface JobBackend {
  readonly name: string;
  /**
   * Starts taking jobs; `runner` runs one job in this process. `failStart`, when given, is called
   * for a ticket whose runner keeps throwing before its run (a backend that retries such tickets).
   */
  start(runner: JobRunner, failStart?: JobStartFailure): Promise<void>;
  /** Queues a job; a job already waiting or running is not added twice. */
  enqueue(ticket: JobTicket): Promise<void>;
  /**
   * Stops a job wherever it is: removed when waiting, its signal aborted with `stop` when running.
   * Resolves once a local run has returned (remote runs: once the request is delivered).
   */
  stop(jobId: string, stop: JobStop): Promise<void>;
  /** True while the job waits or runs on this backend (as far as this node knows). */
  has(jobId: string): boolean;
  stats(): Promise<BackendStats>;
  /** A cheap liveness check of what the backend depends on (answers in milliseconds). */
  health(): Promise<BackendHealth>;
  /** Stops every local run with `stop` and waits for the runners to return. */
  close(stop: JobStop): Promise<void>;
}

interface Lane {
  readonly capacity: number;
  readonly waiting: JobTicket[];
  readonly running: Map<string, { controller: AbortController; done: Promise<void> }>;
}

export class InProcessBackend implements JobBackend {
  readonly name = 'in-process';
  private runner: JobRunner | undefined;
  private failStart: JobStartFailure | undefined;
  private readonly lanes = new Map<JobLane, Lane>();
  /** Jobs whose runner threw before the run: failed takes in a row, and the timer of the next take. */
  private readonly startFailures = new Map<string, number>();
  /** Jobs whose runs ended with `JobRunDeferred`: such runs in a row (kept across the runs that began). */
  private readonly transientFailures = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly log: JobLogger;
  private closed = false;

  /** `capacity` per lane, e.g. `{ compute: 2, transfer: 4 }`. */
  constructor(capacity: Readonly<Record<JobLane, number>>, private readonly o: StartRetryOptions & { readonly logger?: JobLogger } = {}) {
    for (const [lane, n] of Object.entries(capacity) as Array<[JobLane, number]>) {
      this.lanes.set(lane, { capacity: n, waiting: [], running: new Map() });
    }
    this.log = o.logger ?? { info: () => undefined, warn: () => undefined, error: () => undefined };
  }

  async start(runner: JobRunner, failStart?: JobStartFailure): Promise<void> {
    this.runner = runner;
    this.failStart = failStart;
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  async enqueue(ticket: JobTicket): Promise<void> {
    if (this.closed || this.has(ticket.id)) return;
    const lane = this.lane(ticket.lane);
    lane.waiting.push(ticket);
    this.pump(lane);
  }

  has(jobId: string): boolean {
    if (this.retries.has(jobId)) return true;
    for (const lane of this.lanes.values()) {
      if (lane.running.has(jobId) || lane.waiting.some((t) => t.id === jobId)) return true;
    }
    return false;
  }

  async stop(jobId: string, stop: JobStop): Promise<void> {
    clearTimeout(this.retries.get(jobId));
    this.retries.delete(jobId);
    this.forget(jobId);
    for (const lane of this.lanes.values()) {
      const i = lane.waiting.findIndex((t) => t.id === jobId);
      if (i >= 0) lane.waiting.splice(i, 1);
      const run = lane.running.get(jobId);
      if (run) {
        run.controller.abort(stop);
        await run.done;
      }
    }
  }

  async stats(): Promise<BackendStats> {
    const lanes: Record<string, LaneStats> = {};
    let queued = 0;
    let running = 0;
    let capacity = 0;
    for (const [name, lane] of this.lanes) {
      lanes[name] = { queued: lane.waiting.length, running: lane.running.size, capacity: lane.capacity };
      queued += lane.waiting.length;
      running += lane.running.size;
      capacity += lane.capacity;
    }
    return { queued, running, capacity, lanes };
  }

  async health(): Promise<BackendHealth> {
    return { ok: true };
  }

  async close(stop: JobStop): Promise<void> {
    this.closed = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    const runs: Array<Promise<void>> = [];
    for (const lane of this.lanes.values()) {
      lane.waiting.length = 0;
      for (const run of lane.running.values()) {
        run.controller.abort(stop);
        runs.push(run.done);
      }
    }
    await Promise.all(runs);
  }

  private lane(name: JobLane): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { capacity: 1, waiting: [], running: new Map() };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private pump(lane: Lane): void {
    const runner = this.runner;
    if (!runner || this.closed) return;
    while (lane.running.size < lane.capacity && lane.waiting.length > 0) {
      const ticket = lane.waiting.shift()!;
      const controller = new AbortController();
      const done = Promise.resolve()
        .then(() => runner(ticket.id, controller.signal, { started: () => void this.startFailures.delete(ticket.id) }))
        .then(() => this.forget(ticket.id), (err: unknown) => this.startFailed(ticket, controller.signal, err))
        .catch((err: unknown) => this.log.error({ err, jobId: ticket.id }, 'job runner failed'))
        .finally(() => {
          lane.running.delete(ticket.id);
          this.pump(lane);
        });
      lane.running.set(ticket.id, { controller, done });
    }
  }

  /** The job's run ended (or it was stopped): its counts of failed takes go. */
  private forget(jobId: string): void {
    this.startFailures.delete(jobId);
    this.transientFailures.delete(jobId);
  }

  /**
   * The runner threw before the run began (the store failed; the record is unchanged): before
   * session 12 the job was dropped here, its record left queued until a restart. Now it is taken
   * again later, and failed after `maxStartAttempts` takes, as on the BullMQ backend. A run that
   * ended with `JobRunDeferred` (record queued again, session 14) is taken again the same way,
   * counted apart, and failed with its error after `maxTransientAttempts` runs.
   */
  private async startFailed(ticket: JobTicket, signal: AbortSignal, err: unknown): Promise<void> {
    if (this.closed || signal.aborted) { // closing (still queued in the store: the next start queues it), or stopped
      this.forget(ticket.id);
      return;
    }
    const counts = failureCount(err) === 'transientFailures' ? this.transientFailures : this.startFailures;
    const failures = (counts.get(ticket.id) ?? 0) + 1;
    const delay = await afterStartFailure(this.o, this.failStart, this.log, { id: ticket.id, kind: ticket.kind, failures, reclaim: false, err });
    if (delay === undefined || this.closed || signal.aborted) { // failed, closing, or stopped meanwhile
      this.forget(ticket.id);
      return;
    }
    counts.set(ticket.id, failures);
    const timer = setTimeout(() => { // not unref'd: a CLI waiting for the job must not exit meanwhile (close() clears it)
      this.retries.delete(ticket.id);
      void this.enqueue(ticket);
    }, delay);
    this.retries.set(ticket.id, timer);
  }
}
