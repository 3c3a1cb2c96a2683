import { CancelledError, isCancelled } from '../../core/cancellation.js';
import { pooledBufferSizes } from '../../fits/buffer-pool.js';

/**
 * A trivial task used by /health to prove the pool answers; `spinMs` busy-waits and `echoBytes`
 * answers that many bytes (0, 1, 2, ... 255, 0, ...) as `bytes` (both for tests). `meet` (shared
 * memory: [arrived, expected]) holds the thread until `expected` pings have arrived, each on its
 * own thread since a held thread takes no other task (WorkerPool.warmUp), or `meetTimeoutMs` passed.
 * `unwindMs`: the spin checks its stop, and once stopped busy-waits that long (a slow finally
 * block) before it throws CancelledError (the pool's unwind grace, in tests). `pooled` answers the
 * sizes of the buffers the thread's buffer pool holds (what its start-up pooled, in tests).
 */
export function ping(
  payload: { spinMs?: number; echoBytes?: number; meet?: Int32Array; meetTimeoutMs?: number; unwindMs?: number; pooled?: boolean } = {},
): { pong: true; threadId: number; bytes?: Uint8Array; pooled?: number[] } {
  if (payload.meet) meetAll(payload.meet, payload.meetTimeoutMs ?? 30_000);
  const until = Date.now() + Math.max(0, Math.min(payload.spinMs ?? 0, 60_000));
  while (Date.now() < until) {
    // busy on purpose: proves long work does not block the main thread
    if (payload.unwindMs !== undefined && isCancelled()) {
      spin(Math.min(payload.unwindMs, 60_000));
      throw new CancelledError();
    }
  }
  if (payload.pooled === true) return { pong: true, threadId: threadIdOf(), pooled: pooledBufferSizes() };
  if (payload.echoBytes === undefined) return { pong: true, threadId: threadIdOf() };
  const bytes = new Uint8Array(Math.max(0, Math.min(payload.echoBytes, 1 << 24)));
  for (let i = 0; i < bytes.length; i++) bytes[i] = i & 255;
  return { pong: true, threadId: threadIdOf(), bytes };
}

function meetAll(meet: Int32Array, timeoutMs: number): void {
  const until = Date.now() + timeoutMs;
  const expected = Atomics.load(meet, 1);
  let arrived = Atomics.add(meet, 0, 1) + 1;
  if (arrived >= expected) Atomics.notify(meet, 0);
  while (arrived < expected) {
    const left = until - Date.now();
    if (left <= 0) return;
    Atomics.wait(meet, 0, arrived, left);
    arrived = Atomics.load(meet, 0);
  }
}

function threadIdOf(): number {
  // worker_threads.threadId is 0 on the main thread
  return (globalThis as { __workerThreadId?: number }).__workerThreadId ?? 0;
}

function spin(ms: number): void {
  const until = Date.now() + Math.max(0, ms);
  while (Date.now() < until) {
    // a slow unwind, on purpose
  }
}
