/** Schema pieces and helpers the algorithm definitions share. */
import { Type } from 'typebox';
import type { ImagePlane } from '../../core/image-plane.js';
import type { PixelMask } from '../mask.js';
import type { AlgorithmInput } from '../registry.js';
import type { ClippedStats } from '../stats/sigma-clip.js';
import { streamingSigmaClippedStats } from '../stats/streaming-sigma-clip.js';

export const Sigma = (def: number, description = 'Number of standard deviations for the clipping limits') =>
  Type.Number({ default: def, exclusiveMinimum: 0, maximum: 1000, description });
export const Maxiters = (def: number) => Type.Integer({ default: def, minimum: 1, maximum: 1000, description: 'Maximum number of sigma-clipping iterations' });
export const BoundaryModeSchema = Type.Union(
  [Type.Literal('reflect'), Type.Literal('mirror'), Type.Literal('nearest'), Type.Literal('wrap'), Type.Literal('constant')],
  { default: 'reflect', description: 'scipy.ndimage boundary mode' },
);
/** An integer size, or [ny, nx] (numpy axis order, as photutils). */
export const SizePair = (def: number, max: number, description: string) =>
  Type.Union([Type.Integer({ minimum: 1, maximum: max }), Type.Tuple([Type.Integer({ minimum: 1, maximum: max }), Type.Integer({ minimum: 1, maximum: max })])], { default: def, description });

/** Connected-component and deblending options shared by segmentation and the standard pipeline. */
export const DeblendParameters = {
  connectivity: Type.Union([Type.Literal(4), Type.Literal(8)], { default: 8 }),
  deblend: Type.Boolean({ default: true }),
  nlevels: Type.Integer({ default: 32, minimum: 1, maximum: 1000 }),
  contrast: Type.Number({ default: 0.001, minimum: 0, maximum: 1 }),
};

export const NullableNumber = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Union([Type.Number(extra), Type.Null()], { default: null, description });

export const AnyResult = Type.Object({}, { additionalProperties: true });

export function clippedStats(plane: ImagePlane, mask?: PixelMask, sigma = 3, maxiters = 5): ClippedStats {
  return streamingSigmaClippedStats(plane.data, mask, { sigmaLower: sigma, sigmaUpper: sigma, maxiters, cenfunc: 'median' });
}

export function subtract(plane: ImagePlane, background: number | ArrayLike<number>): ImagePlane<Float64Array> {
  const data = new Float64Array(plane.data.length);
  for (let i = 0; i < data.length; i++) data[i] = plane.data[i]! - (typeof background === 'number' ? background : background[i]!);
  return { width: plane.width, height: plane.height, data };
}

/** The image minus a background map (or nothing), masked pixels NaN: what detection runs on. */
export function backgroundSubtracted(input: AlgorithmInput, background?: ArrayLike<number>): Float64Array {
  const { plane, mask } = input;
  const n = plane.data.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mask && mask[i] ? NaN : plane.data[i]! - (background ? background[i]! : 0);
  return out;
}

/** factor * values, as a new float64 array (typed-array .from with a map function is very slow). */
export function scaled(values: ArrayLike<number>, factor: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! * factor;
  return out;
}

/** JSON-safe number: non-finite values become null. */
export function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function jsonRow<T extends object>(row: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'number' ? num(v) : v;
  return out;
}

/** Applies the image mask to a plane as NaN (the algorithms' no-data). */
export function withMask(plane: ImagePlane, mask?: PixelMask): ImagePlane {
  if (!mask) return plane;
  const data = Float64Array.from(plane.data);
  for (let i = 0; i < data.length; i++) if (mask[i]) data[i] = NaN;
  return { width: plane.width, height: plane.height, data };
}
