/**
 * Per-box background and background-RMS estimators with photutils' definitions, applied to the
 * already sigma-clipped values of one box (NaN-free).
 *   median      MedianBackground: the median
 *   mean        MeanBackground: the mean
 *   sextractor  SExtractorBackground: 2.5*median - 1.5*mean, or the median when
 *               |mean - median| / std >= 0.3; the mean when std = 0
 *   mmm / mode  ModeEstimatorBackground(3, 2): 3*median - 2*mean
 *   std         StdBackgroundRMS: population standard deviation
 *   mad_std     MADStdBackgroundRMS: 1.4826 * median absolute deviation
 */
import { medianInPlace } from '../stats/select.js';
import { meanOf, stdOf } from '../stats/sigma-clip.js';
import { MAD_TO_STD } from '../stats/robust.js';

export type BkgEstimatorName = 'median' | 'mean' | 'sextractor' | 'mmm';
export type BkgRmsEstimatorName = 'std' | 'mad_std';

export interface BackgroundEstimator {
  /** Estimate from values[0..n) (may reorder them). */
  estimate(values: Float64Array, n: number): number;
}

export const backgroundEstimators: Record<BkgEstimatorName, BackgroundEstimator> = {
  median: { estimate: (v, n) => medianInPlace(v, n) },
  mean: { estimate: (v, n) => (n === 0 ? NaN : meanOf(v, n)) },
  sextractor: {
    estimate(v, n) {
      if (n === 0) return NaN;
      const mean = meanOf(v, n);
      const std = stdOf(v, n, 0, mean);
      const med = medianInPlace(v, n);
      if (std === 0) return mean;
      return Math.abs(mean - med) / std < 0.3 ? 2.5 * med - 1.5 * mean : med;
    },
  },
  mmm: {
    estimate(v, n) {
      if (n === 0) return NaN;
      const mean = meanOf(v, n);
      return 3 * medianInPlace(v, n) - 2 * mean;
    },
  },
};

export const rmsEstimators: Record<BkgRmsEstimatorName, BackgroundEstimator> = {
  std: { estimate: (v, n) => (n === 0 ? NaN : stdOf(v, n)) },
  mad_std: {
    estimate(v, n) {
      if (n === 0) return NaN;
      const med = medianInPlace(v, n);
      const dev = new Float64Array(n);
      for (let i = 0; i < n; i++) dev[i] = Math.abs(v[i]! - med);
      return MAD_TO_STD * medianInPlace(dev, n);
    },
  },
};
