import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import runTask, { warmTask } from '../../src/workers/worker.js';
import { WorkerPool } from '../../src/workers/pool.js';

describe('worker entry point', () => {
  it('runs a task by name and answers UNKNOWN_TASK for any other name, Object.prototype keys included', async () => {
    assert.deepEqual(await runTask({ task: 'ping', payload: {} }), { ok: true, value: { pong: true, threadId: 0 } });
    for (const task of ['nope', 'toString', 'constructor', '__proto__']) {
      const r = await runTask({ task, payload: {} });
      assert.equal(r.ok ? 'ok' : r.error.code, 'UNKNOWN_TASK', task);
    }
  });

  it('a pool thread runs its tasks through the handler it resolves once warm (warmTask; none on the main thread)', async () => {
    assert.equal(warmTask, undefined);
    const pool = new WorkerPool({ threads: 1 });
    try {
      const answer = await pool.run<{ pong: boolean; threadId: number }>('ping', {});
      assert.equal(answer.pong, true);
      assert.notEqual(answer.threadId, 0);
    } finally {
      await pool.close();
    }
  });
});
