/**
 * The worker-thread pool (piscina) that runs every CPU-heavy task off the event loop: FITS
 * decoding, previews, analysis, reprojection. Downloads and progress polls stay responsive while
 * a mosaic renders.
 *
 * Stopping a task: `run(..., { signal })`. When the signal aborts (the client went away, the job
 * was cancelled, the engine shuts down: `stopAll`), a task still waiting in the queue leaves it at
 * once; a running one gets its stop flag set in shared memory and ends at its next
 * `throwIfCancelled()` (between bands, tiles, rows, sources). One that has not ended
 * `abortGraceMs` later has its thread terminated (piscina's own abort), so the work really stops
 * either way. A task that has seen its stop by then (it is unwinding: its finally blocks close
 * files) gets `unwindGraceMs` more before that: terminating a thread in the middle of a close
 * could abort the whole process (src/core/file-descriptor.ts). `run` then rejects with the
 * signal's reason, once the task has ended.
 *
 * Order: tasks wait in this pool's own first-in, first-out queue and are handed to piscina only
 * when a thread is free, so they start in the order they were submitted. Piscina's queue does not
 * keep that order for tasks that carry an AbortSignal (all of ours): one that finds every thread
 * busy is moved to the back of its skip queue (or, with `stricterFIFO`, newer tasks go to the
 * front), so under a steady load some requests waited many times longer than the rest (issue #20,
 * `npm run bench -- service`).
 *
 * No thread: `new Worker` throws ERR_WORKER_INIT_FAILED (EAGAIN) at once when the machine or
 * container is out of threads. piscina (5.x, dist/index.js) makes its threads in `_addNewWorker`,
 * called from: its constructor and its abort and exit listeners (`_ensureMinimumWorkers`, up to
 * minThreads); `run` (`runTask`, when no ready thread is free); and `_onWorkerAvailable`, when a
 * thread becomes ready or ends a task while piscina still queues a task no thread is free for.
 * Outside `run` the throw was an uncaught exception that ended the process. So piscina keeps no
 * minimum here (the pool starts its threads itself, and a lost one is made again by the next task
 * that needs it), and it may make a thread only inside our own calls of `run` (`runOnPiscina`):
 * the rest of the time its `maxThreads` is 0 (`threadCap`), so `_onWorkerAvailable` leaves a task
 * it cannot place queued until one of its threads is free (session 15; it queues such tasks after
 * a refused thread, see `orphans`). A task whose thread cannot be made answers THREADS_UNAVAILABLE
 * (503, Retry-After) instead of an untyped 500, the threads the pool has keep serving, and the
 * next task that finds none free tries again (docs/jobs.md, eagain13 and session 15).
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { EngineError } from '../errors.js';
import { catalogueMessage } from '../error-catalogue.js';
import { CancelledError } from '../core/cancellation.js';
import { CONTROL_SLOTS, CONTROL_STARTED, CONTROL_STOP, CONTROL_STOP_SEEN, type TaskMessage, type TaskOutcome } from './worker.js';
import type { TaskName } from './tasks/index.js';
import { TaskHold, wake, type HoldOptions } from './task-hold.js';

/** Re-created on the main thread from a worker's flattened error. */
export class WorkerTaskError extends EngineError {
  constructor(code: string, message: string, httpStatus: number, readonly workerStack?: string, headers: Record<string, string> = {}) {
    super(code, message, httpStatus, { headers });
  }
}

export interface WorkerPoolOptions {
  /** Threads; 0 means one per core, at least 2. */
  readonly threads?: number;
  /** How long a stopped task may take to reach its next check before its thread is terminated (default 500 ms). */
  readonly abortGraceMs?: number;
  /** How much longer a task that has seen its stop (and is unwinding) may take before its thread is terminated (default 5 s). */
  readonly unwindGraceMs?: number;
  /**
   * Start every thread now and keep them while idle (a server): otherwise one starts now and the
   * others on demand, and the request that meets a starting thread waits for its start-up (loading
   * the engine's modules, 100-300 ms), as does one after a minute idle. Default false (the CLI).
   * A thread lost (terminated for ignoring a stop) is made again by the next task that finds no
   * free thread.
   */
  readonly keepAllThreads?: boolean;
  /**
   * Bytes of plane buffer each thread faults in at its start and keeps pooled (`prewarmFitsReader`),
   * so that its first read of a plane up to this size finds resident memory (default 0: none; the
   * engine's WORKER_PLANE_BUFFER_MB, also 0 by default). Costs that much resident memory per thread
   * from the start.
   */
  readonly residentPlaneBytes?: number;
}

/** What a pool thread is started with (piscina's `workerData`), read by worker.ts. */
export interface PoolThreadData {
  readonly residentPlaneBytes: number;
}

export interface RunOptions {
  /** Objects moved to the worker rather than copied (ArrayBuffers, MessagePorts). */
  readonly transferList?: ReadonlyArray<ArrayBuffer | import('node:worker_threads').MessagePort>;
  /** Aborting it stops the task (see the module comment); `run` rejects with its reason. */
  readonly signal?: AbortSignal;
  /**
   * The task continues a request whose earlier tasks already ran (the last stage of a split): it
   * waits ahead of the tasks that start new requests (first in, first out among such tasks), so a
   * request begun on an idle pool is not sent to the back of a queue that formed meanwhile.
   */
  readonly resumes?: boolean;
}

export interface PoolStats {
  /** Tasks submitted and not yet ended (queued or running). */
  readonly active: number;
  readonly queued: number;
  readonly threads: number;
  /** Tasks asked to stop so far. */
  readonly stopped: number;
  /** Of those, tasks that ended at one of their own checks (CancelledError) before finishing. */
  readonly cancelled: number;
  /** Of those, tasks whose thread had to be terminated (they reached no check in time). */
  readonly terminated: number;
  /** Tasks answered THREADS_UNAVAILABLE: the thread they needed could not be made (out of threads). */
  readonly noThread: number;
}

function workerFilename(): string {
  // Under tsx (tests, `npm run dev`) this module is a .ts file and so is the worker.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./worker${ext}`, import.meta.url));
}

/** `new Worker` failed because no thread can be made now (EAGAIN: out of threads), not the task. */
function isNoThread(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_WORKER_INIT_FAILED';
}

/** What `run` rejects with once its signal aborted: the reason when it is an Error. */
function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledError();
}

export class WorkerPool {
  private readonly piscina: Piscina;
  private readonly abortGraceMs: number;
  private readonly unwindGraceMs: number;
  private readonly stopping = new AbortController();
  private closed = false;
  private active = 0;
  /** Called when `active` drops to 0 (close waits for the stopped tasks to end). */
  private whenIdle: Array<() => void> = [];
  private stopped = 0;
  private cancelled = 0;
  private terminated = 0;
  private noThread = 0;
  /** Tasks handed to piscina and not yet ended (at most `maxThreads`). */
  private dispatched = 0;
  /** Tasks waiting for a thread, oldest first; the first `resuming` of them continue a request (`RunOptions.resumes`). */
  private readonly waiting: Array<() => void> = [];
  private resuming = 0;
  private readonly maxThreads: number;
  /**
   * Control arrays of tasks piscina had queued when it failed to make their thread: it dropped
   * their promises, so each is stopped (it ends at once when a thread takes it) and must be taken
   * before piscina is closed: closing rejects a queued task, and a dropped promise's rejection is
   * an unhandled rejection that ends the process.
   */
  private orphans: Int32Array[] = [];
  /**
   * piscina's options as its pool reads them, live (`Piscina.options`): `maxThreads` is how many
   * threads it may hold when it decides to make one. 0 except inside `runOnPiscina` (module comment).
   */
  private readonly threadCap: { maxThreads: number };
  /** Holds armed by tests, by task name (`holdForTest`); undefined in an engine that never armed one. */
  private testHolds: Map<TaskName, TaskHold> | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    const threads = options.threads && options.threads > 0 ? options.threads : Math.max(2, availableParallelism());
    this.maxThreads = threads;
    this.abortGraceMs = options.abortGraceMs ?? 500;
    this.unwindGraceMs = options.unwindGraceMs ?? 5000;
    setMaxListeners(0, this.stopping.signal); // one listener per task submitted
    this.piscina = new Piscina({
      filename: workerFilename(),
      // worker.ts's handler once the thread is warm (`warmTask`)
      name: 'warmTask',
      // No minimum: piscina would make the missing threads in its constructor and in its abort
      // and exit listeners, where a thread that cannot be made throws out of reach (module comment).
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: options.keepAllThreads === true ? Number.POSITIVE_INFINITY : 60_000,
      workerData: { residentPlaneBytes: options.residentPlaneBytes ?? 0 } satisfies PoolThreadData,
    });
    // A thread that failed while idle (piscina has dropped it already): without a listener, the
    // 'error' event would be thrown where it is emitted, an uncaught exception.
    this.piscina.on('error', () => undefined);
    this.threadCap = this.piscina.options;
    this.threadCap.maxThreads = 0;
    // A piscina that copies its options would make threads from its handlers again: fail loudly.
    if (this.piscina.maxThreads !== 0) throw new Error('piscina does not read its options live: the worker pool cannot keep it from making threads outside run (src/workers/pool.ts)');
    this.prestart(options.keepAllThreads === true ? threads : 1);
  }

  /** Starts `count` threads (piscina makes one per task that finds none free): pings, not waited for. */
  private prestart(count: number): void {
    for (let i = 0; i < count; i++) {
      const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
      try {
        this.runOnPiscina({ task: 'ping', payload: {}, control } satisfies TaskMessage).catch(() => undefined);
      } catch (err) {
        if (!isNoThread(err)) throw err;
        this.orphan(control);
        return; // the first task makes them
      }
    }
  }

  /** Hands a task to piscina; THREADS_UNAVAILABLE (503) when the thread it needs cannot be made now. */
  private submit(message: TaskMessage & { control: Int32Array }, signal: AbortSignal, transferList: ArrayBuffer[] | undefined): Promise<unknown> {
    try {
      return this.runOnPiscina(message, { signal, ...(transferList ? { transferList } : {}) });
    } catch (err) {
      if (!isNoThread(err)) throw err;
      this.orphan(message.control);
      this.noThread++;
      throw new EngineError('THREADS_UNAVAILABLE', catalogueMessage('THREADS_UNAVAILABLE'), 503, { cause: err, headers: { 'retry-after': '2' } });
    }
  }

  /** `piscina.run`, the only call in which piscina may make a thread (`threadCap`): a refusal throws here, to the caller. */
  private runOnPiscina(message: TaskMessage, options?: { signal?: AbortSignal; transferList?: ArrayBuffer[] }): Promise<unknown> {
    this.threadCap.maxThreads = this.maxThreads;
    try {
      return this.piscina.run(message, options);
    } finally {
      this.threadCap.maxThreads = 0;
    }
  }

  /** A task piscina queued and then failed to make a thread for (see `orphans`): it must not run. */
  private orphan(control: Int32Array): void {
    Atomics.store(control, CONTROL_STOP, 1);
    this.orphans = this.orphans.filter((c) => Atomics.load(c, CONTROL_STARTED) === 0);
    this.orphans.push(control);
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  /** Threads free for a new task right now (none while tasks wait for one): how many parts a caller
   * splitting one request over the pool (a histogram, a composite) can run at once. */
  get idleThreads(): number {
    return this.waiting.length > 0 ? 0 : this.maxThreads - this.dispatched;
  }

  get queueSize(): number {
    return this.waiting.length + this.piscina.queueSize;
  }

  /**
   * Starts every thread and resolves once each has loaded the engine's modules and finished its
   * warm-up (worker.ts, `warmTask`): one ping per thread, each held until all have arrived. Two
   * threads' start-up took 2.7-2.9 CPU-s under tsx (module compilation, the warm-ups, V8's
   * background compiles and collections on the process's platform threads): on 2 cores the main
   * thread waits for a core meanwhile, and a request that meets a starting thread waits for it
   * (docs/benchmarks.md, issue #20, session 13). Call it before serving.
   */
  async warmUp(timeoutMs = 30_000): Promise<void> {
    const meet = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    meet[1] = this.maxThreads;
    const ping = () => this.run('ping', { meet, meetTimeoutMs: timeoutMs }).catch((err: unknown) => {
      if (!(err instanceof EngineError && err.code === 'THREADS_UNAVAILABLE')) throw err;
      // A thread that cannot be made now (out of threads): the others do not wait for its ping,
      // and the pool serves with fewer threads; the next task that finds none free makes it.
      Atomics.add(meet, 0, 1);
      Atomics.notify(meet, 0);
    });
    await Promise.all(Array.from({ length: this.maxThreads }, ping));
  }

  /**
   * For tests only (src/workers/task-hold.ts): every run of `task` submitted from now until the
   * hold is released waits at one of its own stop checks until `release()` or its stop. No route,
   * setting or environment variable calls this (test/architecture.test.ts).
   */
  holdForTest(task: TaskName, options?: HoldOptions): TaskHold {
    const holds = (this.testHolds ??= new Map());
    const hold = new TaskHold(options, () => {
      if (holds.get(task) === hold) holds.delete(task);
    });
    holds.set(task, hold);
    return hold;
  }

  stats(): PoolStats {
    return { active: this.active, queued: this.queueSize, threads: this.piscina.threads.length, stopped: this.stopped, cancelled: this.cancelled, terminated: this.terminated, noThread: this.noThread };
  }

  /** Runs `task` in a worker thread; its EngineErrors come back as EngineErrors. */
  async run<T>(task: TaskName, payload: unknown, options: RunOptions = {}): Promise<T> {
    if (this.closed) throw new EngineError('POOL_CLOSED', 'The worker pool is shut down', 503);
    const signals = [this.stopping.signal, ...(options.signal ? [options.signal] : [])];
    const aborted = signals.find((s) => s.aborted);
    if (aborted) throw reasonOf(aborted);

    const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    const hold = this.testHolds?.get(task)?.cells;
    const hard = new AbortController();
    let by: AbortSignal | undefined;
    let grace: NodeJS.Timeout | undefined;
    const onAbort = (event: Event) => {
      if (by) return;
      by = event.target as AbortSignal;
      this.stopped++;
      Atomics.store(control, CONTROL_STOP, 1);
      if (hold) wake(hold); // a held task (test only) sees its stop at once
      if (Atomics.load(control, CONTROL_STARTED) === 0) {
        hard.abort(by.reason); // still queued: it leaves the queue
        return;
      }
      const terminate = () => {
        this.terminated++;
        hard.abort(by?.reason);
      };
      grace = setTimeout(() => {
        if (Atomics.load(control, CONTROL_STOP_SEEN) === 0) return terminate();
        grace = setTimeout(terminate, this.unwindGraceMs); // it reached a check: let it end on its own
        grace.unref();
      }, this.abortGraceMs);
      grace.unref();
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });

    const message: TaskMessage = hold ? { task, payload, control, hold } : { task, payload, control };
    const transferList = options.transferList as unknown as ArrayBuffer[] | undefined;
    this.active++;
    let outcome: TaskOutcome;
    try {
      await this.turn(hard.signal, options.resumes === true);
      try {
        outcome = (await this.submit({ ...message, control }, hard.signal, transferList)) as TaskOutcome;
      } finally {
        this.next();
      }
    } catch (err) {
      if (by) throw reasonOf(by);
      throw err;
    } finally {
      this.active--;
      if (this.active === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
      if (grace) clearTimeout(grace);
      for (const s of signals) s.removeEventListener('abort', onAbort);
    }
    if (outcome.ok) return outcome.value as T;
    if (by && outcome.error.code === 'CANCELLED') {
      this.cancelled++;
      throw reasonOf(by);
    }
    const { message: text, httpStatus, stack, headers } = outcome.error;
    throw new WorkerTaskError(outcome.error.code, text, httpStatus, stack, { ...headers });
  }

  /** Resolves when this task may go to a thread (first in, first out); rejects if `signal` aborts first. */
  private turn(signal: AbortSignal, resumes: boolean): Promise<void> {
    if (this.dispatched < this.maxThreads && this.waiting.length === 0) {
      this.dispatched++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          if (i < this.resuming) this.resuming--;
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (resumes) this.waiting.splice(this.resuming++, 0, grant);
      else this.waiting.push(grant);
    });
  }

  /** A dispatched task has ended: its thread goes to the oldest waiting task. */
  private next(): void {
    const grant = this.waiting.shift();
    if (this.resuming > 0) this.resuming--;
    if (grant) grant();
    else this.dispatched--;
  }

  /**
   * Stops every task, queued or running (as their own signals would), and refuses new ones:
   * `run` rejects with `reason` (the first step of a shutdown).
   */
  stopAll(reason: Error): void {
    if (!this.stopping.signal.aborted) this.stopping.abort(reason);
  }

  /**
   * Stops every task (see stopAll) and ends the threads; waits at most `timeoutMs` for them.
   *
   * The process stays alive until this resolves (issue #20, session 19): `late` is a ref'd timer.
   * What the close waits for holds no ref'd handle of its own once a stopped task's thread is
   * terminated: piscina's close waits for every task it had handed out to answer, and a task whose
   * thread was terminated (it reached no stop check within `abortGraceMs`) never answers, so that
   * wait ended only by piscina's close timeout and this `late` timer, both unref'd before. With
   * nothing else alive the event loop emptied mid-close: the process exited without finishing its
   * shutdown (a test's `after` hook failed with "Promise resolution is still pending"). So the pool
   * first waits for its own tasks to end (each ends at its check or with its thread, within the
   * grace periods: `run` settles either way), then closes piscina with no task left to answer.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.stopAll(new EngineError('POOL_CLOSED', 'The worker pool is shut down', 503));
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    try {
      // Closing piscina rejects the tasks it still queues, and a dropped one's rejection would end
      // the process (see `orphans`): they are left to the threads, which take them as they free
      // up; with no thread to take them, piscina (holding no thread) is left as it is.
      if (!(await this.orphansTaken(timeoutMs))) return;
      if ((await Promise.race([this.tasksEnded(), late])) === 'late') {
        await this.piscina.destroy();
        return;
      }
      if ((await Promise.race([this.piscina.close({ force: true }).then(() => 'closed' as const), late])) === 'late') await this.piscina.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when no task of `run` is queued or running. */
  private tasksEnded(): Promise<'ended'> {
    if (this.active === 0) return Promise.resolve('ended');
    return new Promise((resolve) => this.whenIdle.push(() => resolve('ended')));
  }

  /** Whether every orphan has been taken by a thread (they end at once), waiting at most `timeoutMs`. */
  private async orphansTaken(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      this.orphans = this.orphans.filter((c) => Atomics.load(c, CONTROL_STARTED) === 0);
      if (this.orphans.length === 0) return true;
      if (this.piscina.threads.length === 0 || Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
