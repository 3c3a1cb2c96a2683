/**
 * Tone curves and the composite's final ("overall") adjustment. The curves are the upstream
 * engine's (contract §4.4 step 5). The overall adjustment runs once on the combined colour image:
 * the channels are already display values in [0, 1], so zscale and linear leave them as they are
 * (the upstream engine stretched them a second time), the other stretches act as tone curves, and
 * black/white points are percentiles over all channels together.
 */
import { AsinhStretch, HistEqStretch, LogStretch, PowerStretch, SqrtStretch, type Stretch } from '../imaging/index.js';
import type { StretchName } from '../imaging/index.js';

export const TONE_CURVES = ['linear', 's_curve', 'inverse_s', 'shadows', 'highlights'] as const;
export type ToneCurve = (typeof TONE_CURVES)[number];

export function applyCurve(curve: ToneCurve, x: number): number {
  switch (curve) {
    case 's_curve': return x * x * (3 - 2 * x);
    case 'inverse_s': return 0.5 + Math.asin(2 * x - 1) / Math.PI;
    case 'shadows': return Math.pow(x, 0.7);
    case 'highlights': return Math.pow(x, 1.3);
    default: return x;
  }
}

export interface OverallAdjustment {
  readonly stretch: StretchName;
  readonly blackPoint: number;
  readonly whitePoint: number;
  readonly gamma: number;
  readonly asinhA: number;
}

function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Applies the overall adjustment in place to interleaved RGB display values (NaN = no data). */
export function applyOverall(rgb: Float32Array, o: OverallAdjustment): void {
  let stretch: Stretch | undefined;
  switch (o.stretch) {
    case 'asinh': stretch = new AsinhStretch(o.asinhA); break;
    case 'log': stretch = new LogStretch(1000); break;
    case 'sqrt': stretch = new SqrtStretch(); break;
    case 'power': stretch = new PowerStretch(1 / o.gamma); break;
    case 'histeq': {
      const finite = rgb.filter((v) => v === v).sort();
      stretch = new HistEqStretch(Float64Array.from(finite));
      break;
    }
    default: stretch = undefined; // zscale, linear: the channels are already normalised
  }
  if (stretch) for (let i = 0; i < rgb.length; i++) if (rgb[i] === rgb[i]) rgb[i] = stretch.apply(rgb[i]!);
  if (o.blackPoint > 0 || o.whitePoint < 1) {
    const sorted = rgb.filter((v) => v === v).sort();
    const bp = quantile(sorted, o.blackPoint);
    const wp = quantile(sorted, o.whitePoint);
    if (wp > bp) {
      const span = wp - bp;
      for (let i = 0; i < rgb.length; i++) if (rgb[i] === rgb[i]) rgb[i] = Math.min(1, Math.max(0, (rgb[i]! - bp) / span));
    }
  }
  if (o.gamma !== 1 && o.stretch !== 'power') {
    const e = 1 / o.gamma;
    for (let i = 0; i < rgb.length; i++) if (rgb[i] === rgb[i]) rgb[i] = Math.pow(Math.min(1, Math.max(0, rgb[i]!)), e);
  }
}
