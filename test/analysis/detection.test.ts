import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DaoStarFinder } from '../../src/analysis/detection/dao-star-finder.js';
import { estimateFwhm } from '../../src/analysis/detection/fwhm.js';
import { fitGaussianCentroid } from '../../src/analysis/detection/gaussian-centroid.js';
import { SigmaClip, sigmaClippedStatsOf } from '../../src/analysis/stats/sigma-clip.js';
import { validValues } from '../../src/analysis/mask.js';
import { IMAGE_KEYS, referencePlane, references, relClose, syntheticPlane, syntheticTruth } from './fixtures.js';

function subtractMedian(plane: { width: number; height: number; data: ArrayLike<number> }): { plane: { width: number; height: number; data: Float64Array }; std: number } {
  const s = sigmaClippedStatsOf(validValues({ width: plane.width, height: plane.height, data: Float64Array.from(plane.data) }), new SigmaClip({ sigma: 3, maxiters: 5 }));
  const data = new Float64Array(plane.data.length);
  for (let i = 0; i < data.length; i++) data[i] = plane.data[i]! - s.median;
  return { plane: { width: plane.width, height: plane.height, data }, std: s.std };
}

describe('DAOStarFinder equivalent against photutils 1.6', () => {
  for (const key of IMAGE_KEYS) {
    it(`same stars and columns on ${key}`, async () => {
      const { plane } = await referencePlane(key);
      const ref = references().images[key]!.results.find_stars;
      const { plane: sub } = subtractMedian(plane);
      const stars = new DaoStarFinder({ threshold: ref.threshold, fwhm: ref.fwhm }).findStars(sub);
      assert.equal(stars.length, ref.rows.length);
      stars.forEach((s, i) => {
        const r = ref.rows[i];
        for (const c of ['xcentroid', 'ycentroid', 'sharpness', 'roundness1', 'roundness2', 'peak', 'flux', 'mag'] as const) {
          assert.ok(relClose(s[c], r[c] ?? NaN, 1e-8, 1e-10), `star ${i} ${c}: ${s[c]} vs ${r[c]}`);
        }
        assert.equal(s.npix, r.npix);
      });
    });
  }

  it('detects every isolated injected source brighter than 5 sigma; Gaussian-refined centroids within 0.1 px where the noise allows', () => {
    const truth = syntheticTruth() as ReturnType<typeof syntheticTruth> & { extended: Array<{ x: number; y: number }>; pairs: Array<{ x: number; y: number }> };
    const { plane: sub, std } = subtractMedian(syntheticPlane());
    const stars = new DaoStarFinder({ threshold: 3 * std, fwhm: truth.fwhm }).findStars(sub);
    const sigmaPsf = truth.fwhm / 2.3548200450309493;
    const others = [...truth.extended, ...truth.pairs];
    let checked = 0;
    for (const t of truth.stars) {
      if (t.amplitude_sigma < 5) continue;
      // point sources blended with an injected galaxy are not "isolated"
      if (others.some((o) => Math.hypot(o.x - t.x, o.y - t.y) < 12)) continue;
      let best = stars[0]!;
      for (const s of stars) if (Math.hypot(s.xcentroid - t.x, s.ycentroid - t.y) < Math.hypot(best.xcentroid - t.x, best.ycentroid - t.y)) best = s;
      const daoOffset = Math.hypot(best.xcentroid - t.x, best.ycentroid - t.y);
      assert.ok(daoOffset < 1, `source peak ${t.amplitude_sigma.toFixed(1)} sigma at (${t.x.toFixed(2)}, ${t.y.toFixed(2)}) not detected`);
      const fit = fitGaussianCentroid(sub.data, sub.width, sub.height, best.xcentroid, best.ycentroid, sigmaPsf, 1.5 * truth.fwhm);
      assert.ok(fit, 'gaussian centroid fit failed');
      const offset = Math.hypot(fit.x - t.x, fit.y - t.y);
      // Cramér–Rao bound of a 2-D position for a Gaussian PSF of peak A in white noise:
      // sigma_r = sqrt(2) sigma_psf / SNR, SNR = (A / noise) sqrt(pi) sigma_psf
      const crb = Math.SQRT2 / (t.amplitude_sigma * Math.sqrt(Math.PI));
      const allowed = Math.max(0.1, 3 * crb);
      assert.ok(offset < allowed, `peak ${t.amplitude_sigma.toFixed(1)} sigma: offset ${offset.toFixed(3)} px > ${allowed.toFixed(3)}`);
      checked++;
    }
    assert.ok(checked >= 20, `checked ${checked}`);
  });

  it('estimates the FWHM of the synthetic stars within 5%', () => {
    const truth = syntheticTruth();
    const { plane: sub, std } = subtractMedian(syntheticPlane());
    const r = estimateFwhm(sub, { threshold: 10 * std, fwhm: 2.0 });
    assert.ok(r.n_sources >= 3);
    assert.ok(Math.abs(r.fwhm - truth.fwhm) / truth.fwhm < 0.05, `fwhm ${r.fwhm}`);
  });
});
