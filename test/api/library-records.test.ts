/** The engine keeps library records: downloads register theirs, a scan at start-up finds files placed by hand. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeMast } from '../fake-mast/server.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { EVERYONE } from '../../src/library/index.js';
import { loadSettings, ConfigError } from '../../src/config.js';
import { writeProduct } from '../library/fixtures.js';

const OBS = 'jw01039-o004_t001_miri_ch3-long';
let fake: FakeMast;
let engine: TestEngine;

before(async () => {
  fake = await FakeMast.start({ imageSize: 64 });
  engine = await startTestEngine({ MAST_BASE_URL: fake.url, RETRY_BASE_DELAY: '0.01', AUTO_RESUME_DOWNLOADS: 'false' });
});
after(async () => {
  await engine.dispose();
  await fake.close();
});

describe('library records in the engine', () => {
  it('a completed download has its record (checksum from the download) before its job completes', async () => {
    const start = await engine.app.inject({ method: 'POST', url: '/mast/download/start-chunked', payload: { obs_id: OBS, product_type: 'SCIENCE' } });
    assert.equal(start.statusCode, 200, start.body);
    const jobId = (start.json() as { job_id: string }).job_id;
    let progress: { is_complete: boolean; files: Array<{ relative_path?: string; local_path: string }> } | undefined;
    for (let i = 0; i < 400; i++) {
      progress = (await engine.app.inject({ method: 'GET', url: `/mast/download/progress-chunked/${jobId}` })).json();
      if (progress!.is_complete) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(progress?.is_complete);
    const page = await engine.ctx.library.repo.list({ viewer: EVERYONE, limit: 100, observationId: OBS });
    assert.ok(page.records.length >= 1, 'records for the observation');
    for (const r of page.records) {
      assert.equal(r.source, 'download');
      assert.ok(r.path.startsWith(`mast/${OBS}/`), r.path);
      const bytes = await readFile(join(engine.dataDir, r.path));
      assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(r.sizeBytes, bytes.length);
    }
  });

  it('a file placed by hand is found by a scan', async () => {
    await writeProduct(engine.dataDir, { rel: 'hand/jw01234-o005_t002_miri_f770w_i2d.fits', instrument: 'MIRI', filter: 'F770W' });
    await engine.ctx.library.scan();
    const r = await engine.ctx.library.repo.getByPath('hand/jw01234-o005_t002_miri_f770w_i2d.fits');
    assert.equal(r?.calibrationLevel, 'L3');
    assert.equal(r?.source, 'scan');
  });

  it('DATABASE_URL must be a postgres URL; the SQLite file defaults to DATA_DIR/engine.db', () => {
    assert.throws(() => loadSettings({ DATABASE_URL: 'mysql://x' }), ConfigError);
    const s = loadSettings({ DATA_DIR: '/tmp/somewhere' });
    assert.equal(s.databaseFile, '/tmp/somewhere/engine.db');
    assert.equal(s.databaseUrl, undefined);
  });
});
