import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basicStatistics } from '../../src/analysis/stats/basic.js';
import { SigmaClip, sigmaClippedStatsOf } from '../../src/analysis/stats/sigma-clip.js';
import { biweightLocation, biweightScale, madStd } from '../../src/analysis/stats/robust.js';
import { percentileInPlace, medianInPlace } from '../../src/analysis/stats/select.js';
import { validValues } from '../../src/analysis/mask.js';
import { IMAGE_KEYS, referencePlane, references, relClose } from './fixtures.js';

describe('statistics against numpy/astropy 5.2', () => {
  for (const key of IMAGE_KEYS) {
    it(`basic, sigma-clipped, biweight, MAD and percentiles on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const b = basicStatistics(plane);
      for (const k of ['min', 'max', 'mean', 'median', 'std', 'sum'] as const) {
        assert.ok(relClose(b[k], ref.statistics[k], 1e-9, 1e-9), `${k}: ${b[k]} vs ${ref.statistics[k]}`);
      }
      assert.equal(b.n_pixels, ref.statistics.n_pixels);
      assert.equal(b.n_nan, ref.statistics.n_nan);
      const sc = sigmaClippedStatsOf(validValues(plane), new SigmaClip({ sigma: 3, maxiters: 5 }));
      for (const k of ['mean', 'median', 'std'] as const) {
        assert.ok(relClose(sc[k], ref.sigma_clipped_statistics[k], 1e-9, 1e-9), `clipped ${k}: ${sc[k]} vs ${ref.sigma_clipped_statistics[k]}`);
      }
      const sc2 = sigmaClippedStatsOf(validValues(plane), new SigmaClip({ sigma: 2.5, maxiters: 10, cenfunc: 'mean' }));
      for (const k of ['mean', 'median', 'std'] as const) {
        assert.ok(relClose(sc2[k], ref['sigma_clipped_statistics_mean_2.5_10'][k], 1e-9, 1e-9), `clipped(mean) ${k}`);
      }
      const v = validValues(plane);
      assert.ok(relClose(biweightLocation(v), ref.biweight.biweight_location, 1e-9, 1e-9));
      assert.ok(relClose(biweightScale(v), ref.biweight.biweight_scale, 1e-9, 1e-9));
      assert.ok(relClose(madStd(v), ref.biweight.mad_std, 1e-9, 1e-9));
      ref.percentiles.q.forEach((q: number, i: number) => {
        const got = percentileInPlace(validValues(plane), q);
        assert.ok(relClose(got, ref.percentiles.values[i], 1e-9, 1e-9), `p${q}: ${got} vs ${ref.percentiles.values[i]}`);
      });
    });
  }

  it('median and percentile match numpy on small arrays', () => {
    assert.equal(medianInPlace(Float64Array.of(3, 1, 2, 4)), 2.5);
    assert.equal(medianInPlace(Float64Array.of(5, 1, 3)), 3);
    assert.ok(Number.isNaN(medianInPlace(new Float64Array(0))));
    assert.equal(percentileInPlace(Float64Array.of(1, 2, 3, 4), 25), 1.75);
  });
});
