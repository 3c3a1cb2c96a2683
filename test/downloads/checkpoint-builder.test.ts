/**
 * The incremental checkpoint (issue #20, session 15): what a build saves equals the whole-object
 * form (`JSON.stringify(jobToJson(job))`, parsed) through a sequence of file changes, a file
 * changed after its form was cached is made again (every field), the stores write the spliced text
 * and read back the same record, and an old loader (`jobFromJson`) reads it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { CheckpointBuilder } from '../../src/downloads/checkpoint-builder.js';
import { jobFromJson, jobToJson, newFileEntry, type FileEntry, type Job } from '../../src/downloads/job.js';
import { SqliteJobStore } from '../../src/jobs/sqlite-store.js';
import { MemoryJobStore } from '../../src/jobs/store.js';
import { jsonTextOf, recordJson, type JobRecord, type JsonObject } from '../../src/jobs/types.js';

const NOW = new Date('2026-12-07T10:00:00.000Z');

function jobOf(n: number): Job {
  const files = Array.from({ length: n }, (_, i) => newFileEntry({
    filename: `f${i}_x1d.fits`, url: `http://mast/f${i}`, dataUri: `mast:JWST/product/f${i}_x1d.fits`,
    localPath: `/data/mast/obs/f${i}_x1d.fits`, relativePath: `mast/obs/f${i}_x1d.fits`, totalBytes: i % 7 === 0 ? undefined : 1000 + i,
  }));
  return {
    id: 'job-1', obsId: 'jw01234-o001_t001_nircam', productType: 'SCIENCE', calibLevel: [2, 3], subgroup: null, extension: ['fits'],
    productId: null, productFilenames: null, downloadDir: '/data/mast/obs', files, status: 'downloading', pauseReason: null,
    error: null, message: 'Downloading "files":[] \\ "quoted"', createdAt: NOW.toISOString(), startedAt: NOW.toISOString(),
    completedAt: null, updatedAt: NOW.toISOString(), owner: null, speedBytesPerSec: 12.5, currentFile: null,
  };
}

/** What the builder's state and text must be: the whole-object serialisation, parsed. */
function assertSameAsWhole(builder: CheckpointBuilder, job: Job): void {
  const state = builder.build(job, NOW);
  const whole = JSON.parse(JSON.stringify(jobToJson(job, NOW)));
  const text = jsonTextOf(state);
  assert.ok(text !== undefined, 'the state carries its text');
  assert.deepEqual(JSON.parse(text), whole);
  assert.deepEqual(JSON.parse(JSON.stringify(state)), whole);
  assert.ok(Object.isFrozen(state) && state.files.every((f) => Object.isFrozen(f)));
}

describe('incremental checkpoint', () => {
  it('saves what jobToJson gives, through a sequence of file changes (over several chunks)', () => {
    const job = jobOf(300);
    const b = new CheckpointBuilder();
    assertSameAsWhole(b, job);
    assert.equal(b.remade, 300);
    let seed = 7;
    const rnd = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
    for (let step = 0; step < 200; step++) {
      const f = job.files[rnd(job.files.length)]!;
      switch (rnd(8)) {
        case 0: f.status = 'downloading'; f.startedAt = new Date(NOW.getTime() + step).toISOString(); break;
        case 1: f.ranges = [[0, rnd(500) + 1]]; break;
        case 2: f.ranges = [[0, 10], [20, 30 + rnd(9)]]; f.sequential = false; break;
        case 3: f.status = 'complete'; f.sha256 = 'ab'.repeat(32); f.completedAt = NOW.toISOString(); f.fitsChecksum = 'valid'; break;
        case 4: f.status = 'failed'; f.error = `boom "${step}"`; break;
        case 5: f.totalBytes = f.totalBytes === undefined ? 4321 : undefined; break;
        case 6: f.fallbackUrl = f.fallbackUrl ? null : 'http://mast/fallback'; f.etag = `"e${step}"`; f.lastModified = 'Mon'; break;
        default: job.message = `step ${step}`; job.currentFile = f.filename; break;
      }
      if (step % 5 === 0) assertSameAsWhole(b, job);
    }
    // A file list replaced (a new run's list) and shortened.
    job.files = job.files.slice(0, 130);
    assertSameAsWhole(b, job);
    job.files = [];
    assertSameAsWhole(b, job);
  });

  it('makes a file again when any field changed after its form was cached, and only that file', () => {
    const job = jobOf(3);
    const b = new CheckpointBuilder();
    b.build(job, NOW);
    const changes: Array<[keyof FileEntry, (f: FileEntry) => void]> = [
      ['filename', (f) => void (f.filename = 'renamed.fits')],
      ['url', (f) => void (f.url = 'http://other/')],
      ['fallbackUrl', (f) => void (f.fallbackUrl = 'http://fallback/')],
      ['dataUri', (f) => void (f.dataUri = null)],
      ['localPath', (f) => void (f.localPath = '/elsewhere')],
      ['relativePath', (f) => void (f.relativePath = 'elsewhere')],
      ['totalBytes', (f) => void (f.totalBytes = (f.totalBytes ?? 0) + 1)],
      ['ranges', (f) => void (f.ranges = [[0, 5]])],
      ['sequential', (f) => void (f.sequential = !f.sequential)],
      ['status', (f) => void (f.status = 'paused')],
      ['error', (f) => void (f.error = 'x')],
      ['startedAt', (f) => void (f.startedAt = 'later')],
      ['completedAt', (f) => void (f.completedAt = 'done')],
      ['sha256', (f) => void (f.sha256 = 'cd'.repeat(32))],
      ['etag', (f) => void (f.etag = '"x"')],
      ['lastModified', (f) => void (f.lastModified = 'Tue')],
      ['fitsChecksum', (f) => void (f.fitsChecksum = 'absent')],
      ['upload', (f) => void (f.upload = { key: 'k', uploadId: 'u', partBytes: 5, parts: [], digest: { sha256: { h: [1], bytes: 0, tail: '' }, fits: {} } as never })],
    ];
    // Every field of a file is covered (a new field must be compared too).
    assert.deepEqual(changes.map(([k]) => k).sort(), Object.keys(job.files[0]!).sort());
    for (const [field, change] of changes) {
      const before = b.remade;
      change(job.files[1]!);
      assertSameAsWhole(b, job);
      assert.equal(b.remade - before, 1, `a change of ${field} makes that file again`);
    }
    // A range grown in place (the same array) is seen too.
    job.files[1]!.upload = null;
    b.build(job, NOW);
    const before = b.remade;
    (job.files[1]!.ranges[0] as [number, number])[1] = 9;
    assertSameAsWhole(b, job);
    assert.equal(b.remade - before, 1);
    // Nothing changed: nothing made again.
    const idle = b.remade;
    assertSameAsWhole(b, job);
    assert.equal(b.remade, idle);
  });

  it('by list position: a file reordered, replaced, added, removed or changed in place gets its right form; unchanged ones keep theirs (the same object)', () => {
    const job = jobOf(200);
    const b = new CheckpointBuilder();
    const first = b.build(job, NOW);
    const formOf = new Map(job.files.map((f, i) => [f, first.files[i]!]));
    /** Builds, checks against the whole form, and that each unchanged file's form is the one it had. */
    const check = (changed: ReadonlySet<FileEntry>, remade: number): void => {
      const before = b.remade;
      assertSameAsWhole(b, job);
      assert.equal(b.remade - before, remade);
      const state = b.build(job, NOW);
      job.files.forEach((f, i) => {
        if (!changed.has(f)) assert.equal(state.files[i], formOf.get(f), `file ${f.filename} keeps its form`);
        formOf.set(f, state.files[i]!);
      });
    };
    // Reordered (reversed, then two swapped): nothing made again, every form follows its file.
    job.files.reverse();
    check(new Set(), 0);
    [job.files[3], job.files[150]] = [job.files[150]!, job.files[3]!];
    check(new Set(), 0);
    // A FileEntry replaced by a new object with other fields at the same place.
    const replaced = { ...job.files[10]!, status: 'complete' as const, sha256: 'ab'.repeat(32) };
    job.files[10] = replaced;
    check(new Set([replaced]), 1);
    // Replaced by an equal copy: made again (a new entry), the same bytes.
    const copy = { ...job.files[11]!, ranges: job.files[11]!.ranges.map(([a, c]) => [a, c] as [number, number]) };
    job.files[11] = copy;
    check(new Set([copy]), 1);
    // A field changed in place, and a file moved and changed at once.
    const inPlace = job.files[20]!;
    inPlace.ranges = [[0, 77]];
    const moved = job.files[30]!;
    moved.status = 'failed';
    job.files.splice(30, 1);
    job.files.splice(5, 0, moved);
    check(new Set([inPlace, moved]), 2);
    // Grown (new files at the end and in the middle), then shrunk.
    const added = jobOf(230).files.slice(200);
    job.files.push(...added.slice(0, 20));
    job.files.splice(50, 0, ...added.slice(20));
    check(new Set(added), 30);
    job.files = job.files.slice(0, 120);
    check(new Set(), 0);
    // A file dropped from the list and put back later keeps its form when unchanged, is made again when changed.
    const out = job.files.pop()!;
    check(new Set(), 0);
    job.files.push(out);
    check(new Set(), 0);
    job.files.pop();
    check(new Set(), 0);
    out.error = 'changed while out of the list';
    job.files.push(out);
    check(new Set([out]), 1);
  });

  it('stores write the spliced text and read back the record the whole serialisation gives; the loader reads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-builder-'));
    const job = jobOf(100);
    job.files[3]!.status = 'complete';
    job.files[3]!.sha256 = 'ef'.repeat(32);
    const checkpoint = new CheckpointBuilder().build(job, NOW) as unknown as JsonObject;
    const record: JobRecord = {
      id: 'job-1', kind: 'download', state: 'running', progress: 0.5, stage: 'Downloading', createdAt: NOW.toISOString(), startedAt: null,
      finishedAt: null, updatedAt: NOW.toISOString(), owner: null, inputs: { obs_id: job.obsId }, result: null, outputs: [], error: null,
      pauseReason: null, attempts: 1, checkpoint,
    };
    assert.deepEqual(JSON.parse(recordJson(record)), JSON.parse(JSON.stringify(record)));
    const stores = [new SqliteJobStore(join(dir, 'jobs.sqlite')), new MemoryJobStore()];
    try {
      for (const store of stores) {
        await store.insert({ ...record, checkpoint: null });
        assert.equal(await store.update(record, ['running']), true);
        const back = (await store.get(record.id))!;
        assert.deepEqual(back, JSON.parse(JSON.stringify(record)));
        const loaded = jobFromJson({ ...back.checkpoint, job_id: back.id });
        assert.equal(loaded.files.length, 100);
        assert.equal(loaded.files[3]!.sha256, 'ef'.repeat(32));
        assert.deepEqual(JSON.parse(JSON.stringify(jobToJson(loaded, NOW))), JSON.parse(JSON.stringify(jobToJson(job, NOW))));
      }
    } finally {
      for (const store of stores) await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
