/**
 * Signal-to-noise of an image (the original `compute_snr`): background and noise default to the
 * sigma-clipped median and standard deviation (sigma 3, 5 iterations); peak SNR uses the maximum,
 * mean SNR the mean of the valid pixels.
 */
import { SigmaClip, sigmaClippedStatsOf } from './sigma-clip.js';

export interface SnrResult {
  readonly peak_snr: number;
  readonly mean_snr: number;
  readonly background: number;
  readonly noise: number;
}

export function signalToNoise(values: Float64Array, options: { background?: number; noise?: number; sigma?: number; maxiters?: number } = {}): SnrResult {
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / values.length;
  let { background, noise } = options;
  if (background === undefined || noise === undefined) {
    const s = sigmaClippedStatsOf(Float64Array.from(values), new SigmaClip({ sigma: options.sigma ?? 3, maxiters: options.maxiters ?? 5 }));
    background ??= s.median;
    noise ??= s.std;
  }
  const ok = noise > 0 && Number.isFinite(noise);
  return {
    peak_snr: ok ? (max - background) / noise : NaN,
    mean_snr: ok ? (mean - background) / noise : NaN,
    background,
    noise,
  };
}
