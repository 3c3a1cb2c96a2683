/**
 * The contract every JobStore must meet (in-memory, JSON files, and any later distributed store).
 * Call `jobStoreConformance(name, makeStore)` from a test file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobStore } from '../../src/downloads/job-store.js';
import { newFileEntry, type Job } from '../../src/downloads/job.js';

export function sampleJob(id: string, overrides: Partial<Job> = {}): Job {
  const now = new Date('2026-01-02T03:04:05.000Z').toISOString();
  return {
    id,
    obsId: 'jw02733-o001_t001_nircam_clear-f090w',
    productType: 'SCIENCE',
    calibLevel: [2, 3],
    subgroup: ['I2D'],
    extension: null,
    productId: null,
    productFilenames: ['a_i2d.fits', 'b_cal.fits'],
    downloadDir: '/data/mast/jw02733-o001_t001_nircam_clear-f090w',
    files: [
      {
        filename: 'a_i2d.fits',
        url: 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/a_i2d.fits',
        dataUri: 'mast:JWST/product/a_i2d.fits',
        localPath: '/data/mast/jw02733-o001_t001_nircam_clear-f090w/a_i2d.fits',
        relativePath: 'mast/jw02733-o001_t001_nircam_clear-f090w/a_i2d.fits',
        totalBytes: 1000,
        ranges: [[0, 100], [200, 300]],
        sequential: false,
        status: 'paused',
        error: null,
        startedAt: now,
        completedAt: null,
        sha256: null,
        etag: '"abc"',
        lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT',
        fitsChecksum: null,
      },
      // Not started yet, size unknown.
      newFileEntry({
        filename: 'b_cal.fits',
        url: 'https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/b_cal.fits',
        dataUri: null,
        localPath: '/data/mast/jw02733-o001_t001_nircam_clear-f090w/b_cal.fits',
        relativePath: 'mast/jw02733-o001_t001_nircam_clear-f090w/b_cal.fits',
        totalBytes: undefined,
      }),
    ],
    status: 'paused',
    pauseReason: 'user',
    error: null,
    message: 'Download paused',
    createdAt: now,
    startedAt: now,
    completedAt: null,
    updatedAt: now,
    ...overrides,
  };
}

/** Everything but the save timestamp must survive a round trip exactly. */
function comparable(job: Job): Omit<Job, 'updatedAt'> {
  const { updatedAt: _ignored, ...rest } = job;
  return rest;
}

export function jobStoreConformance(name: string, makeStore: () => Promise<{ store: JobStore; dispose(): Promise<void> }>): void {
  describe(`JobStore conformance: ${name}`, () => {
    const withStore = (fn: (store: JobStore) => Promise<void>) => async () => {
      const { store, dispose } = await makeStore();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    };

    it('round-trips a job exactly (ranges, unknown sizes, validators, statuses)', withStore(async (store) => {
      const job = sampleJob('job_a1');
      await store.save(job);
      const loaded = await store.load('job_a1');
      assert.ok(loaded);
      assert.deepEqual(comparable(loaded), comparable(job));
    }));

    it('answers undefined for unknown and malformed ids, never throws', withStore(async (store) => {
      assert.equal(await store.load('nope'), undefined);
      assert.equal(await store.load('../../etc/passwd'), undefined);
      assert.equal(await store.load(''), undefined);
    }));

    it('refuses to save a job whose id could escape the store', withStore(async (store) => {
      await assert.rejects(store.save(sampleJob('../evil')));
    }));

    it('overwrites: the last save wins', withStore(async (store) => {
      await store.save(sampleJob('job_b'));
      await store.save(sampleJob('job_b', { status: 'cancelled', error: 'Cancelled by user' }));
      const loaded = await store.load('job_b');
      assert.equal(loaded?.status, 'cancelled');
      assert.equal(loaded?.error, 'Cancelled by user');
    }));

    it('returns copies: changing a loaded job does not change the store', withStore(async (store) => {
      await store.save(sampleJob('job_c'));
      const loaded = (await store.load('job_c'))!;
      loaded.status = 'failed';
      loaded.files[0]!.ranges.push([500, 600]);
      const again = (await store.load('job_c'))!;
      assert.equal(again.status, 'paused');
      assert.equal(again.files[0]!.ranges.length, 2);
    }));

    it('lists every saved job and forgets deleted ones; deleting twice is fine', withStore(async (store) => {
      await store.save(sampleJob('job_d1'));
      await store.save(sampleJob('job_d2'));
      assert.deepEqual((await store.list()).map((j) => j.id).sort(), ['job_d1', 'job_d2']);
      await store.delete('job_d1');
      await store.delete('job_d1');
      assert.deepEqual((await store.list()).map((j) => j.id), ['job_d2']);
      assert.equal(await store.load('job_d1'), undefined);
    }));

    it('keeps concurrent saves of different jobs apart and of one job whole', withStore(async (store) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(sampleJob(`job_e${i % 4}`, { message: `save ${i}` }))));
      const jobs = await store.list();
      assert.equal(jobs.length, 4);
      for (const j of jobs) assert.match(j.message, /^save \d+$/);
    }));
  });
}
