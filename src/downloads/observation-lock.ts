/**
 * One observation, one download at a time, across every process that shares the download folder
 * (the API node, `jwst-engine worker`s on other machines, the CLI): a job holds the lock file
 * `{observation folder}/.download.lock` (its job id inside) while it writes `.part` files there. A
 * second job waits until the holder is no longer running, so two jobs never write one `.part`.
 *
 * A lock whose holder is not running (its process died: the record is queued again or finished)
 * is stale and taken over; a job that finds its own id in the lock (its earlier run was cut)
 * takes it back. So is a lock with no readable job id (empty: an older engine killed between its
 * create and its write) once it is `unreadableGraceMs` old (10 s): it used to be retried every
 * 20 ms for ever (session 12).
 *
 * Safety (no two jobs both believing they hold it):
 * - Created whole: the id is written to a file of its own, which is then hard-linked to the lock's
 *   name (`link` fails if the name exists, like O_EXCL), so a lock never exists without its id.
 *   Where hard links are not supported, `wx` (O_EXCL) then the write, as before.
 * - Taken over once: a stale lock is removed only by the taker that creates (`wx`) the marker
 *   `.download.lock.takeover-{inode}-{mtime}` named after that very file, and only if the name
 *   still holds that file (same inode and mtime to the nanosecond); others back off and try
 *   again. (Before, two takers could each remove the lock, the second one the first one's new
 *   lock, and both went on.) A marker left by a taker that died mid-takeover (two system calls
 *   apart) is removed after 30 s.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BigIntStats } from 'node:fs';

export const OBSERVATION_LOCK_NAME = '.download.lock';
/** A lock with no readable job id this old is stale (a write after a create takes microseconds). */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;
/** A takeover marker this old was left by a taker that died between its two system calls. */
const TAKEOVER_MARKER_GRACE_MS = 30_000;
/** How often a lock that cannot be judged yet (unreadable and young, or being taken over) is looked at again. */
const RECHECK_MS = 100;

export interface ObservationLockOptions {
  /** True while the job `holderId` is running somewhere (read from the job records). */
  readonly isRunning: (holderId: string) => Promise<boolean>;
  /** Resolves (or rejects with the signal's reason) when the holder may have stopped; default: a 1 s wait. */
  readonly waitForHolder?: (holderId: string, signal: AbortSignal) => Promise<void>;
  /** A lock with no readable job id is stale once this old (default UNREADABLE_LOCK_GRACE_MS). */
  readonly unreadableGraceMs?: number;
}

/** The job id a lock's text names, or undefined (empty, cut, or not an id). */
function holderOf(text: string): string | undefined {
  const id = text.trim();
  return /^[A-Za-z0-9._:-]{1,200}$/.test(id) ? id : undefined;
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Creates the lock with `jobId` inside, whole; false when it exists. */
async function create(path: string, jobId: string): Promise<boolean> {
  const draft = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.new`;
  await writeFile(draft, jobId, { flag: 'wx' });
  try {
    await link(draft, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
  try {
    await writeFile(path, jobId, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size;
}

/** Removes the stale lock `judged` if no other taker is at it and it is still the lock; false when another taker is. */
async function takeOver(path: string, judged: BigIntStats): Promise<boolean> {
  const marker = `${path}.takeover-${judged.ino}-${judged.mtimeNs}`;
  try {
    await writeFile(marker, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const left = await stat(marker).catch(() => undefined);
    if (left && Date.now() - left.mtimeMs > TAKEOVER_MARKER_GRACE_MS) await unlink(marker).catch(() => undefined);
    return false;
  }
  try {
    const now = await stat(path, { bigint: true }).catch(() => undefined);
    if (now && sameFile(now, judged)) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/**
 * Takes the lock of folder `dir` for job `jobId`; calls `onWait` once when another job holds it.
 * Returns the function that releases it (only if it is still this job's).
 */
export async function lockObservation(dir: string, jobId: string, options: ObservationLockOptions, signal: AbortSignal, onWait?: (holder: string) => void): Promise<() => Promise<void>> {
  const path = join(dir, OBSERVATION_LOCK_NAME);
  const grace = options.unreadableGraceMs ?? UNREADABLE_LOCK_GRACE_MS;
  let told = false;
  for (;;) {
    signal.throwIfAborted();
    if (await create(path, jobId)) break;
    // The file judged, then its text: a lock replaced in between shows a new inode at the takeover.
    const judged = await stat(path, { bigint: true }).catch(() => undefined);
    const text = judged && (await readFile(path, 'utf8').catch(() => undefined));
    if (judged === undefined || text === undefined) continue; // released meanwhile
    const holder = holderOf(text);
    if (holder === jobId) break;
    const unreadableFor = Date.now() - Number(judged.mtimeMs);
    if (holder === undefined ? unreadableFor >= grace : !(await options.isRunning(holder))) {
      if (!(await takeOver(path, judged))) await sleep(RECHECK_MS, undefined, { signal });
      continue;
    }
    if (holder === undefined) {
      await sleep(RECHECK_MS, undefined, { signal }); // young: its writer may still be at it
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
