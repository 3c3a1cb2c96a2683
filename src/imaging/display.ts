/**
 * The display pipeline of a preview: interval -> stretch -> black/white levels -> gamma, giving
 * each raw pixel value a display value in [0, 1] (NaN for no data). It is the upstream engine's
 * chain (contract §4.2) with NaN and infinities excluded from every statistic instead of becoming 0.
 *
 *   zscale:  limits from ZScaleInterval, linear between them
 *   linear:  limits = finite min/max
 *   asinh | log | sqrt | power | histeq: min/max normalization, then the astropy stretch
 *   black/white point: percentiles (0..1 -> 0..100 %) of the stretched finite pixels
 *   gamma:   x ** (1 / gamma), except with the power stretch, whose exponent is already 1 / gamma
 */
import { ZScaleInterval } from './intervals.js';
import { percentileOfSorted, percentilesOfMapped } from './quantiles.js';
import { statisticsOf, type DisplayStatistics } from './statistics.js';
import { AsinhStretch, HistEqStretch, LinearStretch, LogStretch, PowerStretch, SqrtStretch, type Stretch } from './stretches.js';

export const STRETCH_NAMES = ['zscale', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear'] as const;
export type StretchName = (typeof STRETCH_NAMES)[number];

export interface DisplayOptions {
  readonly stretch: StretchName;
  /** 0.1..5; the power stretch's exponent is 1/gamma, other stretches get x ** (1/gamma) after levels. */
  readonly gamma?: number;
  /** Percentile fractions 0..1 of the stretched pixels mapped to 0 and 1. */
  readonly blackPoint?: number;
  readonly whitePoint?: number;
  /** Softening of the asinh stretch (0.001..1). */
  readonly asinhA?: number;
  /** `a` of the log stretch (upstream fixes it at 1000). */
  readonly logA?: number;
}

export const DEFAULT_DISPLAY: Required<DisplayOptions> = {
  stretch: 'zscale',
  gamma: 1,
  blackPoint: 0,
  whitePoint: 1,
  asinhA: 0.1,
  logA: 1000,
};

/** What was really applied, for reports (the histogram endpoint returns it). */
export interface AppliedDisplay {
  readonly stretch: StretchName;
  /** Raw-data limits mapped to 0 and 1 before the stretch. */
  readonly vmin: number | null;
  readonly vmax: number | null;
  readonly interval: 'zscale' | 'minmax';
  /** Stretched values picked by the black/white points, or null when the levels were not applied. */
  readonly black_level: number | null;
  readonly white_level: number | null;
  /** Exponent of the final gamma step (1/gamma), or null when none was applied. */
  readonly gamma_exponent: number | null;
  /** Exponent of the power stretch, when it is the stretch. */
  readonly power: number | null;
  readonly asinh_a: number | null;
  readonly log_a: number | null;
  /** Finite pixels the statistics used; `statistics_sampled` when they are a sample of a huge image. */
  readonly finite_pixels: number;
  readonly statistics_sampled: boolean;
}

export interface DisplayMapping {
  readonly applied: AppliedDisplay;
  /** Raw value -> display value in [0, 1]; NaN for non-finite input or an image without finite pixels. */
  map(value: number): number;
  /**
   * Set when map(v) is exactly clip((v - vmin) / span, 0, 1) (zscale or linear, no levels, no
   * gamma), so renderers can inline it; they must give the same result as map().
   */
  readonly affine?: { readonly vmin: number; readonly span: number };
}

function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Builds the mapping from an in-memory array, or from statistics gathered elsewhere. */
export function buildDisplayMapping(source: ArrayLike<number> | DisplayStatistics, options: DisplayOptions): DisplayMapping {
  const stats = isStatistics(source) ? source : statisticsOf(source);
  const o = { ...DEFAULT_DISPLAY, ...definedOnly(options) };
  const { count, min, max } = stats.summary;
  const base = {
    stretch: o.stretch,
    power: o.stretch === 'power' ? 1 / o.gamma : null,
    asinh_a: o.stretch === 'asinh' ? o.asinhA : null,
    log_a: o.stretch === 'log' ? o.logA : null,
    finite_pixels: count,
    statistics_sampled: stats.sampled,
  };
  if (count === 0) {
    return {
      applied: { ...base, interval: o.stretch === 'zscale' ? 'zscale' : 'minmax', vmin: null, vmax: null, black_level: null, white_level: null, gamma_exponent: null },
      map: () => NaN,
    };
  }

  let vmin = min;
  let vmax = max;
  if (o.stretch === 'zscale') {
    ({ vmin, vmax } = new ZScaleInterval().limitsFromSample(stats.zscaleSample(1000)));
  }
  const span = vmax - vmin;
  const normalize = span === 0 ? () => 0 : (v: number) => clip01((v - vmin) / span);

  let sortedNormalized: Float64Array | undefined;
  let stretch: Stretch;
  switch (o.stretch) {
    case 'asinh': stretch = new AsinhStretch(o.asinhA); break;
    case 'log': stretch = new LogStretch(o.logA); break;
    case 'sqrt': stretch = new SqrtStretch(); break;
    case 'power': stretch = new PowerStretch(1 / o.gamma); break;
    case 'histeq': {
      if (span === 0) {
        stretch = new LinearStretch();
        break;
      }
      // astropy HistEqStretch(finite data): sorted, normalized by the data's own min/max.
      sortedNormalized = stats.finiteValues();
      for (let i = 0; i < sortedNormalized.length; i++) sortedNormalized[i] = (sortedNormalized[i]! - min) / span;
      sortedNormalized.sort();
      stretch = new HistEqStretch(sortedNormalized);
      break;
    }
    default: stretch = new LinearStretch();
  }
  const stretched = (v: number): number => stretch.apply(normalize(v));

  let blackLevel: number | null = null;
  let whiteLevel: number | null = null;
  let levels = clip01;
  if (o.blackPoint > 0 || o.whitePoint < 1) {
    const qs = [o.blackPoint * 100, o.whitePoint * 100];
    // Every step above is non-decreasing, so percentiles of stretched pixels come from raw order statistics.
    const [bp, wp] = sortedNormalized
      ? qs.map((q) => percentileOfSorted(sortedNormalized!, q, (x) => stretch.apply(x)))
      : percentilesOfMapped(stats.finiteValues(), qs, stretched);
    blackLevel = bp!;
    whiteLevel = wp!;
    if (wp! > bp!) {
      const lo = bp!;
      const width = wp! - bp!;
      levels = (s) => clip01((s - lo) / width);
    }
  }

  const gammaExponent = o.stretch !== 'power' && o.gamma !== 1 ? 1 / o.gamma : null;
  const map = gammaExponent === null
    ? (v: number) => (v - v !== 0 ? NaN : clip01(levels(stretched(v))))
    : (v: number) => (v - v !== 0 ? NaN : clip01(clip01(levels(stretched(v))) ** gammaExponent));

  const affine = (o.stretch === 'zscale' || o.stretch === 'linear') && levels === clip01 && gammaExponent === null && span > 0
    ? { vmin, span }
    : undefined;
  return {
    affine,
    applied: {
      ...base,
      interval: o.stretch === 'zscale' ? 'zscale' : 'minmax',
      vmin,
      vmax,
      black_level: blackLevel,
      white_level: whiteLevel,
      gamma_exponent: gammaExponent,
    },
    map,
  };
}

function isStatistics(x: ArrayLike<number> | DisplayStatistics): x is DisplayStatistics {
  return typeof (x as DisplayStatistics).zscaleSample === 'function';
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
