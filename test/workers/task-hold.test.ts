/**
 * Test holds (src/workers/task-hold.ts): a run of a held task waits at one of its own stop checks
 * until the test releases it or the task is stopped; runs submitted after the release, and other
 * tasks, are not held. Every wait here is on an event; the pool's grace is a minute, so a stop that
 * did not wake the held thread would show as a terminated task rather than a cancelled one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/pool.js';

/** A ping that calls its stop check over and over (`unwindMs`) for up to `spinMs`. */
const checking = (spinMs: number) => ({ spinMs, unwindMs: 0 });

describe('WorkerPool.holdForTest', () => {
  it('holds a run at its second check until released; later runs and other tasks pass', async () => {
    const pool = new WorkerPool({ threads: 2, abortGraceMs: 60_000 });
    try {
      const hold = pool.holdForTest('ping');
      let settled = false;
      const held = pool.run<{ pong: boolean }>('ping', checking(1)).finally(() => (settled = true));
      await hold.reached();
      assert.equal(hold.arrived, 1);
      assert.equal(settled, false, 'the held run has not answered');
      // another task is not held: it answers on the other thread (here an error: no such file)
      await assert.rejects(pool.run('viewer.cubeinfo', { path: '/nonexistent/x.fits', limits: { maxFileBytes: 1 << 20, maxElements: 1 << 20 } }), (err: { code?: string }) => typeof err.code === 'string');
      assert.equal(settled, false, 'still held');
      hold.release();
      assert.equal((await held).pong, true);
      // released: a run submitted now is not held
      assert.equal((await pool.run<{ pong: boolean }>('ping', checking(1))).pong, true);
      assert.equal(hold.arrived, 1);
    } finally {
      await pool.close();
    }
  });

  it('a held run that is stopped ends at its check (cancelled, not terminated), its thread kept', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 60_000 });
    try {
      const { threadId } = await pool.run<{ threadId: number }>('ping', {});
      const hold = pool.holdForTest('ping', { afterSteps: 0 });
      const stop = new AbortController();
      const held = pool.run('ping', checking(60_000), { signal: stop.signal });
      held.catch(() => undefined);
      await hold.reached();
      stop.abort(new Error('the client went away'));
      await assert.rejects(held, /the client went away/);
      const s = pool.stats();
      assert.equal(s.cancelled, 1, JSON.stringify(s));
      assert.equal(s.terminated, 0, JSON.stringify(s));
      hold.release();
      assert.equal((await pool.run<{ threadId: number }>('ping', {})).threadId, threadId, 'the same thread');
    } finally {
      await pool.close();
    }
  });

  it('a held run is stopped by the pool\'s close (the engine\'s shutdown)', async () => {
    const pool = new WorkerPool({ threads: 1, abortGraceMs: 60_000 });
    const hold = pool.holdForTest('ping');
    const held = pool.run('ping', checking(60_000));
    held.catch(() => undefined);
    await hold.reached();
    await pool.close(120_000);
    await assert.rejects(held, (err: { code?: string }) => err.code === 'POOL_CLOSED');
    const s = pool.stats();
    assert.equal(s.cancelled, 1, JSON.stringify(s));
    assert.equal(s.terminated, 0, JSON.stringify(s));
  });
});
