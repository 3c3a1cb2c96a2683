/** Filters: gaussian_filter, median_filter, box_filter, convolve, unsharp_mask, clean_outliers. */
import { Type } from 'typebox';
import { defineAlgorithm, type AlgorithmOutput } from '../registry.js';
import { gaussianFilter, medianFilter, uniformFilter } from '../filters/ndimage.js';
import { astropyConvolveSeparable, boxKernel1d, gaussianKernel1d } from '../filters/astropy-convolve.js';
import { unsharpMask } from '../filters/unsharp-mask.js';
import { cleanOutliers } from '../filters/clean-outliers.js';
import { basicStatsOf } from '../stats/basic.js';
import { AnyResult, BoundaryModeSchema, Maxiters, Sigma, SizePair, num, withMask } from './common.js';

function filtered(data: Float64Array, name: string, description: string, extra: Record<string, unknown> = {}): AlgorithmOutput {
  const finite = data.filter((v) => Number.isFinite(v));
  const s = basicStatsOf(Float64Array.from(finite));
  return {
    results: { ...extra, output_min: num(s.min), output_max: num(s.max), output_mean: num(s.mean), output_std: num(s.std) },
    images: [{ name, data: Float32Array.from(data), description }],
  };
}

const SigmaPair = Type.Union([Type.Number({ minimum: 0, maximum: 500 }), Type.Tuple([Type.Number({ minimum: 0, maximum: 500 }), Type.Number({ minimum: 0, maximum: 500 })])], {
  default: 1.0,
  description: 'Gaussian sigma in pixels, or [sigma_y, sigma_x]',
});

export const gaussianFilterAlgorithm = defineAlgorithm({
  name: 'gaussian_filter',
  description: 'scipy.ndimage.gaussian_filter (truncate 4 sigma, scipy boundary modes); no-data pixels stay NaN and are left out of their neighbours.',
  inputs: ['image'],
  outputs: ['filtered'],
  parameters: Type.Object({ sigma: SigmaPair, mode: BoundaryModeSchema, cval: Type.Number({ default: 0 }), truncate: Type.Number({ default: 4.0, exclusiveMinimum: 0, maximum: 20 }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p) {
    const out = gaussianFilter(withMask(input.plane, input.mask), { sigma: p.sigma, mode: p.mode, cval: p.cval, truncate: p.truncate });
    return filtered(out, 'filtered', `gaussian_filter sigma=${JSON.stringify(p.sigma)}`);
  },
});

export const medianFilterAlgorithm = defineAlgorithm({
  name: 'median_filter',
  description: 'scipy.ndimage.median_filter with a size x size window (scipy boundary modes); no-data pixels are left out of the windows.',
  inputs: ['image'],
  outputs: ['filtered'],
  parameters: Type.Object({ size: SizePair(3, 101, 'Window size, or [ny, nx]'), mode: BoundaryModeSchema, cval: Type.Number({ default: 0 }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p) {
    const out = medianFilter(withMask(input.plane, input.mask), p.size, p.mode, p.cval);
    return filtered(out, 'filtered', `median_filter size=${JSON.stringify(p.size)}`);
  },
});

export const boxFilterAlgorithm = defineAlgorithm({
  name: 'box_filter',
  description: 'scipy.ndimage.uniform_filter (box average) with scipy boundary modes; NaN-aware.',
  inputs: ['image'],
  outputs: ['filtered'],
  parameters: Type.Object({ size: SizePair(3, 1001, 'Box size, or [ny, nx]'), mode: BoundaryModeSchema, cval: Type.Number({ default: 0 }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p) {
    const out = uniformFilter(withMask(input.plane, input.mask), p.size, p.mode, p.cval);
    return filtered(out, 'filtered', `box_filter size=${JSON.stringify(p.size)}`);
  },
});

export const convolveAlgorithm = defineAlgorithm({
  name: 'convolve',
  description: "astropy.convolution.convolve with Gaussian2DKernel(stddev) or Box2DKernel(width); nan_treatment 'interpolate' fills no-data pixels from their neighbours.",
  inputs: ['image'],
  outputs: ['convolved'],
  parameters: Type.Object(
    {
      kernel: Type.Union([Type.Literal('gaussian'), Type.Literal('box')], { default: 'gaussian' }),
      stddev: Type.Number({ default: 1.0, exclusiveMinimum: 0, maximum: 100 }),
      width: Type.Number({ default: 3, exclusiveMinimum: 0, maximum: 201 }),
      boundary: Type.Union([Type.Literal('fill'), Type.Literal('extend'), Type.Literal('wrap'), Type.Literal('none')], { default: 'fill' }),
      fill_value: Type.Number({ default: 0 }),
      nan_treatment: Type.Union([Type.Literal('interpolate'), Type.Literal('fill')], { default: 'interpolate' }),
      preserve_nan: Type.Boolean({ default: false }),
      normalize_kernel: Type.Boolean({ default: true }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p) {
    const k = p.kernel === 'gaussian' ? gaussianKernel1d(p.stddev) : boxKernel1d(p.width);
    const out = astropyConvolveSeparable(withMask(input.plane, input.mask), k, k, {
      boundary: p.boundary === 'none' ? null : p.boundary,
      fillValue: p.fill_value,
      nanTreatment: p.nan_treatment,
      preserveNan: p.preserve_nan,
      normalizeKernel: p.normalize_kernel,
    });
    return filtered(out, 'convolved', `astropy convolve ${p.kernel}`, { kernel_size: k.length });
  },
});

export const unsharpMaskAlgorithm = defineAlgorithm({
  name: 'unsharp_mask',
  description: 'x + amount * (x - blur(x)), the blur being astropy convolve with Gaussian2DKernel(sigma).',
  inputs: ['image'],
  outputs: ['sharpened'],
  parameters: Type.Object({ sigma: Type.Number({ default: 2.0, exclusiveMinimum: 0, maximum: 100 }), amount: Type.Number({ default: 1.0, minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p) {
    return filtered(unsharpMask(withMask(input.plane, input.mask), p.sigma, p.amount), 'sharpened', `unsharp mask sigma=${p.sigma} amount=${p.amount}`);
  },
});

export const cleanOutliersAlgorithm = defineAlgorithm({
  name: 'clean_outliers',
  description: 'Cosmic-ray / outlier cleaning: pixels rejected by astropy sigma_clip (median centre) are replaced by the median of their size x size neighbourhood.',
  inputs: ['image'],
  outputs: ['cleaned'],
  parameters: Type.Object({ sigma: Sigma(5), maxiters: Maxiters(3), size: Type.Integer({ default: 3, minimum: 3, maximum: 51 }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p) {
    const r = cleanOutliers(withMask(input.plane, input.mask), p.sigma, p.maxiters, p.size);
    return filtered(r.data, 'cleaned', `outliers beyond ${p.sigma} sigma replaced`, { n_replaced: r.n_replaced, lower: num(r.lower), upper: num(r.upper) });
  },
});
