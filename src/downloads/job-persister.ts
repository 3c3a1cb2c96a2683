/**
 * Saves jobs off the hot path: byte progress is written at most once per `intervalMs` per job,
 * state changes at once; saves of one job never overlap (the latest state wins) and never block
 * the transfer (the caller does not await them, except `flush`).
 */
import type { Job } from './job.js';
import type { JobStore } from './job-store.js';

interface Slot {
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  dirty: boolean;
  lastSavedAt: number;
}

export class JobPersister {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly store: JobStore,
    private readonly options: { intervalMs?: number; onError?: (job: Job, err: unknown) => void } = {},
  ) {}

  private slot(id: string): Slot {
    let s = this.slots.get(id);
    if (!s) {
      s = { timer: undefined, running: undefined, dirty: false, lastSavedAt: 0 };
      this.slots.set(id, s);
    }
    return s;
  }

  /** Progress changed: save within the interval. */
  touch(job: Job): void {
    const s = this.slot(job.id);
    s.dirty = true;
    if (s.timer || s.running) return;
    const wait = Math.max(0, (this.options.intervalMs ?? 1000) - (Date.now() - s.lastSavedAt));
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.run(job, s);
    }, wait);
    s.timer.unref?.();
  }

  /** State changed: save now (after any save in flight), and resolve once it is on disk. */
  async flush(job: Job): Promise<void> {
    const s = this.slot(job.id);
    s.dirty = true;
    if (s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    while (s.dirty || s.running) {
      if (s.running) await s.running;
      else await this.run(job, s);
    }
  }

  /** Stops tracking a job (after it is deleted); a pending timed save is dropped. */
  forget(jobId: string): void {
    const s = this.slots.get(jobId);
    if (s?.timer) clearTimeout(s.timer);
    this.slots.delete(jobId);
  }

  /** Waits for every pending save. */
  async drain(jobs: Iterable<Job>): Promise<void> {
    for (const job of jobs) if (this.slots.get(job.id)?.dirty || this.slots.get(job.id)?.running) await this.flush(job);
  }

  private run(job: Job, s: Slot): Promise<void> {
    if (s.running) return s.running;
    s.dirty = false;
    s.running = this.store
      .save(job)
      .catch((err: unknown) => this.options.onError?.(job, err))
      .finally(() => {
        s.lastSavedAt = Date.now();
        s.running = undefined;
        if (s.dirty && !s.timer && this.slots.get(job.id) === s) this.touch(job);
      });
    return s.running;
  }
}
