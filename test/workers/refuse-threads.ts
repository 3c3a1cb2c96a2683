/**
 * Refuses new threads as `new Worker` does when the machine is out of them (ERR_WORKER_INIT_FAILED,
 * EAGAIN), without a ulimit: piscina constructs its threads with node:worker_threads' Worker (read
 * at each construction), so a test swaps in a constructor that throws while `refuse` is set. Load
 * what compiles on a thread of its own (tsx's esbuild, light-my-request) before refusing.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
const RealWorker = threads.Worker;

export interface ThreadRefusal {
  /** While true, `new Worker` throws ERR_WORKER_INIT_FAILED. */
  refuse: boolean;
  /** Threads refused so far. */
  refused: number;
  install(): void;
  uninstall(): void;
}

export function refuseThreads(): ThreadRefusal {
  const state: ThreadRefusal = {
    refuse: false,
    refused: 0,
    install: () => {
      threads.Worker = RefusingWorker;
    },
    uninstall: () => {
      threads.Worker = RealWorker;
    },
  };
  class RefusingWorker extends RealWorker {
    constructor(...args: ConstructorParameters<typeof RealWorker>) {
      if (state.refuse) {
        state.refused++;
        throw Object.assign(new Error('Worker initialization failure: EAGAIN'), { code: 'ERR_WORKER_INIT_FAILED' });
      }
      super(...args);
    }
  }
  return state;
}

export async function until(what: string, test: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `task` rejected with the pool's THREADS_UNAVAILABLE (503, Retry-After 2). */
export async function noThreadAnswer(task: Promise<unknown>): Promise<void> {
  const err = await task.then(() => undefined, (e: unknown) => e);
  const e = err as { code?: string; httpStatus?: number; headers?: Record<string, string> } | undefined;
  assert.equal(e?.code, 'THREADS_UNAVAILABLE', `a typed answer, not ${String(err)}`);
  assert.equal(e?.httpStatus, 503);
  assert.equal(e?.headers?.['retry-after'], '2');
}
