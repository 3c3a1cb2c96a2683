/**
 * A worker whose runner throws before the run (the job store fails as the ticket is taken): the
 * ticket is put back delayed and taken again, but not for ever (session 12): after
 * `maxStartAttempts` takes the job is failed with JOB_START_FAILED, recorded on the job, and the
 * ticket goes. If the store does not take that write either, the ticket stays: nothing is dropped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { MemoryJobStore, type JobHandler, type JobRecord } from '../../../src/jobs/index.js';
import { catalogueMessage } from '../../../src/error-catalogue.js';
import { TestRedis } from '../../helpers/redis.js';
import { startNode, tempDir, untilAborted, type Node } from './cluster.js';
import { until } from '../helpers.js';

/** The worker's view of the shared store: each id in `failGets` fails that many more reads, as a locked or unreachable database does. */
class FailingStore extends MemoryJobStore {
  readonly failGets = new Map<string, number>();
  readonly reads = new Map<string, number>();

  constructor(private readonly shared: MemoryJobStore) {
    super();
  }

  override async get(id: string): Promise<JobRecord | undefined> {
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1);
    const left = this.failGets.get(id) ?? 0;
    if (left > 0) {
      this.failGets.set(id, left - 1);
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    }
    return this.shared.get(id);
  }

  override insert = (...a: Parameters<MemoryJobStore['insert']>) => this.shared.insert(...a);
  override update = (...a: Parameters<MemoryJobStore['update']>) => this.shared.update(...a);
  override list = (...a: Parameters<MemoryJobStore['list']>) => this.shared.list(...a);
  override countByState = () => this.shared.countByState();
  override delete = (...a: Parameters<MemoryJobStore['delete']>) => this.shared.delete(...a);
}

const handlers = (node: string): JobHandler[] => [{ kind: 'tag', async run() { return { result: { node } }; } }];

describe('BullMQ backend: a job that cannot be started (session 12)', () => {
  let redis: TestRedis;
  let dirs: { dir: string; cleanup: () => Promise<void> };
  let store: FailingStore;
  let api: Node;
  let worker: Node;
  let queue: Queue;

  before(async () => {
    redis = await TestRedis.start();
    dirs = await tempDir();
    const shared = new MemoryJobStore();
    store = new FailingStore(shared);
    const common = { url: redis.url, prefix: 'capped', dataDir: dirs.dir, handlers };
    api = await startNode({ ...common, store: shared, name: 'api', concurrency: 0 });
    worker = await startNode({ ...common, store, name: 'w', concurrency: 1, backend: { maxStartAttempts: 3, startRetryMs: 10 } });
    queue = new Queue('compute', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) }, prefix: 'capped' });
  });

  after(async () => {
    await queue?.close();
    for (const node of [api, worker]) await node?.close();
    await redis?.stop();
    await dirs?.cleanup();
  });

  it('fails the job with JOB_START_FAILED after maxStartAttempts takes, on its record, and drops its ticket', async () => {
    const id = randomUUID();
    store.failGets.set(id, 3); // the three takes' reads; the failure's own read succeeds
    await api.jobs.submit('tag', {}, { id });
    // Bounded: before, the ticket was put back for ever and the job stayed queued.
    const done = await api.jobs.waitUntilSettled(id, AbortSignal.timeout(120_000));
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.code, 'JOB_START_FAILED');
    assert.equal(done.error?.httpStatus, 500);
    assert.equal(done.error?.message, catalogueMessage('JOB_START_FAILED'));
    assert.ok((store.reads.get(id) ?? 0) >= 4, 'three takes, then the failure\'s read');
    await until(async () => !(await queue.getJob(id)), 'the ticket went', 20);
  });

  it('keeps the ticket while the store cannot record the failure either; the job runs once the store answers', async () => {
    const id = randomUUID();
    store.failGets.set(id, 1_000_000);
    await api.jobs.submit('tag', {}, { id });
    // Past the cap: every take also tries to record the failure, and that read fails too.
    await until(() => (store.reads.get(id) ?? 0) >= 8, 'eight reads of the record', 20);
    assert.ok(await queue.getJob(id), 'the ticket is still there');
    store.failGets.delete(id);
    const done = await api.jobs.waitUntilSettled(id, AbortSignal.timeout(120_000));
    assert.equal(done.state, 'completed');
    assert.equal(done.result?.node, 'w');
  });
});

describe('BullMQ backend: failed starts are counted anew once a run began (session 12)', () => {
  let redis: TestRedis;
  let dirs: { dir: string; cleanup: () => Promise<void> };
  let shared: MemoryJobStore;
  let api: Node;
  const workers: Node[] = [];
  const holding = new Set<string>();
  // On w1 a job runs until it is stopped; on w2 it ends at once.
  const held = (node: string): JobHandler[] => [{
    kind: 'hold',
    async run({ signal, job }) {
      if (node === 'w1') {
        holding.add(job.id);
        await untilAborted(signal);
      }
      return { result: { node } };
    },
  }];

  before(async () => {
    redis = await TestRedis.start();
    dirs = await tempDir();
    shared = new MemoryJobStore();
    api = await startNode({ url: redis.url, prefix: 'reset', dataDir: dirs.dir, handlers: held, store: shared, name: 'api', concurrency: 0 });
  });

  after(async () => {
    for (const node of [api, ...workers]) await node?.close();
    await redis?.stop();
    await dirs?.cleanup();
  });

  it('a job that failed to start twice, then ran and was put back (its worker stopped), is not failed at its next failed start', async () => {
    const common = { url: redis.url, prefix: 'reset', dataDir: dirs.dir, handlers: held, concurrency: 1, backend: { maxStartAttempts: 3, startRetryMs: 10 } };
    const id = randomUUID();
    const first = new FailingStore(shared);
    first.failGets.set(id, 2); // two takes fail, the third starts the run
    const w1 = await startNode({ ...common, store: first, name: 'w1' });
    workers.push(w1);
    await api.jobs.submit('hold', {}, { id });
    await until(() => holding.has(id), 'the run began on w1', 20);
    // The worker stops (as after a crash, the ticket goes back with the count it carries).
    await w1.close();
    assert.equal((await shared.get(id))?.state, 'queued');
    const second = new FailingStore(shared);
    second.failGets.set(id, 1); // one more failed start: the third in all, the first since the run
    workers.push(await startNode({ ...common, store: second, name: 'w2' }));
    const done = await api.jobs.waitUntilSettled(id, AbortSignal.timeout(120_000));
    // Before: the count was still 2, so this take made 3 = maxStartAttempts: JOB_START_FAILED.
    assert.equal(done.error?.code, undefined);
    assert.equal(done.state, 'completed');
    assert.equal(done.result?.node, 'w2');
  });
});
