/**
 * The boot timeout shared by the downloads' helper threads (digest threads, the write thread): a
 * thread that has not posted its first message in `timeoutMs` is given up and terminated, instead
 * of holding what was posted to it for ever. A thread that dies is seen by its 'error'/'exit'
 * events; one stuck while it boots (its module never loads, its listener never installed) is not,
 * which is what this bounds (session 11: a digest thread held a resumed download at 43 %).
 */
import type { Worker } from 'node:worker_threads';

/** Longest a helper thread may take to answer first (it boots in ~0.1 s, seconds under tsx at load 30). */
export const BOOT_TIMEOUT_MS = 30_000;

/**
 * Calls `giveUp(why)` and terminates `worker` unless the returned function (call it on the
 * thread's first message) is called first or the thread exits. The timer does not keep the
 * process alive; no 'message' listener is added (one added after `unref()` refs the worker again).
 */
export function giveUpIfSilent(worker: Worker, what: string, timeoutMs: number, giveUp: (why: string) => void): () => void {
  const timer = setTimeout(() => {
    giveUp(`${what} did not start in ${timeoutMs} ms`);
    void worker.terminate();
  }, timeoutMs);
  timer.unref();
  const answered = () => clearTimeout(timer);
  worker.once('exit', answered);
  return answered;
}
