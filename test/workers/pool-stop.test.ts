/**
 * Stopping pool tasks: a queued task leaves the queue at once, a running one ends at its next
 * check (or, past the grace period, with its thread), `stopAll` stops everything and refuses new
 * work; the worker side answers CANCELLED when the flag is set before it starts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../src/workers/pool.js';
import type { TaskName } from '../../src/workers/tasks/index.js';
import runTask, { CONTROL_SLOTS, CONTROL_STOP } from '../../src/workers/worker.js';
import { CancelledError, isCancelled, throwIfCancelled, withCancellation } from '../../src/core/cancellation.js';
import { previewFileRequest } from '../../src/imaging/viewer/preview-file.js';
import { parsePreviewParams } from '../../src/imaging/options.js';
import { limitsFromSettings } from '../../src/imaging/viewer/source.js';
import { writeTile } from '../api/sky-files.js';

let dir: string;
let payload: unknown;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pool-stop-'));
  await writeTile(dir, { name: 'big.fits', ra: 10, dec: 10, width: 4000, height: 4000, scale: 1e-5, value: (x, y) => Math.sin(x / 9) + Math.cos(y / 7) });
  payload = previewFileRequest(join(dir, 'big.fits'), parsePreviewParams({ width: 4000, height: 4000 }), limitsFromSettings({ maxFitsFileSizeMb: 2048, maxFitsArrayElements: 100_000_000 }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until(what: string, test: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `task` alone on `pool`, stops it 100 ms after it started, and waits for it to reject with the stop. */
async function stopOnceRunning(pool: WorkerPool, task: TaskName, taskPayload: unknown): Promise<void> {
  const c = new AbortController();
  const run = pool.run(task, taskPayload, { signal: c.signal });
  run.catch(() => undefined);
  await until('the task to start', () => pool.stats().active === 1 && pool.stats().queued === 0);
  await new Promise((r) => setTimeout(r, 100));
  c.abort(new Error('stop'));
  await assert.rejects(run, /stop/);
}

describe('throwIfCancelled', () => {
  it('throws CancelledError inside withCancellation once the test says stop, and is a no-op elsewhere', async () => {
    throwIfCancelled();
    let stop = false;
    await withCancellation(() => stop, async () => {
      throwIfCancelled();
      await new Promise((r) => setTimeout(r, 1));
      stop = true;
      assert.equal(isCancelled(), true);
      assert.throws(() => throwIfCancelled(), CancelledError);
    });
    assert.equal(isCancelled(), false);
  });

  it('a task whose stop flag is set before it starts answers CANCELLED without running', async () => {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
    Atomics.store(control, CONTROL_STOP, 1);
    const r = await runTask({ task: 'ping', payload: {}, control });
    assert.equal(r.ok ? 'ok' : r.error.code, 'CANCELLED');
  });
});

describe('WorkerPool stops tasks', () => {
  it('drops an aborted queued task at once and ends an aborted running one', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 60_000 });
    try {
      await pool.run('ping', {}); // the thread is up
      const first = new AbortController();
      const second = new AbortController();
      const running = pool.run('viewer.preview-part', { stage: 'whole', req: payload }, { signal: first.signal });
      const queued = pool.run('viewer.preview-part', { stage: 'whole', req: payload }, { signal: second.signal });
      running.catch(() => undefined);
      queued.catch(() => undefined);
      await until('one running, one queued', () => pool.stats().active === 2 && pool.stats().queued === 1);
      await new Promise((r) => setTimeout(r, 100));
      second.abort(new Error('second went away'));
      await assert.rejects(queued, /second went away/);
      assert.equal(pool.stats().active, 1, 'the first still runs');

      first.abort(new Error('first went away'));
      await assert.rejects(running, /first went away/);
      const s = pool.stats();
      assert.equal(s.active, 0);
      assert.equal(s.stopped, 2);
      assert.equal(s.cancelled, 1, 'the running task ended at its own check');
      assert.equal(s.terminated, 0);
      // The thread is fine: the next task runs to its end.
      assert.deepEqual(await pool.run('ping', {}).then((r) => Object.keys(r as object).sort()), ['pong', 'threadId']);
    } finally {
      await pool.close();
    }
  });

  it('terminates the thread of a task that reaches no check within the grace period', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 0 });
    try {
      await pool.run('ping', {}); // the thread is up
      await stopOnceRunning(pool, 'viewer.preview-part', { stage: 'whole', req: payload });
      const s = pool.stats();
      // Whichever came first, the check or the grace period: the task is over either way.
      assert.equal(s.cancelled + s.terminated, 1, JSON.stringify(s));
      assert.ok(await pool.run('ping', {}));
    } finally {
      await pool.close();
    }
  });

  it('lets a task that has seen its stop unwind past the grace period: not terminated, its thread kept (session 14)', async () => {
    // A thread terminated while its task closes a file in a finally block could abort the whole
    // process (src/core/file-descriptor.ts): a task that reached its check is let end on its own.
    // The grace lets the spinning task see its stop even on a loaded machine (a nice'd thread at
    // load 16 can wait over a second for a core: 1 s was not enough); it then unwinds 4 s.
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 30_000, unwindGraceMs: 60_000 });
    try {
      const { threadId } = (await pool.run('ping', {})) as { threadId: number };
      await stopOnceRunning(pool, 'ping', { spinMs: 60_000, unwindMs: 4000 });
      const s = pool.stats();
      assert.equal(s.terminated, 0, JSON.stringify(s));
      assert.equal(s.cancelled, 1, JSON.stringify(s));
      assert.equal(((await pool.run('ping', {})) as { threadId: number }).threadId, threadId, 'the same thread');
    } finally {
      await pool.close();
    }
  });

  it('terminates a task that unwinds past the unwind grace too', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 0, unwindGraceMs: 200 });
    try {
      await pool.run('ping', {});
      // The task would spin then unwind for a minute each: the pool ended it, terminating its
      // thread once the unwind grace ran out (a wall-clock bound here flaked on a loaded machine).
      await stopOnceRunning(pool, 'ping', { spinMs: 60_000, unwindMs: 60_000 });
      assert.equal(pool.stats().terminated, 1, 'ended by the unwind grace, not by the task');
      assert.ok(await pool.run('ping', {}));
    } finally {
      await pool.close();
    }
  });

  it('runs many tasks at once without a listener-leak warning', async () => {
    const pool = new WorkerPool({ threads: 1 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await Promise.all(Array.from({ length: 40 }, () => pool.run('ping', {})));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });

  it('stopAll stops running work and refuses new tasks with its reason', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 60_000 });
    try {
      await pool.run('ping', {}); // the thread is up
      const task = pool.run('viewer.preview-part', { stage: 'whole', req: payload });
      task.catch(() => undefined);
      await until('the task to start', () => pool.stats().active === 1 && pool.stats().queued === 0);
      pool.stopAll(new Error('shutting down'));
      await assert.rejects(task, /shutting down/);
      await assert.rejects(pool.run('ping', {}), /shutting down/);
    } finally {
      await pool.close();
    }
  });
});
