/**
 * scipy.ndimage boundary modes as an index map: where does index i (possibly outside [0, n))
 * read from? -1 means "the constant value" (mode 'constant').
 *   reflect  (d c b a | a b c d | d c b a)   half-sample symmetric (scipy default)
 *   mirror   (d c b | a b c d | c b a)       whole-sample symmetric
 *   nearest  (a a a | a b c d | d d d)
 *   wrap     (a b c d | a b c d | a b c d)
 *   constant (k k k | a b c d | k k k)
 */
export type BoundaryMode = 'reflect' | 'mirror' | 'nearest' | 'wrap' | 'constant';

export function mapIndex(i: number, n: number, mode: BoundaryMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * n;
      let k = ((i % period) + period) % period;
      if (k >= n) k = period - 1 - k;
      return k;
    }
    case 'mirror': {
      if (n === 1) return 0;
      const period = 2 * n - 2;
      let k = ((i % period) + period) % period;
      if (k >= n) k = period - k;
      return k;
    }
  }
}

/** Index maps for a line of length n extended by `before` and `after` samples. */
export function extendedIndices(n: number, before: number, after: number, mode: BoundaryMode): Int32Array {
  const out = new Int32Array(n + before + after);
  for (let j = 0; j < out.length; j++) out[j] = mapIndex(j - before, n, mode);
  return out;
}

/**
 * The pass along y of a separable filter, row by row (cache friendly): out row y is the sum over
 * t of weights[t] * src row (y - before + t), rows beyond the edge mapped by `mode` ('constant'
 * rows are `cval`). `out` must not be `src`.
 */
export function correlateColumns(src: ArrayLike<number>, width: number, height: number, weights: ArrayLike<number>, before: number, mode: BoundaryMode, cval: number, out: Float64Array): void {
  const L = weights.length;
  const idx = extendedIndices(height, before, L - 1 - before, mode);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = 0;
    for (let t = 0; t < L; t++) {
      const r = idx[y + t]!;
      const w = weights[t]!;
      if (r < 0) {
        const c = w * cval;
        for (let x = 0; x < width; x++) out[o + x]! += c;
      } else {
        const s = r * width;
        for (let x = 0; x < width; x++) out[o + x]! += w * src[s + x]!;
      }
    }
  }
}

/**
 * The pass along x of a separable filter: out[y, i] is the sum over t of weights[t] * src row y at
 * (i - before + t), samples beyond the edge mapped by `mode` ('constant' ones are `cval`). `out`
 * may be `src` (each row is copied, extended, before it is written).
 */
export function correlateRows(src: Float64Array, width: number, height: number, weights: ArrayLike<number>, before: number, mode: BoundaryMode, cval: number, out: Float64Array): void {
  const L = weights.length;
  const idx = extendedIndices(width, before, L - 1 - before, mode);
  const line = new Float64Array(width + L - 1);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let j = 0; j < line.length; j++) {
      const k = idx[j]!;
      line[j] = k < 0 ? cval : src[base + k]!;
    }
    for (let i = 0; i < width; i++) {
      let s = 0;
      for (let t = 0; t < L; t++) s += weights[t]! * line[i + t]!;
      out[base + i] = s;
    }
  }
}
