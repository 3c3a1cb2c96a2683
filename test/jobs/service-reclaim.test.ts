/**
 * The runner's `reclaim` option (used by distributed backends when a worker died mid-run): a record
 * left `running` is taken over and run again as resumed, counting the attempt; past maxAttempts it
 * fails as interrupted. Without `reclaim` a running record is never run twice.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJobStore, transition, type JobHandler } from '../../src/jobs/index.js';
import { makeService, tempDir } from './helpers.js';

const resumable: JobHandler = { kind: 'r', pausable: true, run: async ({ resumed }) => ({ result: { resumed } }) };

describe('JobService runner reclaim', () => {
  it('takes over a record a dead worker left running, and fails it after maxAttempts', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new MemoryJobStore();
    const jobs = makeService(dir, [resumable], store);
    try {
      const job = await jobs.submit('r', {});
      // As a worker that died: the record says running, nothing runs it.
      const stored = (await store.get(job.id))!;
      transition(stored, 'running');
      await store.update(stored);
      await jobs.runner(job.id, new AbortController().signal);
      assert.equal((await store.get(job.id))?.state, 'running', 'without reclaim a running record is left alone');
      await jobs.runner(job.id, new AbortController().signal, { reclaim: true });
      const done = (await store.get(job.id))!;
      assert.equal(done.state, 'completed');
      assert.deepEqual(done.result, { resumed: true });
      assert.equal(done.attempts, 2);

      const again = await jobs.submit('r', {});
      const cut = (await store.get(again.id))!;
      cut.attempts = 2;
      transition(cut, 'running'); // third attempt started, then its worker died
      await store.update(cut);
      await jobs.runner(again.id, new AbortController().signal, { reclaim: true });
      const failed = (await store.get(again.id))!;
      assert.equal(failed.state, 'failed');
      assert.equal(failed.error?.code, 'JOB_INTERRUPTED');
    } finally {
      await jobs.close();
      await cleanup();
    }
  });
});
