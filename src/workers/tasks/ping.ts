/**
 * A trivial task used by /health to prove the pool answers; `spinMs` busy-waits and `echoBytes`
 * answers that many bytes (0, 1, 2, ... 255, 0, ...) as `bytes` (both for tests).
 */
export function ping(payload: { spinMs?: number; echoBytes?: number } = {}): { pong: true; threadId: number; bytes?: Uint8Array } {
  const until = Date.now() + Math.max(0, Math.min(payload.spinMs ?? 0, 60_000));
  while (Date.now() < until) {
    // busy on purpose: proves long work does not block the main thread
  }
  if (payload.echoBytes === undefined) return { pong: true, threadId: threadIdOf() };
  const bytes = new Uint8Array(Math.max(0, Math.min(payload.echoBytes, 1 << 24)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = i & 255;
  return { pong: true, threadId: threadIdOf(), bytes };
}

function threadIdOf(): number {
  // worker_threads.threadId is 0 on the main thread
  return (globalThis as { __workerThreadId?: number }).__workerThreadId ?? 0;
}
