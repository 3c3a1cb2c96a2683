/**
 * Housekeeping of the download folder at start-up and once a day: orphaned `.part` files older
 * than STATE_RETENTION_DAYS go. `.part` files a download that is not finished (or failed, so it
 * may be resumed) still lists are never touched, whatever their age. The job records of finished
 * downloads are bounded like every job's (JOB_OUTPUT_RETENTION_HOURS, src/jobs/retention.ts).
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from './job.js';
import { STATE_DIR_NAME } from './legacy-state.js';

export interface RetentionOptions {
  readonly downloadDir: string;
  readonly retentionDays: number;
  /** Jobs that may still need their `.part` files (not complete, not cancelled). */
  readonly liveJobs: readonly Job[];
  readonly now?: number;
}

export interface RetentionReport {
  readonly removedPartFiles: string[];
}

const DAY_MS = 86_400_000;

export async function applyRetention(options: RetentionOptions): Promise<RetentionReport> {
  const now = options.now ?? Date.now();
  const cutoff = now - options.retentionDays * DAY_MS;
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
  return { removedPartFiles };
}
