/** A trivial task used by /health to prove the pool answers; `spinMs` busy-waits (for tests). */
export function ping(payload: { spinMs?: number } = {}): { pong: true; threadId: number } {
  const until = Date.now() + Math.max(0, Math.min(payload.spinMs ?? 0, 60_000));
  while (Date.now() < until) {
    // busy on purpose: proves long work does not block the main thread
  }
  return { pong: true, threadId: threadIdOf() };
}

function threadIdOf(): number {
  // worker_threads.threadId is 0 on the main thread
  return (globalThis as { __workerThreadId?: number }).__workerThreadId ?? 0;
}
