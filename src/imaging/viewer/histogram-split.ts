/**
 * GET /histogram of a float32 plane on several worker threads at once. A pool task cannot submit
 * tasks of its own, so the caller (on the main thread) runs two stages and the workers do the
 * computation:
 *   1. `scan`, one task per part (consecutive row ranges, cut at band boundaries): finite counts per
 *      row, min and max keys, the 65,536-bucket key histogram, the zscale sample's pixels if every
 *      pixel turns out finite. A plane held in memory (`OpenedImage.inMemory`, at most MAX_HOLDING
 *      requests at once) keeps each part's decoded rows in shared memory (buffers of ended requests
 *      are reused), so the file is read once. A plane that cannot be split (not an uncompressed
 *      float32 plane, smoothing, a display that needs every finite value, a small plane) is
 *      computed whole by the first part, the others answer nothing.
 *   2. The caller merges the scans' counts, min/max keys, row counts and sample (exact: integers and
 *      key order; no pixel is touched), then runs `count`, one task per part: each adds up the
 *      parts' key buckets, takes astropy's zscale sample (from the held rows, or reading back the
 *      rows that hold it), builds the display mapping and the counting setup, and counts its rows
 *      (Float32BinPass) into a shared board (bins, per-band sums, percentile counts). The task that
 *      ends last merges the board (sums band by band in plane order) into the result; the others
 *      answer nothing. No task waits for another.
 * The result is identical to `histogramFile`'s: the bands are the same and every merge is exact.
 */
import type { PixelArray } from '../../core/image-plane.js';
import type { FiniteSummary } from '../finite.js';
import { Float32BinPass, type Float32BinCounts } from '../float32-histogram.js';
import { Float32Scan, summaryOfKeys } from '../float32-keys.js';
import type { DisplayStatistics } from '../statistics.js';
import { allFiniteSample, asFloat32, takeSample, yieldsFloat32, zscaleSampleOf, type PlaneRowReader, type SampleReaders } from './band-render.js';
import { HISTOGRAM_PERCENTILES, float32CountPlan, float32Result, histogramFile, type HistogramFileRequest, type HistogramResult } from './histogram-file.js';
import { planeReaders, planeRowBands, planeRowBandsInto, withOpenImage, type OpenedImage } from './source.js';

/** A plane with fewer bands than this per part is computed whole. */
const MIN_BANDS_PER_PART = 4;
/** Parts of more pixels are not split (their percentile counts, int32 in shared memory, could overflow). */
const MAX_PART_PIXELS = 2 ** 30;

export interface HistogramScanPart {
  readonly kind: 'scan';
  readonly y0: number;
  readonly y1: number;
  readonly width: number;
  readonly height: number;
  readonly bandRows: number;
  readonly count: number;
  readonly minKey: number;
  readonly maxKey: number;
  /** Finite values per key bucket of the part's rows, in shared memory. */
  readonly buckets: Float64Array;
  /** Finite values per row of y0..y1. */
  readonly rowCounts: Int32Array;
  /** The all-finite zscale sample's entries [from, to). */
  readonly sample: { readonly from: number; readonly values: Float64Array };
  readonly cubeInfo: HistogramResult['cube_info'];
  /** Rows y0..y1 decoded, in shared memory, when the plane is held in memory; else null (read again). */
  readonly pixels: Float32Array | null;
}

/** What each count task gets: the scans merged, and the board the parts count into. */
export interface HistogramCountInput {
  readonly summary: FiniteSummary;
  readonly width: number;
  readonly height: number;
  readonly bandRows: number;
  /** Finite values per key bucket, of each part (added up by each count task, off the caller's thread). */
  readonly buckets: readonly Float64Array[];
  /** Finite values per row, whole plane. */
  readonly rowCounts: Int32Array;
  /** The zscale sample if every pixel is finite. */
  readonly pre: Float64Array;
  readonly parts: ReadonlyArray<Pick<HistogramScanPart, 'y0' | 'y1' | 'pixels'>>;
  readonly cubeInfo: HistogramResult['cube_info'];
  /** Shared memory laid out by `Board`. */
  readonly board: SharedArrayBuffer;
  /** The board was used before: each part clears its percentile counts first. */
  readonly boardReused: boolean;
}

/** A histogram computed whole, or the count stage's answer (the result from the task that ended last, null from the others). */
interface Whole {
  readonly kind: 'whole';
  readonly result: HistogramResult | null;
}

export type HistogramPartPayload =
  | {
    readonly stage: 'scan'; readonly req: HistogramFileRequest; readonly part: number; readonly parts: number;
    /** Hold the part's rows in memory if the plane is within the in-memory limit, in `spare` if it is large enough. */
    readonly hold?: boolean; readonly spare?: SharedArrayBuffer | null;
  }
  | { readonly stage: 'count'; readonly req: HistogramFileRequest; readonly part: number; readonly input: HistogramCountInput };

export type HistogramPartAnswer = HistogramScanPart | Whole;

/** Runs one stage's task on a worker thread (the pool's `run` for 'viewer.histogram-part'). */
export type HistogramPartRunner = (payload: HistogramPartPayload) => Promise<HistogramPartAnswer>;

/** True when the display needs every finite value (histeq, black/white points): such planes are not split. */
function needsValues(req: HistogramFileRequest): boolean {
  const d = req.display;
  return d.stretch === 'histeq' || (d.blackPoint ?? 0) > 0 || (d.whitePoint ?? 1) < 1;
}

/**
 * Requests that may hold their plane at once (each holds up to the in-memory limit: 50 M pixels,
 * 200 MB); others read their rows again in the count stage.
 */
const MAX_HOLDING = 2;
let holding = 0;
/**
 * The held rows' buffers of ended requests, offered to the next ones: the first touch of fresh
 * memory costs ~3 ms per MB of page faults on the development VM (~200 ms for a 4096² plane)
 * without huge pages. Dropped once no request has used them for SPARE_MS.
 */
const spares: SharedArrayBuffer[] = [];
/** The same for the count stage's boards (their percentile counts: 2.4 MB a part). */
const spareBoards: SharedArrayBuffer[] = [];
const SPARE_MS = 10_000;
let spareTimer: ReturnType<typeof setTimeout> | undefined;

/** `histogramFile(req)` computed by `parts` worker tasks at a time (see the module comment). */
export async function histogramInParts(run: HistogramPartRunner, req: HistogramFileRequest, parts: number): Promise<HistogramResult> {
  const n = Math.max(1, Math.floor(parts));
  const hold = n > 1 && holding < MAX_HOLDING;
  const offered = hold ? spares.splice(0, n) : [];
  let scans: Array<HistogramScanPart | Whole> = [];
  let input: HistogramCountInput | undefined;
  if (hold) holding++;
  try {
    scans = (await allEnded(range(n).map((part) => run({ stage: 'scan', req, part, parts: n, hold, spare: offered[part] ?? null })))) as Array<HistogramScanPart | Whole>;
    const first = scans[0]!;
    if (first.kind === 'whole') return first.result!;
    const merged = mergeScans(req, scans as HistogramScanPart[], hold ? spareBoards.pop() : undefined);
    input = merged;
    const answers = (await allEnded(range(n).map((part) => run({ stage: 'count', req, part, input: merged })))) as Whole[];
    return answers.find((a) => a.result)!.result!;
  } finally {
    if (hold) {
      holding--;
      // only the buffers the scans answered with: an offered one comes back as another object for
      // the same memory (structured clone), so keeping both would hand it to two parts at once
      keepSpares(scans.map((s) => (s.kind === 'scan' ? s.pixels?.buffer : undefined)), input?.board);
    }
  }
}

/** Promise.all that settles only once every task has ended (a held buffer is offered again only then). */
async function allEnded<T>(tasks: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const ended = await Promise.allSettled(tasks);
  const failed = ended.find((e) => e.status === 'rejected');
  if (failed) throw failed.reason;
  return ended.map((e) => (e as PromiseFulfilledResult<T>).value);
}

function keepSpares(buffers: ReadonlyArray<ArrayBufferLike | undefined>, board: SharedArrayBuffer | undefined): void {
  for (const b of buffers) if (b instanceof SharedArrayBuffer && !spares.includes(b)) spares.push(b);
  spares.splice(0, spares.length - MAX_HOLDING * 2);
  if (board && spareBoards.length < MAX_HOLDING) spareBoards.push(board);
  if (spareTimer) clearTimeout(spareTimer);
  spareTimer = setTimeout(() => {
    spares.splice(0);
    spareBoards.splice(0);
  }, SPARE_MS);
  spareTimer.unref?.();
}

/** The worker side: one stage of `histogramInParts`. */
export async function histogramPart(payload: HistogramPartPayload): Promise<HistogramPartAnswer> {
  switch (payload.stage) {
    case 'scan':
      return scanPart(payload.req, payload.part, payload.parts, (payload.hold ?? false) ? (payload.spare ?? null) : undefined);
    case 'count':
      return countPart(payload.req, payload.part, payload.input);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Rows [y0, y1) of part `part` of `parts`: whole bands, as even as they come. */
function partRows(img: OpenedImage, part: number, parts: number): [number, number] {
  const bands = Math.ceil(img.height / img.bandRows);
  const b0 = Math.floor((part * bands) / parts);
  const b1 = Math.floor(((part + 1) * bands) / parts);
  return [Math.min(img.height, b0 * img.bandRows), Math.min(img.height, b1 * img.bandRows)];
}

function splittable(img: OpenedImage, req: HistogramFileRequest, parts: number): boolean {
  return parts > 1 && !req.smooth && !needsValues(req) && img.hdu.kind === 'image' && yieldsFloat32(img) &&
    Math.ceil(img.height / img.bandRows) >= MIN_BANDS_PER_PART * parts && (img.width * img.height) / parts < MAX_PART_PIXELS;
}

/** `spare`: undefined to read the rows again later, else a buffer to hold them in (null: a new one). */
async function scanPart(req: HistogramFileRequest, part: number, parts: number, spare: SharedArrayBuffer | null | undefined): Promise<HistogramScanPart | Whole> {
  const split = await withOpenImage(req, async (img) => {
    if (!splittable(img, req, parts)) return undefined;
    const { width, height } = img;
    const [y0, y1] = partRows(img, part, parts);
    const n = (y1 - y0) * width;
    const pixels = spare === undefined || !img.inMemory ? null : new Float32Array(spare && spare.byteLength >= n * 4 ? spare : new SharedArrayBuffer(n * 4), 0, n);
    // held rows are decoded where they are kept when the plane allows (no band buffer, no copy)
    // (big-endian as read: the scan swaps each piece where it scans it)
    const into = pixels ? planeRowBandsInto(img, y0, y1, pixels, { bigEndian: true }) : undefined;
    const rows = into ?? planeRowBands(img, req.limits, y0, y1);
    return scanRows(rows, { width, height, y0, y1, bandRows: img.bandRows }, into ? null : pixels, { n_slices: img.slice.nSlices, current_slice: img.slice.current }, pixels, into !== undefined);
  });
  if (split) return split;
  return { kind: 'whole', result: part === 0 ? await histogramFile(req) : null };
}

interface PartShape {
  readonly width: number;
  readonly height: number;
  readonly y0: number;
  readonly y1: number;
  readonly bandRows: number;
}

/**
 * A scan part's figures from its rows' bands, copied into `copyTo` on the way if given; `pixels` is
 * what the part answers as its held rows. `bigEndian`: the bands hold the file's float32 words,
 * swapped in place by the scan.
 */
async function scanRows(
  rows: AsyncIterable<{ y0: number; data: PixelArray }>, shape: PartShape, copyTo: Float32Array | null, cubeInfo: HistogramResult['cube_info'], pixels: Float32Array | null,
  bigEndian = false,
): Promise<HistogramScanPart> {
  const { width, height, y0, y1, bandRows } = shape;
  const rowCounts = new Int32Array(height);
  const scan = new Float32Scan(width, rowCounts);
  const { stride0, pre } = allFiniteSample(width * height);
  let from = pre.length;
  let to = 0;
  for await (const band of rows) {
    const f = asFloat32(band.data);
    if (bigEndian) scan.addBigEndian(f, band.y0);
    else scan.add(f, band.y0);
    copyTo?.set(f, (band.y0 - y0) * width);
    const [a, b] = takeSample(pre, stride0, band.y0 * width, f);
    if (b > a) {
      from = Math.min(from, a);
      to = Math.max(to, b);
    }
  }
  const { count, minKey, maxKey } = scan.finishKeys();
  // in shared memory: the caller and each count task get it without a copy (512 KB a part,
  // structured-cloned 1 + parts times a request before)
  const buckets = new Float64Array(new SharedArrayBuffer(scan.buckets.byteLength));
  buckets.set(scan.buckets);
  return {
    kind: 'scan', y0, y1, width, height, bandRows, count, minKey, maxKey, buckets, rowCounts: rowCounts.slice(y0, y1),
    sample: { from: Math.min(from, to), values: pre.slice(Math.min(from, to), to) }, cubeInfo, pixels,
  };
}

/** The scans merged exactly (on the caller's thread: integer counts and keys, no pixels). */
function mergeScans(req: HistogramFileRequest, scans: readonly HistogramScanPart[], spareBoard: SharedArrayBuffer | undefined): HistogramCountInput {
  const { width, height, bandRows, cubeInfo } = scans[0]!;
  const rowCounts = new Int32Array(height);
  const { pre } = allFiniteSample(width * height);
  let count = 0;
  let minKey = 0x7fffffff;
  let maxKey = -0x80000000;
  for (const s of scans) {
    rowCounts.set(s.rowCounts, s.y0);
    pre.set(s.sample.values, s.sample.from);
    count += s.count;
    if (s.count > 0) {
      minKey = Math.min(minKey, s.minKey);
      maxKey = Math.max(maxKey, s.maxKey);
    }
  }
  const bands = Math.ceil(height / bandRows);
  const bytes = Board.bytes(scans.length, req.bins, bands);
  const boardReused = spareBoard !== undefined && spareBoard.byteLength >= bytes;
  const board = boardReused ? spareBoard : new SharedArrayBuffer(bytes);
  new Int32Array(board, 0, 2).fill(0);
  return {
    summary: summaryOfKeys(count, minKey, maxKey), width, height, bandRows, buckets: scans.map((s) => s.buckets), rowCounts, pre, cubeInfo,
    parts: scans.map(({ y0, y1, pixels }) => ({ y0, y1, pixels })), board, boardReused,
  };
}

function sumOf(parts: readonly Float64Array[]): Float64Array {
  const total = new Float64Array(65_536);
  for (const part of parts) for (let b = 0; b < 65_536; b++) total[b] += part[b]!;
  return total;
}

/** Rows [ya, yb) of the held parts, in bands of `bandRows` from each part's first row (as planeRowBands cuts them). */
function heldRows(input: HistogramCountInput): PlaneRowReader {
  const { width, bandRows } = input;
  return function* (ya, yb) {
    for (const p of input.parts) {
      const a = Math.max(ya, p.y0);
      const b = Math.min(yb, p.y1);
      for (let y = a; y < b; y += bandRows) yield { y0: y, data: p.pixels!.subarray((y - p.y0) * width, (Math.min(b, y + bandRows) - p.y0) * width) };
    }
  };
}

async function countPart(req: HistogramFileRequest, part: number, input: HistogramCountInput): Promise<Whole> {
  const { summary, width, height, bandRows } = input;
  if (summary.count === 0) return { kind: 'whole', result: part === 0 ? await histogramFile(req) : null };
  const parts = input.parts.length;
  const board = new Board(input.board, parts, req.bins, Math.ceil(height / bandRows));
  const { y0, y1 } = input.parts[part]!;
  const buckets = sumOf(input.buckets);
  const count = async (readers: SampleReaders) => {
    const zscale = req.display.stretch === 'zscale' ? await zscaleSampleOf(readers, width, height, summary.count, input.pre, input.rowCounts) : new Float64Array(0);
    const stats: DisplayStatistics = { summary, sampled: false, zscaleSample: () => zscale.slice(), finiteValues: () => new Float64Array(0) };
    const counting = float32CountPlan(req, stats, buckets);
    const orderCounts = board.order(part);
    const pass = new Float32BinPass(counting.setup, buckets, counting.mapping.map, { orderCounts });
    // a reused board's percentile counts: cleared as far as this request uses them
    if (input.boardReused) orderCounts.fill(0, 0, pass.orderLength);
    for await (const band of readers.rows(y0, y1)) pass.add(asFloat32(band.data));
    return { counting, pass };
  };
  const { counting, pass } = input.parts.every((p) => p.pixels)
    ? await count({ rows: heldRows(input) })
    : await withOpenImage(req, (img) => count(planeReaders(img, req.limits)));
  const mine = pass.counts();
  board.raw(part).set(mine.rawPart);
  board.stretched(part).set(mine.part);
  board.bandSums.set(mine.bandSums, (2 * y0) / bandRows);
  // the last part to end merges them all (Atomics.add orders the other parts' writes before it)
  if (Atomics.add(board.done, 0, 1) !== parts - 1) return { kind: 'whole', result: null };
  const counts = input.parts.map((p, k): Float32BinCounts => ({
    rawPart: board.raw(k), part: board.stretched(k), order: board.order(k), bandSums: board.bandSums.subarray((2 * p.y0) / bandRows, (2 * Math.ceil(p.y1 / bandRows))),
  }));
  return { kind: 'whole', result: { ...float32Result(counting, pass.merge(counts), summary.count), cube_info: input.cubeInfo } };
}

/** Distinct ranks of the percentiles, at most: the percentile counts' slots of 65,536 entries. */
const ORDER_SLOTS = 2 * HISTOGRAM_PERCENTILES.length;

/**
 * The shared memory the count tasks write: a counter of parts done, each part's raw and stretched
 * bin counts, every band's sums (plane order), and each part's percentile counts.
 */
class Board {
  readonly done: Int32Array;
  readonly bandSums: Float64Array;
  private readonly binsAt: number;
  private readonly orderAt: number;

  static bytes(parts: number, bins: number, bands: number): number {
    return 8 + (2 * parts * bins + 2 * bands) * 8 + parts * ORDER_SLOTS * 65_536 * 4;
  }

  constructor(private readonly buffer: SharedArrayBuffer, parts: number, private readonly bins: number, bands: number) {
    this.done = new Int32Array(buffer, 0, 2);
    this.binsAt = 8;
    this.bandSums = new Float64Array(buffer, this.binsAt + 2 * parts * bins * 8, 2 * bands);
    this.orderAt = this.bandSums.byteOffset + this.bandSums.byteLength;
  }

  raw(part: number): Float64Array {
    return new Float64Array(this.buffer, this.binsAt + 2 * part * this.bins * 8, this.bins);
  }

  stretched(part: number): Float64Array {
    return new Float64Array(this.buffer, this.binsAt + (2 * part + 1) * this.bins * 8, this.bins);
  }

  order(part: number): Int32Array {
    return new Int32Array(this.buffer, this.orderAt + part * ORDER_SLOTS * 65_536 * 4, ORDER_SLOTS * 65_536);
  }
}

/**
 * A pool thread runs both stages on a small held plane when it starts (as preview-split.ts warms
 * the thumbnail's code). The count stage's per-request code (the zscale sample read back, the
 * display mapping, the counting setup, the merge) runs once a task: in the first requests of a
 * thread V8 compiled it, dropped it (a new closure or object shape each request) and compiled it
 * again, 50-140 ms of CPU a request for the first 3-4 requests (docs/viewer.md, session 11).
 * Payloads go through structuredClone, as a task's do, so the objects have the shapes tasks see.
 * Run by worker.ts's `warmTask` before the thread takes its first task.
 */
export async function warmHistogramSplit(): Promise<void> {
  const width = 512;
  const height = 96;
  const shape = { width, height, bandRows: 8 };
  const data = new Float32Array(new SharedArrayBuffer(width * height * 4));
  for (let i = 0; i < data.length; i++) data[i] = i % width < 2 ? NaN : 100.5 + ((i * 7919) % 1009) * 0.01 + (i % 4093 === 0 ? 5000 : 0);
  const limits = { maxFileBytes: 2 ** 32, maxElements: 2 ** 32 };
  // one board for all rounds (9 MB: fresh memory costs page faults)
  let board: SharedArrayBuffer | undefined;
  for (let round = 0; round < 4; round++) {
    const req: HistogramFileRequest = { path: '', sliceIndex: -1, bins: 256, display: { stretch: round === 3 ? 'linear' : 'zscale' }, limits };
    const scans: HistogramScanPart[] = [];
    // rounds 0 and 2 scan the rows as a held plane's are read (big-endian, swapped by the scan)
    const bigEndian = round % 2 === 0;
    const rows = bigEndian ? new Float32Array(new SharedArrayBuffer(data.byteLength)) : data;
    if (bigEndian) {
      rows.set(data);
      Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).swap32();
    }
    for (const [y0, y1] of [[0, 48], [48, 96]] as const) {
      const pixels = rows.subarray(y0 * width, y1 * width);
      const bands = (async function* () {
        for (let y = y0; y < y1; y += shape.bandRows) yield { y0: y, data: rows.subarray(y * width, (y + shape.bandRows) * width) };
      })();
      scans.push(structuredClone(await scanRows(bands, { ...shape, y0, y1 }, null, { n_slices: 1, current_slice: 0 }, pixels, bigEndian)));
    }
    const input = mergeScans(req, scans, board);
    board = input.board;
    for (const part of [0, 1]) {
      const payload = structuredClone({ stage: 'count', req, part, input } as const);
      await countPart(payload.req, payload.part, payload.input);
    }
  }
}
