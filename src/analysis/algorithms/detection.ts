/** find_stars (DAOStarFinder or IRAFStarFinder) and estimate_fwhm. */
import { Type } from 'typebox';
import { DaoStarFinder } from '../detection/dao-star-finder.js';
import { IrafStarFinder } from '../detection/iraf-star-finder.js';
import { fitGaussianCentroid } from '../detection/gaussian-centroid.js';
import { estimateFwhm } from '../detection/fwhm.js';
import { FWHM_TO_SIGMA } from '../detection/star-finder-kernel.js';
import { defineAlgorithm, type AlgorithmInput } from '../registry.js';
import type { ClippedStats } from '../stats/sigma-clip.js';
import type { ImagePlane } from '../../core/image-plane.js';
import { AnyResult, NullableNumber, clippedStats, jsonRow, num, subtract, withMask } from './common.js';

/** The star finders' input: the image (masked pixels NaN) minus its 3-sigma clipped median. */
function minusClippedMedian(input: AlgorithmInput): { sub: ImagePlane<Float64Array>; s: ClippedStats } {
  const plane = withMask(input.plane, input.mask);
  const s = clippedStats(plane, undefined, 3, 5);
  return { sub: subtract(plane, s.median), s };
}

export const findStars = defineAlgorithm({
  name: 'find_stars',
  description:
    'Point sources as photutils DAOStarFinder (Stetson 1987) or, with finder "iraf", IRAFStarFinder (IRAF starfind: moments of the sky-subtracted footprint) on the image minus its sigma-clipped median: zero-sum Gaussian kernel, local maxima above threshold, sharpness and roundness cuts. centroid "gaussian" refines positions with a 2-D Gaussian fit.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      finder: Type.Union([Type.Literal('daofind'), Type.Literal('iraf')], { default: 'daofind', description: 'daofind (DAOStarFinder) or iraf (IRAFStarFinder; the sharpness/roundness limits apply to its own definitions: photutils\' IRAF defaults are sharplo 0.5, sharphi 2, roundlo 0, roundhi 0.2; ratio and theta are ignored)' }),
      threshold: NullableNumber('Absolute threshold above the background (default: nsigma * clipped std)'),
      nsigma: Type.Number({ default: 5, exclusiveMinimum: 0, maximum: 1000 }),
      fwhm: Type.Number({ default: 3.0, exclusiveMinimum: 0, maximum: 100 }),
      minsep_fwhm: Type.Number({ default: 2.5, minimum: 0, maximum: 20, description: 'iraf: minimum peak separation in FWHMs' }),
      ratio: Type.Number({ default: 1.0, exclusiveMinimum: 0, maximum: 1 }),
      theta: Type.Number({ default: 0.0, minimum: -360, maximum: 360, description: 'Kernel major axis angle, degrees from +x' }),
      sigma_radius: Type.Number({ default: 1.5, exclusiveMinimum: 0, maximum: 10 }),
      sharplo: Type.Number({ default: 0.2 }),
      sharphi: Type.Number({ default: 1.0 }),
      roundlo: Type.Number({ default: -1.0 }),
      roundhi: Type.Number({ default: 1.0 }),
      exclude_border: Type.Boolean({ default: false }),
      brightest: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: null }),
      peakmax: NullableNumber('Reject stars whose peak is at or above this'),
      centroid: Type.Union([Type.Literal('daofind'), Type.Literal('gaussian')], { default: 'daofind' }),
      max_rows: Type.Integer({ default: 10000, minimum: 0, maximum: 1_000_000 }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p) {
    const { sub, s } = minusClippedMedian(input);
    const threshold = p.threshold ?? p.nsigma * s.std;
    const limits = { sharplo: p.sharplo, sharphi: p.sharphi, roundlo: p.roundlo, roundhi: p.roundhi, excludeBorder: p.exclude_border, brightest: p.brightest, peakmax: p.peakmax };
    const stars: Array<{ xcentroid: number; ycentroid: number }> =
      p.finder === 'iraf'
        ? new IrafStarFinder({ threshold, fwhm: p.fwhm, sigmaRadius: p.sigma_radius, minsepFwhm: p.minsep_fwhm, ...limits }).findStars(sub)
        : new DaoStarFinder({ threshold, fwhm: p.fwhm, ratio: p.ratio, theta: p.theta, sigmaRadius: p.sigma_radius, ...limits }).findStars(sub);
    const rows = stars.slice(0, p.max_rows).map((st) => {
      let { xcentroid, ycentroid } = st;
      if (p.centroid === 'gaussian') {
        const fit = fitGaussianCentroid(sub.data, sub.width, sub.height, xcentroid, ycentroid, p.fwhm * FWHM_TO_SIGMA, 1.5 * p.fwhm);
        if (fit) {
          xcentroid = fit.x;
          ycentroid = fit.y;
        }
      }
      const row: Record<string, unknown> = jsonRow({ ...st, xcentroid, ycentroid });
      if (input.pixelToWorld) {
        const [ra, dec] = input.pixelToWorld(xcentroid, ycentroid);
        row.ra = num(ra);
        row.dec = num(dec);
      }
      return row;
    });
    return { results: { n_sources: stars.length, threshold, background: num(s.median), noise: num(s.std), stars: rows, truncated: stars.length > p.max_rows } };
  },
});

export const estimateFwhmAlgorithm = defineAlgorithm({
  name: 'estimate_fwhm',
  description: 'FWHM of the point sources: second moments of the brightest DAOStarFinder stars (pixel integration removed), median over the stars.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      threshold: NullableNumber('Absolute detection threshold (default: nsigma * clipped std)'),
      nsigma: Type.Number({ default: 10, exclusiveMinimum: 0, maximum: 1000 }),
      fwhm: Type.Number({ default: 3.0, exclusiveMinimum: 0, maximum: 100, description: 'Initial guess' }),
      max_sources: Type.Integer({ default: 100, minimum: 3, maximum: 100000 }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p) {
    const { sub, s } = minusClippedMedian(input);
    const r = estimateFwhm(sub, { threshold: p.threshold ?? p.nsigma * s.std, fwhm: p.fwhm, maxSources: p.max_sources });
    return { results: { fwhm: num(r.fwhm), fwhm_std: num(r.fwhm_std), n_sources: r.n_sources, fwhm_sharpness: r.fwhm_sharpness, sources: r.per_source.map(jsonRow) } };
  },
});
