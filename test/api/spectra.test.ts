/**
 * GET /analysis/spectral-data (x1d table, ECSV) and /analysis/cube-spectrum (s3d cubes, linear and
 * -TAB wavelengths) against astropy/numpy (test/fixtures/spectra/make_cubes.py).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const DIR = fileURLToPath(new URL('../fixtures/spectra/', import.meta.url));

interface Expected {
  linear_wave: number[];
  tab_wave: number[];
  pixel_x2_y6: (number | null)[];
  region_x1_y4_w4_h4_sum: (number | null)[];
  region_x1_y4_w4_h4_mean: (number | null)[];
  region_counts: number[];
}

function close(got: (number | null)[], want: (number | null)[], rel = 1e-12): void {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => {
    const g = got[i] as number | null;
    if (w === null) assert.equal(g, null, `point ${i}`);
    else assert.ok(g !== null && Math.abs(g - w) <= rel * Math.abs(w), `point ${i}: ${g} vs ${w}`);
  });
}

describe('spectrum routes', () => {
  let engine: TestEngine;
  let expected: Expected;
  before(async () => {
    engine = await startTestEngine();
    for (const f of ['x1d.fits', 's3d_linear.fits', 's3d_tab.fits']) await copyFile(join(DIR, f), join(engine.dataDir, f));
    expected = JSON.parse(await readFile(join(DIR, 'cubes.expected.json'), 'utf8')) as Expected;
    await writeFile(
      join(engine.dataDir, 'spec.ecsv'),
      ['# %ECSV 1.0', '# ---', '# datatype:', '# - {name: wave, unit: nm, datatype: float64}', '# - {name: flux, unit: Jy, datatype: float64}', 'wave flux', '500 1.0', '600 ""', '700 nan', ''].join('\n'),
    );
  });
  after(async () => engine.dispose());
  const get = (url: string) => engine.app.inject({ url });

  it('spectral-data: known columns, wavelength first, units; strings and unknown columns left out', async () => {
    const r = (await get('/analysis/spectral-data?file_path=x1d.fits')).json();
    assert.deepEqual([r.hdu_index, r.hdu_name, r.n_points, r.wavelength_column], [1, 'EXTRACT1D', 50, 'WAVELENGTH']);
    assert.deepEqual(r.columns.map((c: { name: string; unit: string | null }) => [c.name, c.unit]), [
      ['WAVELENGTH', 'um'], ['FLUX', 'Jy'], ['FLUX_ERROR', 'Jy'], ['SURF_BRIGHT', 'MJy/sr'], ['DQ', null], ['NPIXELS', null],
    ]);
    assert.equal(r.data.FLUX[7], null);
    assert.ok(Math.abs(r.data.WAVELENGTH[0] - 0.6) < 1e-15);
  });

  it('spectral-data converts units on request (nm, erg/s/cm2/A; SB via PIXAR_SR; no ABmag for errors)', async () => {
    const r = (await get('/analysis/spectral-data?file_path=x1d.fits&wavelength_unit=nm&flux_unit=erg/s/cm2/Angstrom')).json();
    const plain = (await get('/analysis/spectral-data?file_path=x1d.fits')).json();
    assert.ok(Math.abs(r.data.WAVELENGTH[0] - 600) < 1e-9);
    const wAA = plain.data.WAVELENGTH[0] * 1e4;
    const flam = (plain.data.FLUX[0] * 1e-23 * 2.99792458e18) / (wAA * wAA);
    assert.ok(Math.abs(r.data.FLUX[0] - flam) < 1e-12 * flam);
    assert.equal(r.columns.find((c: { name: string }) => c.name === 'SURF_BRIGHT').unit, 'erg/s/cm2/Angstrom');
    const mag = (await get('/analysis/spectral-data?file_path=x1d.fits&flux_unit=ABmag')).json();
    assert.ok(Math.abs(mag.data.FLUX[0] - (-2.5 * Math.log10(plain.data.FLUX[0]) + 8.9)) < 1e-3);
    assert.deepEqual(mag.not_converted, ['FLUX_ERROR']);
    const bad = await get('/analysis/spectral-data?file_path=x1d.fits&flux_unit=furlong');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /Unknown flux unit 'furlong'/);
  });

  it('spectral-data reads ECSV spectra too, and says when there is no wavelength column', async () => {
    const r = (await get('/analysis/spectral-data?file_path=spec.ecsv&wavelength_unit=um')).json();
    close(r.data.wave, [0.5, 0.6, 0.7]);
    assert.deepEqual(r.data.flux, [1, null, null]);
    assert.deepEqual(r.columns.map((c: { unit: string }) => c.unit), ['um', 'Jy']);
    const none = await get('/analysis/spectral-data?file_path=s3d_linear.fits&hdu_index=0');
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().detail, 'HDU 0 is not a table (type: PrimaryHDU)');
  });

  it('cube-spectrum: one pixel, linear WCS wavelengths as astropy (um)', async () => {
    const r = (await get('/analysis/cube-spectrum?file_path=s3d_linear.fits&x=2&y=6')).json();
    assert.deepEqual([r.hdu_name, r.n_points, r.wavelength_unit, r.flux_unit, r.wavelength_source], ['SCI', 12, 'um', 'MJy/sr', 'linear']);
    close(r.data.WAVELENGTH, expected.linear_wave.map((m) => m * 1e6));
    close(r.data.FLUX, expected.pixel_x2_y6, 1e-7);
  });

  it('cube-spectrum: a region summed or averaged over finite pixels only (an empty slice is null), -TAB wavelengths', async () => {
    const sum = (await get('/analysis/cube-spectrum?file_path=s3d_tab.fits&x=1&y=4&width=4&height=4')).json();
    assert.equal(sum.wavelength_source, 'tab');
    close(sum.data.WAVELENGTH, expected.tab_wave);
    close(sum.data.FLUX, expected.region_x1_y4_w4_h4_sum, 1e-6);
    assert.deepEqual(sum.data.NPIXELS, expected.region_counts);
    const mean = (await get('/analysis/cube-spectrum?file_path=s3d_tab.fits&x=1&y=4&width=4&height=4&reduce=mean&wavelength_unit=Angstrom')).json();
    close(mean.data.FLUX, expected.region_x1_y4_w4_h4_mean, 1e-6);
    close(mean.data.WAVELENGTH, expected.tab_wave.map((v) => v * 1e4));
    const jy = (await get('/analysis/cube-spectrum?file_path=s3d_linear.fits&x=1&y=4&width=4&height=4&flux_unit=Jy')).json();
    close(jy.data.FLUX, expected.region_x1_y4_w4_h4_sum.map((v) => (v === null ? null : v * 1e6 * 2.29e-13)), 1e-6);
    const outside = await get('/analysis/cube-spectrum?file_path=s3d_linear.fits&x=7&y=0&width=3');
    assert.equal(outside.statusCode, 400);
    assert.match(outside.json().detail, /outside the 8x9 cube/);
  });
});
