/**
 * Per-channel analysis for the composite page (upstream-latest §1.2 analyze-channels): each channel
 * reprojected onto a small common grid (at most 262,144 pixels), optionally neutralised, with a
 * 100-bin histogram and statistics of its lit pixels (> 0) and the auto-stretch suggestion.
 */
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { fitGridInBox } from '../reproject/grid-fit.js';
import { withCelestialImages } from '../reproject/load.js';
import { findOptimalCelestialWcs } from '../reproject/optimal-wcs.js';
import { autoStretchParams, type AutoStretchMeta } from './auto-stretch.js';
import { channelsOnGrid, instrumentOf, type NChannelChannel, type PipelineHooks } from './pipeline.js';

export const ANALYZE_GRID_PIXELS = 262_144;
const BINS = 100;

export interface ChannelAnalysis {
  readonly channel_name: string;
  readonly label: string;
  readonly params: { stretch: string; asinh_a: number; black_point: number; white_point: number; gamma: number; curve: string };
  readonly histogram: { counts: number[]; bin_centers: number[]; bin_edges: number[]; n_bins: number };
  readonly meta: AutoStretchMeta;
  readonly stats: { min: number; max: number; mean: number; std: number };
}

export interface AnalyzeSpec {
  readonly channels: ReadonlyArray<Pick<NChannelChannel, 'label' | 'paths'>>;
  readonly backgroundNeutralization: boolean;
  readonly limits: ViewerLimits;
}

function histogramOf(values: Float64Array): ChannelAnalysis['histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / BINS;
  const counts = new Array<number>(BINS).fill(0);
  for (const v of values) counts[Math.min(BINS - 1, Math.floor((v - lo) / width))]!++;
  const bin_edges = Array.from({ length: BINS + 1 }, (_, i) => lo + i * width);
  const bin_centers = Array.from({ length: BINS }, (_, i) => lo + (i + 0.5) * width);
  return { counts, bin_centers, bin_edges, n_bins: BINS };
}

function statsOf(values: Float64Array): ChannelAnalysis['stats'] {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, std: 0 };
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(ss / values.length) };
}

export async function analyzeChannels(spec: AnalyzeSpec, hooks: PipelineHooks = {}): Promise<{ channels: ChannelAnalysis[] }> {
  const allPaths = [...new Set(spec.channels.flatMap((c) => c.paths))];
  return withCelestialImages(allPaths, spec.limits, async (inputs) => {
    const byPath = new Map(inputs.map((img) => [img.path, img]));
    const native = findOptimalCelestialWcs(inputs);
    const side = Math.floor(Math.sqrt(ANALYZE_GRID_PIXELS));
    const grid = native.width * native.height > ANALYZE_GRID_PIXELS
      ? fitGridInBox(native, Math.max(1, Math.floor(side * Math.sqrt(native.width / native.height))), Math.max(1, Math.floor(side * Math.sqrt(native.height / native.width))))
      : native;
    const data = await channelsOnGrid({ channels: spec.channels, backgroundNeutralization: spec.backgroundNeutralization }, grid, byPath, hooks);
    const channels = spec.channels.map((c, i) => {
      const d = data[i]!;
      const lit = Float64Array.from(d.filter((v) => v > 0));
      const auto = autoStretchParams(d, instrumentOf(byPath.get(c.paths[0]!)!));
      const t = auto.tone;
      return {
        channel_name: c.label,
        label: c.label,
        params: { stretch: t.stretch, asinh_a: t.asinhA, black_point: t.blackPoint, white_point: t.whitePoint, gamma: t.gamma, curve: t.curve },
        histogram: histogramOf(lit),
        meta: auto.meta,
        stats: statsOf(lit),
      };
    });
    return { channels };
  });
}
