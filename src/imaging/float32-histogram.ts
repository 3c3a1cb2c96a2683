/**
 * The counting pass of GET /histogram over a float32 plane, once a first pass (Float32Scan) gave
 * the finite count, min, max and the 65,536-bucket histogram of the values' order keys (see
 * float32-keys.ts). One loop per pixel does what needs every pixel, the sums of the mapped values
 * (in pixel order, band by band, so the mean and std do not depend on how the plane is split), and
 * looks up the pixel's bucket for the rest:
 * - bin counts: the raw bin ((v - min) / span, numpy's arithmetic) and, for the affine (linear,
 *   zscale) displays, the stretched bin are non-decreasing functions of the value, so a bucket
 *   whose lowest and highest values fall in the same bin is counted whole from the first pass.
 *   The few buckets that straddle a bin edge (at most one per edge, but they can hold nearly every
 *   pixel: zscale bins narrower than a bucket) are cut into 256 sub-buckets of 256 keys (affine
 *   displays): a pixel of a sub-bucket wholly in one bin only increments that sub-bucket's count,
 *   and only the pixels of sub-buckets holding an edge (~1 %) are binned one by one (the stretched
 *   bins of other displays are binned per pixel, their mappings being transcendental);
 * - percentiles: the pixels of the buckets holding the wanted ranks are counted by their low 16 bits
 *   (Float32OrderStatistics).
 * Counts are therefore those of binning every pixel. A plane can be split in row ranges counted
 * separately (worker threads) and merged (`merge`) with exactly the same result.
 */
import { CountKernel, KERNEL_PIECE, type KernelParams } from './count-kernel.js';
import { NON_FINITE_BITS as NON_FINITE, WARM_UP_PIXELS, Float32OrderStatistics, bitsOf, floatOfKey } from './float32-keys.js';

// A module-local copy for the loops: an imported binding is a getter call per pixel where the
// modules are compiled to CommonJS (tsx in worker threads: the tests and benches).
const NON_FINITE_BITS: number = NON_FINITE;

/** Everything the counting pass depends on (plain data: it crosses to worker threads). */
export interface Float32BinSetup {
  readonly bins: number;
  /** Finite min and max (raw bins are of (v - min) / (max - min)). */
  readonly min: number;
  readonly max: number;
  /** Raw bins: edges over [rFirst, rLast] (UniformBins'). */
  readonly rawEdges: readonly number[];
  /** Stretched bins: edges over [sFirst, sLast]. */
  readonly edges: readonly number[];
  /** The affine display (v - vmin) / span clipped to [0, 1], or undefined for another mapping. */
  readonly affine: { readonly vmin: number; readonly span: number } | undefined;
  /** Subtracted from every mapped value before it is summed (a value near the median). */
  readonly shift: number;
  /** Ranks (among the finite values) whose values are wanted. */
  readonly ranks: readonly number[];
}

// Flags of a bucket.
const RAW_PER_PIXEL = 1;
const STRETCHED_PER_PIXEL = 2;
const WANTED = 4;
/** Flags above these bits: 1 + the bucket's slot in the sub-bucket tables (0: none). */
const SUB_SHIFT = 3;
/** Sub-bucket table entries: a bin (>= 0), or one of these. */
const SUB_PER_PIXEL = -1;
const SUB_SKIP = -2;
/**
 * The affine kernel's one table (`sub`): per sub-bucket a pixel count (bits 0..28) and two marks:
 * its pixels are binned one by one (the count is then not used), its bucket holds a wanted rank.
 * Every pixel increments its entry and reads the marks in the same load (no branch on a flag).
 */
const SUB_BINNED = 1 << 29;
const SUB_WANTED = 1 << 30;
const SUB_COUNT = SUB_BINNED - 1;
/** Flush the counts before any could reach the marks. */
const SUB_MAX_PIXELS = SUB_BINNED >>> 1;
/** Keys of wanted pixels kept before they are counted (4 MB). */
const WANTED_LIST = 1 << 20;

// Parameters of the kernels, in one Float64Array (numbers only: one shape for V8).
const P_MIN = 0;
const P_SPAN = 1;
const P_R_FIRST = 2;
const P_R_LAST = 3;
const P_S_FIRST = 4;
const P_S_LAST = 5;
const P_A_MIN = 6;
const P_A_SPAN = 7;
const P_SHIFT = 8;
const P_COUNT = 9;

/** The counts of one part of a plane (or of all of it): what `merge` adds up. */
export interface Float32BinCounts {
  readonly rawPart: Float64Array;
  readonly part: Float64Array;
  /** Float32OrderStatistics' counts of the wanted buckets' low bits (int32 while they fit: faster increments). */
  readonly order: Float64Array | Int32Array;
  /** Sums of (mapped - shift) and of its square, per band, in band order. */
  readonly bandSums: Float64Array;
}

/** The merged counts: both histograms, the sums, and the value at each of the setup's ranks. */
export interface Float32BinTotals {
  readonly rawCounts: Float64Array;
  readonly counts: Float64Array;
  readonly s1: number;
  readonly s2: number;
  value(rank: number): number;
}

/** Wanted-key lists of ended passes (a worker thread runs one pass at a time): fresh memory costs page faults. */
const spareLists: Int32Array[] = [];
/** countListed's sort (slots < 256: a pass has at most 2 x 9 ranks). */
let scratch: { sorted: Int32Array; slotsOf: Uint8Array } | undefined;
const NO_LIST = new Int32Array(1);

export class Float32BinPass {
  private readonly params = new Float64Array(P_COUNT);
  private readonly rawEdges: Float64Array;
  private readonly edges: Float64Array;
  private readonly flags = new Int32Array(65_536);
  /** Per region (256 entries, by key bits 8..15): the raw / stretched bin of those keys, or SUB_*. */
  private readonly subRaw: Int32Array;
  private readonly subStretched: Int32Array;
  /**
   * Affine displays: the first entry of each bucket's region in `sub`: region 0 (never counted)
   * for buckets counted whole, then the straddling buckets', then the wanted ones' not straddling.
   */
  private readonly regionOf: Int32Array;
  /** Pixels per sub-bucket and marks (SUB_BINNED, SUB_WANTED), until a flush. */
  private readonly sub: Int32Array;
  private subPixels = 0;
  /** Keys of wanted pixels (affine displays), wantedAt[0] of them not yet counted. */
  private wanted: Int32Array | undefined;
  private readonly wantedAt = new Int32Array(1);
  private readonly order: Float32OrderStatistics;
  /** The order counts of this pass's bands, int32 until a flush into `order.counts`. */
  private readonly orderPart: Int32Array;
  private orderPixels = 0;
  private orderFlushed = false;
  /** orderPart holds no count yet (it is given zero, or zeroed by a flush: the kernel's counts are copied in, not added). */
  private orderPartZero = true;
  private readonly rawPart: Int32Array;
  private readonly part: Int32Array;
  private readonly rawTotal: Float64Array;
  private readonly total: Float64Array;
  private readonly sums: Float64Array;
  /**
   * Affine displays: the WebAssembly count loop (count-kernel.ts), whose memory holds regionOf, sub,
   * subRaw, subStretched, rawPart, part, sums and the key list; undefined: countAffine in TypeScript.
   */
  private kernel: CountKernel | undefined;
  /** counts() was called: the kernel's tables are given back. */
  private ended = false;
  private readonly kernelParams: KernelParams | undefined;
  /** Each band's two sums (float64: a number[] began as small integers, all-NaN bands' 0, and was deoptimised at the first fraction). */
  private bandSums = new Float64Array(64);
  private bandSumsLength = 0;

  /**
   * `buckets`: the first pass's finite counts per bucket (of the whole plane); `map`: the display
   * mapping (used only when setup.affine is undefined; a function cannot cross to a worker, so a
   * worker rebuilds it); `orderCounts`: where to count the percentile buckets' values (at least
   * `orderLength` entries, zero; shared memory where other threads merge the parts), instead of a
   * new array. A pass with `orderCounts` must not take 2^31 pixels or more (its counts stay int32).
   * `kernel`: 'js' counts an affine display with the TypeScript loop instead of the WebAssembly one
   * (the tests compare them; the results are identical).
   */
  constructor(readonly setup: Float32BinSetup, private readonly buckets: Float64Array, private readonly map: (v: number) => number, options: { orderCounts?: Int32Array; kernel?: 'js' | 'wasm' } = {}) {
    const nb = setup.bins;
    const p = this.params;
    const span = setup.max - setup.min;
    p[P_MIN] = setup.min;
    p[P_SPAN] = span;
    p[P_R_FIRST] = setup.rawEdges[0]!;
    p[P_R_LAST] = setup.rawEdges[nb]!;
    p[P_S_FIRST] = setup.edges[0]!;
    p[P_S_LAST] = setup.edges[nb]!;
    p[P_A_MIN] = setup.affine ? setup.affine.vmin : 0;
    p[P_A_SPAN] = setup.affine ? setup.affine.span : 1;
    p[P_SHIFT] = setup.shift;
    this.rawEdges = Float64Array.from(setup.rawEdges);
    this.edges = Float64Array.from(setup.edges);
    this.rawTotal = new Float64Array(nb);
    this.total = new Float64Array(nb);
    // its counts take only flushes and merges (the shared, per-pass counts are orderPart)
    this.order = new Float32OrderStatistics(buckets, setup.ranks);
    this.orderPart = options.orderCounts ?? new Int32Array(this.order.slots * 65_536);
    const { flags } = this;
    const slotOf = this.order.slotOf;
    const straddling: number[] = [];
    // the wanted buckets not straddling get a region too (for the mark), after the straddling ones
    const wantedOnly: number[] = [];
    for (let b = 0; b < 65_536; b++) {
      if (buckets[b] === 0) continue;
      const lo = floatOfKey(((b ^ 0x8000) << 16) | 0);
      const hi = floatOfKey(((b ^ 0x8000) << 16) | 0xffff);
      let f = slotOf[b]! >= 0 ? WANTED : 0;
      if (rawBin(lo, p, this.rawEdges) !== rawBin(hi, p, this.rawEdges)) f |= RAW_PER_PIXEL;
      if (!setup.affine || stretchedBin(lo, p, this.edges) !== stretchedBin(hi, p, this.edges)) f |= STRETCHED_PER_PIXEL;
      // An edge lies in at most one bucket, so at most ~2 x 257 buckets straddle one.
      if (setup.affine && (f & (RAW_PER_PIXEL | STRETCHED_PER_PIXEL)) !== 0) {
        straddling.push(b);
        f |= straddling.length << SUB_SHIFT;
      } else if (setup.affine && (f & WANTED) !== 0) wantedOnly.push(b);
      flags[b] = f;
    }
    // Second level for the straddling buckets: 256 sub-buckets of 256 keys each. The bins are
    // non-decreasing in the key, so a sub-bucket whose first and last keys share a bin is in it
    // whole; only the pixels of sub-buckets holding an edge are binned one by one.
    const regions = 1 + straddling.length + wantedOnly.length;
    const kernel = setup.affine && options.kernel !== 'js' ? CountKernel.take(nb, regions, WANTED_LIST, this.order.slots) : undefined;
    this.kernel = kernel;
    if (kernel) {
      const t = kernel.tables;
      ({ regionOf: this.regionOf, sub: this.sub, subRaw: this.subRaw, subStretched: this.subStretched, rawPart: this.rawPart, part: this.part, sums: this.sums } = t);
      this.subRaw.fill(SUB_SKIP);
      this.subStretched.fill(SUB_SKIP);
      t.rEdges.set(this.rawEdges);
      t.slotOf.set(slotOf);
      t.sEdges.set(this.edges);
      this.kernelParams = { min: p[P_MIN]!, span, rFirst: p[P_R_FIRST]!, rLast: p[P_R_LAST]!, sFirst: p[P_S_FIRST]!, sLast: p[P_S_LAST]!, aMin: p[P_A_MIN]!, aSpan: p[P_A_SPAN]!, shift: p[P_SHIFT]! };
    } else {
      this.regionOf = new Int32Array(65_536);
      this.subRaw = new Int32Array(regions * 256).fill(SUB_SKIP);
      this.subStretched = new Int32Array(regions * 256).fill(SUB_SKIP);
      this.sub = new Int32Array(regions * 256);
      this.rawPart = new Int32Array(nb);
      this.part = new Int32Array(nb);
      this.sums = new Float64Array(2);
      this.kernelParams = undefined;
    }
    [...straddling, ...wantedOnly].forEach((b, i) => {
      const at = (i + 1) << 8;
      this.regionOf[b] = at;
      if ((flags[b]! & WANTED) !== 0) this.sub.fill(SUB_WANTED, at, at + 256);
    });
    straddling.forEach((b, i) => {
      const f = flags[b]!;
      for (let sb = 0; sb < 256; sb++) {
        const first = ((b ^ 0x8000) << 16) | (sb << 8);
        const lo = floatOfKey(first);
        const hi = floatOfKey(first | 0xff);
        const j = ((i + 1) << 8) | sb;
        this.subRaw[j] = (f & RAW_PER_PIXEL) === 0 ? SUB_SKIP : subEntry(rawBin(lo, p, this.rawEdges), rawBin(hi, p, this.rawEdges), nb);
        this.subStretched[j] = (f & STRETCHED_PER_PIXEL) === 0 ? SUB_SKIP : subEntry(stretchedBin(lo, p, this.edges), stretchedBin(hi, p, this.edges), nb);
        if (this.subRaw[j] === SUB_PER_PIXEL || this.subStretched[j] === SUB_PER_PIXEL) this.sub[j]! |= SUB_BINNED;
      }
    });
  }

  /** Entries of the percentile counts (see `orderCounts`). */
  get orderLength(): number {
    return this.order.slots * 65_536;
  }

  /** Counts one band (whole rows; bands in plane order; none after `counts()`). */
  add(band: Float32Array): void {
    if (this.ended) throw new Error('Float32BinPass.add after counts()');
    const { params, rawEdges, edges, flags, rawPart, part, sums } = this;
    const order = this.order;
    // int32 order counts: flush into the float64 ones before a count could pass 2^31 - 1
    if (this.orderPixels + band.length > 0x7fffffff) this.flushOrder();
    this.orderPixels += band.length;
    if (this.setup.affine) this.addAffine(band);
    else countMapped(band, bitsOf(band), params, rawEdges, edges, flags, order.slotOf, this.orderPart, rawPart, part, sums, this.map);
    if (this.bandSumsLength === this.bandSums.length) {
      const grown = new Float64Array(2 * this.bandSums.length);
      grown.set(this.bandSums);
      this.bandSums = grown;
    }
    this.bandSums[this.bandSumsLength++] = sums[0]!;
    this.bandSums[this.bandSumsLength++] = sums[1]!;
    // int32 counters within a band (fewer than 2^31 pixels); float64 totals
    for (let k = 0; k < part.length; k++) {
      this.rawTotal[k] += rawPart[k]!;
      this.total[k] += part[k]!;
    }
    rawPart.fill(0);
    part.fill(0);
  }

  private addAffine(band: Float32Array): void {
    const { kernel } = this;
    if (kernel) {
      this.wanted = kernel.tables.wanted;
      this.sums.fill(0);
      for (let i = 0; i < band.length; i += KERNEL_PIECE) {
        const piece = band.length <= KERNEL_PIECE ? band : band.subarray(i, i + KERNEL_PIECE);
        if (this.subPixels + piece.length > SUB_MAX_PIXELS) this.flushSubCounts();
        this.subPixels += piece.length;
        if (this.wantedAt[0]! + piece.length >= WANTED_LIST) this.countWanted();
        this.wantedAt[0] = kernel.count(piece, this.kernelParams!, this.wantedAt[0]!);
      }
      return;
    }
    if (this.order.slots > 0) this.wanted ??= spareLists.pop() ?? new Int32Array(WANTED_LIST);
    const wanted = this.wanted ?? NO_LIST;
    this.sums.fill(0);
    // the kernel writes a key per pixel at the list's end (kept only if wanted): pieces shorter than the list
    const step = WANTED_LIST - 1;
    for (let i = 0; i < band.length; i += step) {
      const piece = band.length <= step ? band : band.subarray(i, i + step);
      if (this.subPixels + piece.length > SUB_MAX_PIXELS) this.flushSubCounts();
      this.subPixels += piece.length;
      if (this.wantedAt[0]! + piece.length >= wanted.length) this.countWanted();
      countAffine(piece, bitsOf(piece), this.params, this.rawEdges, this.edges, this.regionOf, this.sub, this.subRaw, this.subStretched, wanted, this.wantedAt, this.rawPart, this.part, this.sums);
    }
  }

  /** Counts the listed wanted keys by their low 16 bits, bucket (slot) by bucket: each slot's counts stay in the cache while they are counted. */
  private countWanted(): void {
    const { wanted, wantedAt } = this;
    if (!wanted || wantedAt[0] === 0) return;
    if (this.kernel) {
      this.kernel.countListed(wantedAt[0]!);
      wantedAt[0] = 0;
      return;
    }
    // one scratch per thread: countListed runs to its end without yielding
    scratch ??= { sorted: new Int32Array(WANTED_LIST), slotsOf: new Uint8Array(WANTED_LIST) };
    countListed(wanted, wantedAt[0]!, this.order.slotOf, this.order.slots, this.orderPart, scratch.sorted, scratch.slotsOf);
    wantedAt[0] = 0;
  }

  /** This pass's counts (after its bands), to `merge` with other parts'. */
  counts(): Float32BinCounts {
    this.countWanted();
    this.moveKernelOrder();
    // the lists go back to the worker's spares (fresh memory costs page faults)
    if (this.wanted && !this.kernel) spareLists.push(this.wanted);
    this.wanted = undefined;
    spareLists.splice(0, spareLists.length - 2);
    if (this.orderFlushed) this.flushOrder();
    this.flushSubCounts();
    // the kernel's memory (its tables) goes back to the thread's spares
    this.kernel?.release();
    this.kernel = undefined;
    this.ended = true;
    return { rawPart: this.rawTotal, part: this.total, order: this.orderFlushed ? this.order.counts : this.orderPart, bandSums: this.bandSums.slice(0, this.bandSumsLength) };
  }

  /** Adds the sub-buckets' pixels to their bins (each is wholly in one raw and one stretched bin, skipped, or binned one by one). */
  private flushSubCounts(): void {
    const { sub, subRaw, subStretched, rawTotal, total } = this;
    for (let j = 256; j < sub.length; j++) {
      const e = sub[j]!;
      const n = e & SUB_COUNT;
      if (n === 0) continue;
      sub[j] = e & ~SUB_COUNT;
      if ((e & SUB_BINNED) !== 0) continue;
      if (subRaw[j]! >= 0) rawTotal[subRaw[j]!] += n;
      if (subStretched[j]! >= 0) total[subStretched[j]!] += n;
    }
    sub.fill(0, 0, 256);
    this.subPixels = 0;
  }

  /** The kernel's order counts (WebAssembly memory) into orderPart. */
  private moveKernelOrder(): void {
    if (!this.kernel) return;
    this.kernel.moveOrder(this.orderPart, this.orderPartZero);
    this.orderPartZero = false;
  }

  private flushOrder(): void {
    this.countWanted();
    this.moveKernelOrder();
    this.flushSubCounts();
    const { orderPart } = this;
    const counts = this.order.counts;
    for (let i = 0; i < orderPart.length; i++) counts[i] += orderPart[i]!;
    orderPart.fill(0);
    this.orderPartZero = true;
    this.orderPixels = 0;
    this.orderFlushed = true;
  }

  /**
   * Adds up `parts` (the counts of consecutive row ranges, in plane order; this pass's own are not
   * included unless listed) and gives the histograms' counts, the sums and the values at the setup's ranks.
   */
  merge(parts: readonly Float32BinCounts[]): Float32BinTotals {
    const nb = this.setup.bins;
    const rawCounts = new Float64Array(nb);
    const counts = new Float64Array(nb);
    const p = this.params;
    // whole buckets
    for (let b = 0; b < 65_536; b++) {
      const n = this.buckets[b]!;
      if (n === 0) continue;
      const f = this.flags[b]!;
      const lo = floatOfKey(((b ^ 0x8000) << 16) | 0);
      if ((f & RAW_PER_PIXEL) === 0) {
        const k = rawBin(lo, p, this.rawEdges);
        if (k >= 0 && k < nb) rawCounts[k] += n;
      }
      if ((f & STRETCHED_PER_PIXEL) === 0) {
        const k = stretchedBin(lo, p, this.edges);
        if (k >= 0 && k < nb) counts[k] += n;
      }
    }
    let s1 = 0;
    let s2 = 0;
    for (const part of parts) {
      for (let k = 0; k < nb; k++) {
        rawCounts[k] += part.rawPart[k]!;
        counts[k] += part.part[k]!;
      }
      for (let i = 0; i < part.bandSums.length; i += 2) {
        s1 += part.bandSums[i]!;
        s2 += part.bandSums[i + 1]!;
      }
    }
    // the percentile counts are read where they are (adding 9 x 65,536 entries per part, into a
    // fresh array, cost more than the counting pass's own setup); in a packed array, as valueIn's
    // other callers pass (`map` makes a holey one: lowsOfRanks' code was deoptimised by its map)
    const orders: ArrayLike<number>[] = [];
    for (const part of parts) orders.push(part.order);
    return { rawCounts, counts, s1, s2, value: (rank) => this.order.valueIn(rank, orders) };
  }
}

/** The raw bin of v: -1 below the bins, `bins` above, as the kernels compute it. */
function rawBin(v: number, p: Float64Array, e: Float64Array): number {
  const nb = e.length - 1;
  const span = p[P_SPAN]!;
  let r = span === 0 ? 0 : (v - p[P_MIN]!) / span;
  r = r < 0 ? 0 : r > 1 ? 1 : r;
  return binOf(r, p[P_R_FIRST]!, p[P_R_LAST]!, e, nb);
}

/** The stretched bin of v under the affine display. */
function stretchedBin(v: number, p: Float64Array, e: Float64Array): number {
  let m = (v - p[P_A_MIN]!) / p[P_A_SPAN]!;
  m = m < 0 ? 0 : m > 1 ? 1 : m;
  return binOf(m, p[P_S_FIRST]!, p[P_S_LAST]!, e, e.length - 1);
}

/** A sub-bucket's table entry from the bins of its first and last keys. */
function subEntry(first: number, last: number, nb: number): number {
  if (first !== last) return SUB_PER_PIXEL;
  return first >= 0 && first < nb ? first : SUB_SKIP;
}

function binOf(x: number, first: number, last: number, e: Float64Array, nb: number): number {
  if (x < first) return -1;
  if (x > last) return nb;
  let k = ((x - first) * (nb / (last - first))) | 0;
  if (k === nb) k--;
  if (x < e[k]!) k--;
  else if (k !== nb - 1 && x >= e[k + 1]!) k++;
  return k;
}

/*
 * The kernels: plain functions over typed arrays (see float32-keys.ts on why), one per display kind
 * so that each stays monomorphic, warmed up when the module loads. The bin arithmetic is numpy's
 * (divisions, edge corrections) and the same as binOf's, inlined.
 */
function countAffine(
  band: Float32Array, bits: Int32Array, p: Float64Array, rEdges: Float64Array, sEdges: Float64Array, regionOf: Int32Array, sub: Int32Array,
  subRaw: Int32Array, subStretched: Int32Array, wanted: Int32Array, wantedAt: Int32Array, rawPart: Int32Array, part: Int32Array, sums: Float64Array,
): void {
  const nb = part.length;
  const min = p[P_MIN]!;
  const span = p[P_SPAN]!;
  const rFirst = p[P_R_FIRST]!;
  const rLast = p[P_R_LAST]!;
  const rNorm = nb / (rLast - rFirst);
  const sFirst = p[P_S_FIRST]!;
  const sLast = p[P_S_LAST]!;
  const sNorm = nb / (sLast - sFirst);
  const aMin = p[P_A_MIN]!;
  const aSpan = p[P_A_SPAN]!;
  const shift = p[P_SHIFT]!;
  // a band counted in pieces sums on from the previous piece (the same additions as in one loop)
  let s1 = sums[0]!;
  let s2 = sums[1]!;
  let n = wantedAt[0]!;
  for (let i = 0, len = band.length; i < len; i++) {
    const u = bits[i]!;
    if ((u & NON_FINITE_BITS) === NON_FINITE_BITS) continue;
    const v = band[i]!;
    let m = (v - aMin) / aSpan;
    m = m < 0 ? 0 : m > 1 ? 1 : m;
    const d = m - shift;
    s1 += d;
    s2 += d * d;
    const key = u ^ ((u >> 31) & 0x7fffffff);
    // one load for the count and both marks; region 0 (buckets counted whole) is never read back
    const j = regionOf[(key >>> 16) ^ 0x8000]! | ((key >>> 8) & 0xff);
    const e = sub[j]!;
    sub[j] = e + 1;
    // the key is written every time and kept (n moves on) only for a wanted bucket: no branch to mispredict
    wanted[n] = key;
    n += e >>> 30;
    if ((e & SUB_BINNED) === 0) continue;
    // a sub-bucket holding a bin edge: binned one by one (its count is not used)
    const kr = subRaw[j]!;
    if (kr >= 0) rawPart[kr]++;
    else if (kr === SUB_PER_PIXEL) {
      let r = span === 0 ? 0 : (v - min) / span;
      r = r < 0 ? 0 : r > 1 ? 1 : r;
      if (r >= rFirst && r <= rLast) {
        let k = ((r - rFirst) * rNorm) | 0;
        if (k === nb) k--;
        if (r < rEdges[k]!) k--;
        else if (k !== nb - 1 && r >= rEdges[k + 1]!) k++;
        rawPart[k]++;
      }
    }
    const ks = subStretched[j]!;
    if (ks >= 0) part[ks]++;
    else if (ks === SUB_PER_PIXEL && m >= sFirst && m <= sLast) {
      let k = ((m - sFirst) * sNorm) | 0;
      if (k === nb) k--;
      if (m < sEdges[k]!) k--;
      else if (k !== nb - 1 && m >= sEdges[k + 1]!) k++;
      part[k]++;
    }
  }
  wantedAt[0] = n;
  sums[0] = s1;
  sums[1] = s2;
}

/**
 * Counts `n` listed keys of wanted buckets into counts[slot << 16 | low bits], after sorting them by
 * slot (`sorted`: room for n; `slotsOf`: n bytes): one slot's 256 KB of counts at a time.
 */
function countListed(keys: Int32Array, n: number, slotOf: Int32Array, slots: number, counts: Int32Array, sorted: Int32Array, slotsOf: Uint8Array): void {
  const at = new Int32Array(slots + 1);
  for (let k = 0; k < n; k++) {
    const s = slotOf[(keys[k]! >>> 16) ^ 0x8000]!;
    slotsOf[k] = s;
    at[s + 1]++;
  }
  for (let s = 0; s < slots; s++) at[s + 1] += at[s]!;
  const end = at.slice(1);
  for (let k = 0; k < n; k++) sorted[at[slotsOf[k]!]++] = keys[k]!;
  for (let s = 0, k = 0; s < slots; s++) {
    const base = s << 16;
    for (const e = end[s]!; k < e; k++) counts[base | (sorted[k]! & 0xffff)]++;
  }
}

/** countAffine for a mapping that is not affine: one call per pixel, stretched bins per pixel. */
function countMapped(
  band: Float32Array, bits: Int32Array, p: Float64Array, rEdges: Float64Array, sEdges: Float64Array, flags: Int32Array,
  slotOf: Int32Array, order: Int32Array, rawPart: Int32Array, part: Int32Array, sums: Float64Array, map: (v: number) => number,
): void {
  const nb = part.length;
  const min = p[P_MIN]!;
  const span = p[P_SPAN]!;
  const rFirst = p[P_R_FIRST]!;
  const rLast = p[P_R_LAST]!;
  const rNorm = nb / (rLast - rFirst);
  const sFirst = p[P_S_FIRST]!;
  const sLast = p[P_S_LAST]!;
  const sNorm = nb / (sLast - sFirst);
  const shift = p[P_SHIFT]!;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0, len = band.length; i < len; i++) {
    const u = bits[i]!;
    if ((u & NON_FINITE_BITS) === NON_FINITE_BITS) continue;
    const v = band[i]!;
    const m = map(v);
    const d = m - shift;
    s1 += d;
    s2 += d * d;
    if (m >= sFirst && m <= sLast) {
      let k = ((m - sFirst) * sNorm) | 0;
      if (k === nb) k--;
      if (m < sEdges[k]!) k--;
      else if (k !== nb - 1 && m >= sEdges[k + 1]!) k++;
      part[k]++;
    }
    const key = u ^ ((u >> 31) & 0x7fffffff);
    const b = (key >>> 16) ^ 0x8000;
    const f = flags[b]!;
    if ((f & RAW_PER_PIXEL) !== 0) {
      let r = span === 0 ? 0 : (v - min) / span;
      r = r < 0 ? 0 : r > 1 ? 1 : r;
      if (r >= rFirst && r <= rLast) {
        let k = ((r - rFirst) * rNorm) | 0;
        if (k === nb) k--;
        if (r < rEdges[k]!) k--;
        else if (k !== nb - 1 && r >= rEdges[k + 1]!) k++;
        rawPart[k]++;
      }
    }
    if ((f & WANTED) !== 0) order[(slotOf[b]! << 16) | (key & 0xffff)]++;
  }
  sums[0] = s1;
  sums[1] = s2;
}

/** Runs the kernels on a few pixels through every branch, so the first real band finds full type feedback. */
function warmUp(): void {
  const edges = Float64Array.of(0, 0.25, 0.5, 0.75, 1);
  const p = Float64Array.of(-3, 10, 0, 1, 0, 1, -1, 4, 0.5);
  const sums = new Float64Array(2);
  const bits = bitsOf(WARM_UP_PIXELS);
  const flags = new Int32Array(65_536).fill(RAW_PER_PIXEL | STRETCHED_PER_PIXEL | WANTED);
  const slotOf = new Int32Array(65_536);
  const order = new Int32Array(65_536);
  // region 1 for every bucket: its sub-buckets binned per pixel, in a bin, skipped; some wanted
  const regionOf = new Int32Array(65_536).fill(256);
  const bins = new Int32Array(512);
  for (let j = 256; j < 512; j++) bins[j] = j % 3 === 0 ? SUB_PER_PIXEL : j % 3 === 1 ? j & 3 : SUB_SKIP;
  const sub = new Int32Array(512);
  const wanted = new Int32Array(WARM_UP_PIXELS.length + 1);
  const maps = [(v: number) => Math.min(1, Math.max(0, v / 8)), (v: number) => (v > 0 ? 1 : 0)];
  for (let i = 0; i < 4; i++) {
    p[P_SPAN] = i === 3 ? 0 : 10;
    for (let j = 256; j < 512; j++) sub[j] = (j + i) % 2 === 0 ? SUB_BINNED | SUB_WANTED : (j + i) % 3 === 0 ? SUB_WANTED : 0;
    flags.fill(i === 1 ? WANTED : RAW_PER_PIXEL | STRETCHED_PER_PIXEL | WANTED | (1 << SUB_SHIFT));
    flags[0x8000] = i === 2 ? 0 : RAW_PER_PIXEL | STRETCHED_PER_PIXEL | WANTED; // the bucket of +0
    const at = new Int32Array(1);
    countAffine(WARM_UP_PIXELS, bits, p, edges, edges, regionOf, sub, bins, bins, wanted, at, new Int32Array(4), new Int32Array(4), sums);
    countListed(wanted, at[0]!, slotOf, 1, order, new Int32Array(wanted.length), new Uint8Array(wanted.length));
    countMapped(WARM_UP_PIXELS, bits, p, edges, edges, flags, slotOf, order, new Int32Array(4), new Int32Array(4), sums, maps[i % 2]!);
  }
}
warmUp();
