/**
 * POST /analysis/detect-sources against the upstream pipeline run with photutils 1.6
 * (test/fixtures/detect/make_detect.py): auto's choice, the same sources, centroids within 0.01 px
 * for S/N > 20 (also with method iraf), validation messages.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const DIR = fileURLToPath(new URL('../fixtures/detect/', import.meta.url));

interface Ref {
  method: string;
  uniformity: number;
  rms_median: number;
  sources: { x: number; y: number; flux: number; peak: number }[];
}
interface Got {
  method: string;
  n_sources: number;
  sources: { xcentroid: number; ycentroid: number; flux: number; peak: number }[];
  background: { rms_median: number; rms_uniformity: number };
}

function compare(got: Got, ref: Ref, tol: number): void {
  assert.equal(got.method, ref.method);
  const bright = ref.sources.filter((s) => s.peak / ref.rms_median > 20);
  assert.ok(bright.length >= 5, 'the fixture has bright sources');
  for (const s of bright) {
    const m = got.sources.find((g) => Math.hypot(g.xcentroid - s.x, g.ycentroid - s.y) < 1);
    assert.ok(m, `source at (${s.x.toFixed(2)}, ${s.y.toFixed(2)}) found`);
    assert.ok(Math.abs(m.xcentroid - s.x) < tol && Math.abs(m.ycentroid - s.y) < tol, `centroid (${m.xcentroid}, ${m.ycentroid}) vs (${s.x}, ${s.y})`);
  }
  const gotBright = got.sources.filter((g) => g.peak / ref.rms_median > 20);
  assert.equal(gotBright.length, bright.length, 'no extra bright sources');
}

describe('POST /analysis/detect-sources', () => {
  let engine: TestEngine;
  let expected: Record<string, Ref>;
  before(async () => {
    engine = await startTestEngine();
    for (const f of ['uniform.fits', 'varying.fits']) await copyFile(join(DIR, f), join(engine.dataDir, f));
    expected = JSON.parse(await readFile(join(DIR, 'expected.json'), 'utf8')) as Record<string, Ref>;
  });
  after(async () => engine.dispose());
  const post = (body: object) => engine.app.inject({ method: 'POST', url: '/analysis/detect-sources', payload: body });

  it('auto picks DAOStarFinder on a uniform background; sources and centroids as photutils', async () => {
    const res = await post({ file_path: 'uniform.fits' });
    assert.equal(res.statusCode, 200, res.body);
    const got = res.json() as Got;
    compare(got, expected.uniform_auto as Ref, 0.01);
    assert.ok(Math.abs(got.background.rms_uniformity - (expected.uniform_auto as Ref).uniformity) < 0.02);
  });

  it('auto picks segmentation when the background RMS varies', async () => {
    const got = (await post({ file_path: 'varying.fits' })).json() as Got;
    compare(got, expected.varying_auto as Ref, 0.01);
  });

  it('segmentation on request', async () => {
    const got = (await post({ file_path: 'uniform.fits', method: 'segmentation' })).json() as Got;
    compare(got, expected.uniform_segmentation as Ref, 0.01);
  });

  for (const image of ['uniform', 'varying'] as const) {
    it(`iraf (IRAFStarFinder) on the ${image} image: sources, centroids and FWHMs as photutils`, async () => {
      const res = await post({ file_path: `${image}.fits`, method: 'iraf' });
      assert.equal(res.statusCode, 200, res.body);
      type Shape = { fwhm: number; sharpness: number; roundness: number };
      const got = res.json() as Omit<Got, 'sources'> & { sources: (Got['sources'][number] & Shape)[] };
      const ref = expected[`${image}_iraf`] as Omit<Ref, 'sources'> & { sources: (Ref['sources'][number] & Shape)[] };
      compare(got, ref, 0.01);
      assert.equal(got.n_sources, ref.sources.length, 'the same number of sources');
      for (const s of ref.sources) {
        const m = got.sources.find((g) => Math.hypot(g.xcentroid - s.x, g.ycentroid - s.y) < 0.01);
        assert.ok(m, `source at (${s.x}, ${s.y})`);
        for (const c of ['fwhm', 'sharpness', 'roundness'] as const) assert.ok(Math.abs(m[c] - s[c]) <= 1e-6 * Math.max(1, Math.abs(s[c])), `${c}: ${m[c]} vs ${s[c]}`);
      }
    });
  }

  it('validates like upstream', async () => {
    const bad = await post({ file_path: 'uniform.fits', method: 'magic' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().detail, "Invalid method 'magic'. Must be one of: auto, daofind, iraf, segmentation");
    assert.equal((await post({ file_path: 'uniform.fits', threshold_sigma: 0.5 })).statusCode, 422);
    assert.equal((await post({ file_path: 'uniform.fits', fwhm: 25 })).statusCode, 422);
  });
});
