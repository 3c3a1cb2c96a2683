import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileJobStore } from '../../src/downloads/file-job-store.js';
import { MemoryJobStore } from '../../src/downloads/job-store.js';
import { jobFromJson, jobToJson, transition } from '../../src/downloads/job.js';
import { jobStoreConformance, sampleJob } from './job-store.conformance.js';
import { tempDir } from './helpers.js';

jobStoreConformance('MemoryJobStore', async () => ({ store: new MemoryJobStore(), dispose: async () => undefined }));
jobStoreConformance('FileJobStore', async () => {
  const t = await tempDir('jobstore-');
  return { store: new FileJobStore(t.dir), dispose: t.remove };
});

describe('FileJobStore specifics', () => {
  it('writes the contract layout (indent 2, snake_case) and leaves no temporary files', async () => {
    const t = await tempDir('jobstore-');
    try {
      const store = new FileJobStore(t.dir);
      await store.save(sampleJob('abc123'));
      const names = await readdir(join(t.dir, '.download_state'));
      assert.deepEqual(names, ['abc123.json']);
      const text = await readFile(join(t.dir, '.download_state', 'abc123.json'), 'utf8');
      assert.match(text, /^\{\n {2}"schema_version": 1,/);
      const json = JSON.parse(text);
      for (const key of ['job_id', 'obs_id', 'download_dir', 'files', 'total_bytes', 'downloaded_bytes', 'status', 'started_at', 'completed_at', 'error', 'saved_at']) assert.ok(key in json, key);
      for (const key of ['filename', 'url', 'local_path', 'total_bytes', 'downloaded_bytes', 'status', 'error', 'started_at', 'completed_at']) assert.ok(key in json.files[0], key);
      assert.equal(json.files[0].downloaded_bytes, 200);
    } finally {
      await t.remove();
    }
  });

  it('skips unreadable state files instead of failing, and reports them', async () => {
    const t = await tempDir('jobstore-');
    try {
      const bad: string[] = [];
      const store = new FileJobStore(t.dir, { onBadFile: (f) => bad.push(f) });
      await store.save(sampleJob('good1'));
      await writeFile(join(t.dir, '.download_state', 'broken.json'), '{"job_id": "broken", "files": [');
      await writeFile(join(t.dir, '.download_state', 'wrong.json'), JSON.stringify({ job_id: 'wrong', status: 'exploded', files: [] }));
      assert.deepEqual((await store.list()).map((j) => j.id), ['good1']);
      assert.deepEqual(bad.sort(), ['broken.json', 'wrong.json']);
    } finally {
      await t.remove();
    }
  });

  it('reads a state file written by the upstream Python engine (contract §3.5)', async () => {
    const t = await tempDir('jobstore-');
    try {
      await mkdir(join(t.dir, '.download_state'), { recursive: true });
      const upstream = {
        job_id: '0123456789ab', obs_id: 'jw02733-o001_t001_nircam_clear-f090w', download_dir: '/app/data/mast/jw02733-o001_t001_nircam_clear-f090w',
        files: [{ filename: 'x_i2d.fits', url: 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/x_i2d.fits', local_path: '/app/data/mast/jw02733-o001_t001_nircam_clear-f090w/x_i2d.fits', total_bytes: 5000, downloaded_bytes: 1200, status: 'downloading', error: null, started_at: '2026-02-13T10:00:00', completed_at: null }],
        total_bytes: 5000, downloaded_bytes: 1200, status: 'downloading', started_at: '2026-02-13T10:00:00', completed_at: null, error: null, saved_at: '2026-02-13T10:00:05.123456',
      };
      await writeFile(join(t.dir, '.download_state', '0123456789ab.json'), JSON.stringify(upstream, null, 2));
      const job = (await new FileJobStore(t.dir).load('0123456789ab'))!;
      assert.equal(job.status, 'downloading');
      assert.equal(job.files[0]!.totalBytes, 5000);
      assert.equal(job.files[0]!.sequential, true, 'upstream wrote in order: the .part size counts');
      assert.deepEqual(job.files[0]!.ranges, []);
    } finally {
      await t.remove();
    }
  });
});

describe('job state machine', () => {
  it('allows the documented transitions and never undoes a cancel', () => {
    const job = sampleJob('sm1', { status: 'queued', pauseReason: null });
    transition(job, 'fetching_products');
    transition(job, 'downloading');
    transition(job, 'paused');
    transition(job, 'queued');
    transition(job, 'downloading');
    transition(job, 'cancelled');
    for (const to of ['paused', 'queued', 'downloading', 'complete', 'failed'] as const) {
      assert.throws(() => transition(job, to), { httpStatus: 409 });
    }
    assert.equal(job.status, 'cancelled');
    assert.ok(job.completedAt);
  });

  it('complete is final too', () => {
    const job = sampleJob('sm2', { status: 'downloading' });
    transition(job, 'complete');
    assert.throws(() => transition(job, 'queued'));
  });

  it('rejects a saved job from a newer schema', () => {
    const json = { ...jobToJson(sampleJob('v9')), schema_version: 99 };
    assert.throws(() => jobFromJson(json), /newer than this engine/);
  });
});
