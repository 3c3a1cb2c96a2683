/**
 * The WebAssembly builds (wasm/count.c) of GET /histogram's per-pixel loops: float32-histogram.ts's
 * count loop for affine displays (`countAffine`) and its counting of the listed percentile keys
 * (`countListed`), and float32-keys.ts's scan (`scanKeys`, which can also byte-swap the FITS
 * words of each piece it scans: `swap32`), each statement for statement; the
 * TypeScript functions stay the reference the tests compare them with, and the fallback where
 * WebAssembly is missing. A pass (or scan) takes one instance: its linear memory holds the pass's
 * tables (sub-bucket counts and bins, regions, listed keys and their counts, per-band bins,
 * edges) as typed-array views the pass reads and writes as it did its own arrays, plus a 64 KB
 * piece of pixels, copied in before each call (it stays in the cache for the loop). A thread keeps
 * the instances of ended passes: fresh memory costs a page fault per 4 KiB.
 *
 * Why: V8's code bounds-checks each typed-array access of these loops and re-checks the float
 * arithmetic's types; on half the bench plane (8.4 M pixels, zscale, 256 bins) the count loop took
 * 38 ms instead of 63, the listed keys 3.5 ms instead of 11, the scan 9 ms instead of 30 (best of
 * 10, load 4-7; docs/viewer.md, session 12).
 */
import { alignUp, compileWasm, ensureMemory, heapStart, instantiateWasm, webAssembly, type WasmHeapExports } from '../core/wasm-module.js';
import { COUNT_WASM_BASE64 } from './wasm/count-wasm.js';

interface CountExports extends WasmHeapExports {
  count_affine(
    band: number, len: number, min: number, span: number, rFirst: number, rLast: number, sFirst: number, sLast: number, aMin: number, aSpan: number,
    shift: number, rEdges: number, sEdges: number, regionOf: number, sub: number, subRaw: number, subStretched: number, wanted: number, n: number,
    rawPart: number, part: number, nb: number, sums: number,
  ): number;
  count_listed(keys: number, n: number, slotOf: number, slots: number, counts: number, sorted: number, at: number): void;
  swap32(words: number, n: number): void;
  scan_keys(bits: number, width: number, rows: number, rowCounts: number, part: number, minMax: number): number;
}

/** Pixels copied in per call (64 KB). */
export const KERNEL_PIECE = 16_384;

let module: object | undefined;
/** Instances of ended passes and scans (a thread runs one or two at a time). */
const spares: CountExports[] = [];
const MAX_SPARES = 2;

/** An instance, a spare one if any (undefined: no WebAssembly here). */
function takeInstance(): CountExports | undefined {
  const spare = spares.pop();
  if (spare) return spare;
  try {
    if (!webAssembly()) return undefined;
    module ??= compileWasm(COUNT_WASM_BASE64);
    return instantiateWasm<CountExports>(module);
  } catch {
    return undefined;
  }
}

function giveBack(x: CountExports | undefined): void {
  if (x && spares.length < MAX_SPARES) spares.push(x);
}

/** Lays out `sizes` (bytes) from the instance's heap base, growing its memory to hold them; returns their offsets. */
function layOut<K extends string>(x: CountExports, sizes: Record<K, number>): Record<K, number> {
  let end = heapStart(x);
  const at = {} as Record<K, number>;
  for (const k of Object.keys(sizes) as K[]) {
    at[k] = end;
    end += alignUp(sizes[k], 16);
  }
  ensureMemory(x.memory, end);
  return at;
}

/** The tables of one pass in an instance's memory (every view made once: the memory grows only before they are). */
export interface KernelTables {
  readonly rEdges: Float64Array;
  readonly sEdges: Float64Array;
  readonly regionOf: Int32Array;
  readonly sub: Int32Array;
  readonly subRaw: Int32Array;
  readonly subStretched: Int32Array;
  readonly wanted: Int32Array;
  readonly rawPart: Int32Array;
  readonly part: Int32Array;
  readonly sums: Float64Array;
  /** Each bucket's percentile slot or -1 (Float32OrderStatistics.slotOf, copied in). */
  readonly slotOf: Int32Array;
  /** The listed keys' counts (slots x 65,536), until `moveOrder`. */
  readonly order: Int32Array;
}

/** The affine display's numbers (float32-histogram.ts's params), in the kernel's argument order. */
export interface KernelParams {
  readonly min: number;
  readonly span: number;
  readonly rFirst: number;
  readonly rLast: number;
  readonly sFirst: number;
  readonly sLast: number;
  readonly aMin: number;
  readonly aSpan: number;
  readonly shift: number;
}

export class CountKernel {
  readonly tables: KernelTables;
  private readonly input: Float32Array;
  private readonly at: Record<keyof KernelTables | 'input' | 'sorted' | 'slotAt', number>;
  private exports: CountExports | undefined;
  /** The order counts hold something not yet moved out. */
  private orderUsed = false;

  /**
   * An instance (a spare one if any) with room for `nb` bins, `regions` regions of 256 sub-buckets
   * and `listed` keys; `regionOf`, `sub`, `rawPart`, `part` and `sums` come zeroed, the others as
   * they were.
   */
  static take(nb: number, regions: number, listed: number, slots: number): CountKernel | undefined {
    const x = takeInstance();
    return x ? new CountKernel(x, nb, regions, listed, slots) : undefined;
  }

  private constructor(x: CountExports, nb: number, regions: number, listed: number, private readonly slots: number) {
    this.exports = x;
    const subBytes = regions * 256 * 4;
    this.at = layOut(x, {
      sums: 16, rEdges: (nb + 1) * 8, sEdges: (nb + 1) * 8, rawPart: nb * 4, part: nb * 4, slotAt: (slots + 1) * 4,
      regionOf: 65_536 * 4, sub: subBytes, subRaw: subBytes, subStretched: subBytes, input: KERNEL_PIECE * 4, slotOf: 65_536 * 4,
      wanted: listed * 4, sorted: slots > 0 ? listed * 4 : 0, order: slots * 65_536 * 4,
    });
    const buf = x.memory.buffer;
    const at = this.at;
    this.input = new Float32Array(buf, at.input, KERNEL_PIECE);
    this.tables = {
      rEdges: new Float64Array(buf, at.rEdges, nb + 1), sEdges: new Float64Array(buf, at.sEdges, nb + 1),
      regionOf: new Int32Array(buf, at.regionOf, 65_536), sub: new Int32Array(buf, at.sub, regions * 256),
      subRaw: new Int32Array(buf, at.subRaw, regions * 256), subStretched: new Int32Array(buf, at.subStretched, regions * 256),
      wanted: new Int32Array(buf, at.wanted, listed), rawPart: new Int32Array(buf, at.rawPart, nb), part: new Int32Array(buf, at.part, nb),
      sums: new Float64Array(buf, at.sums, 2), slotOf: new Int32Array(buf, at.slotOf, 65_536), order: new Int32Array(buf, at.order, slots * 65_536),
    };
    // a spare's memory holds an earlier pass's tables, laid out for its sizes
    for (const t of [this.tables.regionOf, this.tables.sub, this.tables.rawPart, this.tables.part, this.tables.sums, this.tables.order]) t.fill(0);
  }

  /**
   * countAffine over `band` (at most KERNEL_PIECE pixels), `n` keys already listed in
   * `tables.wanted` (room for band.length more): returns the new count.
   */
  count(band: Float32Array, p: KernelParams, n: number): number {
    const x = this.exports;
    if (!x) throw new Error('count kernel used after release');
    this.input.set(band);
    const at = this.at;
    return x.count_affine(
      at.input, band.length, p.min, p.span, p.rFirst, p.rLast, p.sFirst, p.sLast, p.aMin, p.aSpan, p.shift,
      at.rEdges, at.sEdges, at.regionOf, at.sub, at.subRaw, at.subStretched, at.wanted, n, at.rawPart, at.part, this.tables.rawPart.length, at.sums,
    );
  }

  /** countListed of the first `n` listed keys into `tables.order` (tables.slotOf set). */
  countListed(n: number): void {
    const x = this.exports;
    if (!x) throw new Error('count kernel used after release');
    if (n === 0) return;
    const at = this.at;
    x.count_listed(at.wanted, n, at.slotOf, this.slots, at.order, at.sorted, at.slotAt);
    this.orderUsed = true;
  }

  /** Adds the order counts into `to` (or copies them when `toIsZero`) and zeroes them. */
  moveOrder(to: Int32Array, toIsZero: boolean): void {
    if (!this.orderUsed) return;
    const from = this.tables.order;
    if (toIsZero) to.set(from);
    else for (let i = 0; i < from.length; i++) to[i] += from[i]!;
    from.fill(0);
    this.orderUsed = false;
  }

  /** Gives the instance back to the thread's spares; the tables' views must not be used after. */
  release(): void {
    giveBack(this.exports);
    this.exports = undefined;
  }
}

/**
 * float32-keys.ts's `scanKeys` in WebAssembly (count.c `scan_keys`, four pixels at a time): the
 * bucket counts (`part`, 65,536 entries) live in the instance's memory, rows are copied in
 * KERNEL_PIECE pixels at a time.
 */
export class ScanKernel {
  /** The bucket counts (as scanKeys' `part`), until `release`. */
  readonly part: Int32Array;
  private readonly input: Int32Array;
  private readonly rowCounts: Int32Array;
  private readonly minMax: Int32Array;
  private readonly at: Record<'part' | 'input' | 'rowCounts' | 'minMax', number>;
  private exports: CountExports | undefined;

  static take(): ScanKernel | undefined {
    const x = takeInstance();
    return x ? new ScanKernel(x) : undefined;
  }

  private constructor(x: CountExports) {
    this.exports = x;
    this.at = layOut(x, { minMax: 16, part: 65_537 * 4, rowCounts: KERNEL_PIECE * 4, input: KERNEL_PIECE * 4 });
    const buf = x.memory.buffer;
    this.part = new Int32Array(buf, this.at.part, 65_536);
    this.part.fill(0);
    this.input = new Int32Array(buf, this.at.input, KERNEL_PIECE);
    this.rowCounts = new Int32Array(buf, this.at.rowCounts, KERNEL_PIECE);
    this.minMax = new Int32Array(buf, this.at.minMax, 2);
  }

  /**
   * scanKeys(bits, width, rows, rowCounts, firstRow, this.part, minMax). `bigEndian`: `bits` hold
   * FITS (big-endian) words, each piece is byte-swapped where it is scanned and written back: `bits`
   * end native.
   */
  scan(bits: Int32Array, width: number, rows: number, rowCounts: Int32Array, firstRow: number, minMax: Int32Array, bigEndian = false): number {
    const x = this.exports;
    if (!x) throw new Error('scan kernel used after release');
    const at = this.at;
    const input = this.input;
    this.minMax.set(minMax);
    let total = 0;
    if (width <= KERNEL_PIECE) {
      const step = Math.floor(KERNEL_PIECE / width);
      for (let r = 0; r < rows; r += step) {
        const n = Math.min(step, rows - r);
        const piece = bits.subarray(r * width, (r + n) * width);
        input.set(piece);
        if (bigEndian) {
          x.swap32(at.input, piece.length);
          piece.set(input.subarray(0, piece.length));
        }
        total += x.scan_keys(at.input, width, n, at.rowCounts, at.part, at.minMax);
        rowCounts.set(this.rowCounts.subarray(0, n), firstRow + r);
      }
    } else {
      for (let r = 0; r < rows; r++) {
        let c = 0;
        for (let i = 0; i < width; i += KERNEL_PIECE) {
          const n = Math.min(KERNEL_PIECE, width - i);
          const piece = bits.subarray(r * width + i, r * width + i + n);
          input.set(piece);
          if (bigEndian) {
            x.swap32(at.input, n);
            piece.set(input.subarray(0, n));
          }
          c += x.scan_keys(at.input, n, 1, at.rowCounts, at.part, at.minMax);
        }
        rowCounts[firstRow + r] = c;
        total += c;
      }
    }
    minMax.set(this.minMax);
    return total;
  }

  /** Gives the instance back to the thread's spares; `part` must not be used after. */
  release(): void {
    giveBack(this.exports);
    this.exports = undefined;
  }
}
