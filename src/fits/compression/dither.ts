/**
 * Restoring quantized floating-point tiles (FITS tile compression convention, sec. 5: "Quantization
 * of floating-point data"). A float tile is stored as integers I with a scale and zero per tile:
 *   NO_DITHER:             value = I * ZSCALE + ZZERO
 *   SUBTRACTIVE_DITHER_1:  value = (I - R + 0.5) * ZSCALE + ZZERO
 *   SUBTRACTIVE_DITHER_2:  as DITHER_1, except I = -2147483646 means exactly 0.0
 * where R walks the convention's fixed sequence of 10000 uniform random numbers. The walk for a
 * tile starts at seed index (tile number - 1 + ZDITHER0 - 1) mod 10000 and offset
 * floor(R[seed] * 500); each pixel advances the offset, and when it reaches 10000 the seed index
 * moves on by one and the offset restarts at floor(R[seed] * 500).
 */

export const N_RANDOM = 10000;
/** The integer reserved for undefined (NaN) pixels in quantized tiles. */
export const NULL_VALUE = -2147483647;
/** The integer stored for an exact 0.0 under SUBTRACTIVE_DITHER_2. */
export const ZERO_VALUE = -2147483646;

export type QuantizeMethod = 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2';

let randomValues: Float64Array | undefined;

/**
 * The convention's sequence: Park & Miller's minimal standard generator (a = 16807,
 * m = 2^31 - 1) started at seed 1, each value divided by m. Computed in doubles as the
 * convention specifies; the 10000th seed must be 1043618065.
 */
export function ditherRandomValues(): Float64Array {
  if (randomValues) return randomValues;
  const a = 16807;
  const m = 2147483647;
  let seed = 1;
  const values = new Float64Array(N_RANDOM);
  for (let i = 0; i < N_RANDOM; i++) {
    const temp = a * seed;
    seed = temp - m * Math.trunc(temp / m);
    values[i] = Math.fround(seed / m);
  }
  if (seed !== 1043618065) throw new Error('dither random number generator self-check failed');
  randomValues = values;
  return values;
}

export interface DequantizeParams {
  readonly method: QuantizeMethod;
  readonly scale: number;
  readonly zero: number;
  /** Stored integer meaning "no data" (ZBLANK), or undefined. */
  readonly blank?: number | undefined;
  /** 1-based tile number (row of the compressed table). */
  readonly tileNumber: number;
  /** ZDITHER0 (1..10000). */
  readonly ditherSeed: number;
}

/** Index in the random table of a tile's first seed: (tile number - 1 + ZDITHER0 - 1) mod 10000. */
export function ditherSeedIndex(tileNumber: number, ditherSeed: number): number {
  return (((tileNumber - 1 + ditherSeed - 1) % N_RANDOM) + N_RANDOM) % N_RANDOM;
}

/** The method's number in codecs.c's dequantize (0, 1, 2). */
export function quantizeMethodCode(method: QuantizeMethod): 0 | 1 | 2 {
  return method === 'NO_DITHER' ? 0 : method === 'SUBTRACTIVE_DITHER_1' ? 1 : 2;
}

/**
 * Converts quantized integers of one tile to floats, writing into `out` (same length). The
 * TypeScript reference of codecs.c's dequantize, which the image reader uses for 32-bit integers
 * (compressed-image.ts); the tests check both give the same bits. Used for 8 and 16-bit integers.
 */
export function dequantize(input: ArrayLike<number>, out: Float32Array | Float64Array, p: DequantizeParams): void {
  const { scale, zero, blank, method } = p;
  const n = input.length;
  const hasBlank = blank !== undefined;
  if (method === 'NO_DITHER') {
    for (let i = 0; i < n; i++) {
      const v = input[i]!;
      out[i] = hasBlank && v === blank ? NaN : v * scale + zero;
    }
    return;
  }
  const rand = ditherRandomValues();
  let iseed = ditherSeedIndex(p.tileNumber, p.ditherSeed);
  let next = Math.floor(rand[iseed]! * 500);
  const dither2 = method === 'SUBTRACTIVE_DITHER_2';
  const nullValue = hasBlank ? blank : NaN; // NaN never equals a stored integer
  const zeroValue = dither2 ? ZERO_VALUE : NaN;
  let i = 0;
  while (i < n) {
    // run until the offset reaches the end of the sequence, then move to the next seed
    const end = Math.min(n, i + (N_RANDOM - next));
    for (; i < end; i++, next++) {
      const v = input[i]!;
      if (v === nullValue) out[i] = NaN;
      else if (v === zeroValue) out[i] = 0;
      else out[i] = (v - rand[next]! + 0.5) * scale + zero;
    }
    if (next === N_RANDOM) {
      iseed++;
      if (iseed === N_RANDOM) iseed = 0;
      next = Math.floor(rand[iseed]! * 500);
    }
  }
}
