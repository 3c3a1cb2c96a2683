/**
 * The BullMQ backend with a real Redis: an API node without local workers and two worker nodes
 * sharing one store. Jobs submitted on the API node run on the workers; progress, pause, resume and
 * cancel work from the API node; readiness reports the cluster's capacity; a Redis restarted
 * mid-run loses no job.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { MemoryJobStore, type JobEvent, type JobHandler, type JobRecord } from '../../../src/jobs/index.js';
import { TestRedis } from '../../helpers/redis.js';
import { startNode, tempDir, untilAborted, type Node } from './cluster.js';
import { until } from '../helpers.js';

/** The shared store; `failGet` ids fail their next read as a locked database does. */
class FlakyStore extends MemoryJobStore {
  readonly failGet = new Set<string>();

  override async get(id: string): Promise<JobRecord | undefined> {
    if (this.failGet.delete(id)) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    return super.get(id);
  }
}

/** Runs that are in their handler now, by job id (shared by every node of the test). */
const holding = new Map<string, () => void>();

function handlers(node: string): JobHandler[] {
  return [
    {
      kind: 'tag',
      async run({ progress }) {
        progress(0.5, `half way on ${node}`);
        return { result: { node } };
      },
    },
    {
      // Runs until the test releases it (or it is stopped), so tests can act while it runs.
      kind: 'hold',
      pausable: true,
      async run({ job, signal, progress, resumed }) {
        progress(0.1, `holding on ${node}`);
        await Promise.race([untilAborted(signal), new Promise<void>((r) => holding.set(job.id, r))]);
        holding.delete(job.id);
        return { result: { node, resumed } };
      },
    },
  ];
}

/** Resolves with the first event of `jobId` on `node` that `match` accepts. */
function nextEvent(node: Node, jobId: string, match: (e: JobEvent) => boolean): Promise<JobEvent> {
  return new Promise((resolve) => {
    const off = node.jobs.subscribe(jobId, (e) => {
      if (!match(e)) return;
      off();
      resolve(e);
    });
  });
}

async function untilHolding(jobId: string): Promise<void> {
  await until(() => holding.has(jobId), `job ${jobId} running in its handler`, 20);
}

/** Liveness comes back once the node has reconnected (a loaded machine may take a moment). */
async function untilHealthy(node: Node): Promise<void> {
  await until(async () => (await node.backend.health()).ok, `node ${node.name} healthy again`, 50);
}

describe('BullMQ job backend', () => {
  let redis: TestRedis;
  let dirs: { dir: string; cleanup: () => Promise<void> };
  let store: FlakyStore;
  let api: Node;
  let workers: Node[];

  before(async () => {
    redis = await TestRedis.start({ persistence: 'aof' });
    dirs = await tempDir();
    store = new FlakyStore();
    const common = { url: redis.url, prefix: 'test', store, dataDir: dirs.dir, handlers };
    api = await startNode({ ...common, name: 'api', concurrency: 0 });
    workers = [await startNode({ ...common, name: 'w1', concurrency: 1 }), await startNode({ ...common, name: 'w2', concurrency: 1 })];
  });

  after(async () => {
    for (const release of holding.values()) release();
    for (const node of [api, ...(workers ?? [])]) await node?.close();
    await redis?.stop();
    await dirs?.cleanup();
  });

  it('runs jobs submitted on the API node on both workers; their events reach the API node', async () => {
    // Two held jobs with one slot per worker: each worker must take one.
    const seen: JobEvent[] = [];
    const off = api.jobs.subscribe(undefined, (e) => seen.push(e));
    const held = [await api.jobs.submit('hold', {}), await api.jobs.submit('hold', {})];
    await Promise.all(held.map((j) => untilHolding(j.id)));
    const running = await Promise.all(held.map((j) => api.jobs.require(j.id)));
    assert.deepEqual(running.map((j) => j.state), ['running', 'running']);
    for (const j of held) holding.get(j.id)!();
    const done = await Promise.all(held.map((j) => api.jobs.waitUntilSettled(j.id)));
    assert.deepEqual(done.map((j) => j.state), ['completed', 'completed']);
    assert.deepEqual(new Set(done.map((j) => j.result?.node)), new Set(['w1', 'w2']));

    const tagged = await Promise.all(Array.from({ length: 8 }, () => api.jobs.submit('tag', {})));
    const finished = await Promise.all(tagged.map((j) => api.jobs.waitUntilSettled(j.id)));
    assert.ok(finished.every((j) => j.state === 'completed' && ['w1', 'w2'].includes(j.result?.node as string)));
    off();
    // Progress published on the worker was heard on the API node.
    assert.ok(seen.some((e) => e.type === 'progress' && held.some((j) => j.id === e.job.id) && e.job.stage.startsWith('holding on w')));
  });

  it('pauses, resumes and cancels from the API node a job running on a worker', async () => {
    const job = await api.jobs.submit('hold', {});
    await untilHolding(job.id);
    const paused = await api.jobs.pause(job.id);
    // As with local runs, pause returns once the run has stopped.
    assert.equal(paused.state, 'paused');
    assert.equal(paused.pauseReason, 'user');
    await api.jobs.resume(job.id);
    await untilHolding(job.id);
    holding.get(job.id)!();
    const done = await api.jobs.waitUntilSettled(job.id);
    assert.equal(done.state, 'completed');
    assert.equal(done.result?.resumed, true);
    assert.equal(done.attempts, 2);

    const other = await api.jobs.submit('hold', {});
    await untilHolding(other.id);
    const { cancelled, job: after } = await api.jobs.cancel(other.id);
    assert.equal(cancelled, true);
    assert.equal(after.state, 'cancelled');
    assert.equal((await api.jobs.waitUntilSettled(other.id)).state, 'cancelled');
  });

  it('cancels and pauses queued jobs before a worker takes them', async () => {
    // Both workers busy: the next jobs wait in the queue.
    const busy = [await api.jobs.submit('hold', {}), await api.jobs.submit('hold', {})];
    await Promise.all(busy.map((j) => untilHolding(j.id)));
    const waiting = [await api.jobs.submit('tag', {}), await api.jobs.submit('hold', {})];
    const readiness = await api.jobs.readiness();
    assert.equal(readiness.capacity, 4, 'two workers, one slot per lane each');
    assert.equal(readiness.lanes.compute?.capacity, 2);
    assert.equal(readiness.queueDepth, 2);
    assert.equal(readiness.running, 2);
    assert.equal((await api.jobs.cancel(waiting[0]!.id)).job.state, 'cancelled');
    assert.equal((await api.jobs.pause(waiting[1]!.id)).state, 'paused');
    assert.equal((await api.jobs.readiness()).queueDepth, 0);
    for (const j of busy) holding.get(j.id)!();
    await Promise.all(busy.map((j) => api.jobs.waitUntilSettled(j.id)));
    // The paused one runs once resumed.
    await api.jobs.resume(waiting[1]!.id);
    await untilHolding(waiting[1]!.id);
    holding.get(waiting[1]!.id)!();
    assert.equal((await api.jobs.waitUntilSettled(waiting[1]!.id)).state, 'completed');
    assert.equal((await api.jobs.get(waiting[0]!.id))?.state, 'cancelled');
  });

  it('takes a ticket again when the store failed as a worker took it (the job is not dropped)', async () => {
    // The worker's first read of the record fails: before, BullMQ failed the ticket and dropped it,
    // and a record a dead worker had left running was stranded (no sweep re-queues those).
    const id = randomUUID();
    store.failGet.add(id);
    await api.jobs.submit('tag', {}, { id });
    await until(() => !store.failGet.has(id), 'the failing read was made', 20);
    // Bounded: a dropped ticket would leave the job queued for ever.
    const done = await api.jobs.waitUntilSettled(id, AbortSignal.timeout(120_000));
    assert.equal(done.state, 'completed');
    assert.ok(['w1', 'w2'].includes(done.result?.node as string));
  });

  it('holds a ticket taken again by the node that still runs the job (its lock lapsed) until that run ends', async () => {
    // One node with two slots: when the lock of its run lapses, the stalled check puts the ticket
    // back and the same node takes it again. Completing that ticket at once removed it while the
    // run went on: had the node died then, nothing would have reclaimed the record left running
    // (the cluster test's job stuck "running" for 15 minutes).
    const node = await startNode({ url: redis.url, prefix: 'lapse', store, dataDir: dirs.dir, handlers, name: 'w3', concurrency: 2, lockDurationMs: 2000 });
    const queue = new Queue('compute', { connection: { url: redis.url }, prefix: 'lapse' });
    try {
      const job = await node.jobs.submit('hold', {});
      await untilHolding(job.id);
      // This process's event loop stops for longer than the lock lasts (2 s): the lock lapses.
      for (const until = Date.now() + 3000; Date.now() < until;) {
        // a blocked event loop, as on a loaded machine
      }
      const deadline = Date.now() + 120_000;
      for (;;) {
        const ticket = await queue.getJob(job.id);
        if (!ticket || ticket.attemptsStarted >= 2) break; // taken again (or already removed)
        assert.ok(Date.now() < deadline, 'the ticket was never taken again');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Taken again and still held (its processing waits for the run), not removed.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await queue.getJobState(job.id), 'active', 'the ticket taken again is held while the run goes on');
      assert.equal((await store.get(job.id))?.state, 'running');
      holding.get(job.id)!();
      assert.equal((await node.jobs.waitUntilSettled(job.id)).state, 'completed');
      while ((await queue.getJobState(job.id)) !== 'unknown') {
        assert.ok(Date.now() < deadline, 'the ticket was not removed after the run ended');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await queue.close();
      await node.close();
    }
  });

  it('loses no job when Redis restarts mid-run, and reports Redis in health meanwhile', async () => {
    const running = [await api.jobs.submit('hold', {}), await api.jobs.submit('hold', {})];
    await Promise.all(running.map((j) => untilHolding(j.id)));
    const queued = await Promise.all(Array.from({ length: 6 }, () => api.jobs.submit('tag', {})));
    const waits = [...running, ...queued].map((j) => api.jobs.waitUntilSettled(j.id));
    await untilHealthy(api);
    await redis.kill();
    assert.equal((await api.backend.health()).ok, false);
    // Runs go on while Redis is away and finish once it is back.
    for (const j of running) holding.get(j.id)!();
    await redis.restart();
    const done: JobRecord[] = await Promise.all(waits);
    assert.ok(done.every((j) => j.state === 'completed'), JSON.stringify(done.map((j) => j.state)));
    await untilHealthy(api);
  });
});
