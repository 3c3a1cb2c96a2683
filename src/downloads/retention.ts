/**
 * Housekeeping at start-up and once a day: state files of finished jobs and orphaned `.part`
 * files older than STATE_RETENTION_DAYS go; stale temporary state files too. `.part` files that a
 * live job still needs are never touched, whatever their age.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from './job.js';
import type { JobStore } from './job-store.js';
import { STATE_DIR_NAME } from './file-job-store.js';

export interface RetentionOptions {
  readonly store: JobStore;
  readonly downloadDir: string;
  readonly retentionDays: number;
  /** Jobs still alive (not finished); their `.part` files are kept. */
  readonly liveJobs: readonly Job[];
  readonly now?: number;
}

export interface RetentionReport {
  readonly removedStates: string[];
  readonly removedPartFiles: string[];
}

const DAY_MS = 86_400_000;

export async function applyRetention(options: RetentionOptions): Promise<RetentionReport> {
  const now = options.now ?? Date.now();
  const cutoff = now - options.retentionDays * DAY_MS;
  const removedStates: string[] = [];
  for (const job of await options.store.list()) {
    if (job.status !== 'complete' && job.status !== 'cancelled' && job.status !== 'failed') continue;
    const when = Date.parse(job.completedAt ?? job.updatedAt);
    if (Number.isFinite(when) && when < cutoff) {
      await options.store.delete(job.id);
      removedStates.push(job.id);
    }
  }
  const needed = new Set<string>();
  for (const job of options.liveJobs) for (const f of job.files) needed.add(`${f.localPath}.part`);
  const removedPartFiles: string[] = [];
  const dirs = await readdir(options.downloadDir, { withFileTypes: true }).catch(() => []);
  for (const d of dirs) {
    if (!d.isDirectory() || d.name === STATE_DIR_NAME) continue;
    const obsDir = join(options.downloadDir, d.name);
    for (const name of await readdir(obsDir).catch(() => [] as string[])) {
      if (!name.endsWith('.part')) continue;
      const path = join(obsDir, name);
      if (needed.has(path)) continue;
      const info = await stat(path).catch(() => undefined);
      // mtime is epoch-based, like `now`: no local-time/UTC mix-up (upstream's defect).
      if (info && info.mtimeMs < cutoff) {
        await unlink(path).catch(() => undefined);
        removedPartFiles.push(path);
      }
    }
  }
  return { removedStates, removedPartFiles };
}
