/** background_2d: photutils Background2D equivalent (mesh) or a global sigma-clipped background. */
import { Type, type Static, type TObject } from 'typebox';
import { MeshBackground } from '../background/mesh-background.js';
import { defineAlgorithm, type OutputImage } from '../registry.js';
import { AnyResult, Maxiters, Sigma, SizePair, clippedStats, num } from './common.js';
import type { ImagePlane } from '../../core/image-plane.js';

export const backgroundParameters = {
  method: Type.Union([Type.Literal('mesh'), Type.Literal('global')], { default: 'mesh', description: "'mesh' = Background2D; 'global' = one sigma-clipped median and std" }),
  box_size: SizePair(50, 4096, 'Mesh box size in pixels, or [ny, nx]'),
  filter_size: SizePair(3, 99, 'Median filter size over the mesh, or [ny, nx]'),
  sigma: Sigma(3),
  maxiters: Maxiters(10),
  exclude_percentile: Type.Number({ default: 10, minimum: 0, maximum: 100, description: 'Boxes with more masked (or clipped) pixels than this percentage are replaced by interpolation' }),
  bkg_estimator: Type.Union([Type.Literal('sextractor'), Type.Literal('median'), Type.Literal('mean'), Type.Literal('mmm')], { default: 'sextractor' }),
  bkgrms_estimator: Type.Union([Type.Literal('std'), Type.Literal('mad_std')], { default: 'std' }),
  edge_method: Type.Union([Type.Literal('pad'), Type.Literal('crop')], { default: 'pad' }),
  filter_threshold: Type.Union([Type.Number(), Type.Null()], { default: null, description: 'Only filter meshes whose background exceeds this' }),
  coverage_mask: Type.Union([Type.Literal('none'), Type.Literal('nan')], { default: 'none', description: "'nan': pixels without data are outside the coverage and get fill_value" }),
  fill_value: Type.Number({ default: 0 }),
};

export interface BackgroundMaps {
  readonly background: Float64Array;
  readonly rms: Float64Array;
  readonly summary: Record<string, unknown>;
}

/** The background options as the schema states them (defaults filled in by validation). */
type BackgroundParams = Static<TObject<typeof backgroundParameters>>;

export function computeBackground(input: { plane: ImagePlane; mask?: Uint8Array }, p: BackgroundParams): BackgroundMaps {
  const { plane } = input;
  const n = plane.data.length;
  if (p.method === 'global') {
    const s = clippedStats(plane, input.mask, p.sigma, p.maxiters);
    return {
      background: new Float64Array(n).fill(s.median),
      rms: new Float64Array(n).fill(s.std),
      summary: { method: 'global', background_median: num(s.median), background_rms_median: num(s.std), background_mean: num(s.mean) },
    };
  }
  let coverage: Uint8Array | undefined;
  if (p.coverage_mask === 'nan') {
    coverage = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (!Number.isFinite(plane.data[i]!)) coverage[i] = 1;
  }
  const mb = new MeshBackground({
    boxSize: p.box_size,
    filterSize: p.filter_size,
    sigma: p.sigma,
    maxiters: p.maxiters,
    excludePercentile: p.exclude_percentile,
    edgeMethod: p.edge_method,
    bkgEstimator: p.bkg_estimator,
    bkgrmsEstimator: p.bkgrms_estimator,
    fillValue: p.fill_value,
    filterThreshold: p.filter_threshold,
  });
  const r = mb.compute(plane, input.mask, coverage);
  return {
    background: r.background,
    rms: r.backgroundRms,
    summary: {
      method: 'mesh',
      background_median: num(r.backgroundMedian),
      background_rms_median: num(r.backgroundRmsMedian),
      nboxes: [r.nboxesY, r.nboxesX],
      nboxes_used: r.nboxesUsed,
      nboxes_interpolated: r.nboxesX * r.nboxesY - r.nboxesUsed,
    },
  };
}

export const background2d = defineAlgorithm({
  name: 'background_2d',
  description:
    'Background and background RMS maps: photutils Background2D (sigma-clipped box statistics, IDW for excluded boxes, mesh median filter, cubic-spline zoom) or a global sigma-clipped level. Writes background, background_rms and background_subtracted images.',
  inputs: ['image'],
  outputs: ['background', 'background_rms', 'background_subtracted'],
  parameters: Type.Object({ ...backgroundParameters, write_images: Type.Boolean({ default: true }) }, { additionalProperties: false }),
  result: AnyResult,
  run(input, p, ctx) {
    ctx.progress(0.1, 'estimating background');
    const maps = computeBackground(input, p);
    ctx.progress(0.9, 'background done');
    const { plane } = input;
    let sub = 0;
    let subN = 0;
    const subtracted = new Float32Array(plane.data.length);
    for (let i = 0; i < subtracted.length; i++) {
      subtracted[i] = plane.data[i]! - maps.background[i]!;
      if (Number.isFinite(subtracted[i]!)) {
        sub += subtracted[i]!;
        subN++;
      }
    }
    const images: OutputImage[] = p.write_images
      ? [
          { name: 'background', data: Float32Array.from(maps.background), description: 'background' },
          { name: 'background_rms', data: Float32Array.from(maps.rms), description: 'background RMS' },
          { name: 'background_subtracted', data: subtracted, description: 'image minus background' },
        ]
      : [];
    return { results: { ...maps.summary, subtracted_mean: num(sub / subN) }, images };
  },
});
