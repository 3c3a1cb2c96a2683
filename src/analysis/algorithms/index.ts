/** The algorithm registry with every algorithm, under its stable name. */
import { AlgorithmRegistry } from '../registry.js';
import { statistics, sigmaClippedStatistics, biweight, percentiles, snr, compare } from './statistics.js';
import { background2d } from './background.js';
import { segmentation } from './segmentation.js';
import { findStars, estimateFwhmAlgorithm } from './detection.js';
import { aperturePhotometryAlgorithm } from './photometry.js';
import { gaussianFilterAlgorithm, medianFilterAlgorithm, boxFilterAlgorithm, convolveAlgorithm, unsharpMaskAlgorithm, cleanOutliersAlgorithm } from './filters.js';
import { standardPipeline } from './pipeline.js';

export const algorithms = new AlgorithmRegistry([
  statistics,
  sigmaClippedStatistics,
  biweight,
  percentiles,
  snr,
  compare,
  background2d,
  segmentation,
  findStars,
  estimateFwhmAlgorithm,
  aperturePhotometryAlgorithm,
  gaussianFilterAlgorithm,
  medianFilterAlgorithm,
  boxFilterAlgorithm,
  convolveAlgorithm,
  unsharpMaskAlgorithm,
  cleanOutliersAlgorithm,
  standardPipeline,
]);
