/**
 * The pool when no thread can be made: `new Worker` throws ERR_WORKER_INIT_FAILED (EAGAIN) at once
 * when the machine is out of threads. piscina constructs its threads with node:worker_threads'
 * Worker, so the test injects there a thread starter that throws as `new Worker` does (no ulimit,
 * ./refuse-threads.ts).
 * Before: the constructor threw (the engine did not start), a task that needed a new thread was an
 * untyped 500, and a thread terminated for ignoring a stop was made again in an abort listener,
 * where the throw was an uncaught exception that ended the process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../src/workers/pool.js';
import { loadSettings } from '../../src/config.js';
import { createEngineContext } from '../../src/engine.js';
import { buildServer } from '../../src/server.js';
import { noThreadAnswer, refuseThreads, until } from './refuse-threads.js';

const threads = refuseThreads();

/** Runs `use` on a new pool, then lets threads be made again and closes it. */
async function withPool(options: ConstructorParameters<typeof WorkerPool>[0], use: (pool: WorkerPool) => Promise<void>): Promise<void> {
  const pool = new WorkerPool(options);
  try {
    await use(pool);
  } finally {
    threads.refuse = false;
    await pool.close();
  }
}

/** Threads can be made again: warmUp makes every thread the pool lacks. */
async function threadsBack(pool: WorkerPool, expected: number): Promise<void> {
  threads.refuse = false;
  await pool.warmUp(60_000);
  assert.equal(pool.threads, expected);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('WorkerPool when no thread can be made (ERR_WORKER_INIT_FAILED, EAGAIN)', () => {
  before(() => {
    threads.install();
    process.on('unhandledRejection', onUnhandled);
  });
  after(() => {
    threads.uninstall();
    process.off('unhandledRejection', onUnhandled);
  });

  it('at start: the pool is made, warmUp ends, tasks answer THREADS_UNAVAILABLE; once threads are back they run and warmUp makes them all', async () => {
    threads.refuse = true;
    threads.refused = 0;
    await withPool({ threads: 2, keepAllThreads: true }, async (pool) => {
      await pool.warmUp(60_000);
      assert.ok(threads.refused > 0, 'threads were asked for');
      assert.equal(pool.threads, 0);
      await noThreadAnswer(pool.run('ping', {}));
      assert.ok(pool.stats().noThread >= 1);
      threads.refuse = false;
      assert.equal(((await pool.run('ping', {})) as { pong: boolean }).pong, true);
      await threadsBack(pool, 2);
    });
  });

  it('a second thread that cannot be made: that task answers THREADS_UNAVAILABLE, the one with a thread runs, a later task makes it', async () => {
    threads.refuse = false;
    await withPool({ threads: 2 }, async (pool) => {
      await until('the first thread to be started', () => pool.threads >= 1);
      threads.refuse = true;
      const threadsBefore = pool.threads;
      const first = pool.run('ping', {});
      const second = pool.run('ping', {});
      // Whichever needed a thread that was not there answered 503; the rest ran.
      const outcomes = await Promise.allSettled([first, second]);
      if (threadsBefore < 2) assert.ok(outcomes.some((o) => o.status === 'rejected'), 'a task needed a new thread');
      for (const o of outcomes) if (o.status === 'rejected') await noThreadAnswer(Promise.reject(o.reason));
      await threadsBack(pool, 2);
    });
  });

  it('a thread terminated for ignoring a stop and not made again: no crash, the next task answers THREADS_UNAVAILABLE, then runs once threads are back', async () => {
    threads.refuse = false;
    await withPool({ threads: 1, keepAllThreads: true, abortGraceMs: 0 }, async (pool) => {
      await pool.run('ping', {}); // the thread is up
      threads.refuse = true;
      const c = new AbortController();
      const task = pool.run('ping', { spinMs: 60_000 }, { signal: c.signal }); // reaches no check
      task.catch(() => undefined);
      await until('the task to start', () => pool.stats().active === 1 && pool.stats().queued === 0);
      await new Promise((r) => setTimeout(r, 100));
      c.abort(new Error('went away'));
      await assert.rejects(task, /went away/);
      assert.equal(pool.stats().terminated, 1);
      await until('the terminated thread to be gone', () => pool.threads === 0);
      await noThreadAnswer(pool.run('ping', {}));
      threads.refuse = false;
      assert.equal(((await pool.run('ping', {})) as { pong: boolean }).pong, true);
      assert.equal(pool.threads, 1);
    });
  });

  it('closing while no thread can be made: no unhandled rejection from the tasks piscina dropped', async () => {
    threads.refuse = true;
    const pool = new WorkerPool({ threads: 1 });
    await noThreadAnswer(pool.run('ping', {}));
    await noThreadAnswer(pool.run('ping', {}));
    await pool.close();
    threads.refuse = false;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  });

  it('over HTTP, on an engine started with no thread to be had: a route that runs a pool task answers 503 with Retry-After and the catalogued text, then 200 once threads are back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-no-thread-'));
    // inject() loads light-my-request on first use, and tsx may compile one of its modules on
    // esbuild's own worker thread, which the refusal below would break: load it first.
    await Fastify().inject({ url: '/' });
    threads.refuse = true;
    const ctx = await createEngineContext(loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent', WORKER_THREADS: '2' }));
    const app = await buildServer(ctx, [(a) => {
      a.get('/t/pool', async () => ctx.pool.run('ping', {}));
    }]);
    try {
      const res = await app.inject({ method: 'GET', url: '/t/pool' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '2');
      assert.deepEqual(res.json(), { detail: 'The server cannot start a worker thread now; try again' });
      threads.refuse = false;
      assert.equal((await app.inject({ method: 'GET', url: '/t/pool' })).statusCode, 200);
    } finally {
      threads.refuse = false;
      await app.close();
      await ctx.pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
