/**
 * The download threads' bulk work (SHA-256, FITS sums, page-cache writes) and the database's WAL
 * checkpoints run at a lower CPU priority than the event loop, so the loop gets a core first when a
 * socket read or a timer wakes it.
 *
 * Why: on a 2-core machine a download keeps three things busy (the digest thread, the event loop,
 * and the sender or the kernel's network work). At equal priority the waking event loop queues
 * behind the digest thread's SHA-256 for up to a scheduler slice each time: in session 12 the
 * client's main thread waited 1.3-1.8 s on the run queue during a 40 × 25 MiB download (p99 of
 * its event-loop delay 27-59 ms); with the digest thread 5 nice levels lower, 0.5-1.0 s (17-30 ms).
 * The total work is unchanged: the thread only yields when the loop has something to do.
 *
 * A thread lowers itself once its own code runs (lowerThreadPriority), but a Worker spends ~40-50
 * CPU ms booting Node before that (EPYC, session 18): its starter lowers it at once instead
 * (startBelowEventLoop), so that boot, which overlaps a download's first requests, also yields.
 *
 * Linux only: the nice value is per thread there (setpriority on a thread id, which
 * `/proc/thread-self` names); anywhere else this does nothing. Lowering a priority needs no
 * privilege; it is never raised back (the thread keeps it until it exits).
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

/** Nice levels the download threads run below the process's event loop. */
export const BACKGROUND_NICE = 5;

/**
 * Lowers the calling thread to `by` nice levels below the process's main thread (capped at 19),
 * unless it already runs that low (its starter lowered it: startBelowEventLoop); returns its nice
 * value, or undefined where per-thread priorities are not available. Self-contained (its modules
 * come as arguments) because the write thread's evaluated program embeds its source text.
 */
export function lowerThreadPriority(os: { getPriority(pid?: number): number; setPriority(pid: number, priority: number): void }, readlink: (path: string) => string, by: number): number | undefined {
  try {
    const tid = Number(readlink('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    // getpriority(PRIO_PROCESS, pid) names the main thread: the thread whose id is the process id
    const nice = Math.min(19, os.getPriority(process.pid) + by);
    if (os.getPriority(tid) >= nice) return os.getPriority(tid);
    os.setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}

/**
 * Makes a thread with `start` (a `new Worker`, which creates the OS thread before it returns) and
 * lowers it BACKGROUND_NICE levels below the event loop at once, before it boots: the one thread
 * of this process that `start` added. Best effort: where threads are not listed in
 * /proc/self/task, or another thread appeared meanwhile, the thread keeps its priority until it
 * lowers itself (lowerThreadPriority). `start`'s exception propagates.
 */
export function startBelowEventLoop<T>(start: () => T): T {
  let before: Set<string> | undefined;
  try {
    before = new Set(readdirSync('/proc/self/task'));
  } catch {
    // not Linux
  }
  const thread = start();
  if (!before) return thread;
  try {
    const added = readdirSync('/proc/self/task').filter((tid) => !before.has(tid));
    if (added.length === 1) {
      const tid = Number(added[0]);
      const nice = Math.min(19, os.getPriority(process.pid) + BACKGROUND_NICE);
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    }
  } catch {
    // the thread has already exited, or priorities are not per thread here
  }
  return thread;
}
