/**
 * Order statistics on plain arrays: in-place quickselect (Floyd–Rivest style partitioning around
 * the median of three), the numpy median (mean of the two middle values for an even count) and
 * numpy's default 'linear' percentile.
 */
export type NumArray = Float64Array | Float32Array;

/** Puts the k-th smallest of a[lo..hi] at index k (partially sorting around it). */
export function selectInPlace(a: NumArray, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot keeps sorted and reversed inputs linear
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

function swap(a: NumArray, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Smallest value of a[from..to] (inclusive). */
function minOf(a: NumArray, from: number, to: number): number {
  let m = Infinity;
  for (let i = from; i <= to; i++) if (a[i]! < m) m = a[i]!;
  return m;
}

/** numpy.median of the first n values of `a` (reorders them). NaN when n = 0. */
export function medianInPlace(a: NumArray, n = a.length): number {
  if (n === 0) return NaN;
  const h = n >> 1;
  const upper = selectInPlace(a, h, 0, n - 1);
  if (n % 2 === 1) return upper;
  // after selecting h, everything left of h is <= a[h]; the lower middle is the max of that part
  let lower = -Infinity;
  for (let i = 0; i < h; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** numpy.percentile(values, q) with 'linear' interpolation, of the first n values (reorders them). */
export function percentileInPlace(a: NumArray, q: number, n = a.length): number {
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const vlo = selectInPlace(a, lo, 0, n - 1);
  if (frac === 0 || lo + 1 >= n) return vlo;
  const vhi = minOf(a, lo + 1, n - 1);
  return vlo + (vhi - vlo) * frac;
}

/** Several percentiles at once from one sorted copy (cheaper than repeated selection for many q). */
export function percentilesSorted(sorted: NumArray, qs: readonly number[]): number[] {
  const n = sorted.length;
  return qs.map((q) => {
    if (n === 0) return NaN;
    const pos = (q / 100) * (n - 1);
    const lo = Math.floor(pos);
    const frac = pos - lo;
    const vlo = sorted[lo]!;
    if (frac === 0 || lo + 1 >= n) return vlo;
    return vlo + (sorted[lo + 1]! - vlo) * frac;
  });
}
