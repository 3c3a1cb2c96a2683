/** Statistics algorithms: statistics, sigma_clipped_statistics, biweight, percentiles, snr, compare. */
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { defineAlgorithm } from '../registry.js';
import { validValues } from '../mask.js';
import { basicStatistics } from '../stats/basic.js';
import { streamingSigmaClippedStats } from '../stats/streaming-sigma-clip.js';
import { biweightLocation, biweightScale, madStd } from '../stats/robust.js';
import { percentilesSorted } from '../stats/select.js';
import { signalToNoise } from '../stats/snr.js';
import { compareImages } from '../stats/compare.js';
import { AnyResult, Maxiters, NullableNumber, Sigma, num } from './common.js';

const Num = Type.Union([Type.Number(), Type.Null()]);

export const statistics = defineAlgorithm({
  name: 'statistics',
  description: 'Basic NaN-aware statistics of the valid pixels: min, max, mean, median, std (ddof 0), sum, n_pixels, n_nan.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object({}, { additionalProperties: false }),
  result: Type.Object({ min: Num, max: Num, mean: Num, median: Num, std: Num, sum: Num, n_pixels: Type.Integer(), n_nan: Type.Integer() }),
  run(input) {
    const s = basicStatistics(input.plane, input.mask);
    return { results: { ...s, min: num(s.min), max: num(s.max), mean: num(s.mean), median: num(s.median), std: num(s.std) } };
  },
});

export const sigmaClippedStatistics = defineAlgorithm({
  name: 'sigma_clipped_statistics',
  description: 'astropy sigma_clipped_stats: iterative clipping around the median (or mean) until nothing changes or maxiters; mean, median and std of what survives.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      sigma: Sigma(3),
      sigma_lower: NullableNumber('Lower clipping limit in sigma (default: sigma)', { exclusiveMinimum: 0 }),
      sigma_upper: NullableNumber('Upper clipping limit in sigma (default: sigma)', { exclusiveMinimum: 0 }),
      maxiters: Maxiters(5),
      cenfunc: Type.Union([Type.Literal('median'), Type.Literal('mean')], { default: 'median' }),
      std_ddof: Type.Integer({ default: 0, minimum: 0, maximum: 1 }),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ mean: Num, median: Num, std: Num, n_pixels: Type.Integer(), n_clipped: Type.Integer(), sigma: Type.Number(), maxiters: Type.Integer() }),
  run(input, p) {
    let n = 0;
    for (let i = 0; i < input.plane.data.length; i++) if (Number.isFinite(input.plane.data[i]!) && !(input.mask && input.mask[i])) n++;
    const s = streamingSigmaClippedStats(input.plane.data, input.mask, {
      sigmaLower: p.sigma_lower ?? p.sigma,
      sigmaUpper: p.sigma_upper ?? p.sigma,
      maxiters: p.maxiters,
      cenfunc: p.cenfunc,
      stdDdof: p.std_ddof,
    });
    return { results: { mean: num(s.mean), median: num(s.median), std: num(s.std), n_pixels: s.n, n_clipped: n - s.n, sigma: p.sigma, maxiters: p.maxiters } };
  },
});

export const biweight = defineAlgorithm({
  name: 'biweight',
  description: 'Robust location and scale: astropy biweight_location (c=6), biweight_scale (c=9), both around the median, and mad_std.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      c_location: Type.Number({ default: 6.0, exclusiveMinimum: 0, maximum: 100, description: 'Tuning constant of biweight_location' }),
      c_scale: Type.Number({ default: 9.0, exclusiveMinimum: 0, maximum: 100, description: 'Tuning constant of biweight_scale' }),
      modify_sample_size: Type.Boolean({ default: false, description: 'biweight_scale: use only the points inside the cut for n' }),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ biweight_location: Num, biweight_scale: Num, mad_std: Num, n_pixels: Type.Integer() }),
  run(input, p) {
    const v = validValues(input.plane, input.mask);
    return {
      results: {
        biweight_location: num(biweightLocation(v, p.c_location)),
        biweight_scale: num(biweightScale(v, p.c_scale, undefined, p.modify_sample_size)),
        mad_std: num(madStd(v)),
        n_pixels: v.length,
      },
    };
  },
});

export const percentiles = defineAlgorithm({
  name: 'percentiles',
  description: "Percentiles of the valid pixels (numpy 'linear' interpolation), keyed p<q> (p1, p99.5, ...).",
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      percentiles: Type.Array(Type.Number({ minimum: 0, maximum: 100 }), { default: [1, 5, 10, 25, 50, 75, 90, 95, 99], minItems: 1, maxItems: 1000 }),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ percentiles: Type.Record(Type.String(), Num), n_pixels: Type.Integer() }),
  run(input, p) {
    const v = validValues(input.plane, input.mask).sort();
    const values = percentilesSorted(v, p.percentiles);
    const out: Record<string, number | null> = {};
    p.percentiles.forEach((q, i) => (out[`p${q}`] = num(values[i]!)));
    return { results: { percentiles: out, n_pixels: v.length } };
  },
});

export const snr = defineAlgorithm({
  name: 'snr',
  description: 'Signal to noise: (max - background) / noise and (mean - background) / noise; background and noise default to the sigma-clipped median and std.',
  inputs: ['image'],
  outputs: [],
  parameters: Type.Object(
    {
      background: NullableNumber('Background level (default: sigma-clipped median)'),
      noise: NullableNumber('Noise (default: sigma-clipped std)', { exclusiveMinimum: 0 }),
      sigma: Sigma(3),
      maxiters: Maxiters(5),
    },
    { additionalProperties: false },
  ),
  result: Type.Object({ peak_snr: Num, mean_snr: Num, background: Num, noise: Num }),
  run(input, p) {
    const v = validValues(input.plane, input.mask);
    if (v.length === 0) throw new ValidationError('the image has no valid pixels');
    const r = signalToNoise(v, { background: p.background ?? undefined, noise: p.noise ?? undefined, sigma: p.sigma, maxiters: p.maxiters });
    return { results: { peak_snr: num(r.peak_snr), mean_snr: num(r.mean_snr), background: num(r.background), noise: num(r.noise) } };
  },
});

export const compare = defineAlgorithm({
  name: 'compare',
  description: 'Difference statistics of this image minus a second image of the same shape (other_file_path), over pixels valid in both.',
  inputs: ['image', 'second_image'],
  outputs: ['difference'],
  parameters: Type.Object(
    {
      other_file_path: Type.String({ minLength: 1, maxLength: 4096, description: 'Second image, relative to DATA_DIR' }),
      other_hdu: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { default: null, description: 'HDU of the second image (default: first image HDU)' }),
      write_difference: Type.Boolean({ default: false, description: 'Write the difference image as FITS' }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p) {
    if (!input.other) throw new ValidationError('compare needs a second image (other_file_path)');
    const r = compareImages(input.plane, input.other, input.mask);
    const results = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'n_pixels' ? v : num(v)]));
    if (!p.write_difference) return { results };
    const diff = new Float32Array(input.plane.data.length);
    for (let i = 0; i < diff.length; i++) diff[i] = input.plane.data[i]! - input.other.data[i]!;
    return { results, images: [{ name: 'difference', data: diff, description: 'image minus other image' }] };
  },
});
