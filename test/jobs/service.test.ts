import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../src/errors.js';
import {
  InProcessBackend, JobHandlerRegistry, JobService, JobStop, JobTransitionError, MemoryJobStore, transition, type JobEvent, type JobHandler, type JsonObject,
} from '../../src/jobs/index.js';
import { gate, makeService, tempDir, untilAborted } from './helpers.js';
import { sampleRecord } from './store.conformance.js';

const echo: JobHandler = {
  kind: 'echo',
  async run({ inputs, progress, outputDir, job }) {
    progress(0.25, 'first quarter');
    progress(0.1, 'never backwards');
    const dir = await outputDir();
    await writeFile(join(dir, 'out.txt'), 'hello');
    progress(0.9, 'almost');
    return { result: { echoed: inputs }, outputs: [{ name: 'out.txt', path: `processed/${job.id}/out.txt`, sizeBytes: 5, mediaType: 'text/plain' }] };
  },
};

describe('JobService', () => {
  it('get and list give a running job\'s record with its checkpoint frozen and shared, not copied, and the store reads no checkpoint of it (session 17)', async () => {
    const { dir, cleanup } = await tempDir();
    const running = gate();
    const saved: JsonObject = { files: [{ name: 'a', done: false }], note: 'live' };
    const held: JobHandler = {
      kind: 'held',
      async run({ signal, checkpoint }) {
        await checkpoint(saved);
        running.open();
        await untilAborted(signal);
        return {};
      },
    };
    const store = new MemoryJobStore();
    const asked: unknown[] = [];
    const list = store.list.bind(store);
    store.list = (query = {}) => {
      asked.push(query.withoutCheckpoint);
      return list(query);
    };
    const jobs = makeService(dir, [held], store);
    await jobs.start();
    try {
      const job = await jobs.submit('held', {});
      await running.wait;
      const a = (await jobs.get(job.id))!;
      const b = (await jobs.get(job.id))!;
      assert.equal(a.state, 'running');
      assert.equal(a.checkpoint, saved, 'the checkpoint is shared');
      assert.equal(b.checkpoint, a.checkpoint);
      assert.ok(Object.isFrozen(a.checkpoint) && Object.isFrozen((a.checkpoint!.files as JsonObject[])[0]), 'and frozen, deep');
      assert.throws(() => {
        ((a.checkpoint!.files as JsonObject[])[0] as { done: boolean }).done = true;
      }, TypeError);
      // The rest is the caller's own copy.
      a.stage = 'changed by a caller';
      (a.inputs as { x?: number }).x = 1;
      assert.notEqual((await jobs.get(job.id))!.stage, 'changed by a caller');
      assert.deepEqual((await jobs.get(job.id))!.inputs, {});
      const page = await jobs.list({ kinds: ['held'] });
      assert.deepEqual(asked.at(-1), [job.id], 'the store is told which records the service has live');
      assert.equal(page.jobs.length, 1);
      assert.equal(page.jobs[0]!.checkpoint, saved);
      assert.equal(page.jobs[0]!.state, 'running');
      await jobs.cancel(job.id);
      const after = await jobs.list({ kinds: ['held'] });
      assert.deepEqual(asked.at(-1), undefined, 'nothing live: a plain query');
      assert.deepEqual(after.jobs[0]!.checkpoint, saved);
      assert.equal(after.jobs[0]!.state, 'cancelled');
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('runs a job to completed with its result, outputs and one event stream', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [echo]);
    await jobs.start();
    try {
      const events: JobEvent[] = [];
      jobs.subscribe(undefined, (e) => events.push(e));
      const job = await jobs.submit('echo', { a: 1 }, { owner: 'ann' });
      assert.equal(job.state, 'queued');
      const done = await jobs.waitUntilSettled(job.id);
      assert.equal(done.state, 'completed');
      assert.equal(done.progress, 1);
      assert.equal(done.owner, 'ann');
      assert.deepEqual(done.result, { echoed: { a: 1 } });
      assert.equal(done.outputs[0]?.path, `processed/${job.id}/out.txt`);
      assert.ok(done.startedAt && done.finishedAt && done.finishedAt >= done.startedAt);
      assert.equal(done.attempts, 1);
      const states = events.filter((e) => e.type !== 'progress').map((e) => `${e.type}:${e.job.state}`);
      assert.deepEqual(states, ['created:queued', 'state:running', 'state:completed']);
      const progress = events.map((e) => e.job.progress);
      assert.deepEqual([...progress].sort((a, b) => a - b), progress, 'progress never goes back');
      await jobs.remove(job.id);
      await assert.rejects(stat(jobs.outputDirOf(job.id)), /ENOENT/);
      assert.equal(await jobs.get(job.id), undefined);
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('records a typed error (client errors verbatim, others without their message)', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [
      { kind: 'bad', run: async () => { throw new ValidationError('sigma must be positive', 'BAD_SIGMA'); } },
      { kind: 'boom', run: async () => { throw new Error('/secret/path exploded'); } },
    ]);
    await jobs.start();
    try {
      const bad = await jobs.waitUntilSettled((await jobs.submit('bad', {})).id);
      assert.equal(bad.state, 'failed');
      assert.deepEqual(bad.error, { code: 'BAD_SIGMA', message: 'sigma must be positive', httpStatus: 422 });
      const boom = await jobs.waitUntilSettled((await jobs.submit('boom', {})).id);
      assert.deepEqual(boom.error, { code: 'INTERNAL', message: 'Processing failed', httpStatus: 500 });
      await assert.rejects(jobs.submit('nope', {}), { code: 'JOB_UNKNOWN_KIND' });
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('cancels a running job through its signal, and a queued one before it runs', async () => {
    const { dir, cleanup } = await tempDir();
    const started = gate();
    let reason: unknown;
    let ranSecond = false;
    const jobs = makeService(dir, [
      { kind: 'forever', async run({ signal }) { started.open(); await untilAborted(signal); reason = signal.reason; return {}; } },
      { kind: 'second', async run() { ranSecond = true; return {}; } },
    ], new MemoryJobStore(), 1);
    await jobs.start();
    try {
      const a = await jobs.submit('forever', {});
      const b = await jobs.submit('second', {});
      await started.wait;
      const cb = await jobs.cancel(b.id);
      assert.equal(cb.cancelled, true);
      assert.equal(cb.job.state, 'cancelled');
      const ca = await jobs.cancel(a.id);
      assert.equal(ca.job.state, 'cancelled');
      assert.ok(reason instanceof JobStop && reason.kind === 'cancel');
      assert.equal((await jobs.cancel(a.id)).cancelled, false, 'a finished job is not cancelled again');
      assert.equal(ranSecond, false);
      await assert.rejects(jobs.resume(a.id), JobTransitionError);
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('pauses and resumes a pausable job, which continues from its checkpoint', async () => {
    const { dir, cleanup } = await tempDir();
    const runs: Array<{ resumed: boolean; checkpoint: JsonObject | null }> = [];
    let running = gate();
    const jobs = makeService(dir, [{
      kind: 'dl',
      pausable: true,
      lane: 'transfer',
      async run({ signal, checkpoint, resumed, job }) {
        runs.push({ resumed, checkpoint: job.checkpoint });
        if (runs.length === 1) {
          checkpoint({ bytes: 100 });
          running.open();
          await untilAborted(signal);
          return {};
        }
        return { result: { bytes: 200 } };
      },
    }, { kind: 'plain', run: async () => ({}) }]);
    await jobs.start();
    try {
      const job = await jobs.submit('dl', {});
      await running.wait;
      const paused = await jobs.pause(job.id);
      assert.equal(paused.state, 'paused');
      assert.equal(paused.pauseReason, 'user');
      const resumed = await jobs.resume(job.id);
      assert.equal(resumed.state, 'queued');
      const done = await jobs.waitUntilSettled(job.id);
      assert.equal(done.state, 'completed');
      assert.deepEqual(runs, [{ resumed: false, checkpoint: null }, { resumed: true, checkpoint: { bytes: 100 } }]);
      running = gate();
      const plain = await jobs.submit('plain', {});
      await assert.rejects(jobs.pause(plain.id), { code: 'JOB_NOT_PAUSABLE' });
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('re-queues runs cut by shutdown or a crash; the next start runs them again', async () => {
    const { dir, cleanup } = await tempDir();
    const store = new MemoryJobStore();
    const started = gate();
    let first = true;
    const handler: JobHandler = {
      kind: 'slow',
      async run({ signal, resumed }) {
        if (first) {
          first = false;
          started.open();
          await untilAborted(signal);
          throw new Error('stopped');
        }
        return { result: { resumed } };
      },
    };
    const a = makeService(dir, [handler], store);
    await a.start();
    const job = await a.submit('slow', {});
    await started.wait;
    await a.close();
    assert.equal((await store.get(job.id))?.state, 'queued');
    // A crash: records left `running`, one of them out of attempts.
    await store.insert(sampleRecord('crashed', { kind: 'slow', state: 'running', attempts: 1, createdAt: '2026-01-01T00:00:00.000Z' }));
    await store.insert(sampleRecord('hopeless', { kind: 'slow', state: 'running', attempts: 3 }));
    const b = makeService(dir, [handler], store);
    await b.start();
    try {
      const again = await b.waitUntilSettled(job.id);
      assert.equal(again.state, 'completed');
      assert.deepEqual(again.result, { resumed: true });
      assert.equal((await b.waitUntilSettled('crashed')).state, 'completed');
      const hopeless = await b.require('hopeless');
      assert.equal(hopeless.state, 'failed');
      assert.equal(hopeless.error?.code, 'JOB_INTERRUPTED');
    } finally {
      await b.close();
      await cleanup();
    }
  });

  it('the state machine refuses what it does not allow', () => {
    const job = sampleRecord('t', { state: 'completed' });
    assert.throws(() => transition(job, 'running'), JobTransitionError);
    const q = sampleRecord('q');
    transition(q, 'running');
    assert.equal(q.attempts, 1);
    transition(q, 'paused');
    assert.throws(() => transition(q, 'completed'), JobTransitionError);
    transition(q, 'queued');
    transition(q, 'cancelled');
    assert.throws(() => transition(q, 'queued'), JobTransitionError);
  });

  it('reports readiness: queue depth and saturation', async () => {
    const { dir, cleanup } = await tempDir();
    const started = gate();
    const jobs = makeService(dir, [{ kind: 'hold', async run({ signal }) { started.open(); await untilAborted(signal); return {}; } }], new MemoryJobStore(), 1);
    await jobs.start();
    try {
      await jobs.submit('hold', {});
      await jobs.submit('hold', {});
      await started.wait;
      const r = await jobs.readiness();
      assert.equal(r.running, 1);
      assert.equal(r.queueDepth, 1);
      assert.equal(r.lanes.compute?.capacity, 1);
    } finally {
      await jobs.close();
      await cleanup();
    }
  });
});

type QueueMode = 'ok' | 'refuse' | 'silent' | 'taken';

/**
 * An in-process backend whose enqueue fails as a Redis queue can: `refuse` (an error reply),
 * `silent` (Redis away: BullMQ waits for ever), `taken` (the add reached Redis and a worker took the
 * ticket, but the answer never came back); `ok` queues as usual.
 */
function flakyQueue(store: MemoryJobStore, mode: () => QueueMode): InProcessBackend {
  class FlakyQueue extends InProcessBackend {
    override async enqueue(ticket: Parameters<InProcessBackend['enqueue']>[0]): Promise<void> {
      const m = mode();
      if (m === 'ok') return super.enqueue(ticket);
      if (m === 'refuse') throw new Error('OOM command not allowed when used memory > maxmemory');
      if (m === 'silent') return new Promise<void>(() => undefined);
      const record = (await store.get(ticket.id))!;
      await store.update({ ...record, state: 'running' }, ['queued']);
      return new Promise<void>(() => undefined);
    }
  }
  return new FlakyQueue({ compute: 1, transfer: 1 });
}

/**
 * A started service of `handler` on a `flakyQueue` in a temporary folder: the queue behaves as
 * `queue.mode` says when it is asked; `close()` closes the service and removes the folder.
 */
async function serviceOnFlakyQueue(handler: JobHandler, mode: QueueMode) {
  const { dir, cleanup } = await tempDir();
  const queue = { mode };
  const store = new MemoryJobStore();
  const jobs = new JobService({ store, backend: flakyQueue(store, () => queue.mode), handlers: new JobHandlerRegistry().register(handler), dataDir: dir, enqueueWaitMs: 50 });
  await jobs.start();
  const close = async () => {
    await jobs.close();
    await cleanup();
  };
  return { jobs, store, queue, close };
}

/** `err` is the catalogued JOB_QUEUE_UNAVAILABLE: 503 with Retry-After 2. */
function assertQueueUnavailable(err: unknown, label: string): void {
  assert.ok(err instanceof Error && 'code' in err, `${label}: an EngineError`);
  const e = err as Error & { code: string; httpStatus: number; headers: Record<string, string> };
  assert.equal(e.code, 'JOB_QUEUE_UNAVAILABLE');
  assert.equal(e.httpStatus, 503);
  assert.equal(e.headers['retry-after'], '2');
}

describe('JobService with a failing store', () => {
  it('writes the end of a run again until the store answers (database down), never leaving it running', async () => {
    const { dir, cleanup } = await tempDir();
    let failures = 3;
    class FlakyStore extends MemoryJobStore {
      override async update(...args: Parameters<MemoryJobStore['update']>): Promise<boolean> {
        if (args[0].state === 'completed' && failures > 0) {
          failures--;
          throw new Error('connection refused');
        }
        return super.update(...args);
      }
    }
    const registry = new JobHandlerRegistry().register(echo);
    const jobs = new JobService({ store: new FlakyStore(), backend: new InProcessBackend({ compute: 1, transfer: 1 }), handlers: registry, dataDir: dir, storeRetryMs: 1 });
    await jobs.start();
    try {
      const job = await jobs.submit('echo', { a: 1 });
      const done = await jobs.waitUntilSettled(job.id);
      assert.equal(done.state, 'completed');
      assert.equal(failures, 0);
      assert.equal((await jobs.store.get(job.id))?.state, 'completed');
    } finally {
      await jobs.close();
      await cleanup();
    }
  });

  it('a queue that refuses or does not answer: submit answers JOB_QUEUE_UNAVAILABLE (503, Retry-After) and leaves no record; a ticket that arrived (the job taken) is a job', async () => {
    const { jobs, store, queue, close } = await serviceOnFlakyQueue(echo, 'refuse');
    const events: JobEvent[] = [];
    jobs.subscribe(undefined, (e) => events.push(e));
    try {
      for (const m of ['refuse', 'silent'] as const) {
        queue.mode = m;
        assertQueueUnavailable(await jobs.submit('echo', { a: 1 }).then(() => undefined, (e: unknown) => e), m);
        assert.equal((await store.list({})).total, 0, `${m}: no record left that no queue holds`);
      }
      assert.deepEqual(events.map((e) => e.type), ['created', 'removed', 'created', 'removed']);
      queue.mode = 'taken';
      const job = await jobs.submit('echo', { a: 2 });
      assert.equal((await store.get(job.id))?.state, 'running');
    } finally {
      await close();
    }
  });

  it('a queue that refuses or does not answer on resume: JOB_QUEUE_UNAVAILABLE (503, Retry-After) and the record is paused again as it was; a ticket that arrived (the job taken) is a run', async () => {
    const running = gate();
    const dl: JobHandler = {
      kind: 'dl',
      pausable: true,
      async run({ signal, checkpoint }) {
        checkpoint({ bytes: 100 });
        running.open();
        await untilAborted(signal);
        return {};
      },
    };
    const { jobs, store, queue, close } = await serviceOnFlakyQueue(dl, 'ok');
    try {
      const job = await jobs.submit('dl', {});
      await running.wait;
      const paused = await jobs.pause(job.id);
      assert.equal(paused.state, 'paused');
      const events: JobEvent[] = [];
      jobs.subscribe(undefined, (e) => events.push(e));
      for (const m of ['refuse', 'silent'] as const) {
        queue.mode = m;
        assertQueueUnavailable(await jobs.resume(job.id).then(() => undefined, (e: unknown) => e), m);
        const after = await store.get(job.id);
        assert.equal(after?.state, 'paused', `${m}: paused again, not queued without a ticket`);
        assert.equal(after?.pauseReason, paused.pauseReason);
        assert.deepEqual(after?.checkpoint, { bytes: 100 });
      }
      assert.deepEqual(events.map((e) => `${e.type}:${e.job.state}`), ['state:queued', 'state:paused', 'state:queued', 'state:paused']);
      queue.mode = 'taken';
      const resumed = await jobs.resume(job.id);
      assert.equal(resumed.state, 'queued');
      assert.equal((await store.get(job.id))?.state, 'running', 'taken by a worker meanwhile: not put back');
    } finally {
      await close();
    }
  });
});
