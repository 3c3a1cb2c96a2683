import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { writeFits } from '../../src/fits/writer.js';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { syntheticPlane, syntheticTruth } from '../analysis/fixtures.js';

/** Parameters that make each algorithm meaningful on the synthetic image. */
const CASES: Record<string, Record<string, unknown>> = {
  statistics: {},
  sigma_clipped_statistics: { sigma: 3, maxiters: 5 },
  biweight: {},
  percentiles: { percentiles: [1, 50, 99.5] },
  snr: {},
  compare: { other_file_path: 'data/synthetic.fits' },
  background_2d: { box_size: 32, filter_size: 3 },
  segmentation: { nsigma: 3, npixels: 10, background: 'mesh', box_size: 32 },
  find_stars: { fwhm: 3, nsigma: 5 },
  estimate_fwhm: { fwhm: 2.5 },
  aperture_photometry: { positions: [[50.2, 60.7], [120, 100]], r: 4, r_in: 7, r_out: 11 },
  gaussian_filter: { sigma: 2 },
  median_filter: { size: 3 },
  box_filter: { size: 5, mode: 'nearest' },
  convolve: { kernel: 'box', width: 3 },
  unsharp_mask: { sigma: 2, amount: 1 },
  clean_outliers: { sigma: 5 },
  standard_pipeline: { box_size: 32 },
};

describe('GET /algorithms, POST /process, /process/jobs', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await mkdir(join(engine.dataDir, 'data'), { recursive: true });
    const plane = syntheticPlane();
    await writeFits(join(engine.dataDir, 'data', 'synthetic.fits'), [
      { axes: [] },
      {
        axes: [plane.width, plane.height],
        data: plane.data as Float32Array,
        extname: 'SCI',
        cards: [
          { keyword: 'CTYPE1', value: 'RA---TAN' },
          { keyword: 'CTYPE2', value: 'DEC--TAN' },
          { keyword: 'CRPIX1', value: 150.5 },
          { keyword: 'CRPIX2', value: 130.5 },
          { keyword: 'CRVAL1', value: 150.1 },
          { keyword: 'CRVAL2', value: 2.2 },
          { keyword: 'CDELT1', value: -8.7e-6 },
          { keyword: 'CDELT2', value: 8.7e-6 },
          { keyword: 'BUNIT', value: 'MJy/sr' },
        ],
      },
      { axes: [plane.width, plane.height], data: new Float32Array(plane.data.length).fill(0.5), extname: 'ERR' },
    ]);
    await copyFile(join(FIXTURES_DIR, 'fits-corpus', 'snoww3d-jwst_miri_small.fits'), join(engine.dataDir, 'data', 'miri.fits'));
  });
  after(async () => {
    await engine.dispose();
  });

  it('lists every algorithm with parameter and result schemas', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/algorithms' });
    assert.equal(res.statusCode, 200);
    const list = res.json().algorithms as Array<{ name: string; description: string; parameters: { type: string; properties: Record<string, { default?: unknown }> }; result: unknown; inputs: string[] }>;
    assert.deepEqual(list.map((a) => a.name).sort(), Object.keys(CASES).sort());
    for (const a of list) {
      assert.ok(a.description.length > 20, a.name);
      assert.equal(a.parameters.type, 'object');
      assert.ok(a.result);
      assert.ok(a.inputs.includes('image'));
    }
    const bg = list.find((a) => a.name === 'background_2d')!;
    assert.equal(bg.parameters.properties.box_size!.default, 50);
  });

  for (const [algorithm, parameters] of Object.entries(CASES)) {
    it(`runs ${algorithm} with defaults filled and outputs written`, async () => {
      const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'd1', file_path: 'data/synthetic.fits', algorithm, parameters } });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.status, 'completed');
      assert.equal(body.algorithm, algorithm);
      assert.equal(body.result_id, 'result_d1');
      assert.ok(body.timing.total_ms >= 0);
      assert.equal(body.image.extname, 'SCI');
      for (const [k, v] of Object.entries(parameters)) assert.deepEqual(body.parameters[k], v);
      assert.ok(Object.keys(body.parameters).length >= Object.keys(parameters).length);
      for (const f of body.output_files as string[]) {
        assert.match(f, /^processed\/[0-9a-f-]{36}\/synthetic_/);
        const file = await FitsFile.open(join(engine.dataDir, f));
        try {
          const h = file.hdus[0]!;
          assert.deepEqual([...h.axes], [300, 260]);
          assert.equal(h.header.getString('CTYPE1'), 'RA---TAN');
          const history = h.header.cards.filter((c) => c.keyword === 'HISTORY').map((c) => String(c.value ?? c.comment)).join(' ');
          assert.match(history, new RegExp(algorithm));
          await readPlane(file, 0);
        } finally {
          await file.close();
        }
      }
    });
  }

  it('gives meaningful results: statistics, segmentation catalogue with RA/Dec, photometry errors from ERR', async () => {
    const stats = (await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'statistics' } })).json();
    assert.equal(stats.results.n_pixels + stats.results.n_nan, 300 * 260);
    assert.ok(stats.results.n_nan > 400);
    const seg = (await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'segmentation', parameters: CASES.segmentation } })).json();
    assert.ok(seg.results.n_sources >= 20);
    const row = seg.results.catalog[0];
    assert.ok(Math.abs(row.sky_centroid_ra - 150.1) < 0.01 && Math.abs(row.sky_centroid_dec - 2.2) < 0.01);
    const phot = (await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'aperture_photometry', parameters: CASES.aperture_photometry } })).json();
    assert.equal(phot.results.error_source, 'ERR extension');
    // constant ERR 0.5 over a full r=4 aperture: sqrt(pi 16) * 0.5
    assert.ok(Math.abs(phot.results.photometry[0].aperture_sum_err - Math.sqrt(Math.PI * 16) * 0.5) < 1e-9);
    const stars = (await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'find_stars', parameters: { fwhm: 3, nsigma: 5, centroid: 'gaussian' } } })).json();
    const truth = syntheticTruth();
    const bright = truth.stars.filter((s) => s.amplitude_sigma > 100);
    for (const t of bright) {
      assert.ok(stars.results.stars.some((s: { xcentroid: number; ycentroid: number }) => Math.hypot(s.xcentroid - t.x, s.ycentroid - t.y) < 0.1));
    }
  });

  it('writes outputs the viewer endpoints can render', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'v', file_path: 'data/synthetic.fits', algorithm: 'background_2d', parameters: { box_size: 32 } } });
    const file = (res.json().output_files as string[]).find((f) => f.endsWith('_background_subtracted.fits'))!;
    const preview = await engine.app.inject({ method: 'GET', url: `/preview/v?file_path=${encodeURIComponent(file)}&width=100&height=100` });
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 200));
    assert.match(String(preview.headers['content-type']), /image\/png/);
  });

  it('saves the catalogues as ECSV and FITS tables (table_format) that the table routes read back equal', async () => {
    for (const [algorithm, key] of [['find_stars', 'stars'], ['segmentation', 'catalog']] as const) {
      const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 't', file_path: 'data/synthetic.fits', algorithm, parameters: CASES[algorithm], table_format: 'both' } });
      assert.equal(res.statusCode, 200, res.body.slice(0, 300));
      const body = res.json() as { results: Record<string, Array<Record<string, number>>>; output_files: string[] };
      const rows = body.results[key]!;
      assert.ok(rows.length > 5);
      const ecsv = body.output_files.find((f) => f.endsWith(`_${key}.ecsv`));
      const fits = body.output_files.find((f) => f.endsWith(`_${key}.fits`));
      assert.ok(ecsv && fits, body.output_files.join(', '));
      for (const [file, hdu] of [[ecsv, 0], [fits, 1]] as const) {
        const page = await engine.app.inject({ method: 'GET', url: `/analysis/table-data?file_path=${encodeURIComponent(file)}&hdu_index=${hdu}&page_size=500` });
        assert.equal(page.statusCode, 200, page.body.slice(0, 300));
        const p = page.json() as { total_rows: number; columns: Array<{ name: string; unit: string | null }>; rows: Array<Record<string, number | null>> };
        assert.equal(p.total_rows, rows.length, file);
        for (const c of ['xcentroid', 'ycentroid']) {
          rows.forEach((r, i) => assert.equal(p.rows[i]![c], r[c], `${file} row ${i} ${c}`));
        }
        assert.equal(p.columns.find((c) => c.name === 'xcentroid')?.unit, 'pix');
      }
    }
    const none = (await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 't', file_path: 'data/synthetic.fits', algorithm: 'find_stars', parameters: CASES.find_stars } })).json() as { output_files: string[] };
    assert.deepEqual(none.output_files, [], 'no tables unless asked');
    const bad = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 't', file_path: 'data/synthetic.fits', algorithm: 'find_stars', table_format: 'csv' } });
    assert.equal(bad.statusCode, 422);
  });

  it('reads a real JWST product (SCI with ERR) from the corpus', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'm', file_path: 'data/miri.fits', algorithm: 'sigma_clipped_statistics' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().image.extname, 'SCI');
  });

  it('answers 422 naming an unknown algorithm', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'basic_analysis', parameters: {} } });
    assert.equal(res.statusCode, 422);
    assert.match(res.json().detail, /Unknown algorithm 'basic_analysis'.*statistics/);
  });

  it('answers 422 naming bad, out-of-range and unknown parameters', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['sigma_clipped_statistics', { sigma: -1 }, /sigma/],
      ['sigma_clipped_statistics', { maxiters: 2.5 }, /maxiters/],
      ['background_2d', { box_size: 'big' }, /box_size/],
      ['segmentation', { connectivity: 6 }, /connectivity/],
      ['gaussian_filter', { mode: 'bounce' }, /mode/],
      ['aperture_photometry', {}, /positions/],
      ['statistics', { nonsense: 1 }, /unknown parameter 'nonsense'/],
    ];
    for (const [algorithm, parameters, re] of cases) {
      const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm, parameters } });
      assert.equal(res.statusCode, 422, `${algorithm} ${JSON.stringify(parameters)}: ${res.body}`);
      assert.match(res.json().detail, re);
    }
    const missing = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits' } });
    assert.equal(missing.statusCode, 422);
  });

  it('answers 404 for a missing file, 403 outside DATA_DIR, 422 for a box larger than the image', async () => {
    const res = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/nope.fits', algorithm: 'statistics' } });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().detail, 'File not found: nope.fits');
    const esc = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: '../etc/passwd', algorithm: 'statistics' } });
    assert.equal(esc.statusCode, 403);
    const big = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'background_2d', parameters: { box_size: 4000 } } });
    assert.equal(big.statusCode, 422);
    assert.match(big.json().detail, /box_size/);
    const other = await engine.app.inject({ method: 'POST', url: '/process', payload: { data_id: 'x', file_path: 'data/synthetic.fits', algorithm: 'compare', parameters: { other_file_path: 'data/missing.fits' } } });
    assert.equal(other.statusCode, 404);
  });

  it('runs a job with progress and returns the same result', async () => {
    const start = await engine.app.inject({ method: 'POST', url: '/process/jobs', payload: { data_id: 'j', file_path: 'data/synthetic.fits', algorithm: 'standard_pipeline', parameters: { box_size: 32 } } });
    assert.equal(start.statusCode, 202);
    const { job_id } = start.json();
    let job;
    for (let i = 0; i < 200; i++) {
      job = (await engine.app.inject({ method: 'GET', url: `/process/jobs/${job_id}` })).json();
      if (job.status === 'completed' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.equal(job.progress, 1);
    assert.equal(job.result.algorithm, 'standard_pipeline');
    assert.ok(job.result.results.detection.n_sources > 10);
    assert.equal(job.result.output_files.length, 4);
    const bad = await engine.app.inject({ method: 'POST', url: '/process/jobs', payload: { data_id: 'j', file_path: 'data/synthetic.fits', algorithm: 'nope' } });
    assert.equal(bad.statusCode, 422);
    const missing = await engine.app.inject({ method: 'GET', url: '/process/jobs/unknown' });
    assert.equal(missing.statusCode, 404);
  });
});
