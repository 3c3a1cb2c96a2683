import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { streamingSigmaClippedStats } from '../../src/analysis/stats/streaming-sigma-clip.js';
import { SigmaClip, sigmaClippedStatsOf } from '../../src/analysis/stats/sigma-clip.js';
import { validValues } from '../../src/analysis/mask.js';
import { IMAGE_KEYS, referencePlane, references, relClose } from './fixtures.js';

describe('streaming sigma-clipped statistics', () => {
  for (const key of IMAGE_KEYS) {
    it(`equals astropy sigma_clipped_stats on ${key} (median and mean centres)`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results;
      const a = streamingSigmaClippedStats(plane.data, undefined, { sigmaLower: 3, sigmaUpper: 3, maxiters: 5, cenfunc: 'median' });
      for (const k of ['mean', 'median', 'std'] as const) assert.ok(relClose(a[k], ref.sigma_clipped_statistics[k], 1e-9, 1e-9), `${k} ${a[k]}`);
      const b = streamingSigmaClippedStats(plane.data, undefined, { sigmaLower: 2.5, sigmaUpper: 2.5, maxiters: 10, cenfunc: 'mean' });
      for (const k of ['mean', 'median', 'std'] as const) assert.ok(relClose(b[k], ref['sigma_clipped_statistics_mean_2.5_10'][k], 1e-9, 1e-9), `${k} ${b[k]}`);
    });
  }

  it('matches the compacting implementation on random data with outliers, masks, ties and asymmetric limits', () => {
    let s = 7;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    for (const n of [1, 2, 3, 10, 1001, 20000]) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = rnd() < 0.02 ? 1000 * rnd() : Math.round(rnd() * 50) / 5;
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i += 7) mask[i] = 1;
      if (n > 5) data[3] = NaN;
      for (const [sl, su, it] of [[3, 3, 5], [2, 4, 10], [1.5, 1.5, 100]] as const) {
        const plane = { width: n, height: 1, data };
        const ref = sigmaClippedStatsOf(validValues(plane, mask), new SigmaClip({ sigmaLower: sl, sigmaUpper: su, maxiters: it }));
        const got = streamingSigmaClippedStats(data, mask, { sigmaLower: sl, sigmaUpper: su, maxiters: it, cenfunc: 'median' });
        assert.equal(got.n, ref.n, `n=${n}`);
        for (const k of ['mean', 'median', 'std'] as const) assert.ok(relClose(got[k], ref[k], 1e-12, 1e-12), `n=${n} ${k}: ${got[k]} vs ${ref[k]}`);
      }
    }
  });
});
