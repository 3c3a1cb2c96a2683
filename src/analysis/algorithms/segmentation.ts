/** segmentation: background, threshold, detect_sources + deblend_sources + SourceCatalog. */
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { defineAlgorithm } from '../registry.js';
import { findSources } from '../segmentation/source-finder.js';
import { medianInPlace } from '../stats/select.js';
import { AnyResult, DeblendParameters, NullableNumber, backgroundSubtracted, jsonRow, num, scaled } from './common.js';
import { backgroundParameters, computeBackground } from './background.js';

const segmentationParameters = {
  threshold: NullableNumber('Detection threshold in data units above the background (default: nsigma * background RMS)'),
  nsigma: Type.Number({ default: 3, exclusiveMinimum: 0, maximum: 1000, description: 'Threshold in units of the background RMS when threshold is null' }),
  background: Type.Union([Type.Literal('mesh'), Type.Literal('global'), Type.Literal('none')], { default: 'global', description: 'Background to subtract first' }),
  box_size: backgroundParameters.box_size,
  filter_size: backgroundParameters.filter_size,
  kernel_fwhm: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100 }), Type.Null()], { default: 3.0, description: 'Smooth with a Gaussian of this FWHM before thresholding (null: no smoothing)' }),
  npixels: Type.Integer({ default: 10, minimum: 1, maximum: 1_000_000, description: 'Minimum connected pixels of a source' }),
  ...DeblendParameters,
  mode: Type.Union([Type.Literal('exponential'), Type.Literal('linear'), Type.Literal('sinh')], { default: 'exponential' }),
};

export const segmentation = defineAlgorithm({
  name: 'segmentation',
  description:
    'Image segmentation as photutils: subtract a background, optionally smooth, keep connected groups of npixels above the threshold (4/8 connectivity), deblend by multi-thresholding and watershed, then a source catalogue (centroid, area, flux, semi-axes, orientation, ellipticity, RA/Dec with a WCS). Writes the segmentation map.',
  inputs: ['image', 'error'],
  outputs: ['segmentation'],
  parameters: Type.Object(
    { ...segmentationParameters, max_rows: Type.Integer({ default: 10000, minimum: 0, maximum: 1_000_000, description: 'Catalogue rows returned' }), write_images: Type.Boolean({ default: true }) },
    { additionalProperties: false },
  ),
  result: AnyResult,
  run(input, p, ctx) {
    const { plane } = input;
    ctx.progress(0.05, 'background');
    const bkg =
      p.background === 'none'
        ? undefined
        : computeBackground(input, {
            method: p.background,
            box_size: p.box_size,
            filter_size: p.filter_size,
            sigma: 3,
            maxiters: 10,
            exclude_percentile: 10,
            bkg_estimator: 'sextractor',
            bkgrms_estimator: 'std',
            edge_method: 'pad',
            filter_threshold: null,
            coverage_mask: 'none',
            fill_value: 0,
          });
    const sub = backgroundSubtracted(input, bkg?.background);
    let threshold: number | Float64Array;
    if (p.threshold !== null) threshold = p.threshold;
    else if (bkg) threshold = scaled(bkg.rms, p.nsigma);
    else throw new ValidationError("segmentation with background 'none' needs an explicit threshold");
    ctx.progress(0.3, 'detecting');
    const found = findSources(
      { width: plane.width, height: plane.height, data: sub },
      {
        threshold,
        npixels: p.npixels,
        connectivity: p.connectivity,
        kernelFwhm: p.kernel_fwhm,
        deblend: p.deblend,
        nlevels: p.nlevels,
        contrast: p.contrast,
        mode: p.mode,
        error: input.error?.data,
        pixelToWorld: input.pixelToWorld,
      },
    );
    ctx.progress(0.9, 'catalogue');
    return {
      results: {
        n_sources: found.segmentation.nlabels,
        n_sources_before_deblending: found.nlabelsBeforeDeblend,
        threshold: typeof threshold === 'number' ? threshold : null,
        threshold_median: typeof threshold === 'number' ? threshold : num(medianInPlace(Float64Array.from(threshold))),
        background: bkg?.summary ?? null,
        catalog: found.catalog.slice(0, p.max_rows).map(jsonRow),
        catalog_truncated: found.catalog.length > p.max_rows,
      },
      images: p.write_images ? [{ name: 'segmentation', data: found.segmentation.labels, description: 'segmentation map (0 = background)' }] : [],
    };
  },
});
