/**
 * A preview or thumbnail of an uncompressed plane on several worker threads at once. A pool task
 * cannot submit tasks of its own, so the caller (on the main thread) runs two stages and the
 * workers do every computation:
 *   1. `reduce`, one task per part: the output rows are cut into consecutive ranges, and each part
 *      reads the input rows that touch its output rows (the row straddling two parts' output rows,
 *      if any, is read by both) and area-averages them exactly as the whole resampler does: an
 *      output row is only ever made by one part, from zero, in input-row order, so its sums are
 *      bit for bit the same. It also returns the finite count, min and max of its rows (the shared
 *      row counted by the earlier part only), the per-row finite counts and the all-finite zscale
 *      sample's entries in its rows.
 *   2. `finish`, one task: merges them (integer counts; min and max in row order, as one pass
 *      finds them), takes astropy's zscale sample (reading back the rows that hold it when some
 *      pixels are not finite) and renders the picture as `previewFile` does.
 * The result is byte-identical to `previewFile`'s. Planes that cannot be split (compressed,
 * smoothed, a display that needs every finite value, too few rows) are rendered whole by the
 * first part; the others answer nothing.
 */
import type { FiniteSummary } from '../finite.js';
import { AreaResampler, fitInside, mergeFinite } from '../resample.js';
import { allFiniteSample, displayStatistics, takeSample, usesMinMax } from './band-render.js';
import { getColormap } from '../colormaps/index.js';
import { renderPlane } from '../preview.js';
import { TRANSPARENT } from '../rasterize.js';
import { previewFile, renderPreview, type PreviewFileRequest, type PreviewFileResult } from './preview-file.js';
import { describeImage, planeRowBands, withOpenImage, type OpenedImage } from './source.js';
import { encodeFits, FitsFile, firstImageHdu } from '../../fits/index.js';

/** A plane with fewer bands than this per part (about 1 M pixels) is rendered whole. */
const MIN_BANDS_PER_PART = 4;

export interface PreviewReducedPart {
  readonly kind: 'part';
  /** Output rows [o0, o1), `outWidth` each. */
  readonly o0: number;
  readonly o1: number;
  readonly output: Float32Array;
  /** Finite values per input row of [countFrom, countFrom + rowCounts.length), and their first column if one run (`rowFirstFinite`). */
  readonly countFrom: number;
  readonly rowCounts: Int32Array;
  readonly rowFirst: Int32Array;
  /** Count, min and max of the finite values of those rows (min Infinity when none). */
  readonly running: FiniteSummary;
  /** The all-finite zscale sample's entries [from, from + values.length). */
  readonly sample: { readonly from: number; readonly values: Float64Array };
}

/**
 * A rendered picture. Its fields are the answer's own, so that the encoded image is a top-level
 * array, which a pool thread moves to the caller instead of cloning it (worker.ts, moveLargeArrays).
 */
type Rendered = PreviewFileResult & { readonly kind: 'rendered' };

/** The answer of a part whose plane the first part rendered whole. */
interface Nothing {
  readonly kind: 'nothing';
}

export type PreviewPartPayload =
  | { readonly stage: 'whole'; readonly req: PreviewFileRequest }
  | { readonly stage: 'reduce'; readonly req: PreviewFileRequest; readonly part: number; readonly parts: number }
  | { readonly stage: 'finish'; readonly req: PreviewFileRequest; readonly reduced: readonly PreviewReducedPart[] };

export type PreviewPartAnswer = PreviewReducedPart | Rendered | Nothing;

/** Runs one stage's task on a worker thread (the pool's `run` for 'viewer.preview-part'). */
export type PreviewPartRunner = (payload: PreviewPartPayload) => Promise<PreviewPartAnswer>;

/** `previewFile(req)` computed by `parts` worker tasks at a time (see the module comment). */
export async function previewInParts(run: PreviewPartRunner, req: PreviewFileRequest, parts: number): Promise<PreviewFileResult> {
  const n = Math.max(1, Math.floor(parts));
  if (n === 1) return picture(await run({ stage: 'whole', req }));
  const answers = await Promise.all(Array.from({ length: n }, (_, part) => run({ stage: 'reduce', req, part, parts: n })));
  const first = answers[0]!;
  if (first.kind === 'rendered') return picture(first);
  return picture(await run({ stage: 'finish', req, reduced: answers as PreviewReducedPart[] }));
}

function rendered(result: PreviewFileResult): Rendered {
  return { kind: 'rendered', ...result };
}

/** The result as `previewFile` gives it (without the answer's `kind`). */
function picture(answer: PreviewPartAnswer): PreviewFileResult {
  if (answer.kind !== 'rendered') throw new Error(`preview split: expected a picture, got '${answer.kind}'`);
  const { kind, ...result } = answer;
  void kind;
  return result;
}

/** The worker side: one stage of `previewInParts`. */
export async function previewPart(payload: PreviewPartPayload): Promise<PreviewPartAnswer> {
  switch (payload.stage) {
    case 'whole':
      return rendered(await previewFile(payload.req));
    case 'reduce': {
      const reduced = await reducePart(payload.req, payload.part, payload.parts);
      if (reduced) return reduced;
      return payload.part === 0 ? rendered(await previewFile(payload.req)) : { kind: 'nothing' };
    }
    case 'finish':
      return rendered(await finishParts(payload.req, payload.reduced));
  }
}

function needsValues(req: PreviewFileRequest): boolean {
  const d = req.display;
  return d.stretch === 'histeq' || (d.blackPoint ?? 0) > 0 || (d.whitePoint ?? 1) < 1;
}

function outputSize(img: OpenedImage, req: PreviewFileRequest): { width: number; height: number } {
  return fitInside(img.width, img.height, req.width, req.height);
}

function splittable(img: OpenedImage, req: PreviewFileRequest, parts: number): boolean {
  return parts > 1 && !req.smooth && !needsValues(req) && img.hdu.kind === 'image' && getColormap(req.colormap) !== undefined &&
    Math.ceil(img.height / img.bandRows) >= MIN_BANDS_PER_PART * parts && outputSize(img, req).height >= parts;
}

async function reducePart(req: PreviewFileRequest, part: number, parts: number): Promise<PreviewReducedPart | undefined> {
  return withOpenImage(req, async (img) => (splittable(img, req, parts) ? reduceOpened(img, req, part, parts) : undefined));
}

/** Part `part` of `parts` of the opened plane's reduce stage. */
async function reduceOpened(img: OpenedImage, req: PreviewFileRequest, part: number, parts: number): Promise<PreviewReducedPart> {
  const { width, height } = img;
  const size = outputSize(img, req);
  const rows = AreaResampler.partRows(height, size.height, part, parts);
  // Shared memory: the rows reach the caller and the finish task without being copied.
  const shared = new Float32Array(new SharedArrayBuffer((rows.o1 - rows.o0) * size.width * Float32Array.BYTES_PER_ELEMENT));
  const resampler = new AreaResampler(width, height, size.width, size.height, rows, { minMax: usesMinMax(req.display), output: shared });
  const { stride0, pre } = allFiniteSample(width * height);
  let from = pre.length;
  let to = 0;
  for await (const band of planeRowBands(img, req.limits, rows.y0, rows.y1)) {
    resampler.pushRows(band.data);
    const [a, b] = takeSample(pre, stride0, band.y0 * width, band.data);
    if (b > a) {
      from = Math.min(from, a);
      to = Math.max(to, b);
    }
  }
  const output = resampler.finish().data;
  return {
    kind: 'part',
    o0: rows.o0,
    o1: rows.o1,
    output,
    countFrom: rows.countFrom,
    rowCounts: resampler.rowFiniteCounts.slice(rows.countFrom, rows.y1),
    rowFirst: resampler.rowFirstFinite.slice(rows.countFrom, rows.y1),
    running: resampler.running,
    sample: { from: Math.min(from, to), values: pre.slice(Math.min(from, to), to) },
  };
}

async function finishParts(req: PreviewFileRequest, parts: readonly PreviewReducedPart[]): Promise<PreviewFileResult> {
  return withOpenImage(req, (img) => finishOpened(img, req, parts));
}

/** The finish stage on the opened plane. */
async function finishOpened(img: OpenedImage, req: PreviewFileRequest, parts: readonly PreviewReducedPart[]): Promise<PreviewFileResult> {
  const { width, height } = img;
  const size = outputSize(img, req);
  // Every output row comes from exactly one part (consecutive ranges from row 0).
  const output = new Float32Array(size.width * size.height);
  const rowCounts = new Int32Array(height);
  const rowFirst = new Int32Array(height);
  const { pre } = allFiniteSample(width * height);
  let next = 0;
  for (const p of parts) {
    if (p.o0 !== next || p.output.length !== (p.o1 - p.o0) * size.width) throw new RangeError(`part rows [${p.o0}, ${p.o1}) after row ${next}`);
    next = p.o1;
    output.set(p.output, p.o0 * size.width);
    rowCounts.set(p.rowCounts, p.countFrom);
    rowFirst.set(p.rowFirst, p.countFrom);
    pre.set(p.sample.values, p.sample.from);
  }
  if (next !== size.height) throw new RangeError(`parts end at row ${next} of ${size.height}`);
  const summary = mergeFinite(parts.map((p) => p.running));
  const stats = await displayStatistics(img, req.limits, req.display, summary, pre, rowCounts, rowFirst);
  return renderPreview(req, img, { width: size.width, height: size.height, data: output }, stats);
}

/**
 * A pool thread compiles the float32 area average (both parts of a split run it) when it starts,
 * not during its first thumbnails: a 2048×128 plane with a NaN border through both kernels.
 */
function warmResampler(): void {
  const width = 2048;
  const height = 128;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = i % width < 3 || i % width >= width - 3 ? NaN : (i % 977) * 0.25;
  for (const minMax of [false, true]) {
    const rows = AreaResampler.partRows(height, 8, 1, 2);
    const r = new AreaResampler(width, height, 128, 8, rows, { minMax });
    r.pushRows(data.subarray(rows.y0 * width, rows.y1 * width));
    r.finish();
  }
}
/**
 * And the `finish` stage's code (display statistics and mapping, rasterising, sharp's PNG and
 * JPEG encoders), so that a thread's first previews do not pay for compiling it.
 */
async function warmRender(): Promise<void> {
  const width = 512;
  const height = 64;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = i % width < 2 ? NaN : ((i * 7919) % 1009) * 0.5;
  for (const [display, colormap, format] of [[{ stretch: 'zscale' }, 'gray', 'png'], [{ stretch: 'asinh' }, 'viridis', 'jpeg']] as const) {
    await renderPlane({ width, height, data }, { display, colormap: getColormap(colormap)!, width, height, format, nanColor: TRANSPARENT });
  }
}
/**
 * And the split's own stages on a small in-memory plane, a few times over: the first thumbnails of
 * a thread otherwise ran the merge, the zscale sample's ~1,000 single-pixel reads and the
 * grey+alpha rasterising and PNG interpreted, at 2-5× their later cost (the bench's warm calls 2-3:
 * the finish stage 45-70 ms against ~14 ms from the fourth call on, at load 10).
 */
export async function warmSplit(): Promise<void> {
  const width = 2048;
  const height = 128;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    // a NaN border (one pixel read back a sampled row) and rows with a NaN inside (the row is read)
    data[i] = x < 16 || x >= width - 16 || y < 4 || y >= height - 4 || (y % 9 === 0 && x === 700) ? NaN : ((i * 7919) % 1009) * 0.5;
  }
  const file = await FitsFile.fromBuffer(await encodeFits([{ data, axes: [width, height], bitpix: -32 }]));
  try {
    const img = describeImage(file, firstImageHdu(file)!, -1, { maxFileBytes: 1 << 30, maxElements: 1 << 30 });
    const req: PreviewFileRequest = {
      path: '<warm-up>', sliceIndex: -1, display: { stretch: 'zscale' }, colormap: 'gray', width: 256, height: 256,
      format: 'png', quality: 90, nanColor: TRANSPARENT, limits: { maxFileBytes: 1 << 30, maxElements: 1 << 30 },
    };
    for (let k = 0; k < 4; k++) {
      const parts = [await reduceOpened(img, req, 0, 2), await reduceOpened(img, req, 1, 2)];
      await finishOpened(img, req, parts);
    }
  } finally {
    await file.close();
  }
}
/**
 * Compiles a pool thread's preview code before it takes its first task. Awaited while the thread
 * starts (worker.ts): piscina parks an idle thread in `Atomics.wait`, which stops its event loop,
 * so asynchronous warm-up work left running (sharp's encodes) only went on during the thread's
 * next tasks, and took their time.
 */
export async function warmPreviewThread(): Promise<void> {
  try {
    warmResampler();
    await warmRender();
    await warmSplit();
  } catch {
    // Only a speed-up.
  }
}
