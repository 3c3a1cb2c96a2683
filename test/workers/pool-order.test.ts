/**
 * The pool starts tasks in the order they were submitted (issue #20: piscina's own queue moved
 * tasks that carry an AbortSignal to the back when every thread was busy, so under a steady load
 * some previews waited many times longer than the rest), tasks that resume a request already
 * under way go first, and a queued task that is stopped leaves the line without holding up the
 * ones behind it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/pool.js';

describe('WorkerPool order', () => {
  it('runs queued tasks first in, first out', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      await pool.run('ping', {}); // the thread is up
      const ended: number[] = [];
      await Promise.all(Array.from({ length: 30 }, (_, i) => pool.run('ping', { spinMs: 2 }).then(() => ended.push(i))));
      assert.deepEqual(ended, Array.from({ length: 30 }, (_, i) => i));
      assert.equal(pool.stats().queued, 0);
    } finally {
      await pool.close();
    }
  });

  it('a task that resumes a request waits ahead of new ones, first in, first out among its kind', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      await pool.run('ping', {});
      const ended: string[] = [];
      const c = new AbortController();
      const runs = [
        pool.run('ping', { spinMs: 20 }).then(() => ended.push('running')),
        pool.run('ping', { spinMs: 2 }).then(() => ended.push('new 1')),
        pool.run('ping', { spinMs: 2 }).then(() => ended.push('new 2')),
        pool.run('ping', { spinMs: 2 }, { resumes: true }).then(() => ended.push('resumes 1')),
        pool.run('ping', { spinMs: 2 }, { resumes: true, signal: c.signal }).then(() => ended.push('stopped')),
        pool.run('ping', { spinMs: 2 }, { resumes: true }).then(() => ended.push('resumes 2')),
        pool.run('ping', { spinMs: 2 }).then(() => ended.push('new 3')),
      ];
      c.abort(new Error('gone'));
      const settled = await Promise.allSettled(runs);
      assert.equal(settled[4]!.status, 'rejected');
      assert.deepEqual(ended, ['running', 'resumes 1', 'resumes 2', 'new 1', 'new 2', 'new 3']);
      assert.equal(pool.stats().active, 0);
      assert.equal(pool.idleThreads, 1);
    } finally {
      await pool.close();
    }
  });

  it('a stopped queued task leaves the line; the others keep their order', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      await pool.run('ping', {});
      const ended: number[] = [];
      const controllers = Array.from({ length: 10 }, () => new AbortController());
      const runs = controllers.map((c, i) => pool.run('ping', { spinMs: 2 }, { signal: c.signal }).then(() => ended.push(i)));
      controllers[4]!.abort(new Error('gone'));
      const settled = await Promise.allSettled(runs);
      assert.equal(settled[4]!.status, 'rejected');
      assert.deepEqual(ended, [0, 1, 2, 3, 5, 6, 7, 8, 9]);
      assert.equal(pool.stats().active, 0);
    } finally {
      await pool.close();
    }
  });
});
