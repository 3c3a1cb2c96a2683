/**
 * One channel's tone mapping, the upstream N-channel pipeline's step 7 (upstream-latest §1.3):
 * stretch -> levels (percentiles of the stretched channel) -> x^(1/gamma) (not for power) ->
 * curve -> clip. asinh, log, sqrt, power and histeq normalise by the 0.1/99.9 percentiles, linear
 * by min-max, zscale by the zscale interval. Unlike upstream, every statistic is taken over the
 * covered pixels only (NaN = no coverage), so an empty border does not pull the levels down.
 */
import { AsinhStretch, HistEqStretch, LinearStretch, LogStretch, PowerStretch, SqrtStretch, statisticsOf, ZScaleInterval, type Stretch } from '../imaging/index.js';
import { lerp, orderStatistics, percentileRanks } from '../imaging/quantiles.js';
import type { NumericArray } from '../imaging/finite.js';
import { STRETCH_NAMES, type StretchName } from '../imaging/index.js';
import { applyCurve, type ToneCurve } from '../reproject/tone.js';

export { STRETCH_NAMES, type StretchName, type ToneCurve };

export interface ChannelTone {
  readonly stretch: StretchName;
  readonly blackPoint: number;
  readonly whitePoint: number;
  readonly gamma: number;
  readonly asinhA: number;
  readonly curve: ToneCurve;
}

/**
 * The finite values of `data` (a copy: percentile selection reorders it), float32 when the data
 * are (the same values in half the memory: their order statistics are the same numbers).
 */
function finiteCopy(data: ArrayLike<number>): NumericArray {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! === 0) n++;
  const out = data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  let k = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v === 0) out[k++] = v;
  }
  return out;
}

/**
 * numpy-linear percentiles of a channel's covered (finite) values, for several calls on the same,
 * unchanged data: the finite values are copied once and every order statistic found is kept, so
 * the auto-stretch and the tone mapping of a channel (which ask for the same 0.1/99.9 and level
 * percentiles) select over the channel once instead of copying and selecting four times.
 * The data must not change while the object is in use.
 */
export class CoveredOrder {
  readonly count: number;
  private values: NumericArray | undefined;
  private readonly known = new Map<number, number>();

  constructor(private readonly data: ArrayLike<number>) {
    let n = 0;
    for (let i = 0; i < data.length; i++) if (data[i]! - data[i]! === 0) n++;
    this.count = n;
  }

  /** As percentilesOfMapped(finite values, qs, f), f non-decreasing. */
  percentiles(qs: readonly number[], f: (v: number) => number = (v) => v): number[] {
    const n = this.count;
    if (n === 0) return qs.map(() => NaN);
    const ranks = qs.map((q) => percentileRanks(q, n));
    const missing = ranks.flatMap(([lo, hi]) => [lo, hi]).filter((k) => !this.known.has(k));
    if (missing.length > 0) {
      this.values ??= finiteCopy(this.data);
      for (const [k, v] of orderStatistics(this.values, missing)) this.known.set(k, v);
    }
    return ranks.map(([lo, hi, frac]) => lerp(f(this.known.get(lo)!), f(this.known.get(hi)!), frac));
  }

  /** The finite values (a copy the caller may reorder). */
  finite(): Float64Array {
    return Float64Array.from(this.values ?? finiteCopy(this.data));
  }
}

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Raw value -> normalised [0, 1] -> stretched, for one channel's data. */
export interface ChannelStretch {
  readonly vmin: number;
  readonly vmax: number;
  readonly stretch: Stretch;
  apply(v: number): number;
}

export function channelStretch(
  data: ArrayLike<number>,
  tone: Pick<ChannelTone, 'stretch' | 'asinhA' | 'gamma'>,
  order: CoveredOrder = new CoveredOrder(data),
): ChannelStretch {
  let vmin = 0;
  let vmax = 1;
  if (order.count > 0) {
    if (tone.stretch === 'zscale') {
      ({ vmin, vmax } = new ZScaleInterval().limitsFromSample(statisticsOf(data).zscaleSample(1000)));
    } else if (tone.stretch === 'linear') {
      [vmin, vmax] = order.percentiles([0, 100]) as [number, number];
    } else {
      [vmin, vmax] = order.percentiles([0.1, 99.9]) as [number, number];
    }
  }
  const span = vmax - vmin;
  let stretch: Stretch;
  switch (tone.stretch) {
    case 'asinh': stretch = new AsinhStretch(tone.asinhA); break;
    case 'log': stretch = new LogStretch(1000); break;
    case 'sqrt': stretch = new SqrtStretch(); break;
    case 'power': stretch = new PowerStretch(1 / tone.gamma); break;
    case 'histeq': {
      // astropy HistEqStretch over the normalised data
      const finite = order.finite();
      const sorted = new Float64Array(finite.length);
      for (let i = 0; i < finite.length; i++) sorted[i] = span > 0 ? clip01((finite[i]! - vmin) / span) : 0;
      sorted.sort();
      stretch = new HistEqStretch(sorted);
      break;
    }
    default: stretch = new LinearStretch();
  }
  const apply = span > 0 ? (v: number) => stretch.apply((v - vmin) / span) : () => 0;
  return { vmin, vmax, stretch, apply };
}

/**
 * Tone-maps a channel into `out` (display values in [0, 1], NaN where `data` is NaN). `out` may be
 * `data` itself. `order`: the channel's order statistics already taken (by the auto-stretch).
 */
export function toneChannel(data: Float32Array, tone: ChannelTone, out: Float32Array = data, order: CoveredOrder = new CoveredOrder(data)): Float32Array {
  const s = channelStretch(data, tone, order);
  let lo = 0;
  let width = 1;
  if (tone.blackPoint > 0 || tone.whitePoint < 1) {
    const [bp, wp] = order.percentiles([tone.blackPoint * 100, tone.whitePoint * 100], s.apply);
    if (wp! > bp!) {
      lo = bp!;
      width = wp! - bp!;
    }
  }
  const exponent = tone.stretch !== 'power' && tone.gamma !== 1 ? 1 / tone.gamma : 1;
  const curve = tone.curve;
  const span = s.vmax - s.vmin;
  if (s.stretch instanceof AsinhStretch && span > 0) {
    // The default stretch with its arithmetic written out (AsinhStretch.apply of (v - vmin) / span):
    // the same values without two calls per pixel.
    const { vmin } = s;
    const a = s.stretch.a;
    const den = Math.asinh(1 / a);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v !== v) {
        out[i] = NaN;
        continue;
      }
      let x = clip01((Math.asinh(clip01((v - vmin) / span) / a) / den - lo) / width);
      if (exponent !== 1) x = x ** exponent;
      if (curve !== 'linear') x = clip01(applyCurve(curve, x));
      out[i] = x;
    }
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== v) {
      out[i] = NaN;
      continue;
    }
    let x = clip01((s.apply(v) - lo) / width);
    if (exponent !== 1) x = x ** exponent;
    if (curve !== 'linear') x = clip01(applyCurve(curve, x));
    out[i] = x;
  }
  return out;
}
