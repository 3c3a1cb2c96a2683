/**
 * Deblending of overlapping sources as photutils 1.6 `deblend_sources`: each source with at least
 * 2*npixels pixels is re-thresholded at `nlevels` levels between its minimum and maximum (spaced
 * 'exponential', 'linear' or 'sinh'; exponential falls back to linear for a non-positive minimum
 * or more than 200 markers); levels where the source splits into several pieces of >= npixels
 * define the markers (a parent is replaced by its children only when it has two or more); the
 * markers seed a watershed of -data inside the source; then the faintest child is removed while
 * any child holds less than `contrast` of the source's flux. Children get new labels after the
 * original ones and everything is renumbered consecutively.
 */
import { ValidationError } from '../../errors.js';
import { labelImage, labelAreas, labelBoxes, type Connectivity } from './label.js';
import { relabelConsecutive, type SegmentationImage } from './segmentation-image.js';
import { watershed } from './watershed.js';
import { throwIfCancelled } from '../../core/cancellation.js';

export type DeblendMode = 'exponential' | 'linear' | 'sinh';

export interface DeblendOptions {
  readonly npixels: number;
  readonly nlevels?: number;
  readonly contrast?: number;
  readonly mode?: DeblendMode;
  readonly connectivity?: Connectivity;
}

interface Level {
  labels: Int32Array;
  /** the labels present */
  ids: number[];
}

export function deblendSources(data: ArrayLike<number>, segm: SegmentationImage, options: DeblendOptions): SegmentationImage {
  const nlevels = options.nlevels ?? 32;
  const contrast = options.contrast ?? 0.001;
  const mode = options.mode ?? 'exponential';
  const connectivity = options.connectivity ?? 8;
  if (!(Number.isInteger(nlevels) && nlevels >= 1)) throw new ValidationError('nlevels must be >= 1');
  if (!(contrast >= 0 && contrast <= 1)) throw new ValidationError('contrast must be >= 0 and <= 1');
  const { width, height } = segm;
  const out = Int32Array.from(segm.labels);
  const areas = labelAreas(segm.labels, segm.nlabels);
  let work = 0;
  for (let l = 1; l <= segm.nlabels; l++) if (areas[l]! >= options.npixels * 2) work += areas[l]!;
  if (work * nlevels > 5e9) throw new ValidationError(`deblending ${work} source pixels at ${nlevels} levels is too much work; lower nlevels or raise the threshold`);
  const boxes = labelBoxes(segm.labels, width, segm.nlabels);
  let lastLabel = segm.nlabels;
  for (let label = 1; label <= segm.nlabels; label++) {
    if (areas[label]! < options.npixels * 2) continue;
    throwIfCancelled();
    const x0 = boxes[label * 4]!;
    const x1 = boxes[label * 4 + 1]!;
    const y0 = boxes[label * 4 + 2]!;
    const y1 = boxes[label * 4 + 3]!;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const cut = new Float64Array(w * h);
    const inSeg = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y0 + y) * width + x0 + x;
        cut[y * w + x] = data[i]!;
        inSeg[y * w + x] = segm.labels[i] === label ? 1 : 0;
      }
    }
    const children = deblendOne(cut, inSeg, w, h, options.npixels, nlevels, contrast, mode, connectivity);
    if (!children) continue;
    let nchildren = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = children[y * w + x]!;
        if (c > 0) {
          out[(y0 + y) * width + x0 + x] = lastLabel + c;
          if (c > nchildren) nchildren = c;
        }
      }
    }
    lastLabel += nchildren;
  }
  const nlabels = relabelConsecutive(out);
  return { width, height, labels: out, nlabels };
}

function thresholdsFor(min: number, max: number, nlevels: number, mode: DeblendMode): number[] {
  const t: number[] = [];
  for (let k = 1; k <= nlevels; k++) {
    // numpy linspace(min, max, nlevels + 2), normalised to [0, 1]
    const step = (max - min) / (nlevels + 1);
    const lin = min + k * step;
    const norm = (lin - min) / (max - min);
    if (mode === 'linear') t.push(lin);
    else if (mode === 'sinh') t.push((Math.sinh(norm / 0.25) / Math.sinh(1 / 0.25)) * (max - min) + min);
    else t.push(min * (max / min) ** norm);
  }
  return t;
}

function multithreshold(cut: Float64Array, inSeg: Uint8Array, w: number, h: number, thresholds: number[], npixels: number, connectivity: Connectivity): Level[] {
  const levels: Level[] = [];
  const on = new Uint8Array(w * h);
  for (const t of thresholds) {
    for (let i = 0; i < on.length; i++) on[i] = inSeg[i] === 1 && cut[i]! > t ? 1 : 0;
    const { labels, count } = labelImage(on, w, h, connectivity);
    if (count === 0) continue;
    const areas = labelAreas(labels, count);
    const ids: number[] = [];
    for (let l = 1; l <= count; l++) if (areas[l]! >= npixels) ids.push(l);
    if (ids.length === 0) continue;
    if (ids.length !== count) {
      for (let i = 0; i < labels.length; i++) if (areas[labels[i]!]! < npixels) labels[i] = 0;
    }
    if (ids.length === 1) continue;
    levels.push({ labels, ids });
  }
  return levels;
}

function makeMarkers(levels: Level[], w: number, h: number, connectivity: Connectivity): Level {
  for (let i = 0; i < levels.length - 1; i++) {
    const lower = levels[i]!;
    const upper = levels[i + 1]!;
    const markers = new Uint8Array(w * h);
    for (let p = 0; p < markers.length; p++) markers[p] = lower.labels[p] !== 0 ? 1 : 0;
    // which upper labels does each lower label contain?
    const children = new Map<number, Set<number>>();
    for (let p = 0; p < markers.length; p++) {
      const lo = lower.labels[p]!;
      const up = upper.labels[p]!;
      if (lo !== 0 && up !== 0) {
        let s = children.get(lo);
        if (!s) children.set(lo, (s = new Set()));
        s.add(up);
      }
    }
    let relabel = false;
    for (const [lo, s] of children) {
      if (s.size < 2) continue;
      relabel = true;
      for (let p = 0; p < markers.length; p++) if (lower.labels[p] === lo) markers[p] = upper.labels[p] !== 0 ? 1 : 0;
    }
    if (relabel) {
      const { labels, count } = labelImage(markers, w, h, connectivity);
      levels[i + 1] = { labels, ids: Array.from({ length: count }, (_, k) => k + 1) };
    } else {
      levels[i + 1] = lower;
    }
  }
  return levels[levels.length - 1]!;
}

function deblendOne(cut: Float64Array, inSeg: Uint8Array, w: number, h: number, npixels: number, nlevels: number, contrast: number, mode0: DeblendMode, connectivity: Connectivity): Int32Array | undefined {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < cut.length; i++) {
    if (!inSeg[i]) continue;
    const v = cut[i]!;
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  if (min === max) return undefined;
  let mode = mode0;
  if (mode === 'exponential' && min <= 0) mode = 'linear';
  let levels = multithreshold(cut, inSeg, w, h, thresholdsFor(min, max, nlevels, mode), npixels, connectivity);
  if (levels.length === 0) return undefined;
  let markers = makeMarkers(levels, w, h, connectivity);
  if (mode !== 'linear' && markers.ids.length > 200) {
    mode = 'linear';
    levels = multithreshold(cut, inSeg, w, h, thresholdsFor(min, max, nlevels, mode), npixels, connectivity);
    if (levels.length === 0) return undefined;
    markers = makeMarkers(levels, w, h, connectivity);
  }
  const negated = new Float64Array(cut.length);
  for (let i = 0; i < cut.length; i++) negated[i] = -cut[i]!;
  let current = markers.labels;
  for (;;) {
    current = watershed(negated, current, inSeg, w, h, connectivity);
    const flux = new Map<number, number>();
    for (let i = 0; i < current.length; i++) {
      const l = current[i]!;
      if (l !== 0) flux.set(l, (flux.get(l) ?? 0) + cut[i]!);
    }
    const ids = [...flux.keys()].sort((a, b) => a - b);
    let worst = -1;
    let worstFrac = Infinity;
    for (const l of ids) {
      const frac = flux.get(l)! / sum;
      if (frac < worstFrac) {
        worstFrac = frac;
        worst = l;
      }
    }
    if (!(worstFrac < contrast)) break;
    const next = Int32Array.from(current);
    for (let i = 0; i < next.length; i++) if (next[i] === worst) next[i] = 0;
    current = next;
  }
  const present = new Set<number>();
  for (let i = 0; i < current.length; i++) if (current[i] !== 0) present.add(current[i]!);
  if (present.size <= 1) return undefined;
  relabelConsecutive(current);
  return current;
}
