/**
 * Order statistics and percentiles with numpy's default ("linear") method, computed by selection
 * (average O(n)) rather than a full sort. Because every display stretch is non-decreasing, the
 * percentile of a stretched image is the stretch applied to the two raw order statistics around the
 * rank, then interpolated: `percentileOfMapped` gives numpy's `percentile(f(data), q)` exactly
 * without materialising f(data).
 */
import type { NumericArray } from './finite.js';

/** Rearranges `a` so that a[k] is the k-th smallest, smaller ones before, larger after (Floyd-Rivest style quickselect). */
export function selectInPlace(a: NumericArray, k: number, lo = 0, hi = a.length - 1): void {
  while (hi > lo) {
    if (hi - lo > 600) {
      // Floyd-Rivest: narrow the range with a sample first
      const n = hi - lo + 1;
      const i = k - lo + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i - n / 2 < 0 ? -1 : 1);
      const newLo = Math.max(lo, Math.floor(k - (i * s) / n + sd));
      const newHi = Math.min(hi, Math.floor(k + ((n - i) * s) / n + sd));
      selectInPlace(a, k, newLo, newHi);
    }
    const t = a[k]!;
    let i = lo;
    let j = hi;
    swap(a, lo, k);
    if (a[hi]! > t) swap(a, lo, hi);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < t) i++;
      while (a[j]! > t) j--;
    }
    if (a[lo] === t) swap(a, lo, j);
    else {
      j++;
      swap(a, j, hi);
    }
    if (j <= k) lo = j + 1;
    if (k <= j) hi = j - 1;
  }
}

function swap(a: NumericArray, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The order statistics at ranks `ks` (any order) of `values` (finite, mutated in place).
 * Selects the middle rank first, then recurses into each side with the ranks it holds, so m ranks
 * cost O(n log m) rather than O(n m). Returns a map rank -> value.
 */
export function orderStatistics(values: NumericArray, ks: readonly number[]): Map<number, number> {
  const sorted = [...new Set(ks)].filter((k) => k >= 0 && k < values.length).sort((a, b) => a - b);
  const out = new Map<number, number>();
  const visit = (from: number, to: number, lo: number, hi: number): void => {
    if (from > to) return;
    const mid = (from + to) >> 1;
    const k = sorted[mid]!;
    selectInPlace(values, k, lo, hi);
    out.set(k, values[k]!);
    visit(from, mid - 1, lo, k - 1);
    visit(mid + 1, to, k + 1, hi);
  };
  visit(0, sorted.length - 1, 0, values.length - 1);
  return out;
}

/** numpy's linear-method position for percentile q (0..100) of n values: [lower rank, upper rank, fraction]. */
export function percentileRanks(q: number, n: number): [number, number, number] {
  const virtual = (q / 100) * (n - 1);
  const lo = Math.floor(virtual);
  const frac = virtual - lo;
  return [lo, Math.min(lo + 1, n - 1), frac];
}

/** numpy 1.24's `_lerp`: symmetric form that is exact at both ends. */
export function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Percentiles (numpy linear) of f(values) for a non-decreasing f, for several q at once.
 * `values` must hold only finite numbers; it is reordered. Empty input gives NaN.
 */
export function percentilesOfMapped(values: NumericArray, qs: readonly number[], f: (v: number) => number = (v) => v): number[] {
  const n = values.length;
  if (n === 0) return qs.map(() => NaN);
  const ranks = qs.map((q) => percentileRanks(q, n));
  const stats = orderStatistics(values, ranks.flatMap(([lo, hi]) => [lo, hi]));
  return ranks.map(([lo, hi, frac]) => lerp(f(stats.get(lo)!), f(stats.get(hi)!), frac));
}

/** Percentile of a sorted array (numpy linear), mapped through a non-decreasing f. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number, f: (v: number) => number = (v) => v): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const [lo, hi, frac] = percentileRanks(q, n);
  return lerp(f(sorted[lo]!), f(sorted[hi]!), frac);
}

/** numpy's median of a sorted float64 array. */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

/**
 * Exact numpy-linear percentiles in two linear passes over values whose range [lo, hi] is known,
 * without holding them: pass 1 `count`s every value into 65 536 equal buckets; `plan` finds the
 * buckets holding the wanted ranks; pass 2 `collect`s only those buckets' values; `result` selects
 * inside them. The passes may stream the values from anywhere, in the same order or not.
 */
export class BucketQuantiles {
  static readonly BUCKETS = 65_536;
  readonly counts = new Int32Array(BucketQuantiles.BUCKETS);
  /** Buckets per unit value (public so hot loops can inline `count`; then call `added`). */
  readonly scale: number;
  private n = 0;
  private slot: Int32Array | undefined;
  private arrays: Float64Array[] = [];
  private fill: Int32Array = new Int32Array(0);
  private wanted = new Map<number, number[]>();
  private start = new Float64Array(0);
  private ranks: Array<[number, number, number]> = [];

  constructor(readonly lo: number, readonly hi: number) {
    this.scale = hi > lo ? BucketQuantiles.BUCKETS / (hi - lo) : 0;
  }

  bucketOf(v: number): number {
    const b = Math.floor((v - this.lo) * this.scale);
    return b < 0 ? 0 : b >= BucketQuantiles.BUCKETS ? BucketQuantiles.BUCKETS - 1 : b;
  }

  count(v: number): void {
    this.counts[this.bucketOf(v)]++;
    this.n++;
  }

  /** For callers that increment `counts[bucketOf(v)]` themselves: how many values they added. */
  added(n: number): void {
    this.n += n;
  }

  /** After pass 1: which buckets pass 2 must collect for percentiles `qs` (0..100). */
  plan(qs: readonly number[]): void {
    const B = BucketQuantiles.BUCKETS;
    this.start = new Float64Array(B + 1);
    for (let b = 0; b < B; b++) this.start[b + 1] = this.start[b]! + this.counts[b]!;
    this.ranks = qs.map((q) => percentileRanks(q, this.n));
    const locate = (k: number) => {
      let a = 0;
      let z = B - 1;
      while (a < z) {
        const m = (a + z + 1) >> 1;
        if (this.start[m]! <= k) a = m;
        else z = m - 1;
      }
      return a;
    };
    for (const [r0, r1] of this.ranks) {
      for (const k of [r0, r1]) {
        const b = locate(k);
        const list = this.wanted.get(b) ?? [];
        list.push(k);
        this.wanted.set(b, list);
      }
    }
    this.slot = new Int32Array(B).fill(-1);
    const buckets = [...this.wanted.keys()];
    this.arrays = buckets.map((b, i) => {
      this.slot![b] = i;
      return new Float64Array(this.counts[b]!);
    });
    this.fill = new Int32Array(buckets.length);
  }

  collect(v: number): void {
    const s = this.slot![this.bucketOf(v)]!;
    if (s >= 0) this.arrays[s]![this.fill[s]!++] = v;
  }

  result(): number[] {
    if (this.n === 0) return this.ranks.map(() => NaN);
    if (!(this.hi > this.lo)) return this.ranks.map(() => this.lo);
    const stat = new Map<number, number>();
    for (const [b, ks] of this.wanted) {
      const local = orderStatistics(this.arrays[this.slot![b]!]!, ks.map((k) => k - this.start[b]!));
      for (const k of ks) stat.set(k, local.get(k - this.start[b]!)!);
    }
    return this.ranks.map(([r0, r1, frac]) => lerp(stat.get(r0)!, stat.get(r1)!, frac));
  }
}

/**
 * numpy linear percentiles of finite `values` whose range [lo, hi] is known (BucketQuantiles over
 * an array). Exact; `values` is not modified.
 */
export function percentilesByBuckets(values: ArrayLike<number>, qs: readonly number[], lo: number, hi: number): number[] {
  if (values.length === 0) return qs.map(() => NaN);
  if (!(hi > lo)) return qs.map(() => lo);
  const bq = new BucketQuantiles(lo, hi);
  for (let i = 0; i < values.length; i++) bq.count(values[i]!);
  bq.plan(qs);
  for (let i = 0; i < values.length; i++) bq.collect(values[i]!);
  return bq.result();
}
