/** POST /composite/estimate: the grid plan of a composite from the headers alone (no pixels read). */
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { withCelestialImages } from '../reproject/load.js';
import { planGrid, type BudgetOptions } from './grid-plan.js';

export interface EstimateSpec extends Omit<BudgetOptions, 'channelCount'> {
  readonly channels: ReadonlyArray<{ readonly paths: readonly string[] }>;
  readonly limits: ViewerLimits;
}

export interface EstimateResponse {
  readonly status: 'ok' | 'warn' | 'fail';
  readonly original_shape: [number, number];
  readonly output_shape: [number, number];
  readonly side_factor: number;
  readonly detail: string;
  readonly memory_limit_mb: number;
  readonly fail_threshold: number;
}

export async function estimateComposite(spec: EstimateSpec): Promise<EstimateResponse> {
  const paths = [...new Set(spec.channels.flatMap((c) => c.paths))];
  return withCelestialImages(paths, spec.limits, async (inputs) => {
    // the estimate says what would happen without forcing: a forced downscale reports as fail
    const plan = planGrid(inputs, { ...spec, allowForceDownscale: false, channelCount: spec.channels.length });
    return {
      status: plan.status === 'forced' ? 'fail' : plan.status,
      original_shape: plan.originalShape,
      output_shape: plan.outputShape,
      side_factor: Math.round(plan.sideFactor * 1000) / 1000,
      detail: plan.detail,
      memory_limit_mb: plan.memoryLimitMb,
      fail_threshold: spec.failThreshold,
    };
  });
}
