/**
 * The pool when no thread can be made, on the paths where piscina itself makes a thread, from its
 * own event handlers (issue #20, session 15). piscina hands a queued task to a thread when one
 * becomes ready or ends a task (`_onWorkerAvailable`), and when none is free and it holds fewer
 * threads than its maximum it makes one there (`_addNewWorker`): out of reach of any call of ours,
 * so `new Worker`'s ERR_WORKER_INIT_FAILED (EAGAIN) was an uncaught exception that ended the
 * process. It held such tasks after a refused thread: the task whose thread could not be made
 * (answered THREADS_UNAVAILABLE) stays in its queue (the pool stops it; see `orphans`).
 * Threads are refused as in pool-no-thread.test.ts (./refuse-threads.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/pool.js';
import { refuseThreads, noThreadAnswer, until } from './refuse-threads.js';

const uncaught: unknown[] = [];
const unhandled: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const threads = refuseThreads();

/**
 * A ping answered on the threads the pool has, threads still refused. The last task piscina held
 * may still be on the thread (it ends at once): meanwhile a task needs a new thread and answers
 * THREADS_UNAVAILABLE, so it is asked again.
 */
async function servedWithoutNewThread(pool: WorkerPool): Promise<void> {
  const deadline = Date.now() + 300_000; // generous: a wait of milliseconds, far longer at load 16
  for (;;) {
    const answer = await pool.run<{ pong: boolean }>('ping', {}).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'THREADS_UNAVAILABLE' || Date.now() > deadline) throw err;
      return undefined;
    });
    if (answer) return assert.equal(answer.pong, true);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WorkerPool: piscina making a thread from its own handlers while none can be made (session 15)', () => {
  before(() => {
    threads.install();
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
  });
  after(() => {
    threads.uninstall();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  });

  it('a thread ends its task while piscina holds two tasks it could not make threads for (one thread was terminated): no crash, the task ends, threads come back', async () => {
    threads.refuse = false;
    const pool = new WorkerPool({ threads: 2, abortGraceMs: 0 });
    try {
      await pool.warmUp(60_000);
      assert.equal(pool.threads, 2);
      threads.refuse = true;
      // One thread held until released (ping's `meet`), the other terminated for ignoring a stop.
      const meet = new Int32Array(new SharedArrayBuffer(8));
      meet[1] = 2;
      const held = pool.run<{ pong: boolean }>('ping', { meet, meetTimeoutMs: 120_000 });
      const c = new AbortController();
      const victim = pool.run('ping', { spinMs: 60_000 }, { signal: c.signal });
      victim.catch(() => undefined);
      await until('both tasks to start', () => pool.stats().active === 2 && pool.stats().queued === 0 && Atomics.load(meet, 0) === 1);
      c.abort(new Error('went away'));
      await assert.rejects(victim, /went away/);
      await until('the terminated thread to be gone', () => pool.threads === 1);
      // Each needs a second thread, refused: piscina keeps both in its queue.
      await noThreadAnswer(pool.run('ping', {}));
      await noThreadAnswer(pool.run('ping', {}));
      // The held thread ends its task and piscina hands it the first; the second finds no free
      // thread, and piscina made one there (before: an uncaught exception, and `held` never settled).
      Atomics.add(meet, 0, 1);
      Atomics.notify(meet, 0);
      assert.equal((await held).pong, true);
      await until('the tasks piscina held to be taken', () => pool.queueSize === 0);
      assert.equal(pool.threads, 1, 'serving with the thread it has');
      await servedWithoutNewThread(pool);
      threads.refuse = false;
      await pool.warmUp(60_000);
      assert.equal(pool.threads, 2, 'threads made again once they can be');
    } finally {
      threads.refuse = false;
      await pool.close();
    }
    assert.deepEqual(uncaught, []);
    assert.deepEqual(unhandled, []);
  });

  it('a new thread becomes ready while piscina holds tasks it could not make threads for: no crash, they end, threads come back', async () => {
    threads.refuse = false;
    const pool = new WorkerPool({ threads: 3 }); // its first thread starting (a ping queued for it)
    try {
      threads.refuse = true;
      // No thread is ready: each needs one, refused; piscina keeps them behind the ping.
      await noThreadAnswer(pool.run('ping', {}));
      await noThreadAnswer(pool.run('ping', {}));
      // When the thread is ready piscina hands it the ping and, none being free for the rest, made
      // a thread there (before: an uncaught exception).
      await until('the thread to take every task piscina held', () => pool.threads === 1 && pool.queueSize === 0);
      await servedWithoutNewThread(pool);
      assert.equal(pool.threads, 1, 'serving with the thread it has');
      threads.refuse = false;
      await pool.warmUp(60_000);
      assert.equal(pool.threads, 3);
    } finally {
      threads.refuse = false;
      await pool.close();
    }
    assert.deepEqual(uncaught, []);
    assert.deepEqual(unhandled, []);
  });
});
