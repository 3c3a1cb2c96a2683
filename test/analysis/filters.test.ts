import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianFilter, medianFilter, uniformFilter } from '../../src/analysis/filters/ndimage.js';
import { astropyConvolveSeparable, boxKernel1d, gaussianKernel1d, type AstropyConvolveOptions } from '../../src/analysis/filters/astropy-convolve.js';
import { unsharpMask } from '../../src/analysis/filters/unsharp-mask.js';
import { cleanOutliers } from '../../src/analysis/filters/clean-outliers.js';
import type { ImagePlane } from '../../src/core/image-plane.js';
import { IMAGE_KEYS, gridMaxRelDiff, referencePlane, references, sampleGrid } from './fixtures.js';

/** Grid cells whose filter window (half-width h) holds no NaN: there scipy's answer is defined. */
function nanFreeWindowGrid(plane: ImagePlane, grid: Array<Array<number | null>>, h: number, step: number): Array<Array<number | null>> {
  return grid.map((row, j) =>
    row.map((v, i) => {
      const x = i * step;
      const y = j * step;
      for (let yy = y - h; yy <= y + h; yy++) {
        for (let xx = x - h; xx <= x + h; xx++) {
          const cx = Math.min(Math.max(xx, 0), plane.width - 1);
          const cy = Math.min(Math.max(yy, 0), plane.height - 1);
          if (!Number.isFinite(plane.data[cy * plane.width + cx]!)) return null;
        }
      }
      return v;
    }),
  );
}

describe('filters against scipy.ndimage 1.10 and astropy.convolution 5.2', () => {
  for (const key of IMAGE_KEYS) {
    it(`gaussian, median, box (scipy modes) on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const step = references().grid_step;
      const { width, height } = plane;
      const g = gaussianFilter(plane, { sigma: 2, mode: 'reflect' });
      let d = gridMaxRelDiff(sampleGrid(g, width, height), nanFreeWindowGrid(plane, ref.gaussian_filter.grid, 8, step));
      assert.ok(d.max < 1e-9, `gaussian ${d.max} ${d.where}`);
      const gc = gaussianFilter(plane, { sigma: 1.5, mode: 'constant', cval: 1 });
      d = gridMaxRelDiff(sampleGrid(gc, width, height), nanFreeWindowGrid(plane, ref.gaussian_filter_constant.grid, 6, step));
      assert.ok(d.max < 1e-9, `gaussian constant ${d.max} ${d.where}`);
      const m = medianFilter(plane, 5, 'reflect');
      d = gridMaxRelDiff(sampleGrid(m, width, height), nanFreeWindowGrid(plane, ref.median_filter.grid, 2, step));
      assert.ok(d.max < 1e-12, `median ${d.max} ${d.where}`);
      const b = uniformFilter(plane, 4, 'mirror');
      d = gridMaxRelDiff(sampleGrid(b, width, height), nanFreeWindowGrid(plane, ref.box_filter.grid, 2, step));
      assert.ok(d.max < 1e-9, `box ${d.max} ${d.where}`);
    });

    it(`astropy convolve (NaN interpolated), unsharp mask, outlier cleaning on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const { width, height } = plane;
      const k = gaussianKernel1d(2);
      const c = astropyConvolveSeparable(plane, k, k);
      let d = gridMaxRelDiff(sampleGrid(c, width, height), ref.convolve.grid);
      assert.ok(d.max < 1e-9, `convolve ${d.max} ${d.where}`);
      const kb = boxKernel1d(5);
      const cb = astropyConvolveSeparable(plane, kb, kb, { boundary: 'extend', preserveNan: true });
      d = gridMaxRelDiff(sampleGrid(cb, width, height), ref.convolve_box_extend.grid);
      assert.ok(d.max < 1e-9, `convolve box ${d.max} ${d.where}`);
      const u = unsharpMask(plane, 2, 1.5);
      d = gridMaxRelDiff(sampleGrid(u, width, height), ref.unsharp_mask.grid, 1e-6);
      assert.ok(d.max < 1e-9, `unsharp ${d.max} ${d.where}`);
      const cl = cleanOutliers(plane, 5, 3);
      assert.equal(cl.n_replaced, ref.clean_outliers.n_replaced);
      d = gridMaxRelDiff(sampleGrid(cl.data, width, height), ref.clean_outliers.grid);
      assert.ok(d.max < 1e-9, `clean ${d.max} ${d.where}`);
    });
  }

  it('keeps no-data pixels NaN and ignores them in neighbours', () => {
    const data = new Float32Array(25).fill(1);
    data[12] = NaN;
    const plane = { width: 5, height: 5, data };
    const g = gaussianFilter(plane, { sigma: 1 });
    assert.ok(Number.isNaN(g[12]!));
    assert.ok(Math.abs(g[11]! - 1) < 1e-12);
    const m = medianFilter(plane, 3);
    assert.ok(Number.isNaN(m[12]!));
    assert.equal(m[13], 1);
  });
});

describe('astropy convolve: the one-pass (fused) path against the general path', () => {
  /** Deterministic noise on a slope, with NaN holes at the given density (and a NaN border of `border` px). */
  function image(width: number, height: number, holeEvery: number, border: number, f32: boolean): ImagePlane {
    const data = f32 ? new Float32Array(width * height) : new Float64Array(width * height);
    let s = 7;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = i % width;
      const y = Math.floor(i / width);
      data[i] = 50 + 0.1 * x - 0.05 * y + (s / 4294967296 - 0.5) * 10;
      if (holeEvery > 0 && s % holeEvery === 0) data[i] = NaN;
      if (x < border || y < border || x >= width - border || y >= height - border) data[i] = NaN;
    }
    return { width, height, data };
  }
  const same = (a: Float64Array, b: Float64Array, what: string): void => {
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], b[i])) assert.fail(`${what}: pixel ${i}: ${a[i]} vs ${b[i]}`);
    }
  };
  const kernels: Array<[string, Float64Array]> = [['gauss5', gaussianKernel1d(3 / 2.3548200450309493, 5)], ['gauss3', gaussianKernel1d(0.8, 3)], ['gauss9', gaussianKernel1d(1.1)], ['box3', boxKernel1d(2.5)]];
  const optionSets: AstropyConvolveOptions[] = [
    {},
    { preserveNan: true },
    { boundary: null },
    { boundary: null, preserveNan: true },
    { fillValue: 3 },
    { nanTreatment: 'fill', fillValue: 2 },
    { nanTreatment: 'fill', boundary: 'extend', preserveNan: true },
    // not streamed (general path both times), for completeness
    { boundary: 'extend' },
    { boundary: 'wrap' },
    { normalizeKernel: false },
  ];
  for (const [name, k] of kernels) {
    it(`bit-identical results with ${name} (kernel ${k.length}), holes few and many, float32 and float64, with and without subtract`, () => {
      for (const [holeEvery, border] of [[0, 0], [997, 0], [61, 3], [7, 0]] as const) {
        for (const f32 of [true, false]) {
          const plane = image(37, 29, holeEvery, border, f32);
          const bkg = new Float64Array(plane.data.length);
          for (let i = 0; i < bkg.length; i++) bkg[i] = 40 + Math.sin(i / 50);
          bkg[100] = NaN;
          const sub = new Float64Array(bkg.length);
          for (let i = 0; i < sub.length; i++) sub[i] = plane.data[i]! - bkg[i]!;
          for (const o of optionSets) {
            const what = `${name} holes 1/${holeEvery} border ${border} ${f32 ? 'f32' : 'f64'} ${JSON.stringify(o)}`;
            same(astropyConvolveSeparable(plane, k, k, o), astropyConvolveSeparable(plane, k, k, { ...o, fused: false }), what);
            const general = astropyConvolveSeparable({ ...plane, data: sub }, k, k, { ...o, fused: false });
            same(astropyConvolveSeparable(plane, k, k, { ...o, subtract: bkg }), general, `${what} subtract`);
            same(astropyConvolveSeparable(plane, k, k, { ...o, subtract: bkg, fused: false }), general, `${what} subtract, general path`);
          }
        }
      }
    });
  }
  it('refuses a subtract array of another shape', () => {
    const plane = image(8, 8, 0, 0, true);
    assert.throws(() => astropyConvolveSeparable(plane, boxKernel1d(3), boxKernel1d(3), { subtract: new Float64Array(10) }), /same shape/);
  });
});

describe('work guards', () => {
  it('refuse filters and kernels that would run for hours, with a 422 naming the parameter', async () => {
    const { medianFilter: mf, gaussianFilter: gf } = await import('../../src/analysis/filters/ndimage.js');
    const big = { width: 4096, height: 4096, data: new Float32Array(1) };
    assert.throws(() => mf(big, 101), (e: Error & { httpStatus?: number }) => e.httpStatus === 422 && /median_filter size/.test(e.message));
    assert.throws(() => gf(big, { sigma: 300 }), (e: Error & { httpStatus?: number }) => e.httpStatus === 422 && /too large/.test(e.message));
  });
});
