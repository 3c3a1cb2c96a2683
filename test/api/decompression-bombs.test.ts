/**
 * Issue #14 defect 3: a 680 kB gzip bomb (a 9000 x 9000 float64 image of zeros, 648 MB inflated)
 * given to /process with default settings is refused with 413 {"detail"} while it inflates (at
 * MAX_DECOMPRESSION_RATIO x its size), and leaves nothing in DATA_DIR/processed. The bomb is made
 * by the test, never committed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeGzipBomb } from '../helpers/bombs.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

describe('decompression bombs over HTTP', () => {
  let engine: TestEngine;
  let small: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    small = await startTestEngine({ MAX_FITS_FILE_SIZE_MB: '8', MAX_DECOMPRESSION_RATIO: '0' });
    const size = await writeGzipBomb(join(engine.dataDir, 'bomb.fits.gz'), -64, 9000, 9000);
    assert.ok(size < 700_000, `bomb of ${size} bytes`);
    await writeGzipBomb(join(small.dataDir, 'bomb.fits.gz'), -32, 2048, 2048);
  });
  after(async () => {
    await engine.dispose();
    await small.dispose();
  });

  const run = (e: TestEngine, url: string) => e.app.inject({
    method: 'POST', url, payload: { data_id: 'bomb', file_path: 'bomb.fits.gz', algorithm: 'background_2d' },
  });

  it('refuses the bomb with 413 while inflating and writes nothing to DATA_DIR/processed', async () => {
    const res = await run(engine, '/process');
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(typeof res.json().detail, 'string');
    assert.match(res.json().detail, /expands more than 200 times its compressed size/);
    assert.deepEqual(await filesUnder(join(engine.dataDir, 'processed')), []);
    assert.deepEqual(await readdir(join(engine.dataDir, 'processed')).catch(() => []), [], 'no job folder left');
  });

  it('refuses it as a job too: the job fails with 413 and its folder is removed', async () => {
    const res = await run(engine, '/process/jobs');
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().job_id;
    let job;
    for (let i = 0; i < 600; i++) {
      job = (await engine.app.inject({ method: 'GET', url: `/process/jobs/${id}` })).json();
      if (job.status === 'failed' || job.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(job.status, 'failed');
    assert.equal(job.error.status_code, 413);
    assert.deepEqual(await readdir(join(engine.dataDir, 'processed')).catch(() => []), []);
  });

  it('refuses the viewer too (413 naming MAX_DECOMPRESSION_RATIO)', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/thumbnail', payload: { file_path: 'bomb.fits.gz' } });
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().detail, /MAX_DECOMPRESSION_RATIO/);
  });

  it('holds the decompressed size to MAX_FITS_FILE_SIZE_MB while inflating when the ratio check is off', async () => {
    const res = await run(small, '/process');
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().detail, /decompressed file is larger than the limit of 8388608 bytes/);
    assert.deepEqual(await readdir(join(small.dataDir, 'processed')).catch(() => []), []);
  });
});
