/**
 * One observation, one download at a time, across every process that shares the download folder
 * (the API node, `jwst-engine worker`s on other machines, the CLI): a job holds the lock file
 * `{observation folder}/.download.lock` (its job id inside) while it writes `.part` files there. A
 * second job waits until the holder is no longer running, so two jobs never write one `.part`.
 *
 * A lock whose holder is not running (its process died: the record is queued again or finished)
 * is stale and taken over; a job that finds its own id in the lock (its earlier run was cut)
 * takes it back. Taking a stale lock is remove-then-create (`wx`), so of two takers one wins.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const OBSERVATION_LOCK_NAME = '.download.lock';

export interface ObservationLockOptions {
  /** True while the job `holderId` is running somewhere (read from the job records). */
  readonly isRunning: (holderId: string) => Promise<boolean>;
  /** Resolves (or rejects with the signal's reason) when the holder may have stopped; default: a 1 s wait. */
  readonly waitForHolder?: (holderId: string, signal: AbortSignal) => Promise<void>;
}

/**
 * Takes the lock of folder `dir` for job `jobId`; calls `onWait` once when another job holds it.
 * Returns the function that releases it (only if it is still this job's).
 */
export async function lockObservation(dir: string, jobId: string, options: ObservationLockOptions, signal: AbortSignal, onWait?: (holder: string) => void): Promise<() => Promise<void>> {
  const path = join(dir, OBSERVATION_LOCK_NAME);
  let told = false;
  for (;;) {
    signal.throwIfAborted();
    try {
      await writeFile(path, jobId, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (holder === jobId) break;
    if (holder === '' || !(await options.isRunning(holder))) {
      // Stale (or being written right now: an empty file is retried after the unlink fails or not).
      if (holder !== '') await unlink(path).catch(() => undefined);
      else await sleep(20, undefined, { signal });
      continue;
    }
    if (!told) {
      told = true;
      onWait?.(holder);
    }
    await (options.waitForHolder ? options.waitForHolder(holder, signal) : sleep(1000, undefined, { signal }));
  }
  return async () => {
    const holder = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (holder === jobId) await unlink(path).catch(() => undefined);
  };
}
