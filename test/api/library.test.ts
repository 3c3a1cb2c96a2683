import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

describe('GET /library', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    const d = engine.dataDir;
    await mkdir(join(d, 'mast', 'jw02733-o001_t001_nircam_clear-f090w'), { recursive: true });
    await mkdir(join(d, 'mast', '.download_state'), { recursive: true });
    await mkdir(join(d, 'uploads'), { recursive: true });
    await writeFile(join(d, 'mast', 'jw02733-o001_t001_nircam_clear-f090w', 'b_i2d.fits'), Buffer.alloc(2880));
    await writeFile(join(d, 'mast', 'jw02733-o001_t001_nircam_clear-f090w', 'a_cal.fits'), Buffer.alloc(5760));
    await writeFile(join(d, 'mast', 'jw02733-o001_t001_nircam_clear-f090w', 'c_cal.fits.part'), Buffer.alloc(10));
    await writeFile(join(d, 'mast', '.download_state', 'x.json'), '{}');
    await writeFile(join(d, 'uploads', 'm31.fits.gz'), Buffer.alloc(100));
    await writeFile(join(d, 'notes.txt'), 'not fits');
  });
  after(async () => engine.dispose());

  it('lists FITS files by observation with paths relative to DATA_DIR', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/library' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.file_count, 3);
    assert.equal(body.truncated, false);
    assert.deepEqual(body.groups.map((g: { key: string; kind: string }) => [g.kind, g.key]), [
      ['observation', 'jw02733-o001_t001_nircam_clear-f090w'],
      ['folder', 'uploads'],
    ]);
    const obs = body.groups[0];
    assert.deepEqual(obs.files.map((f: { file_path: string }) => f.file_path), [
      'mast/jw02733-o001_t001_nircam_clear-f090w/a_cal.fits',
      'mast/jw02733-o001_t001_nircam_clear-f090w/b_i2d.fits',
    ]);
    assert.equal(obs.files[0].size_bytes, 5760);
    assert.ok(!JSON.stringify(body).includes(engine.dataDir), 'no absolute server paths');
  });

  it('answers /app with a redirect to /app/', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/app' });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/app/');
  });
});
