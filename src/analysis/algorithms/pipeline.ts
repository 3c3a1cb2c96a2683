/**
 * standard_pipeline, as the original engine defined it: background (Background2D, box 50,
 * filter 3, median estimator) -> subtract -> noise reduction (astropy Gaussian, sigma 1) ->
 * statistics -> detection (segmentation at nsigma x background RMS, deblended, catalogue).
 * Each step's time and summary is reported; the images of each step can be written.
 */
import { Type } from 'typebox';
import { defineAlgorithm, type OutputImage } from '../registry.js';
import { astropyConvolveSeparable, gaussianKernel1d } from '../filters/astropy-convolve.js';
import { basicStatsOf } from '../stats/basic.js';
import { SigmaClip, sigmaClippedStatsOf } from '../stats/sigma-clip.js';
import { biweightLocation, biweightScale, madStd } from '../stats/robust.js';
import { findSources } from '../segmentation/source-finder.js';
import { sourceCatalog } from '../segmentation/catalog.js';
import { AnyResult, DeblendParameters, SizePair, backgroundSubtracted, jsonRow, num, scaled } from './common.js';
import { computeBackground } from './background.js';

export const standardPipeline = defineAlgorithm({
  name: 'standard_pipeline',
  description: 'background -> subtract -> noise reduction -> statistics -> detection, run as one algorithm (the original engine’s create_standard_pipeline).',
  inputs: ['image', 'error'],
  outputs: ['background', 'background_subtracted', 'smoothed', 'segmentation'],
  parameters: Type.Object(
    {
      box_size: SizePair(50, 4096, 'Background mesh box size'),
      filter_size: SizePair(3, 99, 'Background mesh filter size'),
      bkg_estimator: Type.Union([Type.Literal('median'), Type.Literal('sextractor'), Type.Literal('mean'), Type.Literal('mmm')], { default: 'median' }),
      noise_sigma: Type.Number({ default: 1.0, minimum: 0, maximum: 50, description: 'Gaussian smoothing stddev (0: none)' }),
      sigma: Type.Number({ default: 3.0, exclusiveMinimum: 0, description: 'Statistics clipping sigma' }),
      detect: Type.Boolean({ default: true }),
      nsigma: Type.Number({ default: 5.0, exclusiveMinimum: 0 }),
      npixels: Type.Integer({ default: 10, minimum: 1, maximum: 1_000_000 }),
      ...DeblendParameters,
      max_rows: Type.Integer({ default: 10000, minimum: 0, maximum: 1_000_000 }),
      write_images: Type.Boolean({ default: true }),
    },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p, ctx) {
    const steps: Array<{ step: string; ms: number; summary: Record<string, unknown> }> = [];
    const time = <T>(step: string, fn: () => T, summary: (r: T) => Record<string, unknown>): T => {
      const t0 = performance.now();
      const r = fn();
      steps.push({ step, ms: Math.round((performance.now() - t0) * 10) / 10, summary: summary(r) });
      return r;
    };
    const { plane } = input;
    const n = plane.data.length;
    ctx.progress(0.05, 'background');
    const bkg = time(
      'background',
      () =>
        computeBackground(input, {
          method: 'mesh', box_size: p.box_size, filter_size: p.filter_size, sigma: 3, maxiters: 10, exclude_percentile: 10,
          bkg_estimator: p.bkg_estimator, bkgrms_estimator: 'std', edge_method: 'pad', filter_threshold: null, coverage_mask: 'none', fill_value: 0,
        }),
      (r) => r.summary,
    );
    const sub = time('subtract', () => backgroundSubtracted(input, bkg.background), () => ({}));
    const subPlane = { width: plane.width, height: plane.height, data: sub };
    ctx.progress(0.35, 'noise reduction');
    const smooth = time(
      'noise_reduction',
      () => {
        if (p.noise_sigma === 0) return sub;
        const k = gaussianKernel1d(p.noise_sigma);
        return astropyConvolveSeparable(subPlane, k, k);
      },
      () => ({ method: 'astropy_gaussian', sigma: p.noise_sigma }),
    );
    ctx.progress(0.5, 'statistics');
    const stats = time(
      'statistics',
      () => {
        const finite = smooth.filter((v) => Number.isFinite(v));
        const clipped = sigmaClippedStatsOf(Float64Array.from(finite), new SigmaClip({ sigma: p.sigma, maxiters: 5 }));
        const basic = basicStatsOf(Float64Array.from(finite), n - finite.length);
        const robust = finite.length >= 10
          ? { biweight_location: num(biweightLocation(finite)), biweight_scale: num(biweightScale(finite)), mad_std: num(madStd(finite)) }
          : { biweight_location: null, biweight_scale: null, mad_std: null };
        return { ...Object.fromEntries(Object.entries(basic).map(([k, v]) => [k, num(v)])), clipped_mean: num(clipped.mean), clipped_median: num(clipped.median), clipped_std: num(clipped.std), ...robust };
      },
      (r) => r,
    );
    let detection: Record<string, unknown> | null = null;
    let segmentation: Int32Array | undefined;
    if (p.detect) {
      ctx.progress(0.6, 'detection');
      const found = time(
        'detection',
        () =>
          findSources(
            { width: plane.width, height: plane.height, data: smooth },
            { threshold: scaled(bkg.rms, p.nsigma), npixels: p.npixels, connectivity: p.connectivity, deblend: p.deblend, nlevels: p.nlevels, contrast: p.contrast, kernelFwhm: null, pixelToWorld: input.pixelToWorld },
          ),
        (r) => ({ n_sources: r.segmentation.nlabels }),
      );
      // catalogue fluxes from the unsmoothed, background-subtracted image
      segmentation = found.segmentation.labels;
      const catalog = sourceCatalog(sub, found.segmentation, { error: input.error?.data, pixelToWorld: input.pixelToWorld });
      detection = { method: 'segmentation', threshold_sigma: p.nsigma, n_sources: found.segmentation.nlabels, catalog: catalog.slice(0, p.max_rows).map(jsonRow) };
    }
    ctx.progress(0.95, 'writing');
    const images: OutputImage[] = [];
    if (p.write_images) {
      images.push({ name: 'background', data: Float32Array.from(bkg.background), description: 'background' });
      images.push({ name: 'background_subtracted', data: Float32Array.from(sub), description: 'image minus background' });
      images.push({ name: 'smoothed', data: Float32Array.from(smooth), description: `background subtracted, Gaussian sigma ${p.noise_sigma}` });
      if (segmentation) images.push({ name: 'segmentation', data: segmentation, description: 'segmentation map' });
    }
    return { results: { steps, background: bkg.summary, statistics: stats, detection }, images };
  },
});
