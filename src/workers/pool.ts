/**
 * The worker-thread pool (piscina) that runs every CPU-heavy task off the event loop: FITS
 * decoding, previews, analysis, reprojection. Downloads and progress polls stay responsive while
 * a mosaic renders.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { EngineError } from '../errors.js';
import type { TaskMessage, TaskOutcome } from './worker.js';
import type { TaskName } from './tasks/index.js';

/** Re-created on the main thread from a worker's flattened error. */
export class WorkerTaskError extends EngineError {
  constructor(code: string, message: string, httpStatus: number, readonly workerStack?: string) {
    super(code, message, httpStatus);
  }
}

export interface WorkerPoolOptions {
  /** Threads; 0 means one per core, at least 2. */
  readonly threads?: number;
}

function workerFilename(): string {
  // Under tsx (tests, `npm run dev`) this module is a .ts file and so is the worker.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./worker${ext}`, import.meta.url));
}

export class WorkerPool {
  private readonly piscina: Piscina;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const threads = options.threads && options.threads > 0 ? options.threads : Math.max(2, availableParallelism());
    this.piscina = new Piscina({
      filename: workerFilename(),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  get queueSize(): number {
    return this.piscina.queueSize;
  }

  /** Runs `task` in a worker thread; its EngineErrors come back as EngineErrors. */
  async run<T>(task: TaskName, payload: unknown, transferList?: ArrayBuffer[]): Promise<T> {
    if (this.closed) throw new EngineError('POOL_CLOSED', 'The worker pool is shut down', 503);
    const message: TaskMessage = { task, payload };
    const outcome = (await this.piscina.run(message, transferList ? { transferList } : undefined)) as TaskOutcome;
    if (outcome.ok) return outcome.value as T;
    const { code, message: text, httpStatus, stack } = outcome.error;
    throw new WorkerTaskError(code, text, httpStatus, stack);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close();
  }
}
