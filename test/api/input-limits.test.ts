/**
 * Issue #14, every input bounded: file lists are capped by settings (413 before any file is read),
 * repeated paths count once, and the footprint answer's overlapping pairs are paged with a count, so
 * neither the request nor the answer grows without bound.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeTile, type TileSpec } from './sky-files.js';

const tile = (i: number): TileSpec => ({ name: `lim/t${i}.fits`, ra: 150 + i * 2e-4, dec: 2, width: 20, height: 20, scale: 2e-4, value: () => i });

describe('bounded file lists and footprint overlaps', () => {
  let engine: TestEngine;
  let roomy: TestEngine;
  before(async () => {
    engine = await startTestEngine({ MAX_FOOTPRINT_OVERLAPS: '5', MAX_MOSAIC_FILES: '3', MAX_PHOTOMETRY_POSITIONS: '10' });
    roomy = await startTestEngine({ MAX_FOOTPRINT_FILES: '10000' });
    for (let i = 0; i < 8; i++) await writeTile(engine.dataDir, tile(i));
    await writeTile(roomy.dataDir, tile(0));
  });
  after(async () => {
    await engine.dispose();
    await roomy.dispose();
  });

  it('refuses 5,000 files with 413 {"detail"} before reading any, without memory growth', async () => {
    const rss = process.memoryUsage().rss;
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: Array(5000).fill('lim/t0.fits') } });
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().detail, /5000 files \(max 500, MAX_FOOTPRINT_FILES\)/);
    const asJob = await engine.app.inject({ method: 'POST', url: '/mosaic/footprint?async=true', payload: { file_paths: Array(5000).fill('lim/t0.fits') } });
    assert.equal(asJob.statusCode, 413, asJob.body);
    assert.ok(process.memoryUsage().rss - rss < 256 * 1024 ** 2, 'no memory blow-up');
  });

  it('refuses a list over the schema ceiling with 422', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: Array(10_001).fill('a.fits') } });
    assert.equal(res.statusCode, 422);
    assert.ok(Array.isArray(res.json().detail));
  });

  it('counts the same file named 5,000 times once when the limit allows the list', async () => {
    const res = await roomy.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths: [...Array(4999).fill('lim/t0.fits'), 'lim/./t0.fits'] } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.n_files, 1);
    assert.equal(body.footprints.length, 1);
    assert.equal(body.duplicates_removed, 4999);
    assert.deepEqual(body.overlaps, []);
    assert.equal(body.overlap_count, 0);
    assert.equal(body.overlaps_truncated, false);
  });

  it('caps the overlapping pairs at MAX_FOOTPRINT_OVERLAPS with their count, and pages through them', async () => {
    const file_paths = Array.from({ length: 8 }, (_, i) => `lim/t${i}.fits`);
    const first = (await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths } })).json();
    assert.equal(first.n_files, 8);
    assert.equal(first.overlap_count, 28, 'every pair of the eight overlapping tiles');
    assert.equal(first.overlaps.length, 5);
    assert.equal(first.overlaps_truncated, true);
    assert.deepEqual(first.overlaps.map((o: { a: number; b: number }) => [o.a, o.b]), [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5]]);
    const seen = [...first.overlaps];
    for (let offset = 5; offset < 28; offset += 5) {
      const page = (await engine.app.inject({ method: 'POST', url: '/mosaic/footprint', payload: { file_paths, overlap_offset: offset, overlap_limit: 50 } })).json();
      assert.equal(page.overlap_offset, offset);
      assert.ok(page.overlaps.length <= 5, 'overlap_limit is capped by the setting');
      assert.equal(page.overlaps_truncated, offset + page.overlaps.length < 28);
      seen.push(...page.overlaps);
    }
    assert.equal(seen.length, 28);
    assert.equal(new Set(seen.map((o) => `${o.a}-${o.b}`)).size, 28);
    assert.equal(seen[27].file_a, 'lim/t6.fits');
    assert.equal(seen[27].file_b, 'lim/t7.fits');
  });

  it('caps the tiles of a mosaic at MAX_MOSAIC_FILES (413 before any render)', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ file_path: `lim/t${i}.fits` }));
    const res = await engine.app.inject({ method: 'POST', url: '/mosaic/generate', payload: { files } });
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().detail, /4 files \(max 3, MAX_MOSAIC_FILES\)/);
  });

  it('caps the files of a composite at MAX_COMPOSITE_REQUEST_FILES over all channels (2,000 files: 413)', async () => {
    const channel = (n: number) => ({ file_paths: Array(n).fill('lim/t0.fits') });
    const res = await roomy.app.inject({ method: 'POST', url: '/composite/generate', payload: { red: channel(700), green: channel(700), blue: channel(600) } });
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().detail, /2000 files \(max 100, MAX_COMPOSITE_REQUEST_FILES\)/);
    const channels = await roomy.app.inject({ method: 'POST', url: '/composite/generate?async=true', payload: { channels: [channel(60), channel(41)] } });
    assert.equal(channels.statusCode, 413, channels.body);
  });

  it('caps aperture_photometry positions at MAX_PHOTOMETRY_POSITIONS (413), one answer row per allowed position', async () => {
    const positions = (n: number) => Array.from({ length: n }, (_, i) => [i % 20, Math.floor(i / 20)]);
    const body = (n: number) => ({ data_id: 'x', file_path: 'lim/t0.fits', algorithm: 'aperture_photometry', parameters: { positions: positions(n), r: 2 } });
    const over = await engine.app.inject({ method: 'POST', url: '/process', payload: body(11) });
    assert.equal(over.statusCode, 413, over.body);
    assert.match(over.json().detail, /11 positions \(max 10, MAX_PHOTOMETRY_POSITIONS\)/);
    const asJob = await engine.app.inject({ method: 'POST', url: '/process/jobs', payload: body(11) });
    assert.equal(asJob.statusCode, 413, asJob.body);
    const ok = await engine.app.inject({ method: 'POST', url: '/process', payload: body(10) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().results.photometry.length, 10);
    // Past the schema ceiling (100,000) positions are refused by the parameter schema itself.
    const ceiling = await roomy.app.inject({ method: 'POST', url: '/process', payload: body(100_001) });
    assert.equal(ceiling.statusCode, 422, ceiling.body.slice(0, 300));
    assert.match(ceiling.json().detail, /positions/);
  });
});
