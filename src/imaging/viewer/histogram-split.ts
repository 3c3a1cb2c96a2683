/**
 * GET /histogram of a float32 plane on several worker threads at once. A pool task cannot submit
 * tasks of its own, so the caller (on the main thread) runs the stages and the workers do every
 * computation:
 *   1. `scan`, one task per part (consecutive row ranges, cut at band boundaries): finite counts per
 *      row, min and max keys, the 65,536-bucket key histogram, the zscale sample's pixels if every
 *      pixel turns out finite. A plane that cannot be split (not an uncompressed float32 plane,
 *      smoothing, a display that needs every finite value, a small plane) is computed whole by the
 *      first part, the others answer nothing.
 *   2. `plan`, one task: merges the parts exactly (integer counts, key order) and takes astropy's
 *      zscale sample (reading back the few rows that hold it).
 *   3. `count`, one task per part: each builds the same display mapping and counting setup from the
 *      plan and counts its rows (Float32BinPass), the percentile counts in shared memory.
 *   4. `finish`, one task: merges the counts (sums band by band in plane order) into the result.
 * The result is identical to `histogramFile`'s: the bands are the same and every merge is exact.
 */
import type { FiniteSummary } from '../finite.js';
import { Float32BinPass, type Float32BinCounts } from '../float32-histogram.js';
import { Float32Scan, summaryOfKeys } from '../float32-keys.js';
import type { DisplayStatistics } from '../statistics.js';
import { ZSCALE_SAMPLES, allFiniteSample, asFloat32, displayStatistics, takeSample, yieldsFloat32 } from './band-render.js';
import { float32CountPlan, float32Result, histogramFile, type HistogramFileRequest, type HistogramResult } from './histogram-file.js';
import { openImage, planeRowBands, type OpenedImage } from './source.js';

/** A plane with fewer bands than this per part is computed whole. */
const MIN_BANDS_PER_PART = 4;

export interface HistogramScanPart {
  readonly kind: 'scan';
  readonly y0: number;
  readonly y1: number;
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly minKey: number;
  readonly maxKey: number;
  readonly buckets: Float64Array;
  /** Finite values per row of y0..y1. */
  readonly rowCounts: Int32Array;
  /** The all-finite zscale sample's entries [from, to). */
  readonly sample: { readonly from: number; readonly values: Float64Array };
  readonly cubeInfo: HistogramResult['cube_info'];
}

export interface HistogramPlan {
  readonly kind: 'plan';
  readonly summary: FiniteSummary;
  readonly buckets: Float64Array;
  readonly zscale: Float64Array;
  readonly cubeInfo: HistogramResult['cube_info'];
}

interface Whole {
  readonly kind: 'whole';
  readonly result: HistogramResult | null;
}

export type HistogramPartPayload =
  | { readonly stage: 'scan'; readonly req: HistogramFileRequest; readonly part: number; readonly parts: number }
  | { readonly stage: 'plan'; readonly req: HistogramFileRequest; readonly scans: readonly HistogramScanPart[] }
  | { readonly stage: 'count'; readonly req: HistogramFileRequest; readonly part: number; readonly parts: number; readonly plan: HistogramPlan }
  | { readonly stage: 'finish'; readonly req: HistogramFileRequest; readonly plan: HistogramPlan; readonly counts: readonly Float32BinCounts[] };

export type HistogramPartAnswer = HistogramScanPart | HistogramPlan | Whole | Float32BinCounts | HistogramResult;

/** Runs one stage's task on a worker thread (the pool's `run` for 'viewer.histogram-part'). */
export type HistogramPartRunner = (payload: HistogramPartPayload) => Promise<HistogramPartAnswer>;

/** True when the display needs every finite value (histeq, black/white points): such planes are not split. */
function needsValues(req: HistogramFileRequest): boolean {
  const d = req.display;
  return d.stretch === 'histeq' || (d.blackPoint ?? 0) > 0 || (d.whitePoint ?? 1) < 1;
}

/** `histogramFile(req)` computed by `parts` worker tasks at a time (see the module comment). */
export async function histogramInParts(run: HistogramPartRunner, req: HistogramFileRequest, parts: number): Promise<HistogramResult> {
  const n = Math.max(1, Math.floor(parts));
  const scans = (await Promise.all(range(n).map((part) => run({ stage: 'scan', req, part, parts: n })))) as Array<HistogramScanPart | Whole>;
  const first = scans[0]!;
  if (first.kind === 'whole') return first.result!;
  const plan = (await run({ stage: 'plan', req, scans: scans as HistogramScanPart[] })) as HistogramPlan | Whole;
  if (plan.kind === 'whole') return plan.result!;
  const counts = (await Promise.all(range(n).map((part) => run({ stage: 'count', req, part, parts: n, plan })))) as Float32BinCounts[];
  return (await run({ stage: 'finish', req, plan, counts })) as HistogramResult;
}

/** The worker side: one stage of `histogramInParts`. */
export async function histogramPart(payload: HistogramPartPayload): Promise<HistogramPartAnswer> {
  switch (payload.stage) {
    case 'scan':
      return scanPart(payload.req, payload.part, payload.parts);
    case 'plan':
      return planParts(payload.req, payload.scans);
    case 'count':
      return countPart(payload.req, payload.part, payload.parts, payload.plan);
    case 'finish':
      return finishParts(payload.req, payload.plan, payload.counts);
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
    Math.ceil(img.height / img.bandRows) >= MIN_BANDS_PER_PART * parts;
}

async function withImage<T>(req: HistogramFileRequest, fn: (img: OpenedImage) => Promise<T>): Promise<T> {
  const img = await openImage(req.path, req.sliceIndex, req.limits);
  try {
    return await fn(img);
  } finally {
    await img.file.close();
  }
}

async function scanPart(req: HistogramFileRequest, part: number, parts: number): Promise<HistogramScanPart | Whole> {
  const split = await withImage(req, async (img) => {
    if (!splittable(img, req, parts)) return undefined;
    const { width, height } = img;
    const [y0, y1] = partRows(img, part, parts);
    const rowCounts = new Int32Array(height);
    const scan = new Float32Scan(width, rowCounts);
    const { stride0, pre } = allFiniteSample(width * height);
    let from = pre.length;
    let to = 0;
    for await (const band of planeRowBands(img, req.limits, y0, y1)) {
      const f = asFloat32(band.data);
      scan.add(f, band.y0);
      const [a, b] = takeSample(pre, stride0, band.y0 * width, f);
      if (b > a) {
        from = Math.min(from, a);
        to = Math.max(to, b);
      }
    }
    const { count, minKey, maxKey } = scan.finishKeys();
    const answer: HistogramScanPart = {
      kind: 'scan', y0, y1, width, height, count, minKey, maxKey, buckets: scan.buckets, rowCounts: rowCounts.slice(y0, y1),
      sample: { from: Math.min(from, to), values: pre.slice(Math.min(from, to), to) },
      cubeInfo: { n_slices: img.slice.nSlices, current_slice: img.slice.current },
    };
    return answer;
  });
  if (split) return split;
  return { kind: 'whole', result: part === 0 ? await histogramFile(req) : null };
}

async function planParts(req: HistogramFileRequest, scans: readonly HistogramScanPart[]): Promise<HistogramPlan | Whole> {
  const { width, height } = scans[0]!;
  const buckets = new Float64Array(65_536);
  const rowCounts = new Int32Array(height);
  const { pre } = allFiniteSample(width * height);
  let count = 0;
  let minKey = 0x7fffffff;
  let maxKey = -0x80000000;
  for (const s of scans) {
    for (let b = 0; b < 65_536; b++) buckets[b] += s.buckets[b]!;
    rowCounts.set(s.rowCounts, s.y0);
    pre.set(s.sample.values, s.sample.from);
    count += s.count;
    if (s.count > 0) {
      minKey = Math.min(minKey, s.minKey);
      maxKey = Math.max(maxKey, s.maxKey);
    }
  }
  if (count === 0) return { kind: 'whole', result: await histogramFile(req) };
  const summary = summaryOfKeys(count, minKey, maxKey);
  const stats = await withImage(req, (img) => displayStatistics(img, req.limits, req.display, summary, pre, rowCounts));
  return { kind: 'plan', summary, buckets, zscale: stats.zscaleSample(ZSCALE_SAMPLES), cubeInfo: scans[0]!.cubeInfo };
}

/** The display statistics the plan carries (no finite values: split planes have displays that need none). */
function planStatistics(plan: HistogramPlan): DisplayStatistics {
  return { summary: plan.summary, sampled: false, zscaleSample: () => plan.zscale.slice(), finiteValues: () => new Float64Array(0) };
}

async function countPart(req: HistogramFileRequest, part: number, parts: number, plan: HistogramPlan): Promise<Float32BinCounts> {
  const counting = float32CountPlan(req, planStatistics(plan), plan.buckets);
  const pass = new Float32BinPass(counting.setup, plan.buckets, counting.mapping.map, { shared: true });
  await withImage(req, async (img) => {
    const [y0, y1] = partRows(img, part, parts);
    for await (const band of planeRowBands(img, req.limits, y0, y1)) pass.add(asFloat32(band.data));
  });
  return pass.counts();
}

function finishParts(req: HistogramFileRequest, plan: HistogramPlan, counts: readonly Float32BinCounts[]): HistogramResult {
  const counting = float32CountPlan(req, planStatistics(plan), plan.buckets);
  const pass = new Float32BinPass(counting.setup, plan.buckets, counting.mapping.map);
  return { ...float32Result(counting, pass.merge(counts), plan.summary.count), cube_info: plan.cubeInfo };
}
