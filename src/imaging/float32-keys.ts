/**
 * Float32 pixels seen through their bit patterns. Flipping the magnitude bits of negative floats
 * turns a float32's bits (read as int32) into a key whose signed order is the numeric order of the
 * floats (-0 just below +0). V8 runs integer loops over an Int32Array view several times faster
 * than the same test-and-compare loops over the Float32Array (measured: 17 vs 60 ms for the finite
 * count, min and max of 16.7 M pixels), and the top 16 bits of a key are a 65,536-bucket histogram
 * in value order, from which exact order statistics need one more pass over only a few buckets.
 */

import { swapInPlace } from '../fits/pixels.js';
import { ScanKernel } from './count-kernel.js';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Exponent bits all set: NaN or ±Infinity. */
export const NON_FINITE_BITS = 0x7f800000;

/** The order key of float32 bits `bits` (int32). */
export function keyOfBits(bits: number): number {
  return bits ^ ((bits >> 31) & 0x7fffffff);
}

/** The float32 value (as a number) whose key is `key`. */
export function floatOfKey(key: number): number {
  i32[0] = key ^ ((key >> 31) & 0x7fffffff);
  return f32[0]!;
}

/** Bucket (0..65535, in value order) of a key: its top 16 bits, unsigned. */
export function bucketOfKey(key: number): number {
  return (key >>> 16) ^ 0x8000;
}

/** Count, min and max of finite values from the count and the smallest and largest keys. */
export function summaryOfKeys(count: number, minKey: number, maxKey: number): { count: number; min: number; max: number } {
  return count === 0 ? { count: 0, min: NaN, max: NaN } : { count, min: floatOfKey(minKey), max: floatOfKey(maxKey) };
}

/** The int32 view of a float32 array (same memory). */
export function bitsOf(data: Float32Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Finite count (per row and in all), min and max, and the 65,536-bucket key histogram of float32
 * rows fed band by band in order.
 */
export class Float32Scan {
  count = 0;
  /** The smallest and largest keys so far. */
  private readonly minMax = Int32Array.of(0x7fffffff, -0x80000000);
  /** Finite values per bucket (totals). */
  readonly buckets = new Float64Array(65_536);
  /** Per-band counts: int32 increments are several times faster than float64 ones in V8. */
  private part: Int32Array;
  private partN = 0;
  /** The loop in WebAssembly (count-kernel.ts; `part` is in its memory), or undefined: scanKeys. */
  private kernel: ScanKernel | undefined;
  private ended = false;

  /** `kernel`: 'js' runs scanKeys in TypeScript instead of WebAssembly (the tests compare them). */
  constructor(readonly width: number, readonly rowCounts: Int32Array, options: { kernel?: 'js' | 'wasm' } = {}) {
    this.kernel = options.kernel === 'js' ? undefined : ScanKernel.take();
    this.part = this.kernel ? this.kernel.part : new Int32Array(65_536);
  }

  /** Adds the rows of `band` (whole rows of `width`), the first of them being row `firstRow`; none after `finish`. */
  add(band: Float32Array, firstRow: number): void {
    this.addBits(bitsOf(band), firstRow, false);
  }

  /**
   * `add` for a band whose memory still holds the FITS file's big-endian words: they are
   * byte-swapped in place (in pieces, as they are scanned: one pass over the band instead of two).
   */
  addBigEndian(band: Float32Array, firstRow: number): void {
    this.addBits(bitsOf(band), firstRow, true);
  }

  private addBits(bits: Int32Array, firstRow: number, bigEndian: boolean): void {
    if (this.ended) throw new Error('Float32Scan.add after finish()');
    if (bigEndian && !this.kernel) swapInPlace(Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength), 4);
    // int32 counters: flush before they could overflow
    if (this.partN + bits.length > 0x7fffffff) this.flush();
    this.partN += bits.length;
    const mm = this.minMax;
    const rows = bits.length / this.width;
    this.count += this.kernel
      ? this.kernel.scan(bits, this.width, rows, this.rowCounts, firstRow, mm, bigEndian)
      : scanKeys(bits, this.width, rows, this.rowCounts, firstRow, this.part, mm);
  }

  private flush(): void {
    const { part, buckets } = this;
    for (let b = 0; b < part.length; b++) {
      if (part[b] !== 0) {
        buckets[b] += part[b]!;
        part[b] = 0;
      }
    }
    this.partN = 0;
  }

  /** Call once every band was added. */
  finish(): { count: number; min: number; max: number } {
    const { count, minKey, maxKey } = this.finishKeys();
    return summaryOfKeys(count, minKey, maxKey);
  }

  /** finish() with the min and max as keys (parts of a plane merge exactly: see summaryOfKeys). */
  finishKeys(): { count: number; minKey: number; maxKey: number } {
    this.flush();
    // the kernel's memory goes back to the thread's spares
    if (this.kernel) {
      this.kernel.release();
      this.kernel = undefined;
      this.part = new Int32Array(0);
    }
    this.ended = true;
    return { count: this.count, minKey: this.minMax[0]!, maxKey: this.minMax[1]! };
  }
}

/**
 * Exact order statistics (ranks among the finite values, 0 = smallest) of float32 data from the
 * bucket histogram of a first pass: `plan` finds the buckets holding the ranks, a second pass
 * `add`s every band (counting only those buckets' values, by their low 16 bits), and `value` reads
 * off the float32 at a rank.
 */
export class Float32OrderStatistics {
  /** Slot of each bucket that holds a wanted rank, -1 for the others. */
  readonly slotOf = new Int32Array(65_536).fill(-1);
  private readonly firstRank = new Map<number, number>();
  /** Buckets holding wanted ranks (slots of 65,536 counts). */
  readonly slots: number;
  private counted: Float64Array | undefined;
  private readonly bucketOfRank = new Map<number, number>();

  /** `shared`: the counts in a SharedArrayBuffer (handed between worker threads without a copy). */
  constructor(buckets: Float64Array, ranks: readonly number[], private readonly shared = false) {
    const wanted = [...new Set(ranks)].sort((a, b) => a - b);
    let slots = 0;
    let before = 0;
    let w = 0;
    for (let b = 0; b < 65_536 && w < wanted.length; b++) {
      const n = buckets[b]!;
      while (w < wanted.length && wanted[w]! < before + n) {
        if (this.slotOf[b] === -1) {
          this.slotOf[b] = slots++;
          this.firstRank.set(b, before);
        }
        this.bucketOfRank.set(wanted[w]!, b);
        w++;
      }
      before += n;
    }
    this.slots = slots;
  }

  /**
   * Counts of the wanted buckets' values by low 16 bits: slot << 16 | low bits. Allocated on first
   * use: a caller that counts elsewhere (Float32BinPass) never touches these 0.5 MB a slot, whose
   * page faults cost more than its counting setup.
   */
  get counts(): Float64Array {
    this.counted ??= this.shared ? new Float64Array(new SharedArrayBuffer(this.slots * 65_536 * 8)) : new Float64Array(this.slots * 65_536);
    return this.counted;
  }

  /** Counts the values of `band` that fall in the wanted buckets (the second pass). */
  add(band: Float32Array): void {
    this.lows = undefined;
    countWanted(bitsOf(band), this.slotOf, this.counts);
  }

  /** The value of rank `rank` (one of those planned). */
  value(rank: number): number {
    this.own ??= [this.counts];
    return this.valueIn(rank, this.own);
  }

  private own: [Float64Array] | undefined;

  /**
   * `value(rank)` where the counts are the sum of `parts` (laid out as `counts`: the counts of
   * parts of the plane), read only up to the rank instead of added up whole.
   */
  valueIn(rank: number, parts: ReadonlyArray<ArrayLike<number>>): number {
    const b = this.bucketOfRank.get(rank);
    if (b === undefined) return NaN;
    // every wanted rank of the bucket from one scan of its counts (a histogram asks for 18 ranks
    // in ~7 buckets), kept while the same parts are asked about
    if (this.lows?.parts !== parts) this.lows = { parts, low: new Map() };
    let low = this.lows.low.get(rank);
    if (low === undefined) {
      const ranks = [...this.bucketOfRank].filter(([, other]) => other === b).map(([r]) => r).sort((x, y) => x - y);
      const lows = lowsOfRanks(parts, this.slotOf[b]! << 16, this.firstRank.get(b)!, Float64Array.from(ranks));
      ranks.forEach((r, i) => this.lows!.low.set(r, lows[i]!));
      low = lows[ranks.indexOf(rank)]!;
    }
    return low < 0 ? NaN : floatOfKey((((b ^ 0x8000) << 16) | low) | 0);
  }

  private lows: { parts: ReadonlyArray<ArrayLike<number>>; low: Map<number, number> } | undefined;
}

/*
 * The hot loops are plain functions over typed arrays and numbers, so that V8 optimises each once
 * with complete type feedback: written as class methods whose loops were compiled on-stack while
 * the code after them had never run, they were deoptimised again and again ("insufficient type
 * feedback") and ran several times slower. `warmUp` runs each on a few pixels when the module
 * loads, which records feedback for every statement before the first real band.
 */

/**
 * Finite count per row (into rowCounts[firstRow + r]), min and max keys (minMax[0], minMax[1],
 * updated) and the bucket counts (`part`) of `rows` rows of `width` float32 bits; returns the
 * finite count.
 */
export function scanKeys(bits: Int32Array, width: number, rows: number, rowCounts: Int32Array, firstRow: number, part: Int32Array, minMax: Int32Array): number {
  let mn = minMax[0]!;
  let mx = minMax[1]!;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (let i = r * width, end = i + width; i < end; i++) {
      const u = bits[i]!;
      if ((u & NON_FINITE_BITS) === NON_FINITE_BITS) continue;
      c++;
      const k = u ^ ((u >> 31) & 0x7fffffff);
      if (k < mn) mn = k;
      if (k > mx) mx = k;
      part[(k >>> 16) ^ 0x8000]++;
    }
    rowCounts[firstRow + r] = c;
    total += c;
  }
  minMax[0] = mn;
  minMax[1] = mx;
  return total;
}

/** Counts the keys of `bits` whose bucket has a slot (slotOf >= 0) into counts[slot << 16 | low bits]. */
export function countWanted(bits: Int32Array, slotOf: Int32Array, counts: Float64Array): void {
  // No finiteness test: NaN and infinities have buckets of their own, never wanted.
  for (let i = 0, n = bits.length; i < n; i++) {
    const u = bits[i]!;
    const k = u ^ ((u >> 31) & 0x7fffffff);
    const s = slotOf[(k >>> 16) ^ 0x8000]!;
    if (s >= 0) counts[(s << 16) | (k & 0xffff)]++;
  }
}

/**
 * For each of `ranks` (ascending), the low 16 bits at which the counts (`parts` added up, from
 * `base`; `seen` before them) pass it, or -1.
 */
export function lowsOfRanks(parts: ReadonlyArray<ArrayLike<number>>, base: number, seen: number, ranks: Float64Array): Int32Array {
  const lows = new Int32Array(ranks.length).fill(-1);
  const n = parts.length;
  let w = 0;
  for (let low = 0; low < 65_536 && w < ranks.length; low++) {
    for (let p = 0; p < n; p++) seen += parts[p]![base + low]!;
    while (w < ranks.length && seen > ranks[w]!) lows[w++] = low;
  }
  return lows;
}

/** Sample pixels for warming the loops up: finite values of both signs, NaN and infinities. */
export const WARM_UP_PIXELS = Float32Array.of(1.5, -2.25, NaN, 0, -0, Infinity, 3e-40, -Infinity, 7, 1e30, -1e-30, 2.5);

function warmUp(): void {
  const bits = bitsOf(WARM_UP_PIXELS);
  const part = new Int32Array(65_536);
  const rowCounts = new Int32Array(3);
  const slotOf = new Int32Array(65_536).fill(-1);
  for (const k of [1.5, 7, -2.25]) slotOf[bucketOfKey(keyOfBits(bitsOf(Float32Array.of(k))[0]!))] = 0;
  const counts = new Float64Array(65_536);
  for (let i = 0; i < 4; i++) {
    scanKeys(bits, 4, 3, rowCounts, 0, part, Int32Array.of(0x7fffffff, -0x80000000));
    countWanted(bits, slotOf, counts);
    lowsOfRanks([counts, part], 0, 0, Float64Array.of(1, 3));
  }
}
warmUp();
