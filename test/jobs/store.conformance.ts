/**
 * The contract every job-core JobStore meets (memory, SQLite, and later PostgreSQL or Redis).
 * Call `jobStoreConformance(name, makeStore)` from a test file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRecord, JobStore } from '../../src/jobs/index.js';

export function sampleRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    kind: 'analysis',
    state: 'queued',
    progress: 0,
    stage: 'Queued',
    createdAt: '2026-01-02T03:04:05.000Z',
    startedAt: null,
    finishedAt: null,
    updatedAt: '2026-01-02T03:04:05.000Z',
    owner: null,
    inputs: { file_path: 'a.fits', parameters: { sigma: 3, nested: [1, null, 'x'] } },
    result: null,
    outputs: [],
    error: null,
    pauseReason: null,
    attempts: 0,
    checkpoint: null,
    ...overrides,
  };
}

export function jobStoreConformance(name: string, makeStore: () => Promise<{ store: JobStore; reopen?: () => Promise<JobStore>; cleanup?: () => Promise<void> }>): void {
  describe(`JobStore conformance: ${name}`, () => {
    it('keeps every field of a record through insert, update and get', async () => {
      const { store, cleanup } = await makeStore();
      try {
        const job = sampleRecord('a1');
        await store.insert(job);
        assert.deepEqual(await store.get('a1'), job);
        const done = sampleRecord('a1', {
          state: 'completed', progress: 1, stage: 'Completed', startedAt: '2026-01-02T03:04:06.000Z', finishedAt: '2026-01-02T03:04:07.000Z',
          result: { mean: 1.5, ok: true }, outputs: [{ name: 'o.fits', path: 'processed/a1/o.fits', sizeBytes: 2880, mediaType: 'application/fits' }],
          error: null, attempts: 1, checkpoint: { files: [{ ranges: [[0, 10]] }] }, owner: 'u1',
        });
        assert.equal(await store.update(done), true);
        assert.deepEqual(await store.get('a1'), done);
        assert.equal(await store.get('nope'), undefined);
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('refuses a second insert of the same id', async () => {
      const { store, cleanup } = await makeStore();
      try {
        await store.insert(sampleRecord('dup'));
        await assert.rejects(store.insert(sampleRecord('dup')));
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('updates conditionally on the stored state (terminal states stick)', async () => {
      const { store, cleanup } = await makeStore();
      try {
        await store.insert(sampleRecord('c1', { state: 'running' }));
        assert.equal(await store.update(sampleRecord('c1', { state: 'cancelled' }), ['queued', 'running']), true);
        assert.equal(await store.update(sampleRecord('c1', { state: 'completed' }), ['running']), false);
        assert.equal((await store.get('c1'))?.state, 'cancelled');
        assert.equal(await store.update(sampleRecord('gone', { state: 'completed' })), false);
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('lists newest first with kind, state and owner filters, paging and a total', async () => {
      const { store, cleanup } = await makeStore();
      try {
        for (let i = 0; i < 7; i++) {
          await store.insert(sampleRecord(`j${i}`, {
            kind: i % 2 ? 'download' : 'analysis', state: i < 3 ? 'completed' : 'queued', owner: i === 6 ? 'bob' : null,
            createdAt: `2026-01-02T03:04:0${i}.000Z`,
          }));
        }
        const all = await store.list({ limit: 3 });
        assert.equal(all.total, 7);
        assert.deepEqual(all.jobs.map((j) => j.id), ['j6', 'j5', 'j4']);
        const next = await store.list({ limit: 3, offset: 3 });
        assert.deepEqual(next.jobs.map((j) => j.id), ['j3', 'j2', 'j1']);
        const downloads = await store.list({ kinds: ['download'] });
        assert.deepEqual(downloads.jobs.map((j) => j.id), ['j5', 'j3', 'j1']);
        const queuedAnalyses = await store.list({ kinds: ['analysis'], states: ['queued'] });
        assert.deepEqual(queuedAnalyses.jobs.map((j) => j.id), ['j6', 'j4']);
        assert.deepEqual((await store.list({ owner: 'bob' })).jobs.map((j) => j.id), ['j6']);
        assert.equal((await store.list({ owner: null })).total, 6);
        const counts = await store.countByState();
        assert.equal(counts.completed, 3);
        assert.equal(counts.queued, 4);
        assert.equal(counts.running, 0);
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('selects by ids and by "finished before T" (finishedAt, else the last write of a finished record)', async () => {
      const { store, cleanup } = await makeStore();
      try {
        const at = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;
        await store.insert(sampleRecord('f1', { state: 'completed', finishedAt: at(10), updatedAt: at(10) }));
        await store.insert(sampleRecord('f2', { state: 'failed', finishedAt: at(20), updatedAt: at(20) }));
        await store.insert(sampleRecord('f3', { state: 'cancelled', finishedAt: null, updatedAt: at(15) }));
        await store.insert(sampleRecord('r1', { state: 'running', updatedAt: at(5) }));
        // A record written again keeps its column in step: f4 finishes late, f2 is retried (queued, not finished).
        await store.insert(sampleRecord('f4', { state: 'running', updatedAt: at(1) }));
        assert.equal(await store.update(sampleRecord('f4', { state: 'completed', finishedAt: at(30), updatedAt: at(30) })), true);
        const ids = async (q: Parameters<JobStore['list']>[0]) => (await store.list(q)).jobs.map((j) => j.id).sort();
        assert.deepEqual(await ids({ finishedBefore: at(16) }), ['f1', 'f3']);
        assert.deepEqual(await ids({ finishedBefore: at(10) }), [], 'strictly before');
        assert.deepEqual(await ids({ finishedBefore: at(59) }), ['f1', 'f2', 'f3', 'f4']);
        assert.equal((await store.list({ finishedBefore: at(59), states: ['failed'] })).total, 1);
        assert.equal(await store.update(sampleRecord('f2', { state: 'queued', finishedAt: null, updatedAt: at(40) })), true);
        assert.deepEqual(await ids({ finishedBefore: at(59) }), ['f1', 'f3', 'f4']);
        assert.deepEqual(await ids({ ids: ['f1', 'r1', 'nope'] }), ['f1', 'r1']);
        assert.deepEqual(await ids({ ids: [] }), []);
        assert.deepEqual(await ids({ ids: ['f1', 'f3', 'r1'], finishedBefore: at(12) }), ['f1']);
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('lists summaries (id, kind, state, owner, creation and last write) of the jobs and in the order list gives, with its filters', async () => {
      const { store, cleanup } = await makeStore();
      try {
        const at = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;
        for (let i = 0; i < 7; i++) {
          await store.insert(sampleRecord(`s${i}`, {
            kind: i % 2 ? 'download' : 'analysis', state: i < 3 ? 'completed' : 'queued', owner: i === 6 ? 'bob' : null,
            createdAt: at(i % 4), updatedAt: at(10 + i), checkpoint: { files: [{ name: `f${i}` }] },
          }));
        }
        assert.equal(await store.update(sampleRecord('s3', { kind: 'download', state: 'failed', createdAt: at(3), updatedAt: at(40), checkpoint: { files: [] } })), true);
        const queries: Parameters<JobStore['list']>[0][] = [
          {}, { limit: 3 }, { limit: 3, offset: 3 }, { kinds: ['download'] }, { states: ['completed', 'failed'] }, { owner: 'bob' }, { owner: null },
          { ids: ['s1', 's3', 'nope'] }, { ids: [] }, { kinds: ['download'], limit: 100, withoutCheckpoint: ['s1'] },
        ];
        for (const q of queries) {
          const want = (await store.list(q)).jobs.map((j) => ({ id: j.id, kind: j.kind, state: j.state, owner: j.owner, createdAt: j.createdAt, updatedAt: j.updatedAt }));
          assert.deepEqual(await store.listSummaries(q), want, JSON.stringify(q));
        }
        assert.deepEqual((await store.listSummaries({ ids: ['s3'] }))[0], { id: 's3', kind: 'download', state: 'failed', owner: null, createdAt: at(3), updatedAt: at(40) });
      } finally {
        await store.close();
        await cleanup?.();
      }
    });

    it('deletes (an unknown id is fine) and keeps records across a reopen', async () => {
      const { store, reopen, cleanup } = await makeStore();
      let current = store;
      try {
        await store.insert(sampleRecord('d1'));
        await store.insert(sampleRecord('d2'));
        await store.delete('d1');
        await store.delete('never');
        assert.equal(await store.get('d1'), undefined);
        if (reopen) {
          await store.close();
          current = await reopen();
          assert.deepEqual(await current.get('d2'), sampleRecord('d2'));
        }
      } finally {
        await current.close();
        await cleanup?.();
      }
    });
  });
}
