/**
 * The download threads' bulk work (SHA-256, FITS sums, page-cache writes) runs at a lower CPU
 * priority than the event loop, so the loop gets a core first when a socket read or a timer wakes it.
 *
 * Why: on a 2-core machine a download keeps three things busy (the digest thread, the event loop,
 * and the sender or the kernel's network work). At equal priority the waking event loop queues
 * behind the digest thread's SHA-256 for up to a scheduler slice each time: in session 12 the
 * client's main thread waited 1.3-1.8 s on the run queue during a 40 × 25 MiB download (p99 of
 * its event-loop delay 27-59 ms); with the digest thread 5 nice levels lower, 0.5-1.0 s (17-30 ms).
 * The total work is unchanged: the thread only yields when the loop has something to do.
 *
 * Linux only: the nice value is per thread there (setpriority on a thread id, which
 * `/proc/thread-self` names); anywhere else this does nothing. Lowering a priority needs no
 * privilege; it is never raised back (the thread keeps it until it exits).
 */

/** Nice levels the download threads run below the process's event loop. */
export const BACKGROUND_NICE = 5;

/**
 * Lowers the calling thread's priority by `by` nice levels (capped at 19); returns the new nice
 * value, or undefined where per-thread priorities are not available. Self-contained (its modules
 * come as arguments) because the write thread's evaluated program embeds its source text.
 */
export function lowerThreadPriority(os: { getPriority(pid?: number): number; setPriority(pid: number, priority: number): void }, readlink: (path: string) => string, by: number): number | undefined {
  try {
    const tid = Number(readlink('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(19, os.getPriority(tid) + by);
    os.setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}
