import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { references } from '../analysis/fixtures.js';

interface RegionRef {
  region_type: string;
  bottom: Record<string, number>;
  top: Record<string, number>;
  [k: string]: unknown;
}

describe('POST /analysis/region-statistics against numpy', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await mkdir(join(engine.dataDir, 'corpus'), { recursive: true });
    for (const key of ['m13', 'miri'] as const) {
      await copyFile(join(FIXTURES_DIR, 'fits-corpus', references().images[key]!.file!), join(engine.dataDir, 'corpus', `${key}.fits`));
    }
  });
  after(async () => {
    await engine.dispose();
  });

  for (const key of ['m13', 'miri'] as const) {
    it(`rectangle, clamped rectangle, ellipse and polygon on ${key}, y_origin bottom and top`, async () => {
      const regions = (references() as unknown as { region_statistics: Record<string, RegionRef[]> }).region_statistics[key]!;
      for (const r of regions) {
        for (const origin of ['bottom', 'top'] as const) {
          const payload = { file_path: `corpus/${key}.fits`, region_type: r.region_type, [r.region_type]: r[r.region_type], y_origin: origin };
          const res = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload });
          assert.equal(res.statusCode, 200, res.body);
          const got = res.json();
          const want = r[origin];
          assert.equal(got.pixel_count, want.pixel_count, `${r.region_type} ${origin}`);
          for (const k of ['mean', 'median', 'std', 'min', 'max', 'sum']) {
            assert.ok(Math.abs(got[k] - want[k]!) <= 1e-9 * Math.max(1, Math.abs(want[k]!)), `${r.region_type} ${origin} ${k}: ${got[k]} vs ${want[k]}`);
          }
          assert.equal(got.y_origin, origin);
        }
      }
    });
  }

  it('defaults to the contract (y_origin bottom) and keeps its 400 messages', async () => {
    const rect = { x: 1, y: 2, width: 3, height: 4 };
    const a = (await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'rectangle', rectangle: rect } })).json();
    const b = (await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'rectangle', rectangle: rect, y_origin: 'bottom' } })).json();
    assert.deepEqual(a, b);
    const missing = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'ellipse' } });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().detail, "Ellipse region is required when region_type is 'ellipse'");
    const outside = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'rectangle', rectangle: { x: 5000, y: 5000, width: 3, height: 3 } } });
    assert.equal(outside.statusCode, 400);
    assert.equal(outside.json().detail, 'No valid pixels in selected region');
    const hdu = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'rectangle', rectangle: rect, hdu_index: 7 } });
    assert.equal(hdu.statusCode, 400);
    assert.equal(hdu.json().detail, 'HDU index 7 out of range (file has 1 HDUs)');
    const nofile = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/none.fits', region_type: 'rectangle', rectangle: rect } });
    assert.equal(nofile.statusCode, 404);
    const badOrigin = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'rectangle', rectangle: rect, y_origin: 'left' } });
    assert.equal(badOrigin.statusCode, 422);
    const badPolygon = await engine.app.inject({ method: 'POST', url: '/analysis/region-statistics', payload: { file_path: 'corpus/m13.fits', region_type: 'polygon', polygon: { points: [[1, 2], [3, 4]] } } });
    assert.equal(badPolygon.statusCode, 422);
  });
});
