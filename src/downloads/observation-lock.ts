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
 * - Taken over once: a stale lock is removed only by the taker that creates a marker named after
 *   that very file, `.download.lock.takeover-{inode}-{mtime}` (created whole, like the lock, with
 *   `taker {job id}` inside), and only if the name still holds that file (same inode and mtime to
 *   the nanosecond); others back off and try again. (Before, two takers could each remove the
 *   lock, the second one the first one's new lock, and both went on.)
 * - A marker left by a taker that died mid-takeover (two system calls apart) is never removed
 *   while the lock it names is there: the next taker creates the next marker of the chain
 *   (`…-{mtime}.2`, `.3`, …) once it finds the last one stale, which is when its taker's job is
 *   not running (or is this job: its earlier run was cut), judged like the lock's holder. So two
 *   takers never both hold a marker of one lock. (Session 13: a marker was removed once 30 s
 *   old, by whichever taker saw it first; a live taker paused for longer (stopped, swapped out)
 *   between its stat and its unlink then removed the lock a second taker had made meanwhile, and
 *   two takers seeing one old marker could remove it and then each other's new one. A pid in the
 *   marker would not do: takers on other machines or in other containers share the folder.) A
 *   marker with no readable taker (written by an older engine, or an instant old where hard links
 *   are not supported) is stale once 30 s old.
 * - Left-overs are swept when a lock is taken and released: drafts (`.download.lock.{pid}-h{host}-{hex}.new`,
 *   left by a process killed between its create and its unlink: they showed in listings and
 *   piled up) older than 60 s, and the markers of a lock that is no longer at the name (they guard
 *   nothing: a file never comes back to the name). A draft whose creator is alive on this host
 *   (its host tag is ours, its pid answers `kill(pid, 0)`) is never swept, however old (session 14:
 *   it was, after 60 s). A creator on another machine or container cannot be asked: its old
 *   draft is swept, and if it was alive (paused for over 60 s) its `link` fails with ENOENT and it
 *   makes a new draft.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BigIntStats } from 'node:fs';

export const OBSERVATION_LOCK_NAME = '.download.lock';
/** A lock with no readable job id this old is stale (a write after a create takes microseconds). */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;
/** A takeover marker with no readable taker this old was left by a taker that died (older engines' markers). */
const TAKEOVER_MARKER_GRACE_MS = 30_000;
/** A draft this old was left by a process killed between its create and its unlink (they take microseconds). */
export const DRAFT_GRACE_MS = 60_000;
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

/**
 * This host in draft names: 8 hex digits of the SHA-256 of its name (any characters, fixed length).
 * Two machines of one name only make a dead creator's draft look alive: it is kept, never the reverse.
 */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `{path}.{pid}-h{host}-{hex}.new`: a draft of `path` made by this process. */
function draftOf(path: string): string {
  return `${path}.${process.pid}-h${HOST_TAG}-${randomBytes(6).toString('hex')}.new`;
}

/** Whether the draft `name` was made by a process alive on this host (drafts of older engines, `{pid}-{hex}`, name no host: false). */
function draftCreatorAlive(name: string): boolean {
  const m = /\.(\d+)-h([0-9a-f]{8})-[0-9a-f]+\.new$/.exec(name);
  if (!m || m[2] !== HOST_TAG) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Creates the file `path` with `text` inside, whole; false when it exists. */
async function create(path: string, text: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const draft = draftOf(path);
    await writeFile(draft, text, { flag: 'wx' });
    try {
      await link(draft, path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && attempt < 5) continue; // our draft was swept as left over (we were paused): a new one
      if (!NO_HARD_LINKS.has(code)) throw err;
    } finally {
      await unlink(draft).catch(() => undefined);
    }
    break;
  }
  try {
    await writeFile(path, text, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size;
}

type IsRunning = (jobId: string) => Promise<boolean>;

/** Whether the takeover marker `marker` was left by a taker that is gone; false when it is at work or has just finished. */
async function markerStale(marker: string, jobId: string, isRunning: IsRunning): Promise<boolean> {
  const text = await readFile(marker, 'utf8').catch(() => undefined);
  if (text === undefined) return false; // removed: its taker is done, the lock is judged again
  const taker = /^taker ([A-Za-z0-9._:-]{1,200})$/.exec(text.trim())?.[1];
  if (taker !== undefined) return taker === jobId || !(await isRunning(taker));
  const left = await stat(marker).catch(() => undefined);
  return left !== undefined && Date.now() - left.mtimeMs > TAKEOVER_MARKER_GRACE_MS;
}

/** Removes the stale lock `judged` if no other taker is at it and it is still the lock; false when another taker is. */
async function takeOver(path: string, judged: BigIntStats, jobId: string, isRunning: IsRunning): Promise<boolean> {
  const chain = `${path}.takeover-${judged.ino}-${judged.mtimeNs}`;
  const markers: string[] = [];
  for (;;) {
    const marker = markers.length === 0 ? chain : `${chain}.${markers.length + 1}`;
    markers.push(marker);
    if (await create(marker, `taker ${jobId}`)) break;
    if (!(await markerStale(marker, jobId, isRunning))) return false;
  }
  try {
    const now = await stat(path, { bigint: true }).catch(() => undefined);
    if (now && sameFile(now, judged)) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    // The lock judged has left the name (by us or before): its markers guard nothing any more.
    for (const marker of markers) await unlink(marker).catch(() => undefined);
  }
}

const DRAFT = /^\.download\.lock\..*\.new$/;
const MARKER = /^\.download\.lock\.takeover-(\d+)-(\d+)(?:\.\d+)?$/;

/**
 * Removes the left-overs in `dir`: drafts older than DRAFT_GRACE_MS whose creator is not alive on
 * this host, and markers of a lock no longer at the name.
 */
export async function sweepLockLeftovers(dir: string, now = Date.now()): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const drafts = names.filter((n) => DRAFT.test(n));
  const markers = names.filter((n) => MARKER.test(n));
  if (drafts.length === 0 && markers.length === 0) return;
  // Listed first, then the lock: a marker listed names a file made before it, so a lock other than that file now means that file is gone for good.
  const lock = await stat(join(dir, OBSERVATION_LOCK_NAME), { bigint: true }).catch(() => undefined);
  for (const name of markers) {
    const [, ino, mtime] = MARKER.exec(name) ?? [];
    if (lock && String(lock.ino) === ino && String(lock.mtimeNs) === mtime) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
  for (const name of drafts) {
    const left = await stat(join(dir, name)).catch(() => undefined);
    if (left && now - left.mtimeMs > DRAFT_GRACE_MS && !draftCreatorAlive(name)) await unlink(join(dir, name)).catch(() => undefined);
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
      if (!(await takeOver(path, judged, jobId, options.isRunning))) await sleep(RECHECK_MS, undefined, { signal });
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
  await sweepLockLeftovers(dir);
  return async () => {
    const holder = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (holder === jobId) await unlink(path).catch(() => undefined);
    await sweepLockLeftovers(dir);
  };
}
