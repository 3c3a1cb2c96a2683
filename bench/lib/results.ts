/**
 * Machine-readable benchmark results. A bench calls `recordResult` for each figure it prints; when
 * bench/run.ts runs with --json it sets BENCH_RESULTS_FILE and collects the lines into its JSON
 * file. Without the variable this does nothing.
 */
import { appendFileSync } from 'node:fs';

export interface BenchResult {
  /** What was measured, e.g. 'rice_int16' or '4096x4096 float32, histogram (256 bins)'. */
  readonly case: string;
  /** The quantity, e.g. 'MB/s wall', 'ms CPU'. */
  readonly metric: string;
  readonly ours: number;
  /** The reference's figure for the same quantity, when there is one. */
  readonly reference?: number | undefined;
  /** Name of the reference (e.g. 'astropy 5.2.1 (cfitsio)'). */
  readonly referenceName?: string | undefined;
  /** true when a bigger number is better (throughput), false for times. */
  readonly higherIsBetter: boolean;
  /** Anything else worth keeping (rounds, sizes, peak RSS). */
  readonly extra?: Readonly<Record<string, number | string | boolean>> | undefined;
}

/** Appends one result line (JSON) for the runner; ratio = how many times better ours is. */
export function recordResult(r: BenchResult): void {
  const file = process.env.BENCH_RESULTS_FILE;
  if (!file) return;
  const ratio =
    r.reference === undefined || !Number.isFinite(r.reference) || r.ours === 0
      ? undefined
      : r.higherIsBetter
        ? r.ours / r.reference
        : r.reference / r.ours;
  appendFileSync(file, `${JSON.stringify({ ...r, ratio })}\n`);
}

/** Best (smallest) value of a list. */
export function best(xs: readonly number[]): number {
  return Math.min(...xs);
}

/** Median of a list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
