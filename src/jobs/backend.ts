/**
 * Who runs jobs. The service decides *what* a job is and keeps its record; a backend decides
 * *where and when* it runs. `InProcessBackend` runs jobs in this process, a bounded number per
 * lane; a BullMQ backend hands job ids to `jwst-engine worker` processes on any machine and
 * relays stops to them. The service only ever talks to this interface.
 */
import type { JobLane, JobStop } from './handlers.js';

export interface JobRunOptions {
  /**
   * The job's previous run was cut on another node (its worker died: a stalled BullMQ job), so a
   * record still `running` is taken over: re-queued (counting the attempt) and run here.
   */
  readonly reclaim?: boolean;
}

/** Runs one job here, to its end; `signal` aborts with a JobStop. Never throws. */
export type JobRunner = (jobId: string, signal: AbortSignal, options?: JobRunOptions) => Promise<void>;

/**
 * Records that job `jobId` could not be started: its runner threw before the run began (the
 * store failed) `attempts` times in a row, and the backend gives its ticket up. Resolves with
 * whether a record was marked failed (false: nothing to fail, e.g. it was cancelled meanwhile);
 * rejects when the store fails too (the backend then keeps the ticket).
 */
export type JobStartFailure = (jobId: string, attempts: number, options?: JobRunOptions) => Promise<boolean>;

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
  private readonly lanes = new Map<JobLane, Lane>();
  private closed = false;

  /** `capacity` per lane, e.g. `{ compute: 2, transfer: 4 }`. */
  constructor(capacity: Readonly<Record<JobLane, number>>) {
    for (const [lane, n] of Object.entries(capacity) as Array<[JobLane, number]>) {
      this.lanes.set(lane, { capacity: n, waiting: [], running: new Map() });
    }
  }

  async start(runner: JobRunner): Promise<void> {
    this.runner = runner;
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  async enqueue(ticket: JobTicket): Promise<void> {
    if (this.closed || this.has(ticket.id)) return;
    const lane = this.lane(ticket.lane);
    lane.waiting.push(ticket);
    this.pump(lane);
  }

  has(jobId: string): boolean {
    for (const lane of this.lanes.values()) {
      if (lane.running.has(jobId) || lane.waiting.some((t) => t.id === jobId)) return true;
    }
    return false;
  }

  async stop(jobId: string, stop: JobStop): Promise<void> {
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
        .then(() => runner(ticket.id, controller.signal))
        .catch(() => undefined)
        .finally(() => {
          lane.running.delete(ticket.id);
          this.pump(lane);
        });
      lane.running.set(ticket.id, { controller, done });
    }
  }
}
