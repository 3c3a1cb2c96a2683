/**
 * The quality score of a rendered composite (upstream-latest §1.6), on the cropped RGB before
 * rotation: coverage, per-channel signal-to-noise (sigma-clipped mean / std of lit pixels),
 * colour balance (min/max of channel medians) and tonal spread (p99 - p1), folded into 1..5.
 * Statistics of very large images use an evenly strided sample of at most 1 M pixels.
 */
import { percentilesOfMapped } from '../imaging/index.js';
import { streamingSigmaClippedStats } from '../analysis/stats/streaming-sigma-clip.js';
import type { RgbImage } from './canvas.js';

export interface QualityMetrics {
  readonly score: number;
  readonly snr: number;
  readonly balance: number;
  readonly spread: number;
  readonly coverage: number;
}

const LIT = 0.005;
const MAX_SAMPLE = 1_000_000;
const round2 = (x: number) => Math.round(x * 100) / 100;

export function qualityMetrics(img: RgbImage): QualityMetrics {
  const n = img.width * img.height;
  const d = img.data;
  if (n === 0) return { score: 1, snr: 0, balance: 0, spread: 0, coverage: 0 };
  const step = Math.max(1, Math.ceil(n / MAX_SAMPLE));
  let lit = 0;
  let sampled = 0;
  const samples = Math.ceil(n / step);
  // typed arrays, not growing number[]s: up to 3 M values per picture
  const channels = [0, 1, 2].map(() => new Float64Array(samples));
  const litCount = [0, 0, 0];
  const all = new Float64Array(samples * 3);
  let k = 0;
  for (let i = 0; i < n; i += step) {
    sampled++;
    const r = d[3 * i]!, g = d[3 * i + 1]!, b = d[3 * i + 2]!;
    if (r > LIT || g > LIT || b > LIT) lit++;
    for (let c = 0; c < 3; c++) {
      const v = d[3 * i + c]!;
      all[k++] = v;
      if (v > LIT) channels[c]![litCount[c]!++] = v;
    }
  }
  const coverage = lit / sampled;
  if (coverage < 0.001) return { score: 1, snr: 0, balance: 0, spread: 0, coverage: round2(coverage) };
  const snrs: number[] = [];
  const medians: number[] = [];
  for (const [c, buffer] of channels.entries()) {
    const values = buffer.subarray(0, litCount[c]!);
    if (values.length < 100) {
      snrs.push(0);
      continue;
    }
    const st = streamingSigmaClippedStats(values, undefined, { sigmaLower: 3, sigmaUpper: 3, maxiters: 5, cenfunc: 'median' });
    snrs.push(st.std > 0 ? st.mean / st.std : 0);
    if (st.median > LIT) medians.push(st.median);
  }
  const snr = snrs.reduce((a, b) => a + b, 0) / snrs.length;
  const balance = medians.length >= 2 ? Math.min(...medians) / Math.max(...medians) : 0;
  const [p1, p99] = percentilesOfMapped(all.subarray(0, k), [1, 99]) as [number, number];
  const spread = Math.min(p99 - p1, 1);
  const raw = 1 + 4 * (0.3 * Math.min(snr / 20, 1) + 0.25 * balance + 0.25 * spread + 0.2 * coverage);
  return { score: round2(Math.min(5, Math.max(1, raw))), snr: round2(snr), balance: round2(balance), spread: round2(spread), coverage: round2(coverage) };
}
