/**
 * Output retention: the files a job writes live in its own folder, `DATA_DIR/processed/{job id}`,
 * listed in its record and removed with it. This bounds them:
 *
 * - by age: a finished job (completed, failed, cancelled) is removed, record and folder, once it
 *   finished more than `retentionMs` ago (0: no age bound);
 * - by size: while the job folders together hold more than `maxBytes`, the finished job that
 *   finished first is removed, then the next.
 *
 * A job that is queued, running or paused is never touched, nor its folder. A folder whose job
 * record is gone (a crash between the two deletes, a run that wrote after its job was removed) is
 * deleted once it is older than `orphanGraceMs` (only UUID-named folders, the ids the service
 * gives). Loose files in `processed/`, and folders that are no job's, are neither counted nor touched.
 *
 * `prune()` runs on a timer and shortly after runs end on this node (`JobService.onRunEnd`);
 * runs never overlap (a request while one runs makes one more run after it). Several nodes may
 * prune at once: a job another node removed meanwhile is skipped. The clock is injectable so tests
 * move time instead of sleeping.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors.js';
import type { JobLogger, JobService } from './service.js';
import { isFinished } from './state.js';
import { finishedTimeOf } from './store.js';
import { isJobId, type JobRecord } from './types.js';

export interface OutputRetentionOptions {
  readonly service: JobService;
  /** Finished jobs are removed this long after they finished (0: kept until the size bound). */
  readonly retentionMs: number;
  /** Job folders together hold at most this many bytes (oldest finished jobs removed first). */
  readonly maxBytes: number;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Timer period of `start()` (default 10 minutes). */
  readonly intervalMs?: number;
  /**
   * After a run ends, the pass waits this long first (default 1 s), so a burst of jobs ending
   * together costs one pass, not one each.
   */
  readonly afterRunDelayMs?: number;
  /** A folder without a job record is deleted once this old (default 1 hour). */
  readonly orphanGraceMs?: number;
  readonly logger?: JobLogger;
}

export interface RetentionReport {
  /** Jobs removed because they finished too long ago. */
  readonly expired: string[];
  /** Jobs removed to bring the total under `maxBytes`. */
  readonly evicted: string[];
  /** Folders deleted because their job is gone. */
  readonly orphans: string[];
  /** Bytes in job folders before and after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

const FINISHED = ['completed', 'failed', 'cancelled'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bytes of the regular files under `dir` (0 when it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(path);
    else if (e.isFile()) total += await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}

/** Ids per store query (the SQL stores put them in one IN list). */
const ID_BATCH = 200;

export class JobOutputRetention {
  private readonly o: OutputRetentionOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private unhook: (() => void) | undefined;
  private afterRun: NodeJS.Timeout | undefined;
  /** Folder sizes of finished jobs (their folders no longer change), so passes stat only new ones. */
  private readonly finishedSizes = new Map<string, { finishedAt: string | null; bytes: number }>();
  private running: Promise<RetentionReport> | undefined;
  private next: Promise<RetentionReport> | undefined;
  private closed = false;

  constructor(options: OutputRetentionOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  /** Prunes now, then every `intervalMs` and after every run that ends on this node. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.schedule(), this.o.intervalMs ?? 600_000);
    this.timer.unref?.();
    this.unhook = this.o.service.onRunEnd(() => {
      if (this.afterRun || this.closed) return;
      this.afterRun = setTimeout(() => {
        this.afterRun = undefined;
        this.schedule();
      }, this.o.afterRunDelayMs ?? 1000);
      this.afterRun.unref?.();
    });
    this.schedule();
  }

  /** Asks for a prune soon (coalesced with one that runs). */
  schedule(): void {
    if (this.closed) return;
    void this.prune().catch((err: unknown) => this.o.logger?.warn({ err }, 'job output retention failed'));
  }

  /**
   * One pass (or, while one runs, the pass after it). Resolves with what that pass removed.
   */
  prune(): Promise<RetentionReport> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // Callers during a pass share one pass after it (what they asked for may have changed).
    this.next ??= this.running.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.prune();
    });
    return this.next;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.afterRun) clearTimeout(this.afterRun);
    this.timer = undefined;
    this.unhook?.();
    await this.next?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<RetentionReport> {
    const service = this.o.service;
    const now = this.now();
    const root = join(service.dataDir, 'processed');
    const expired: string[] = [];
    const evicted: string[] = [];
    const orphans: string[] = [];

    // The job folders and their records (fetched by id, a batch at a time: the pass reads the
    // records of the folders on disk, never every finished record of the store).
    const folderIds: string[] = [];
    const folders = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const e of folders) if (e.isDirectory() && isJobId(e.name)) folderIds.push(e.name);
    const records = new Map<string, JobRecord>();
    for (let i = 0; i < folderIds.length; i += ID_BATCH) {
      const ids = folderIds.slice(i, i + ID_BATCH);
      for (const job of (await service.store.list({ ids, limit: ids.length })).jobs) records.set(job.id, job);
    }

    // Sizes of the job folders, before anything is removed (a finished job's folder is measured
    // once). A folder whose record is gone is an orphan only when UUID-named (the ids the service
    // gives): a folder someone made by hand in processed/ is no job's, neither counted nor deleted.
    const sizes = new Map<string, number>();
    const orphanCandidates: string[] = [];
    const finishedWithFolder: JobRecord[] = [];
    for (const id of folderIds) {
      const job = records.get(id);
      if (!job) {
        if (!UUID.test(id)) continue;
        orphanCandidates.push(id);
      }
      const done = job && isFinished(job.state) ? finishedTimeOf(job) : null;
      if (job && done !== null) finishedWithFolder.push(job);
      // Keyed by the finish time too: a failed job retried and finished again is measured again.
      const cached = this.finishedSizes.get(id);
      const bytes = cached && done !== null && cached.finishedAt === done ? cached.bytes : await folderBytes(join(root, id));
      sizes.set(id, bytes);
      if (done !== null) this.finishedSizes.set(id, { finishedAt: done, bytes });
    }
    for (const [id, cached] of this.finishedSizes) {
      const job = records.get(id);
      if (!sizes.has(id) || !job || finishedTimeOf(job) !== cached.finishedAt) this.finishedSizes.delete(id);
    }
    let total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const bytesBefore = total;

    // Orphans past the grace time first: they free space no job needs.
    const grace = this.o.orphanGraceMs ?? 3_600_000;
    for (const id of orphanCandidates) {
      const dir = join(root, id);
      const mtime = await stat(dir).then((st) => st.mtimeMs, () => undefined);
      if (mtime === undefined || mtime + grace > now) continue;
      await rm(dir, { recursive: true, force: true });
      total -= sizes.get(id) ?? 0;
      sizes.delete(id);
      orphans.push(id);
    }

    const remove = async (job: JobRecord): Promise<boolean> => {
      try {
        await service.remove(job.id);
      } catch (err) {
        if (err instanceof NotFoundError) return false; // another node removed it first
        throw err;
      }
      total -= sizes.get(job.id) ?? 0;
      sizes.delete(job.id);
      this.finishedSizes.delete(job.id);
      return true;
    };

    // The age bound: the store finds the jobs that finished before the cut-off (an indexed
    // column), folder or not (downloads have none); each is removed, so the next page starts at 0
    // again. A job another node removed first is skipped (and gone, too).
    if (this.o.retentionMs > 0) {
      const before = new Date(now - this.o.retentionMs + 1).toISOString();
      for (;;) {
        const page = await service.store.list({ states: [...FINISHED], finishedBefore: before, limit: ID_BATCH });
        for (const job of page.jobs) if (await remove(job)) expired.push(job.id);
        if (page.jobs.length < ID_BATCH) break;
      }
    }

    // The size bound: the finished jobs with a folder, the one that finished first first.
    const byFinish = (a: JobRecord, b: JobRecord) => finishedTimeOf(a)!.localeCompare(finishedTimeOf(b)!) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
    for (const job of finishedWithFolder.sort(byFinish)) {
      if (total <= this.o.maxBytes) break;
      if (!sizes.has(job.id) || (sizes.get(job.id) ?? 0) === 0) continue; // expired above, or removing it frees nothing
      if (await remove(job)) evicted.push(job.id);
    }

    const report: RetentionReport = { expired, evicted, orphans, bytesBefore, bytesAfter: total };
    if (expired.length || evicted.length || orphans.length) {
      this.o.logger?.info({ expired: expired.length, evicted: evicted.length, orphans: orphans.length, bytesBefore, bytesAfter: total }, 'job output retention applied');
    }
    return report;
  }
}
