/**
 * Area-averaging resampling that ignores NaN: each output pixel is the mean of the input pixels it
 * covers, weighted by overlap area, over finite inputs only (NaN when it covers none). No stride
 * subsampling, so no aliasing; the same code enlarges (pixels become blocks, blended at edges).
 * Rows are pushed in order (a whole plane or band by band), and output rows are finished as soon
 * as no later input row touches them, so memory is the output plus two rows of accumulators.
 */
import type { ImagePlane } from '../core/image-plane.js';
import type { FiniteSummary } from './finite.js';
import { bitsOf, floatOfKey } from './float32-keys.js';

export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * The largest size with the image's aspect that fits the box: one side equals the box's, the other
 * is rounded (at least 1).
 */
export function fitInside(width: number, height: number, boxWidth: number, boxHeight: number): Size {
  const scale = Math.min(boxWidth / width, boxHeight / height);
  if (boxWidth / width <= boxHeight / height) {
    return { width: boxWidth, height: Math.max(1, Math.min(boxHeight, Math.round(height * scale))) };
  }
  return { width: Math.max(1, Math.min(boxWidth, Math.round(width * scale))), height: boxHeight };
}

/** Overlaps of input cells [i, i+1) with output cells [o*s, (o+1)*s), s = inSize / outSize. */
interface Contributions {
  /** For input index i, entries start[i] .. start[i+1]-1 of `out` / `weight`. */
  readonly start: Int32Array;
  readonly out: Int32Array;
  readonly weight: Float64Array;
}

function contributions(inSize: number, outSize: number): Contributions {
  const s = inSize / outSize;
  const start = new Int32Array(inSize + 1);
  const outs: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < inSize; i++) {
    start[i] = outs.length;
    const first = Math.floor(i / s);
    for (let o = first; o < outSize; o++) {
      const lo = Math.max(i, o * s);
      const hi = Math.min(i + 1, (o + 1) * s);
      const w = hi - lo;
      if (w <= 1e-12) {
        if (o * s >= i + 1) break;
        continue;
      }
      outs.push(o);
      weights.push(w);
    }
  }
  start[inSize] = outs.length;
  return { start, out: Int32Array.from(outs), weight: Float64Array.from(weights) };
}

export class AreaResampler {
  /** Output rows [o0, o1) (every row unless `part`), `outWidth` floats each, from index 0. */
  readonly output: Float32Array;
  private readonly cols: Contributions;
  private readonly rows: Contributions;
  private readonly rowSum: Float64Array;
  private readonly rowWeight: Float64Array;
  /** A row's inner-run sums and finite counts per output column (horizontalSums32). */
  private readonly innerSum: Float64Array;
  private readonly innerCount: Int32Array;
  private readonly pending = new Map<number, { sum: Float64Array; weight: Float64Array }>();
  private readonly spare: Array<{ sum: Float64Array; weight: Float64Array }> = [];
  private nextInputRow = 0;
  private readonly runs: { first: Int32Array; last: Int32Array; wFirst: Float64Array; wLast: Float64Array } | undefined;
  private count = 0;
  /** Finite values per input row (lets the zscale sample skip rows). */
  readonly rowFiniteCounts: Int32Array;
  /**
   * Per input row, the column of its first finite value when its finite values are one unbroken
   * run (as in a plane with a NaN border or outside a convex footprint), else -1: the zscale
   * sample then reads back one pixel of the row instead of the whole row (`contiguousStart`).
   */
  readonly rowFirstFinite: Int32Array;
  private min = Infinity;
  private max = -Infinity;

  /** Output rows made here: all, or one part's (`AreaResampler.part`). */
  private readonly o0: number;
  private readonly o1: number;
  /** Input rows pushed here: [y0, y1); the statistics count rows from `countFrom` on. */
  private readonly y0: number;
  private readonly y1: number;
  private readonly countFrom: number;

  /**
   * `options.minMax: false`: float32 rows skip the min and max (`summary` has NaN for them), which
   * a zscale display does not use: the pass is then bound by the in-order sums (~25 % less CPU).
   * `part`: make only output rows [o0, o1) (`partRows` gives them and the input rows to push),
   * bit for bit as the whole resampler makes them. The input row shared with the previous part (a
   * row straddling two output rows) is pushed to both, and counted in the statistics by the previous
   * part only, so the parts' statistics add up to the whole plane's. A part holds only its own
   * rows (`output`), so two parts use the memory of one whole output between them.
   * `options.output`: the array to make them in (its length (o1 - o0) × outWidth; filled with NaN
   * here), e.g. over shared memory, so the rows reach the next thread without a copy.
   */
  /** Whether min and max are tracked (`options.minMax`, default true). */
  private readonly minMax: boolean;

  constructor(
    readonly inWidth: number, readonly inHeight: number, readonly outWidth: number, readonly outHeight: number, part?: ResamplerPart,
    options: { readonly minMax?: boolean; readonly output?: Float32Array } = {},
  ) {
    this.minMax = options.minMax ?? true;
    this.o0 = part ? part.o0 : 0;
    this.o1 = part ? part.o1 : outHeight;
    const length = (this.o1 - this.o0) * outWidth;
    if (options.output && options.output.length !== length) throw new RangeError(`output holds ${options.output.length} floats, not ${length}`);
    this.output = (options.output ?? new Float32Array(length)).fill(NaN);
    this.cols = contributions(inWidth, outWidth);
    this.rows = contributions(inHeight, outHeight);
    this.y0 = part ? part.y0 : 0;
    this.y1 = part ? part.y1 : inHeight;
    this.countFrom = part ? part.countFrom : 0;
    this.nextInputRow = this.y0;
    this.rowSum = new Float64Array(outWidth);
    this.rowWeight = new Float64Array(outWidth);
    this.innerSum = new Float64Array(outWidth);
    this.innerCount = new Int32Array(outWidth);
    this.rowFiniteCounts = new Int32Array(inHeight);
    this.rowFirstFinite = new Int32Array(inHeight).fill(-1);
    if (inWidth >= outWidth) {
      // Invert the per-input contributions into per-output runs of input columns.
      const { start, out, weight } = this.cols;
      const first = new Int32Array(outWidth).fill(-1);
      const last = new Int32Array(outWidth);
      const wFirst = new Float64Array(outWidth);
      const wLast = new Float64Array(outWidth);
      for (let i = 0; i < inWidth; i++) {
        for (let k = start[i]!; k < start[i + 1]!; k++) {
          const o = out[k]!;
          if (first[o] === -1) {
            first[o] = i;
            wFirst[o] = weight[k]!;
          }
          last[o] = i;
          wLast[o] = weight[k]!;
        }
      }
      this.runs = { first, last, wFirst, wLast };
    }
  }

  /** Adds `rowCount` consecutive input rows (row-major, `inWidth` each) starting at the next row. */
  pushRows(data: ArrayLike<number>, rowCount = Math.floor(data.length / this.inWidth)): void {
    const { inWidth, outWidth, rows, rowSum, rowWeight } = this;
    const bits = data instanceof Float32Array ? bitsOf(data) : undefined;
    const { o0, o1 } = this;
    for (let r = 0; r < rowCount; r++) {
      const iy = this.nextInputRow++;
      if (iy >= this.y1) throw new RangeError('more rows than the image has');
      rowSum.fill(0);
      rowWeight.fill(0);
      const base = r * inWidth;
      const { count: countBefore, min: minBefore, max: maxBefore } = this;
      if (this.runs && bits && !this.minMax) this.horizontalSums32(data as Float32Array, base);
      else if (this.runs && bits) this.horizontalRuns32(data as Float32Array, bits, base);
      else if (this.runs) this.horizontalRuns(data, base);
      else this.horizontalGeneral(data, base);
      if (iy < this.countFrom) {
        // The row the previous part counted.
        this.count = countBefore;
        this.min = minBefore;
        this.max = maxBefore;
      } else {
        const c = this.count - countBefore;
        this.rowFiniteCounts[iy] = c;
        this.rowFirstFinite[iy] = contiguousStart(data, base, inWidth, c);
      }
      for (let k = rows.start[iy]!, end = rows.start[iy + 1]!; k < end; k++) {
        const oy = rows.out[k]!;
        if (oy < o0 || oy >= o1) continue;
        const wy = rows.weight[k]!;
        let acc = this.pending.get(oy);
        if (!acc) {
          // Reuse the accumulators of finished rows (zeroed) rather than allocating per row.
          acc = this.spare.pop() ?? { sum: new Float64Array(outWidth), weight: new Float64Array(outWidth) };
          this.pending.set(oy, acc);
        }
        const { sum, weight } = acc;
        for (let ox = 0; ox < outWidth; ox++) {
          const w = rowWeight[ox]!;
          if (w === 0) continue;
          sum[ox] += wy * rowSum[ox]!;
          weight[ox] += wy * w;
        }
      }
      // Output rows before the first one the next input row touches are complete.
      const nextFirst = this.nextInputRow < this.y1 ? rows.out[rows.start[this.nextInputRow]!]! : this.outHeight;
      for (const oy of [...this.pending.keys()]) if (oy < nextFirst) this.finishRow(oy);
    }
  }

  /** Finite values seen so far: count, min, max (gathered in the same pass, for the display statistics). */
  get summary(): FiniteSummary {
    return mergeFinite([this.running]);
  }

  /**
   * The count, min and max so far as they accumulate (min Infinity, max -Infinity while none):
   * parts' figures merged in row order with `mergeFinite` give the whole plane's `summary`.
   */
  get running(): FiniteSummary {
    // Without minMax only the run ends were compared: no min/max to report.
    return this.minMax ? { count: this.count, min: this.min, max: this.max } : { count: this.count, min: Infinity, max: -Infinity };
  }

  /**
   * Output rows [o0, o1) of `outHeight` for part `part` of `parts` of the rows (as even in input
   * rows as output rows allow), the input rows [y0, y1) that touch them, and the first input row
   * the part counts (`countFrom`: past the row shared with the previous part).
   */
  static partRows(inHeight: number, outHeight: number, part: number, parts: number): ResamplerPart {
    const rows = contributions(inHeight, outHeight);
    const o0 = Math.round((part * outHeight) / parts);
    const o1 = Math.round(((part + 1) * outHeight) / parts);
    const [y0, y1] = inputRowsOf(rows, inHeight, o0, o1);
    const countFrom = part === 0 ? 0 : inputRowsOf(rows, inHeight, Math.round(((part - 1) * outHeight) / parts), o0)[1];
    return { o0, o1, y0, y1, countFrom: Math.max(y0, countFrom) };
  }

  /**
   * Shrinking: output column ox averages input columns first..last, fully weighted inside and
   * partially at both ends. Walking output-major keeps the sums in locals (no per-pixel stores).
   * A column split between two outputs is counted in the statistics once, by the first of them.
   */
  private horizontalRuns(data: ArrayLike<number>, base: number): void {
    const { rowSum, rowWeight } = this;
    const { first, last, wFirst, wLast } = this.runs!;
    let count = 0;
    let min = this.min;
    let max = this.max;
    let counted = -1; // last input column already counted
    for (let ox = 0, n = this.outWidth; ox < n; ox++) {
      const a = first[ox]!;
      const b = last[ox]!;
      let sum = 0;
      let weight = 0;
      let v = data[base + a]!;
      if (v - v === 0) {
        const w = wFirst[ox]!;
        sum += w * v;
        weight += w;
        if (a > counted) {
          count++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      let inner = 0;
      let innerSum = 0;
      for (let i = base + a + 1, end = base + b; i < end; i++) {
        v = data[i]!;
        if (v - v !== 0) continue;
        innerSum += v;
        inner++;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      sum += innerSum;
      weight += inner;
      count += inner;
      if (b > a) {
        v = data[base + b]!;
        if (v - v === 0) {
          const w = wLast[ox]!;
          sum += w * v;
          weight += w;
          count++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      counted = b;
      rowSum[ox] = sum;
      rowWeight[ox] = weight;
    }
    this.count += count;
    this.min = min;
    this.max = max;
  }

  /**
   * horizontalRuns32 without min/max (`minMax: false`), the inner runs of four output columns at a
   * time: each column's sum is one chain of dependent additions, and interleaving four chains lets
   * the core overlap them (~35 % less time a row than one run after the other). Each chain adds
   * the same values in the same order from zero, so every sum is the same; the runs' ends are then
   * weighted and counted in column order, as in horizontalRuns.
   */
  private horizontalSums32(data: Float32Array, base: number): void {
    const { innerSum, innerCount } = this;
    const { first, last } = this.runs!;
    const n = this.outWidth;
    let ox = 0;
    for (; ox + 3 < n; ox += 4) {
      // Runs (first, last) exclusive of their ends: columns i0 .. i0 + l0 - 1, and so on.
      const i0 = base + first[ox]! + 1;
      const i1 = base + first[ox + 1]! + 1;
      const i2 = base + first[ox + 2]! + 1;
      const i3 = base + first[ox + 3]! + 1;
      const l0 = base + last[ox]! - i0;
      const l1 = base + last[ox + 1]! - i1;
      const l2 = base + last[ox + 2]! - i2;
      const l3 = base + last[ox + 3]! - i3;
      const m = Math.max(0, Math.min(l0, l1, l2, l3));
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < m; k++) {
        const v0 = data[i0 + k]!;
        const v1 = data[i1 + k]!;
        const v2 = data[i2 + k]!;
        const v3 = data[i3 + k]!;
        if (v0 - v0 === 0) { s0 += v0; c0++; }
        if (v1 - v1 === 0) { s1 += v1; c1++; }
        if (v2 - v2 === 0) { s2 += v2; c2++; }
        if (v3 - v3 === 0) { s3 += v3; c3++; }
      }
      for (let k = m; k < l0; k++) { const v = data[i0 + k]!; if (v - v === 0) { s0 += v; c0++; } }
      for (let k = m; k < l1; k++) { const v = data[i1 + k]!; if (v - v === 0) { s1 += v; c1++; } }
      for (let k = m; k < l2; k++) { const v = data[i2 + k]!; if (v - v === 0) { s2 += v; c2++; } }
      for (let k = m; k < l3; k++) { const v = data[i3 + k]!; if (v - v === 0) { s3 += v; c3++; } }
      innerSum[ox] = s0; innerSum[ox + 1] = s1; innerSum[ox + 2] = s2; innerSum[ox + 3] = s3;
      innerCount[ox] = c0; innerCount[ox + 1] = c1; innerCount[ox + 2] = c2; innerCount[ox + 3] = c3;
    }
    for (; ox < n; ox++) {
      let s0 = 0;
      let c0 = 0;
      for (let i = base + first[ox]! + 1, end = base + last[ox]!; i < end; i++) {
        const v = data[i]!;
        if (v - v === 0) { s0 += v; c0++; }
      }
      innerSum[ox] = s0;
      innerCount[ox] = c0;
    }
    this.addRunEnds(data, base);
  }

  /**
   * horizontalRuns for float32 rows: the inner runs test finiteness on the bits and track min/max
   * as order keys (integer compares; V8 runs them much faster than float ones), same results.
   */
  private horizontalRuns32(data: Float32Array, bits: Int32Array, base: number): void {
    const { innerSum, innerCount } = this;
    const { first, last } = this.runs!;
    let mn = 0x7fffffff;
    let mx = -0x80000000;
    for (let ox = 0, n = this.outWidth; ox < n; ox++) {
      let inner = 0;
      let sum = 0;
      for (let i = base + first[ox]! + 1, end = base + last[ox]!; i < end; i++) {
        const u = bits[i]!;
        if ((u & 0x7f800000) === 0x7f800000) continue;
        sum += data[i]!;
        inner++;
        const k = u ^ ((u >> 31) & 0x7fffffff);
        if (k < mn) mn = k;
        if (k > mx) mx = k;
      }
      innerSum[ox] = sum;
      innerCount[ox] = inner;
    }
    // The ends in column order first, then the inner runs' extremes, as one pass kept them.
    this.addRunEnds(data, base);
    if (mn <= mx) {
      const lo = floatOfKey(mn);
      const hi = floatOfKey(mx);
      if (lo < this.min) this.min = lo;
      if (hi > this.max) this.max = hi;
    }
  }

  /**
   * A row's output columns from their inner runs' sums and finite counts (`innerSum`,
   * `innerCount`) and the runs' two ends, partially weighted: the sum in the order horizontalRuns
   * adds it (first end, inner run, last end); the ends counted (a column shared with the previous
   * output once) and compared for min and max in column order.
   */
  private addRunEnds(data: Float32Array, base: number): void {
    const { rowSum, rowWeight, innerSum, innerCount } = this;
    const { first, last, wFirst, wLast } = this.runs!;
    let count = 0;
    let min = this.min;
    let max = this.max;
    let counted = -1; // last input column already counted
    for (let ox = 0, n = this.outWidth; ox < n; ox++) {
      const a = first[ox]!;
      const b = last[ox]!;
      let sum = 0;
      let weight = 0;
      let v = data[base + a]!;
      if (v - v === 0) {
        const w = wFirst[ox]!;
        sum += w * v;
        weight += w;
        if (a > counted) {
          count++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      const inner = innerCount[ox]!;
      sum += innerSum[ox]!;
      weight += inner;
      count += inner;
      if (b > a) {
        v = data[base + b]!;
        if (v - v === 0) {
          const w = wLast[ox]!;
          sum += w * v;
          weight += w;
          count++;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      counted = b;
      rowSum[ox] = sum;
      rowWeight[ox] = weight;
    }
    this.count += count;
    this.min = min;
    this.max = max;
  }

  private horizontalGeneral(data: ArrayLike<number>, base: number): void {
    const { rowSum, rowWeight } = this;
    const { start, out, weight } = this.cols;
    for (let ix = 0, n = this.inWidth; ix < n; ix++) {
      const v = data[base + ix]!;
      if (v - v !== 0) continue;
      this.count++;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      for (let k = start[ix]!, end = start[ix + 1]!; k < end; k++) {
        const o = out[k]!;
        const w = weight[k]!;
        rowSum[o] += w * v;
        rowWeight[o] += w;
      }
    }
  }

  private finishRow(oy: number): void {
    const acc = this.pending.get(oy);
    if (!acc) return;
    this.pending.delete(oy);
    const base = (oy - this.o0) * this.outWidth;
    for (let ox = 0; ox < this.outWidth; ox++) {
      const w = acc.weight[ox]!;
      if (w > 0) this.output[base + ox] = acc.sum[ox]! / w;
    }
    acc.sum.fill(0);
    acc.weight.fill(0);
    this.spare.push(acc);
  }

  /** The resampled plane, or a part's rows of it (call after every input row was pushed). */
  finish(): ImagePlane<Float32Array> {
    if (this.nextInputRow !== this.y1) throw new RangeError(`resampler got ${this.nextInputRow - this.y0} of ${this.y1 - this.y0} rows`);
    for (const oy of [...this.pending.keys()]) this.finishRow(oy);
    return { width: this.outWidth, height: this.o1 - this.o0, data: this.output };
  }
}

/**
 * The index (from `base`) of the first finite value of the row data[base, base + width) holding
 * `count` finite values, when those are one unbroken run; -1 when they are not (or there are none).
 * Looks only at the non-finite values at both ends of the row.
 */
export function contiguousStart(data: ArrayLike<number>, base: number, width: number, count: number): number {
  if (count === width) return 0;
  if (count === 0) return -1;
  let first = base;
  for (let v = data[first]!; v - v !== 0; v = data[++first]!);
  let last = base + width - 1;
  for (let v = data[last]!; v - v !== 0; v = data[--last]!);
  return last - first + 1 === count ? first - base : -1;
}

/** One part of a resampling split by rows (`AreaResampler.partRows`). */
export interface ResamplerPart {
  readonly o0: number;
  readonly o1: number;
  readonly y0: number;
  readonly y1: number;
  readonly countFrom: number;
}

/** Input rows [y0, y1) that contribute to output rows [o0, o1) (empty when o0 >= o1). */
function inputRowsOf(rows: Contributions, inHeight: number, o0: number, o1: number): [number, number] {
  if (o0 >= o1) return [0, 0];
  let y0 = 0;
  // Each input row's outputs are consecutive and non-decreasing from row to row.
  while (y0 < inHeight && (rows.start[y0 + 1] === rows.start[y0] || rows.out[rows.start[y0 + 1]! - 1]! < o0)) y0++;
  let y1 = y0;
  while (y1 < inHeight && rows.start[y1 + 1]! > rows.start[y1]! && rows.out[rows.start[y1]!]! < o1) y1++;
  return [y0, y1];
}

/**
 * Merges finite count/min/max of consecutive parts (in row order) as one pass over their rows
 * would have found them (a ±0 tie keeps the first part's, as the pass does).
 */
export function mergeFinite(parts: readonly FiniteSummary[]): FiniteSummary {
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of parts) {
    count += p.count;
    if (p.min < min) min = p.min;
    if (p.max > max) max = p.max;
  }
  // Values counted but no min/max: a resampler that does not track them (`minMax: false`).
  return count === 0 ? { count: 0, min: NaN, max: NaN } : { count, min: min === Infinity ? NaN : min, max: max === -Infinity ? NaN : max };
}

/** Resamples a whole plane to width x height by NaN-aware area averaging (a copy even when same size). */
export function resampleArea(plane: ImagePlane, width: number, height: number): ImagePlane<Float32Array> {
  const r = new AreaResampler(plane.width, plane.height, width, height);
  r.pushRows(plane.data, plane.height);
  return r.finish();
}
