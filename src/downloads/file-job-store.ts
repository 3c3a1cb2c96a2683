/**
 * Jobs as JSON files in `{MAST_DOWNLOAD_DIR}/.download_state/{job_id}.json` (contract §3.5).
 * Writes are atomic: a unique temporary file, fsync, rename, then fsync of the folder, so a crash
 * (even kill -9 or power loss) leaves the previous or the new state, never half a file.
 * Unreadable files are skipped by `list` (logged by the caller), never fatal.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jobFromJson, jobToJson, JOB_ID_PATTERN, type Job } from './job.js';
import { assertJobId, type JobStore } from './job-store.js';

export const STATE_DIR_NAME = '.download_state';

export class FileJobStore implements JobStore {
  readonly dir: string;
  /** Called with the file name and error of a state file that cannot be read. */
  private readonly onBadFile: (file: string, err: unknown) => void;

  constructor(downloadDir: string, options: { onBadFile?: (file: string, err: unknown) => void } = {}) {
    this.dir = join(downloadDir, STATE_DIR_NAME);
    this.onBadFile = options.onBadFile ?? (() => undefined);
  }

  pathOf(jobId: string): string {
    return join(this.dir, `${jobId}.json`);
  }

  async save(job: Job): Promise<void> {
    assertJobId(job.id);
    await mkdir(this.dir, { recursive: true });
    const target = this.pathOf(job.id);
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const text = `${JSON.stringify(jobToJson(job), null, 2)}\n`;
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
  }

  async load(jobId: string): Promise<Job | undefined> {
    if (!JOB_ID_PATTERN.test(jobId)) return undefined;
    let text: string;
    try {
      text = await readFile(this.pathOf(jobId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return jobFromJson(JSON.parse(text));
    } catch (err) {
      this.onBadFile(`${jobId}.json`, err);
      return undefined;
    }
  }

  async list(): Promise<Job[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const jobs: Job[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json')) continue;
      const job = await this.load(name.slice(0, -5));
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async delete(jobId: string): Promise<void> {
    if (!JOB_ID_PATTERN.test(jobId)) return;
    await unlink(this.pathOf(jobId)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Removes temporary files left by a crash mid-save, older than `olderThanMs`. */
  async removeStaleTemporaries(olderThanMs = 60_000, now = Date.now()): Promise<number> {
    let removed = 0;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith('.tmp')) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > olderThanMs) {
        await unlink(path).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  }
}
