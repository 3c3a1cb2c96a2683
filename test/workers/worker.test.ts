import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import runTask from '../../src/workers/worker.js';

describe('worker entry point', () => {
  it('runs a task by name and answers UNKNOWN_TASK for any other name, Object.prototype keys included', async () => {
    assert.deepEqual(await runTask({ task: 'ping', payload: {} }), { ok: true, value: { pong: true, threadId: 0 } });
    for (const task of ['nope', 'toString', 'constructor', '__proto__']) {
      const r = await runTask({ task, payload: {} });
      assert.equal(r.ok ? 'ok' : r.error.code, 'UNKNOWN_TASK', task);
    }
  });
});
