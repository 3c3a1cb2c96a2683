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
  if (L === 3 || L === 5) {
    columns35(src, width, height, weights, idx, cval, out);
    return;
  }
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
 * correlateColumns for 3 and 5 taps (the usual smoothing kernels) with the sum kept in a register
 * instead of one read-modify-write pass over the output row per tap. The additions happen in the
 * same order (0 + w0 s0 + w1 s1 + ...), so the results are bit-identical. A row beyond the edge in
 * 'constant' mode reads from `pad`, a row of `cval`.
 */
function columns35(src: ArrayLike<number>, width: number, height: number, weights: ArrayLike<number>, idx: Int32Array, cval: number, out: Float64Array): void {
  const L = weights.length;
  const pad = new Float64Array(width).fill(cval);
  const w0 = weights[0]!;
  const w1 = weights[1]!;
  const w2 = weights[2]!;
  const w3 = L === 5 ? weights[3]! : 0;
  const w4 = L === 5 ? weights[4]! : 0;
  // a Float64Array source is read directly; other arrays row by row through a float64 copy
  const direct = src instanceof Float64Array ? src : undefined;
  const rowsOf = new Array<Float64Array>(L);
  const copies = direct ? [] : Array.from({ length: L }, () => new Float64Array(width));
  for (let y = 0; y < height; y++) {
    for (let t = 0; t < L; t++) {
      const r = idx[y + t]!;
      if (r < 0) rowsOf[t] = pad;
      else if (direct) rowsOf[t] = direct.subarray(r * width, r * width + width);
      else {
        const c = copies[t]!;
        for (let x = 0; x < width; x++) c[x] = src[r * width + x]!;
        rowsOf[t] = c;
      }
    }
    const o = y * width;
    if (L === 5) {
      const a = rowsOf[0]!;
      const b = rowsOf[1]!;
      const c = rowsOf[2]!;
      const d = rowsOf[3]!;
      const e = rowsOf[4]!;
      for (let x = 0; x < width; x++) {
        let acc = 0;
        acc += w0 * a[x]!;
        acc += w1 * b[x]!;
        acc += w2 * c[x]!;
        acc += w3 * d[x]!;
        acc += w4 * e[x]!;
        out[o + x] = acc;
      }
    } else {
      const a = rowsOf[0]!;
      const b = rowsOf[1]!;
      const c = rowsOf[2]!;
      for (let x = 0; x < width; x++) {
        let acc = 0;
        acc += w0 * a[x]!;
        acc += w1 * b[x]!;
        acc += w2 * c[x]!;
        out[o + x] = acc;
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
  const w = Float64Array.from(weights);
  const [w0, w1, w2, w3, w4] = L === 5 ? w : [0, 0, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let j = 0; j < line.length; j++) {
      const k = idx[j]!;
      line[j] = k < 0 ? cval : src[base + k]!;
    }
    if (L === 5) {
      // the usual smoothing kernel unrolled (same order of additions: bit-identical)
      for (let i = 0; i < width; i++) {
        let s = 0;
        s += w0 * line[i]!;
        s += w1 * line[i + 1]!;
        s += w2 * line[i + 2]!;
        s += w3 * line[i + 3]!;
        s += w4 * line[i + 4]!;
        out[base + i] = s;
      }
      continue;
    }
    for (let i = 0; i < width; i++) {
      let s = 0;
      for (let t = 0; t < L; t++) s += w[t]! * line[i + t]!;
      out[base + i] = s;
    }
  }
}
