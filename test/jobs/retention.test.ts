import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { JobOutputRetention, MemoryJobStore, folderBytes, type JobHandler, type JobQuery, type JobService } from '../../src/jobs/index.js';
import { sampleRecord } from './store.conformance.js';
import { gate, makeService, tempDir, untilAborted } from './helpers.js';

const HOUR = 3_600_000;

/** Writes `inputs.bytes` bytes to its output folder. */
const writer: JobHandler = {
  kind: 'writer',
  async run({ inputs, outputDir, job }) {
    const dir = await outputDir();
    const size = Number(inputs.bytes);
    await writeFile(join(dir, 'out.bin'), Buffer.alloc(size, 1));
    return { result: {}, outputs: [{ name: 'out.bin', path: `processed/${job.id}/out.bin`, sizeBytes: size, mediaType: 'application/octet-stream' }] };
  },
};

/** Writes a file, then runs until it is stopped. */
const holder: JobHandler = {
  kind: 'holder',
  async run({ signal, outputDir }) {
    await writeFile(join(await outputDir(), 'partial.bin'), Buffer.alloc(100, 2));
    await untilAborted(signal);
    return {};
  },
};

async function finish(jobs: JobService, bytes: number): Promise<string> {
  const job = await jobs.submit('writer', { bytes });
  const done = await jobs.waitUntilSettled(job.id);
  assert.equal(done.state, 'completed');
  // The next job finishes in a later millisecond, so "finished first" is well defined.
  const t = Date.now();
  while (Date.now() === t) await new Promise((r) => setImmediate(r));
  return job.id;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Starts a `holder` job and resolves once its file is written (it then runs until stopped). */
async function startHolder(jobs: JobService): Promise<string> {
  const job = await jobs.submit('holder', {});
  for (let i = 0; i < 2000 && (await folderBytes(jobs.outputDirOf(job.id))) < 100; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal((await jobs.get(job.id))?.state, 'running');
  return job.id;
}

describe('job output retention', () => {
  it('removes finished jobs (record and folder) past the retention age, never a running one', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [writer, holder]);
    await jobs.start();
    let offset = 0;
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 24 * HOUR, maxBytes: 1e9, now: () => Date.now() + offset });
    try {
      const a = await finish(jobs, 10);
      const b = await finish(jobs, 10);
      const running = await startHolder(jobs);
      let report = await retention.prune();
      assert.deepEqual([report.expired, report.evicted, report.orphans], [[], [], []]);
      assert.equal(report.bytesBefore, 120);

      const c = await finish(jobs, 10);
      offset = 23 * HOUR; // within a day of every finish: nothing expires
      report = await retention.prune();
      assert.deepEqual(report.expired, []);
      // a and b finished two days ago (as their records say), c just now
      for (const id of [a, b]) {
        const job = (await jobs.store.get(id))!;
        job.finishedAt = new Date(Date.now() - 48 * HOUR).toISOString();
        await jobs.store.update(job);
      }
      offset = 0;
      report = await retention.prune();
      assert.deepEqual(report.expired.sort(), [a, b].sort());
      assert.equal(report.bytesAfter, 110);
      for (const id of [a, b]) {
        assert.equal(await jobs.get(id), undefined);
        assert.equal(await exists(jobs.outputDirOf(id)), false);
      }
      assert.equal((await jobs.get(c))?.state, 'completed');
      assert.equal((await jobs.get(running))?.state, 'running');
      assert.equal(await exists(join(jobs.outputDirOf(running), 'partial.bin')), true);
      await jobs.cancel(running);
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });

  it('asks the store for "finished before T" and for the folders\' records, never for every finished record', async () => {
    const { dir, cleanup } = await tempDir();
    const queries: JobQuery[] = [];
    const store = new (class extends MemoryJobStore {
      override list(query: JobQuery = {}) {
        queries.push(query);
        return super.list(query);
      }
    })();
    const jobs = makeService(dir, [writer], store);
    await jobs.start();
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 24 * HOUR, maxBytes: 1e9 });
    try {
      // 450 finished records without folders (downloads have none): three days old, or an hour.
      const at = (hoursAgo: number, i: number) => new Date(Date.now() - hoursAgo * HOUR + i).toISOString();
      for (let i = 0; i < 450; i++) {
        const hoursAgo = i % 3 === 0 ? 1 : 72;
        await store.insert(sampleRecord(`old-${i}`, { kind: 'writer', state: i % 2 ? 'completed' : 'failed', finishedAt: at(hoursAgo, i), updatedAt: at(hoursAgo, i) }));
      }
      const kept = await finish(jobs, 10); // with a folder
      queries.length = 0;
      const report = await retention.prune();
      const asked = [...queries];
      assert.equal(report.expired.length, 300, 'every record past the age, over more than one page');
      assert.equal((await store.list({ limit: 1000 })).total, 151);
      assert.equal((await jobs.get(kept))?.state, 'completed');
      for (const q of asked) assert.ok(q.finishedBefore !== undefined || q.ids !== undefined, `a narrow query: ${JSON.stringify(q)}`);
      assert.deepEqual(asked.find((q) => q.ids)?.ids, [kept]);
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });

  it('keeps the folders under the size bound, removing the jobs that finished first', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [writer, holder]);
    await jobs.start();
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 0, maxBytes: 350, now: () => Date.now() + 1000 * HOUR });
    try {
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await finish(jobs, 100));
      const running = await startHolder(jobs); // 100 bytes, counted, never removed
      const report = await retention.prune();
      assert.equal(report.bytesBefore, 500);
      assert.deepEqual(report.expired, [], 'retentionMs 0: no age bound');
      assert.deepEqual(report.evicted, ids.slice(0, 2));
      assert.equal(report.bytesAfter, 300);
      assert.equal(await jobs.get(ids[0]!), undefined);
      assert.equal((await jobs.get(ids[2]!))?.state, 'completed');
      assert.equal((await jobs.get(running))?.state, 'running');

      // Only running work left over the bound: nothing more can go.
      const tight = new JobOutputRetention({ service: jobs, retentionMs: 0, maxBytes: 1 });
      const second = await tight.prune();
      assert.deepEqual(second.evicted, ids.slice(2));
      assert.equal(second.bytesAfter, 100);
      assert.equal((await jobs.get(running))?.state, 'running');
      await tight.close();
      await jobs.cancel(running);
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });

  it('prunes after each run that ends on the node (start() hooks the service)', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [writer]);
    await jobs.start();
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 0, maxBytes: 150, intervalMs: 3_600_000, afterRunDelayMs: 0 });
    retention.start();
    try {
      const first = await finish(jobs, 100);
      const removed = gate();
      jobs.subscribe(first, (e) => {
        if (e.type === 'removed') removed.open();
      });
      const second = await finish(jobs, 100); // 200 bytes > 150: the first goes once the second ends
      // The after-run pass waits on an unref'd timer (it must not hold a process open): keep the
      // loop alive meanwhile, or the test runner finds nothing left to wait for and fails the file.
      const keepAlive = setInterval(() => undefined, 1000);
      try {
        await removed.wait;
      } finally {
        clearInterval(keepAlive);
      }
      assert.equal(await jobs.get(first), undefined);
      assert.equal(await exists(jobs.outputDirOf(first)), false);
      assert.equal((await jobs.get(second))?.state, 'completed');
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });

  it('deletes a (UUID-named) folder whose job is gone once it is older than the grace time; leaves loose files and other folders alone', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [writer]);
    await jobs.start();
    let now = Date.now();
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 0, maxBytes: 1e9, orphanGraceMs: HOUR, now: () => now });
    try {
      const kept = await finish(jobs, 10);
      const orphan = join(dir, 'processed', randomUUID());
      await mkdir(orphan, { recursive: true });
      await writeFile(join(orphan, 'left.fits'), Buffer.alloc(50));
      await writeFile(join(dir, 'processed', 'loose.fits'), Buffer.alloc(70));
      const byHand = join(dir, 'processed', 'my-notes');
      await mkdir(byHand);
      await writeFile(join(byHand, 'keep.txt'), Buffer.alloc(30));
      await utimes(byHand, new Date(0), new Date(0));
      const old = new Date(now - 10 * 60_000);
      await utimes(orphan, old, old);

      let report = await retention.prune();
      assert.deepEqual(report.orphans, [], 'younger than the grace time');
      assert.equal(report.bytesBefore, 60, 'loose files and folders that are no job\'s are not counted');

      now += 2 * HOUR;
      report = await retention.prune();
      assert.equal(report.orphans.length, 1);
      assert.equal(await exists(orphan), false);
      assert.equal(await exists(join(dir, 'processed', 'loose.fits')), true);
      assert.equal(await exists(join(byHand, 'keep.txt')), true, 'a folder that is no job\'s is never deleted');
      assert.equal((await jobs.get(kept))?.state, 'completed');
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });

  it('passes asked for during a pass share one pass after it', async () => {
    const { dir, cleanup } = await tempDir();
    const jobs = makeService(dir, [writer]);
    await jobs.start();
    const retention = new JobOutputRetention({ service: jobs, retentionMs: 0, maxBytes: 1e9 });
    try {
      await finish(jobs, 10);
      const first = retention.prune();
      const second = retention.prune();
      const third = retention.prune();
      assert.equal(second, third);
      assert.notEqual(first, second);
      assert.equal((await first).bytesBefore, 10);
      assert.equal((await third).bytesBefore, 10);
    } finally {
      await retention.close();
      await jobs.close();
      await cleanup();
    }
  });
});
