/**
 * WorkerPool.warmUp starts every thread and resolves once each has taken a task (so each has
 * loaded its modules and warmed up): the pings it holds meet on distinct threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/pool.js';
import { ping } from '../../src/workers/tasks/ping.js';

test('warmUp: every thread started and answering, the pool idle afterwards', async () => {
  const pool = new WorkerPool({ threads: 2 });
  try {
    await pool.warmUp();
    assert.equal(pool.threads, 2);
    assert.equal(pool.idleThreads, 2);
    assert.equal(pool.stats().active, 0);
  } finally {
    await pool.close();
  }
});

test('ping with meet: holds until the expected number arrived, or the timeout', () => {
  const meet = new Int32Array(new SharedArrayBuffer(8));
  meet[1] = 1;
  assert.equal(ping({ meet }).pong, true);
  assert.equal(meet[0], 1);
  const alone = new Int32Array(new SharedArrayBuffer(8));
  alone[1] = 2; // nobody else comes: it gives up after the timeout
  assert.equal(ping({ meet: alone, meetTimeoutMs: 20 }).pong, true);
  assert.equal(alone[0], 1);
});
