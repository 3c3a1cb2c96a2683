/**
 * Stretches: maps from [0, 1] to [0, 1] (astropy.visualization's stretch objects, clip=True).
 * Each clips its input to [0, 1] first, like astropy's `_prepare(clip=True)`, and is non-decreasing,
 * which the display pipeline relies on to compute percentiles of stretched data exactly.
 */
export interface Stretch {
  readonly name: string;
  apply(x: number): number;
  readonly inverse?: Stretch;
}

function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

export class LinearStretch implements Stretch {
  readonly name = 'linear';
  constructor(readonly slope = 1, readonly intercept = 0) {}
  apply(x: number): number {
    let v = clip01(x);
    if (this.slope !== 1) v *= this.slope;
    if (this.intercept !== 0) v += this.intercept;
    return v;
  }
}

export class SqrtStretch implements Stretch {
  readonly name = 'sqrt';
  apply(x: number): number {
    return Math.sqrt(clip01(x));
  }
}

/** y = x ** power */
export class PowerStretch implements Stretch {
  readonly name = 'power';
  constructor(readonly power: number) {
    if (!(power > 0)) throw new RangeError('power must be > 0');
  }
  apply(x: number): number {
    return clip01(x) ** this.power;
  }
}

/** y = log(a x + 1) / log(a + 1), astropy's LogStretch (a = 1000 by default). */
export class LogStretch implements Stretch {
  readonly name = 'log';
  private readonly denominator: number;
  constructor(readonly a = 1000) {
    if (!(a > 0)) throw new RangeError('a must be > 0');
    this.denominator = Math.log(a + 1);
  }
  apply(x: number): number {
    return Math.log(clip01(x) * this.a + 1) / this.denominator;
  }
}

/** y = asinh(x / a) / asinh(1 / a), astropy's AsinhStretch (a = 0.1 by default). */
export class AsinhStretch implements Stretch {
  readonly name = 'asinh';
  private readonly denominator: number;
  constructor(readonly a = 0.1) {
    if (!(a > 0 && a <= 1)) throw new RangeError('a must be in (0, 1]');
    this.denominator = Math.asinh(1 / a);
  }
  apply(x: number): number {
    return Math.asinh(clip01(x) / this.a) / this.denominator;
  }
}

/**
 * astropy's HistEqStretch: `np.interp(x, sortedNormalizedData, linspace(0, 1, N))`. For a value
 * equal to repeated data values numpy's interp takes the last of them, and so does this.
 */
export class HistEqStretch implements Stretch {
  readonly name = 'histeq';
  private readonly step: number;
  /** `sorted`: the finite data, normalized to [0, 1] and sorted ascending. */
  constructor(private readonly sorted: Float64Array) {
    this.step = sorted.length > 1 ? 1 / (sorted.length - 1) : 0;
  }
  apply(x: number): number {
    const v = clip01(x);
    const xp = this.sorted;
    const n = xp.length;
    if (n === 0) return NaN;
    if (v < xp[0]!) return 0;
    if (v >= xp[n - 1]!) return n === 1 ? 0 : 1;
    // j = last index with xp[j] <= v  (so xp[j] <= v < xp[j + 1])
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (xp[mid]! <= v) lo = mid;
      else hi = mid;
    }
    const j = lo;
    const fj = j * this.step;
    if (xp[j] === v) return fj;
    const fj1 = j + 1 === n - 1 ? 1 : (j + 1) * this.step; // linspace ends exactly at 1
    const slope = (fj1 - fj) / (xp[j + 1]! - xp[j]!);
    return slope * (v - xp[j]!) + fj;
  }
}

/** Applies `first`, then `second` (astropy's CompositeStretch / `first + second`). */
export class CompositeStretch implements Stretch {
  readonly name: string;
  constructor(readonly first: Stretch, readonly second: Stretch) {
    this.name = `${first.name}+${second.name}`;
  }
  apply(x: number): number {
    return this.second.apply(this.first.apply(x));
  }
}
