/** The colour mapping's arithmetic on the CPU (colorbar ticks, presets) and the DQ flag names. */
import type { Display } from './gl-renderer.js';
import type { PlaneStats } from './types.js';

/** Display position 0-1 of a data value, as the shader computes it. */
export function displayPosition(v: number, d: Pick<Display, 'vmin' | 'vmax' | 'stretch' | 'gamma' | 'asinhA'>): number {
  let x = Math.min(1, Math.max(0, (v - d.vmin) / (d.vmax - d.vmin || 1)));
  if (d.stretch === 'sqrt') x = Math.sqrt(x);
  else if (d.stretch === 'log') x = Math.log(1000 * x + 1) / Math.log(1001);
  else if (d.stretch === 'asinh') x = Math.asinh(x / d.asinhA) / Math.asinh(1 / d.asinhA);
  else if (d.stretch === 'squared') x = x * x;
  return x ** (1 / d.gamma);
}

export const LIMIT_PRESETS = ['zscale', '99.5', '99', 'minmax'] as const;
export type LimitPreset = (typeof LIMIT_PRESETS)[number];

export function presetLabel(p: LimitPreset): string {
  return p === 'zscale' ? 'zscale' : p === 'minmax' ? 'min/max' : p === '99.5' ? '0.5–99.5 %' : '1–99 %';
}

/** [vmin, vmax] of a preset from the plane statistics. */
export function presetLimits(p: LimitPreset, s: PlaneStats): [number, number] | null {
  const pc = (q: string) => s.percentiles[q] ?? null;
  const out: [number | null, number | null] =
    p === 'zscale' ? s.zscale ?? [null, null] : p === 'minmax' ? [s.min, s.max] : p === '99.5' ? [pc('0.5'), pc('99.5')] : [pc('1'), pc('99')];
  return out[0] !== null && out[1] !== null ? [out[0], out[1]] : null;
}

/** JWST data-quality bits (jwst.datamodels.dqflags). */
export const DQ_FLAGS = [
  'DO_NOT_USE', 'SATURATED', 'JUMP_DET', 'DROPOUT', 'OUTLIER', 'PERSISTENCE', 'AD_FLOOR', 'CHARGELOSS',
  'UNRELIABLE_ERROR', 'NON_SCIENCE', 'DEAD', 'HOT', 'WARM', 'LOW_QE', 'RC', 'TELEGRAPH',
  'NONLINEAR', 'BAD_REF_PIXEL', 'NO_FLAT_FIELD', 'NO_GAIN_VALUE', 'NO_LIN_CORR', 'NO_SAT_CHECK', 'UNRELIABLE_BIAS', 'UNRELIABLE_DARK',
  'UNRELIABLE_SLOPE', 'UNRELIABLE_FLAT', 'OPEN', 'ADJ_OPEN', 'FLUX_ESTIMATED', 'MSA_FAILED_OPEN', 'OTHER_BAD_PIXEL', 'REFERENCE_PIXEL',
];

export function dqBits(v: number): string {
  if (v === 0) return 'GOOD';
  const names: string[] = [];
  for (let b = 0; b < 32; b++) if (Math.floor(v / 2 ** b) % 2 === 1) names.push(`${b}:${DQ_FLAGS[b]}`);
  return names.join(' | ');
}

/** A round length (1, 2, 5 x 10^n arcsec) close to `arcsec`. */
export function roundArcsec(arcsec: number): number {
  const p = 10 ** Math.floor(Math.log10(arcsec));
  const m = arcsec / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

export function arcsecLabel(a: number): string {
  if (a >= 3600) return `${+(a / 3600).toPrecision(3)}°`;
  if (a >= 60) return `${+(a / 60).toPrecision(3)}′`;
  return `${+a.toPrecision(3)}″`;
}

/** Round tick values between lo and hi (about n of them). */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  const step = (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1 ? 2 : 1) * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(+v.toPrecision(4));
}
