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
 * rows are `cval`). `out` must not be `src`. The sum of each pixel is kept in a register and the
 * additions happen in order (0 + w0 s0 + w1 s1 + ...).
 */
export function correlateColumns(src: ArrayLike<number>, width: number, height: number, weights: ArrayLike<number>, before: number, mode: BoundaryMode, cval: number, out: Float64Array): void {
  const L = weights.length;
  const idx = extendedIndices(height, before, L - 1 - before, mode);
  const pad = new Float64Array(width).fill(cval);
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
    columnsInto(rowsOf, weights, width, out, y * width);
  }
}

/** The pass along y for one output row: line[off + x] = sum over t of w[t] * rows[t][x], added in order t = 0, 1, ... (as correlateColumns). */
export function columnsInto(rows: Float64Array[], w: ArrayLike<number>, width: number, line: Float64Array, off: number): void {
  if (w.length === 5) {
    const [w0, w1, w2, w3, w4] = w as unknown as [number, number, number, number, number];
    const a = rows[0]!;
    const b = rows[1]!;
    const c = rows[2]!;
    const d = rows[3]!;
    const e = rows[4]!;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      acc += w0 * a[x]!;
      acc += w1 * b[x]!;
      acc += w2 * c[x]!;
      acc += w3 * d[x]!;
      acc += w4 * e[x]!;
      line[off + x] = acc;
    }
    return;
  }
  if (w.length === 3) {
    const [w0, w1, w2] = w as unknown as [number, number, number];
    const a = rows[0]!;
    const b = rows[1]!;
    const c = rows[2]!;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      acc += w0 * a[x]!;
      acc += w1 * b[x]!;
      acc += w2 * c[x]!;
      line[off + x] = acc;
    }
    return;
  }
  line.fill(0, off, off + width);
  for (let t = 0; t < w.length; t++) {
    const r = rows[t]!;
    const wt = w[t]!;
    for (let x = 0; x < width; x++) line[off + x]! += wt * r[x]!;
  }
}

/** The pass along x for one row: out[o + i] = sum over t of w[t] * line[i + t], in order (as correlateRows). */
export function rowFromLine(line: Float64Array, w: ArrayLike<number>, width: number, out: Float64Array, o: number): void {
  if (w.length === 5) {
    const [w0, w1, w2, w3, w4] = w as unknown as [number, number, number, number, number];
    for (let i = 0; i < width; i++) {
      let s = 0;
      s += w0 * line[i]!;
      s += w1 * line[i + 1]!;
      s += w2 * line[i + 2]!;
      s += w3 * line[i + 3]!;
      s += w4 * line[i + 4]!;
      out[o + i] = s;
    }
    return;
  }
  const L = w.length;
  for (let i = 0; i < width; i++) {
    let s = 0;
    for (let t = 0; t < L; t++) s += w[t]! * line[i + t]!;
    out[o + i] = s;
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
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let j = 0; j < line.length; j++) {
      const k = idx[j]!;
      line[j] = k < 0 ? cval : src[base + k]!;
    }
    rowFromLine(line, w, width, out, base);
  }
}
