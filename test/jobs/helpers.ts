/** A job service over a memory store and the in-process backend, with test handlers. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import {
  InProcessBackend, JobHandlerRegistry, JobService, MemoryJobStore, type JobHandler, type JobStore,
} from '../../src/jobs/index.js';

export async function tempDir(prefix = 'jobs-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function makeService(dataDir: string, handlers: JobHandler[], store: JobStore = new MemoryJobStore(), capacity = 2): JobService {
  const registry = new JobHandlerRegistry();
  for (const h of handlers) registry.register(h);
  return new JobService({ store, backend: new InProcessBackend({ compute: capacity, transfer: capacity }), handlers: registry, dataDir, progressIntervalMs: 1, persistIntervalMs: 1 });
}

/** Resolves when `signal` aborts (a handler that runs until it is stopped). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** A gate a test opens when it wants a handler to go on. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/**
 * Waits until `cond` holds, looking every `everyMs` (bounded: a regression fails instead of hanging;
 * generously, as what takes milliseconds on a quiet machine can take tens of seconds at load 16).
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, everyMs = 10, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
