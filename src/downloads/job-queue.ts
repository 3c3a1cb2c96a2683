/**
 * Who runs jobs. The embedded default runs them in this process, a bounded number at a time;
 * a distributed backend (BullMQ on Redis) would hand job ids to workers on other machines and
 * relay pause/cancel to them. The manager only ever talks to this interface.
 */
export type JobHandler = (jobId: string, signal: AbortSignal) => Promise<void>;

export interface JobQueue {
  /** Sets the function that runs one job; called once, before the first enqueue. */
  process(handler: JobHandler): void;
  /** Schedules a job; a job already waiting or running is not added twice. */
  enqueue(jobId: string): void;
  /** True while the job waits or runs. */
  has(jobId: string): boolean;
  /** Stops the job (its signal aborts with `reason`) and resolves once its handler has returned. */
  abort(jobId: string, reason: unknown): Promise<void>;
  /** Aborts everything with `reason` and waits for the handlers to return. */
  close(reason: unknown): Promise<void>;
}

export class InProcessJobQueue implements JobQueue {
  private handler: JobHandler | undefined;
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private closed = false;

  constructor(private readonly concurrency = 4) {}

  process(handler: JobHandler): void {
    this.handler = handler;
    this.pump();
  }

  enqueue(jobId: string): void {
    if (this.closed || this.has(jobId)) return;
    this.waiting.push(jobId);
    this.pump();
  }

  has(jobId: string): boolean {
    return this.running.has(jobId) || this.waiting.includes(jobId);
  }

  async abort(jobId: string, _reason: unknown): Promise<void> {
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
    const run = this.running.get(jobId);
    if (!run) return;
    run.controller.abort(_reason);
    await run.done;
  }

  async close(reason: unknown): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    const runs = [...this.running.values()];
    for (const r of runs) r.controller.abort(reason);
    await Promise.all(runs.map((r) => r.done));
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const jobId = this.waiting.shift()!;
      const controller = new AbortController();
      const done = Promise.resolve()
        .then(() => handler(jobId, controller.signal))
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(jobId);
          this.pump();
        });
      this.running.set(jobId, { controller, done });
    }
  }
}
