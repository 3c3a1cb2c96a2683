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
  readonly output: Float32Array;
  private readonly cols: Contributions;
  private readonly rows: Contributions;
  private readonly rowSum: Float64Array;
  private readonly rowWeight: Float64Array;
  private readonly pending = new Map<number, { sum: Float64Array; weight: Float64Array }>();
  private readonly spare: Array<{ sum: Float64Array; weight: Float64Array }> = [];
  private nextInputRow = 0;
  private readonly runs: { first: Int32Array; last: Int32Array; wFirst: Float64Array; wLast: Float64Array } | undefined;
  private count = 0;
  /** Finite values per input row (lets the zscale sample skip rows). */
  readonly rowFiniteCounts: Int32Array;
  private min = Infinity;
  private max = -Infinity;

  constructor(readonly inWidth: number, readonly inHeight: number, readonly outWidth: number, readonly outHeight: number) {
    this.output = new Float32Array(outWidth * outHeight).fill(NaN);
    this.cols = contributions(inWidth, outWidth);
    this.rows = contributions(inHeight, outHeight);
    this.rowSum = new Float64Array(outWidth);
    this.rowWeight = new Float64Array(outWidth);
    this.rowFiniteCounts = new Int32Array(inHeight);
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
    for (let r = 0; r < rowCount; r++) {
      const iy = this.nextInputRow++;
      if (iy >= this.inHeight) throw new RangeError('more rows than the image has');
      rowSum.fill(0);
      rowWeight.fill(0);
      const base = r * inWidth;
      const countBefore = this.count;
      if (this.runs && bits) this.horizontalRuns32(data as Float32Array, bits, base);
      else if (this.runs) this.horizontalRuns(data, base);
      else this.horizontalGeneral(data, base);
      this.rowFiniteCounts[iy] = this.count - countBefore;
      for (let k = rows.start[iy]!, end = rows.start[iy + 1]!; k < end; k++) {
        const oy = rows.out[k]!;
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
      const nextFirst = this.nextInputRow < this.inHeight ? rows.out[rows.start[this.nextInputRow]!]! : this.outHeight;
      for (const oy of [...this.pending.keys()]) if (oy < nextFirst) this.finishRow(oy);
    }
  }

  /** Finite values seen so far: count, min, max (gathered in the same pass, for the display statistics). */
  get summary(): FiniteSummary {
    return this.count === 0 ? { count: 0, min: NaN, max: NaN } : { count: this.count, min: this.min, max: this.max };
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
   * horizontalRuns for float32 rows: the inner runs test finiteness on the bits and track min/max
   * as order keys (integer compares; V8 runs them much faster than float ones), same results.
   */
  private horizontalRuns32(data: Float32Array, bits: Int32Array, base: number): void {
    const { rowSum, rowWeight } = this;
    const { first, last, wFirst, wLast } = this.runs!;
    let count = 0;
    let min = this.min;
    let max = this.max;
    let mn = 0x7fffffff;
    let mx = -0x80000000;
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
        const u = bits[i]!;
        if ((u & 0x7f800000) === 0x7f800000) continue;
        innerSum += data[i]!;
        inner++;
        const k = u ^ ((u >> 31) & 0x7fffffff);
        if (k < mn) mn = k;
        if (k > mx) mx = k;
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
    if (mn <= mx) {
      const lo = floatOfKey(mn);
      const hi = floatOfKey(mx);
      if (lo < min) min = lo;
      if (hi > max) max = hi;
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
    const base = oy * this.outWidth;
    for (let ox = 0; ox < this.outWidth; ox++) {
      const w = acc.weight[ox]!;
      if (w > 0) this.output[base + ox] = acc.sum[ox]! / w;
    }
    acc.sum.fill(0);
    acc.weight.fill(0);
    this.spare.push(acc);
  }

  /** The resampled plane (call after every input row was pushed). */
  finish(): ImagePlane<Float32Array> {
    if (this.nextInputRow !== this.inHeight) throw new RangeError(`resampler got ${this.nextInputRow} of ${this.inHeight} rows`);
    for (const oy of [...this.pending.keys()]) this.finishRow(oy);
    return { width: this.outWidth, height: this.outHeight, data: this.output };
  }
}

/** Resamples a whole plane to width x height by NaN-aware area averaging (a copy even when same size). */
export function resampleArea(plane: ImagePlane, width: number, height: number): ImagePlane<Float32Array> {
  const r = new AreaResampler(plane.width, plane.height, width, height);
  r.pushRows(plane.data, plane.height);
  return r.finish();
}
