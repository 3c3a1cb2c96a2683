/**
 * The registry entries themselves (parameters, defaults, wiring), on the reference images: every
 * algorithm's answer against photutils / astropy / scipy / numpy.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { algorithms } from '../../src/analysis/algorithms/index.js';
import type { AlgorithmOutput } from '../../src/analysis/registry.js';
import { IMAGE_KEYS, gridMaxRelDiff, referencePlane, references, relClose, runLength, sampleGrid } from './fixtures.js';
import type { ImagePlane } from '../../src/core/image-plane.js';

function run(name: string, input: { plane: ImagePlane; error?: ImagePlane; other?: ImagePlane }, params: Record<string, unknown> = {}): AlgorithmOutput {
  return algorithms.run(name, input, params).output;
}

function close(got: unknown, want: number | null, rel: number, what: string, abs = 1e-12): void {
  if (want === null) return assert.equal(got, null, what);
  assert.ok(typeof got === 'number' && relClose(got, want, rel, abs), `${what}: ${String(got)} vs ${want}`);
}

describe('registry algorithms against the reference stack', () => {
  it('has the 18 stable names', () => {
    assert.deepEqual(algorithms.names, [
      'statistics', 'sigma_clipped_statistics', 'biweight', 'percentiles', 'snr', 'compare', 'background_2d', 'segmentation', 'find_stars',
      'estimate_fwhm', 'aperture_photometry', 'gaussian_filter', 'median_filter', 'box_filter', 'convolve', 'unsharp_mask', 'clean_outliers', 'standard_pipeline',
    ]);
  });

  for (const key of IMAGE_KEYS) {
    it(`statistics family on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const st = run('statistics', { plane }).results;
      for (const k of ['min', 'max', 'mean', 'median', 'std', 'sum']) close(st[k], ref.statistics[k], 1e-9, k);
      const sc = run('sigma_clipped_statistics', { plane }).results;
      for (const k of ['mean', 'median', 'std']) close(sc[k], ref.sigma_clipped_statistics[k], 1e-9, `clipped ${k}`);
      const sm = run('sigma_clipped_statistics', { plane }, { sigma: 2.5, maxiters: 10, cenfunc: 'mean' }).results;
      for (const k of ['mean', 'median', 'std']) close(sm[k], ref['sigma_clipped_statistics_mean_2.5_10'][k], 1e-9, `clipped mean ${k}`);
      const bw = run('biweight', { plane }).results;
      for (const k of ['biweight_location', 'biweight_scale', 'mad_std']) close(bw[k], ref.biweight[k], 1e-9, k);
      const pc = run('percentiles', { plane }, { percentiles: ref.percentiles.q }).results.percentiles as Record<string, number>;
      ref.percentiles.q.forEach((q: number, i: number) => close(pc[`p${q}`], ref.percentiles.values[i], 1e-9, `p${q}`));
      const snr = run('snr', { plane }).results;
      for (const k of ['peak_snr', 'mean_snr', 'background', 'noise']) close(snr[k], ref.snr[k], 1e-9, `snr ${k}`);
      const other = { width: plane.width, height: plane.height, data: Float64Array.from(plane.data, (v) => v * 1.5 + 2) };
      const cmp = run('compare', { plane, other }, { other_file_path: 'x' }).results;
      for (const k of ['mean_diff', 'median_diff', 'std_diff', 'max_diff', 'rms_diff']) close(cmp[k], ref.compare[k], 1e-9, `compare ${k}`);
      assert.equal(cmp.n_pixels, ref.compare.n_pixels);
    });

    it(`background_2d, segmentation-free filters and photometry algorithms on ${key}`, async () => {
      const { plane, err } = await referencePlane(key);
      const img = references().images[key]!;
      const ref = img.results;
      const step = references().grid_step;
      const bg = run('background_2d', { plane }, { box_size: img.params.box, filter_size: 3 });
      const bgImage = bg.images!.find((i) => i.name === 'background')!;
      // outputs are float32 images: compare at float32 precision
      const d = gridMaxRelDiff(sampleGrid(bgImage.data, plane.width, plane.height), ref.background_2d_stable_idw.grid);
      assert.ok(d.max < 1e-4, `background ${d.max} ${d.where}`);
      const g = run('gaussian_filter', { plane }, { sigma: 1.5, mode: 'constant', cval: 1 }).images![0]!;
      const gd = gridMaxRelDiff(sampleGrid(g.data, plane.width, plane.height), ref.gaussian_filter_constant.grid.map((row: Array<number | null>, j: number) =>
        row.map((v, i) => (nanNear(plane, i * step, j * step, 6) ? null : v))));
      assert.ok(gd.max < 1e-6, `gaussian ${gd.max} ${gd.where}`);
      const c = run('convolve', { plane }, { kernel: 'gaussian', stddev: 2 }).images![0]!;
      const cd = gridMaxRelDiff(sampleGrid(c.data, plane.width, plane.height), ref.convolve.grid);
      assert.ok(cd.max < 1e-6, `convolve ${cd.max} ${cd.where}`);
      const u = run('unsharp_mask', { plane }, { sigma: 2, amount: 1.5 }).images![0]!;
      const ud = gridMaxRelDiff(sampleGrid(u.data, plane.width, plane.height), ref.unsharp_mask.grid, 1e-3);
      assert.ok(ud.max < 1e-5, `unsharp ${ud.max} ${ud.where}`);
      const cl = run('clean_outliers', { plane }, { sigma: 5, maxiters: 3 });
      assert.equal(cl.results.n_replaced, ref.clean_outliers.n_replaced);
      const ap = ref.aperture_photometry;
      const error = err ?? { width: plane.width, height: plane.height, data: new Float32Array(plane.data.length).fill(0.5) };
      const phot = run('aperture_photometry', { plane, error }, { positions: ap.positions, r: ap.r }).results.photometry as Array<Record<string, number | null>>;
      phot.forEach((row, i) => {
        if (ap.circular_sum[i] === null) return;
        close(row.aperture_sum, ap.circular_sum[i], 1e-6, `aperture_sum[${i}]`);
      });
      const ann = run('aperture_photometry', { plane }, { positions: ap.positions, r: ap.r, r_in: ap.r_in, r_out: ap.r_out }).results.photometry as Array<Record<string, number | null>>;
      ann.forEach((row, i) => {
        if (ap.annulus_median[i] === null) return;
        close(row.annulus_median, ap.annulus_median[i], 1e-9, `annulus_median[${i}]`);
        close(row.aperture_bkg, ap.annulus_median[i] * ap.area_overlap[i], 1e-9, `aperture_bkg[${i}]`);
      });
    });

    it(`segmentation (global background, smoothing, deblending) on ${key}: same labels and fluxes`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results.segmentation_algorithm;
      const params = references().images[key]!.params;
      const out = run('segmentation', { plane }, { nsigma: 3, npixels: params.npixels, kernel_fwhm: params.fwhm });
      assert.equal(out.results.n_sources, ref.n_sources);
      if (ref.n_sources === 0) return;
      assert.deepEqual(runLength(out.images![0]!.data as Int32Array), ref.rle);
      (out.results.catalog as Array<{ segment_flux: number }>).forEach((row, i) => close(row.segment_flux, ref.segment_flux[i], 1e-8, `flux ${i}`));
    });

    it(`find_stars and standard_pipeline on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const params = references().images[key]!.params;
      const fs = run('find_stars', { plane }, { fwhm: ref.find_stars.fwhm, threshold: ref.find_stars.threshold }).results;
      assert.equal(fs.n_sources, ref.find_stars.rows.length);
      (fs.stars as Array<Record<string, number>>).forEach((s, i) => {
        close(s.xcentroid, ref.find_stars.rows[i].xcentroid, 1e-8, 'xcentroid');
        close(s.flux, ref.find_stars.rows[i].flux, 1e-8, 'flux');
      });
      const sp = ref.standard_pipeline;
      const out = run('standard_pipeline', { plane }, { box_size: params.box });
      const r = out.results as { background: { background_median: number }; statistics: Record<string, number>; detection: { n_sources: number; catalog: Array<{ segment_flux: number }> } };
      close(r.background.background_median, sp.background_median, 1e-6, 'pipeline background median');
      // scipy 1.10's reflect-mode spline prefilter has an aliasing slip worth ~z^(2n) (z = sqrt(3) - 2)
      // on meshes only n boxes wide; we solve the boundary exactly, so on MIRI's 4x4 mesh the
      // background differs by ~2e-5 relative, which moves near-zero means by ~1e-6 absolute
      const abs = 1e-5 * Math.abs(sp.background_median);
      for (const k of ['clipped_mean', 'clipped_median', 'clipped_std', 'mean']) close(r.statistics[k], sp[k], 1e-6, `pipeline ${k}`, abs);
      assert.equal(r.detection.n_sources, sp.n_sources);
      const seg = out.images!.find((i) => i.name === 'segmentation');
      if (sp.n_sources > 0) {
        assert.deepEqual(runLength(seg!.data as Int32Array), sp.rle);
        r.detection.catalog.forEach((row, i) => close(row.segment_flux, sp.fluxes[i], 1e-4, `pipeline flux ${i}`));
      }
    });
  }
});

function nanNear(plane: ImagePlane, x: number, y: number, h: number): boolean {
  for (let yy = Math.max(0, y - h); yy <= Math.min(plane.height - 1, y + h); yy++) {
    for (let xx = Math.max(0, x - h); xx <= Math.min(plane.width - 1, x + h); xx++) if (!Number.isFinite(plane.data[yy * plane.width + xx]!)) return true;
  }
  return false;
}
