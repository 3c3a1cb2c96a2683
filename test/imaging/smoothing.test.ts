/** Preview/histogram smoothing: the upstream's validation messages, NaN-aware filters (never NaN -> 0). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SMOOTH_METHODS, parseSmoothParams, smoothPlane } from '../../src/imaging/smoothing.js';
import { gaussianFilter } from '../../src/analysis/filters/ndimage.js';

describe('smoothing parameters', () => {
  it('are off by default and for an empty method', () => {
    assert.equal(parseSmoothParams({}), null);
    assert.equal(parseSmoothParams({ smooth_method: '' }), null);
  });
  it('give the upstream messages', () => {
    assert.throws(() => parseSmoothParams({ smooth_method: 'blur' }), { message: "Invalid smooth_method 'blur'. Must be empty or one of: gaussian, median, box, astropy_gaussian, astropy_box" });
    assert.throws(() => parseSmoothParams({ smooth_method: 'gaussian', smooth_sigma: 0.05 }), { message: 'smooth_sigma must be between 0.1 and 10.0' });
    assert.throws(() => parseSmoothParams({ smooth_method: 'gaussian', smooth_sigma: 11 }), { message: 'smooth_sigma must be between 0.1 and 10.0' });
    assert.throws(() => parseSmoothParams({ smooth_method: 'median', smooth_size: 27 }), { message: 'smooth_size must be between 1 and 25' });
    assert.throws(() => parseSmoothParams({ smooth_method: 'median', smooth_size: 0 }), { message: 'smooth_size must be between 1 and 25' });
    assert.throws(() => parseSmoothParams({ smooth_method: 'box', smooth_size: 4 }), { message: 'smooth_size must be odd' });
  });
  it('keep only the parameter the method uses', () => {
    assert.deepEqual(parseSmoothParams({ smooth_method: 'gaussian', smooth_sigma: 2, smooth_size: 5 }), { method: 'gaussian', sigma: 2, size: 0 });
    assert.deepEqual(parseSmoothParams({ smooth_method: 'box', smooth_sigma: 2, smooth_size: 5 }), { method: 'box', sigma: 0, size: 5 });
  });
});

describe('smoothPlane', () => {
  const width = 40;
  const height = 30;
  // a flat sky of 100 with a no-data patch, a NaN and an infinity
  const flat = new Float32Array(width * height).fill(100);
  for (let y = 10; y < 16; y++) for (let x = 12; x < 20; x++) flat[y * width + x] = Number.NaN;
  flat[3 * width + 3] = Number.NaN;
  flat[25 * width + 30] = Number.POSITIVE_INFINITY;
  for (const method of SMOOTH_METHODS) {
    it(`${method}: no-data pixels stay no data and never pull their neighbours towards 0`, () => {
      const out = smoothPlane({ width, height, data: flat }, { method, sigma: 2, size: 5 });
      for (let i = 0; i < out.length; i++) {
        if (!Number.isFinite(flat[i]!)) assert.ok(Number.isNaN(out[i]!), `pixel ${i} is no data`);
        else assert.ok(Math.abs(out[i]! - 100) < 1e-9, `pixel ${i}: ${out[i]}`);
      }
    });
  }
  it('gaussian equals scipy.ndimage.gaussian_filter on data without NaN', () => {
    const data = new Float64Array(width * height).map((_, i) => Math.sin(i * 0.37) * 10 + (i % 7));
    const got = smoothPlane({ width, height, data }, { method: 'gaussian', sigma: 1.5, size: 0 });
    assert.deepEqual(got, gaussianFilter({ width, height, data }, { sigma: 1.5 }));
  });
});
