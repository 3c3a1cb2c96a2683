/**
 * Histograms with numpy's `np.histogram(values, bins, range=(lo, hi))` binning rules (uniform edges
 * from `np.linspace`, last bin closed, the same edge corrections), over finite values only.
 */
export interface Histogram {
  readonly counts: number[];
  readonly binEdges: number[];
  readonly binCenters: number[];
  readonly nBins: number;
}

/** numpy.linspace(start, stop, num) with endpoint. */
export function linspace(start: number, stop: number, num: number): number[] {
  const out = new Array<number>(num);
  const div = num - 1;
  const delta = stop - start;
  const step = div > 0 ? delta / div : NaN;
  for (let i = 0; i < num; i++) {
    out[i] = step === 0 ? ((i / div) * delta) + start : i * step + start;
  }
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Uniform bins over [first, last] with numpy's edge rules; `index` returns -1 outside. */
export class UniformBins {
  readonly first: number;
  readonly last: number;
  readonly edges: number[];
  private readonly norm: number;
  constructor(readonly bins: number, lo: number, hi: number) {
    let first = lo;
    let last = hi;
    if (!(Number.isFinite(first) && Number.isFinite(last))) {
      first = 0;
      last = 1;
    }
    if (first === last) {
      first -= 0.5;
      last += 0.5;
    }
    this.first = first;
    this.last = last;
    this.edges = linspace(first, last, bins + 1);
    this.norm = bins / (last - first);
  }

  index(v: number): number {
    if (v - v !== 0 || v < this.first || v > this.last) return -1;
    let idx = Math.trunc((v - this.first) * this.norm);
    if (idx === this.bins) idx--;
    if (v < this.edges[idx]!) idx--;
    else if (idx !== this.bins - 1 && v >= this.edges[idx + 1]!) idx++;
    return idx;
  }

  result(counts: ArrayLike<number>): Histogram {
    const centers = new Array<number>(this.bins);
    for (let i = 0; i < this.bins; i++) centers[i] = (this.edges[i]! + this.edges[i + 1]!) / 2;
    return { counts: Array.from(counts), binEdges: this.edges, binCenters: centers, nBins: this.bins };
  }
}

/**
 * Counts finite `values` (mapped through `f` when given) into `bins` equal bins over [lo, hi].
 * When lo == hi numpy widens the range to [lo - 0.5, hi + 0.5]; so do we.
 */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number, f?: (v: number) => number): Histogram {
  const uniform = new UniformBins(bins, lo, hi);
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!;
    const idx = uniform.index(f ? f(raw) : raw);
    if (idx >= 0) counts[idx] += 1;
  }
  return uniform.result(counts);
}

/**
 * `histogram(values, bins, 0, 1, v => clip((v - min) / span))` without a callback: the upstream
 * raw histogram of min/max-normalised values, same arithmetic and binning.
 */
export function histogramNormalized(values: ArrayLike<number>, bins: number, min: number, span: number): Histogram {
  if (span === 0) return histogram(values, bins, 0, 0, (v) => (v - v === 0 ? 0 : NaN));
  const edges = linspace(0, 1, bins + 1);
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!;
    if (raw - raw !== 0) continue;
    let v = (raw - min) / span;
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    let idx = Math.trunc(v * bins);
    if (idx === bins) idx--;
    if (v < edges[idx]!) idx--;
    else if (idx !== bins - 1 && v >= edges[idx + 1]!) idx++;
    counts[idx] += 1;
  }
  const centers = new Array<number>(bins);
  for (let i = 0; i < bins; i++) centers[i] = (edges[i]! + edges[i + 1]!) / 2;
  return { counts: Array.from(counts), binEdges: edges, binCenters: centers, nBins: bins };
}
