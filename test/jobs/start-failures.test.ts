/**
 * The in-process backend (the embedded default, no Redis) with a runner that throws before its run
 * (the job store fails as the job is taken), session 12: the job was dropped, its record left
 * `queued` until the next restart. Now it is taken again, backing off, and after
 * `maxStartAttempts` takes failed with JOB_START_FAILED (logged), as on the BullMQ backend; if the
 * store does not take that write either, it stays queued and is tried again (nothing dropped).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessBackend, JobHandlerRegistry, JobService, JobStop, MemoryJobStore, type JobHandler } from '../../src/jobs/index.js';
import { catalogueMessage } from '../../src/error-catalogue.js';
import { tempDir, until } from './helpers.js';

/**
 * Each id in `failStarts` fails that many more writes marking it running (the runner's take), as a
 * locked or unreachable database does; ids in `failAll` fail every write (the failure's too).
 */
class FailingStore extends MemoryJobStore {
  readonly failStarts = new Map<string, number>();
  readonly failAll = new Set<string>();
  readonly takes = new Map<string, number>();

  override async update(...args: Parameters<MemoryJobStore['update']>): Promise<boolean> {
    const [job] = args;
    if (job.state === 'running') this.takes.set(job.id, (this.takes.get(job.id) ?? 0) + 1);
    const left = this.failStarts.get(job.id) ?? 0;
    if (this.failAll.has(job.id) || (job.state === 'running' && left > 0)) {
      this.failStarts.set(job.id, left - 1);
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    }
    return super.update(...args);
  }
}

const tag: JobHandler = { kind: 'tag', async run() { return { result: { ran: true } }; } };

async function withService(
  handlers: JobHandler[],
  body: (jobs: JobService, store: FailingStore, logged: string[]) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = await tempDir();
  const store = new FailingStore();
  const logged: string[] = [];
  const logger = { info: () => undefined, warn: (_: object, msg?: string) => logged.push(`warn ${msg}`), error: (_: object, msg?: string) => logged.push(`error ${msg}`) };
  const registry = new JobHandlerRegistry();
  for (const h of handlers) registry.register(h);
  const backend = new InProcessBackend({ compute: 1, transfer: 1 }, { maxStartAttempts: 3, startRetryMs: 1, logger });
  const jobs = new JobService({ store, backend, handlers: registry, dataDir: dir, logger });
  await jobs.start();
  try {
    await body(jobs, store, logged);
  } finally {
    await jobs.close();
    await cleanup();
  }
}

describe('in-process backend: a job whose runner throws before its run (session 12)', () => {
  it('takes it again: a store that fails twice as the job is taken, then answers, runs the job', async () => {
    await withService([tag], async (jobs, store) => {
      store.failStarts.set('j1', 2);
      await jobs.submit('tag', {}, { id: 'j1' });
      // Before: the runner's throw was swallowed and the record stayed queued with nothing to run it.
      const done = await jobs.waitUntilSettled('j1', AbortSignal.timeout(60_000));
      assert.equal(done.state, 'completed');
      assert.equal(store.takes.get('j1'), 3);
    });
  });

  it('fails it with JOB_START_FAILED after maxStartAttempts takes, logged, and lets the next job run', async () => {
    await withService([tag], async (jobs, store, logged) => {
      store.failStarts.set('j2', 3);
      await jobs.submit('tag', {}, { id: 'j2' });
      const done = await jobs.waitUntilSettled('j2', AbortSignal.timeout(60_000));
      assert.equal(done.state, 'failed');
      assert.deepEqual(done.error, { code: 'JOB_START_FAILED', message: catalogueMessage('JOB_START_FAILED'), httpStatus: 500 });
      assert.equal((await jobs.store.get('j2'))?.state, 'failed');
      assert.ok(logged.includes('error job could not be started; failed (JOB_START_FAILED)'), logged.join('\n'));
      await until(() => !jobs.backend.has('j2'), 'the failed job stayed in the backend'); // it leaves its slot once the failure is written
      const next = await jobs.submit('tag', {});
      assert.equal((await jobs.waitUntilSettled(next.id, AbortSignal.timeout(60_000))).state, 'completed');
    });
  });

  it('keeps it queued and tried while the store cannot record the failure either; it runs once the store answers', async () => {
    await withService([tag], async (jobs, store, logged) => {
      store.failAll.add('j3');
      await jobs.submit('tag', {}, { id: 'j3' });
      // Past the cap every take also tries to record the failure, and that read fails too.
      await until(() => (store.takes.get('j3') ?? 0) >= 6, 'the job was not taken again');
      assert.ok(logged.some((m) => m.startsWith('warn could not record a job that cannot be started')), logged.join('\n'));
      assert.equal(jobs.backend.has('j3'), true);
      assert.equal((await jobs.store.list({ states: ['queued'] })).jobs[0]?.id, 'j3');
      store.failAll.delete('j3');
      const done = await jobs.waitUntilSettled('j3', AbortSignal.timeout(60_000));
      assert.equal(done.state, 'completed');
    });
  });

  it('drops the retry of a job stopped while it waits to be taken again (a cancel)', async () => {
    await withService([tag], async (jobs, store) => {
      store.failAll.add('j4');
      await jobs.submit('tag', {}, { id: 'j4' });
      await until(() => (store.takes.get('j4') ?? 0) >= 2, 'the job was not taken again');
      await jobs.backend.stop('j4', new JobStop('cancel'));
      assert.equal(jobs.backend.has('j4'), false);
      store.failAll.delete('j4');
      // The lane is free for the next job.
      const other = await jobs.submit('tag', {});
      assert.equal((await jobs.waitUntilSettled(other.id, AbortSignal.timeout(60_000))).state, 'completed');
      assert.equal(jobs.backend.has('j4'), false);
    });
  });
});
