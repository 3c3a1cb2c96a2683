/**
 * What runs a job of one kind. A handler gets the validated inputs, a progress reporter and an
 * AbortSignal; it returns the result and the files it wrote. Handlers know nothing of queues,
 * stores or HTTP, so the same handler runs in the API process, in `jwst-engine worker`, or in a
 * test.
 *
 * Stopping: the signal aborts with a `JobStop` (cancel, pause, shutdown). A handler stops soon
 * after, keeping what lets it continue (a download keeps its `.part` bytes) and returns or throws;
 * the service decides the state from the stop, not from what the handler threw.
 */
import { ValidationError } from '../errors.js';
import type { JobOutput, JobPauseReason, JobRecord, JsonObject } from './types.js';
import type { CompletionWrites } from './service.js';

export type JobStopKind = 'cancel' | 'pause' | 'shutdown';

/** The reason a job's signal aborts with. */
export class JobStop extends Error {
  constructor(readonly kind: JobStopKind) {
    super(kind === 'cancel' ? 'job cancelled' : kind === 'pause' ? 'job paused' : 'engine shutting down');
    this.name = 'JobStop';
  }
}

/**
 * Thrown by a handler that cannot go on but keeps what it did (a full disk): the job becomes
 * `paused` with this reason instead of `failed`, and a resume continues it.
 */
export class JobPauseRequest extends Error {
  constructor(readonly reason: JobPauseReason, message = `job paused: ${reason}`) {
    super(message);
    this.name = 'JobPauseRequest';
  }
}

export function stopOf(signal: AbortSignal): JobStop | undefined {
  return signal.aborted && signal.reason instanceof JobStop ? signal.reason : undefined;
}

/** Reports progress: `fraction` 0–1 (clamped, never goes back), `stage` what happens now. */
export type ProgressReporter = (fraction: number, stage?: string) => void;

export interface JobRunContext<I extends JsonObject = JsonObject> {
  /** The record as it was when the run started (a copy). */
  readonly job: Readonly<JobRecord>;
  readonly inputs: I;
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
  /** True when a previous run of this job was cut (restart, pause, stalled worker). */
  readonly resumed: boolean;
  /** The job's own output folder `DATA_DIR/processed/{job id}` (created on first call). */
  outputDir(): Promise<string>;
  /**
   * Saves kind-specific resume state with the record (throttled; the last one wins). `now`
   * writes it at once, for a state a crash must not lose (a download's list of files, made
   * before its first byte, so a kill in the run's first second still resumes from the disk) and
   * resolves once that write has landed (or failed, which is logged); otherwise it resolves at once.
   * `state` is the service's from then on (events share it, frozen, rather than copy it): pass a
   * new object each time.
   */
  checkpoint(state: JsonObject, options?: { readonly now?: boolean }): Promise<void>;
  /**
   * Other records (a downloaded file's library record) written in one transaction with the next
   * write of the job's record, and with each later one until one lands: call it in the same tick
   * as the change of state they belong to (a file marked done), then `checkpoint`, so that no
   * write of the record carries that state without them. Needs a store on a shared database.
   */
  alsoWrite(writes: CompletionWrites): void;
}

export interface JobRunResult {
  readonly result?: JsonObject | null;
  /** Files in the job's output folder (paths relative to DATA_DIR). */
  readonly outputs?: readonly JobOutput[];
}

export interface JobHandler<I extends JsonObject = JsonObject> {
  readonly kind: string;
  /** Pause/resume supported (the run stops at a JobStop('pause') and a later run continues). */
  readonly pausable?: boolean;
  /**
   * Which concurrency lane the job runs in (`compute` shares the render gate with interactive
   * renders; `transfer` for downloads). Default `compute`.
   */
  readonly lane?: JobLane;
  /** Validates and normalises inputs at submit time (throw a ValidationError). */
  parse?(inputs: JsonObject): I;
  run(ctx: JobRunContext<I>): Promise<JobRunResult>;
  /**
   * Frees what the job holds beyond its output folder, when the job is removed; what it returns
   * (e.g. how many files it deleted) is what `JobService.remove` returns.
   */
  remove?(job: Readonly<JobRecord>, options: { readonly deleteFiles: boolean }): Promise<JsonObject | void>;
  /**
   * Called once a job is cancelled (after its run stopped, or at once when it was queued or
   * paused) to free what only a resumed run would need (a download's `.part` files). A returned
   * checkpoint replaces the stored one.
   */
  cancelled?(job: Readonly<JobRecord>): Promise<JsonObject | void>;
  /**
   * A run of this kind cut by a crash waits for a person (`paused`, reason `interrupted`) instead
   * of being queued again at the next start (downloads with AUTO_RESUME_DOWNLOADS=false).
   */
  readonly holdAfterCrash?: boolean;
}

export type JobLane = 'compute' | 'transfer';

export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register<I extends JsonObject>(handler: JobHandler<I>): this {
    if (this.handlers.has(handler.kind)) throw new Error(`job kind ${handler.kind} is registered twice`);
    this.handlers.set(handler.kind, handler as unknown as JobHandler);
    return this;
  }

  get(kind: string): JobHandler {
    const handler = this.handlers.get(kind);
    if (!handler) throw new ValidationError(`Unknown job kind ${JSON.stringify(kind)}`, 'JOB_UNKNOWN_KIND');
    return handler;
  }

  has(kind: string): boolean {
    return this.handlers.has(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}
