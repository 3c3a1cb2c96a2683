/**
 * Tone parameters chosen from a channel's own data (upstream-latest §1.4), with its defect 1 fixed:
 * the gamma is solved so that the rendered median of the lit pixels lands on 0.28 through the same
 * steps the renderer applies (normalisation over covered pixels, asinh, levels, x^(1/gamma), curve),
 * instead of an inverted guess. Run on a neutralised channel (sky near 0, NaN = no coverage).
 */
import { percentilesOfMapped } from '../imaging/index.js';
import { applyCurve, type ToneCurve } from '../reproject/tone.js';
import { skyLevel } from './channel-data.js';
import { channelStretch, CoveredOrder, type ChannelTone } from './tone.js';

export interface AutoStretchMeta {
  readonly dynamic_range: number;
  readonly noise: number;
  readonly snr: number;
  readonly hdr_detected: boolean;
  readonly curve_reason: string;
  readonly instrument_adjusted: boolean;
  readonly valid_pixels: number;
  readonly zero_coverage_frac: number;
}

export interface AutoStretch {
  readonly tone: ChannelTone;
  readonly meta: AutoStretchMeta;
}

const TARGET_MEDIAN = 0.28;
const MAX_SIMULATED = 50_000;
const round = (x: number, dp: number) => Math.round(x * 10 ** dp) / 10 ** dp;
const clip = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function fallback(reason: string, valid: number, zeroFrac: number): AutoStretch {
  return {
    tone: { stretch: 'asinh', asinhA: 0.02, blackPoint: 0.02, whitePoint: 0.995, gamma: 1.2, curve: 's_curve' },
    meta: { dynamic_range: 0, noise: 0, snr: 0, hdr_detected: false, curve_reason: reason, instrument_adjusted: false, valid_pixels: valid, zero_coverage_frac: round(zeroFrac, 4) },
  };
}

/** x with curve(x) = y (curves are increasing on [0, 1]). */
function inverseCurve(curve: ToneCurve, y: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (applyCurve(curve, mid) < y) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** `order`: the channel's covered order statistics, shared with its tone mapping (tone.ts). */
export function autoStretchParams(data: Float32Array, instrument?: string, order: CoveredOrder = new CoveredOrder(data)): AutoStretch {
  let covered = 0;
  let validCount = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === v) {
      covered++;
      if (v > 0) validCount++;
    }
  }
  const zeroFrac = covered > 0 ? 1 - validCount / covered : 1;
  if (validCount < 100) return fallback('insufficient_data', validCount, zeroFrac);
  const valid = new Float32Array(validCount);
  for (let i = 0, k = 0; i < data.length; i++) if (data[i]! > 0) valid[k++] = data[i]!;
  const noise = skyLevel(valid).std;
  // the raw values of the simulated render's sample, taken before the selection below reorders `valid`
  const step = Math.max(1, Math.floor(validCount / MAX_SIMULATED));
  const sampled: number[] = [];
  for (let i = 0; i < validCount; i += step) sampled.push(valid[i]!);
  const [vmin, vmax, p9999] = percentilesOfMapped(valid, [0.1, 99.9, 99.99]) as [number, number, number];
  const range = vmax - vmin;
  if (!(range >= 1e-10) || !(noise >= 1e-15)) return fallback('constant_data', validCount, zeroFrac);
  const hdr = vmax / noise > 5000;
  let a = hdr ? clip(noise / range, 0.003, 0.02) : clip((2 * noise) / range, 0.003, 0.5);
  let below = 0;
  for (let i = 0; i < valid.length; i++) if (valid[i]! < 2 * noise) below++;
  const blackPoint = clip(zeroFrac + (1 - zeroFrac) * (below / validCount) * 0.7, 0, 0.15);
  const tail = p9999 / vmax;
  const whitePoint = tail > 3 ? 0.99 : tail > 1.5 ? 0.995 : 1;
  const snr = vmax / noise;
  const [curve, reason]: [ToneCurve, string] = hdr ? ['shadows', 'hdr'] : snr > 100 ? ['s_curve', 'high_snr'] : snr > 10 ? ['shadows', 'medium_snr'] : ['linear', 'noisy'];
  const miri = (instrument ?? '').toUpperCase().startsWith('MIRI');
  if (miri) a = Math.min(a, 0.015);
  a = round(a, 4);

  // Simulate the render: the same stretch and levels, then the median of the lit pixels.
  const s = channelStretch(data, { stretch: 'asinh', asinhA: a, gamma: 1 }, order);
  let lo = 0;
  let width = 1;
  if (blackPoint > 0 || whitePoint < 1) {
    const [bp, wp] = order.percentiles([round(blackPoint, 4) * 100, whitePoint * 100], s.apply);
    if (wp! > bp!) {
      lo = bp!;
      width = wp! - bp!;
    }
  }
  const sample = sampled.map((v) => clip((s.apply(v) - lo) / width, 0, 1));
  sample.sort((x, y) => x - y);
  const m = sample[sample.length >> 1]!;
  // curve(m^(1/gamma)) = target  ->  gamma = ln m / ln curve^-1(target)
  const gamma = m <= 0.001 ? 5 : m >= 0.999 ? 0.6 : clip(Math.log(m) / Math.log(inverseCurve(curve, TARGET_MEDIAN)), 0.6, 5);
  return {
    tone: { stretch: 'asinh', asinhA: a, blackPoint: round(blackPoint, 4), whitePoint: round(whitePoint, 4), gamma: round(gamma, 2), curve },
    meta: {
      dynamic_range: round(vmax / noise, 1), noise: round(noise, 6), snr: round(snr, 1), hdr_detected: hdr, curve_reason: reason,
      instrument_adjusted: miri, valid_pixels: validCount, zero_coverage_frac: round(zeroFrac, 4),
    },
  };
}
