/**
 * Transfer speed over a sliding window. Only bytes that actually crossed the network in this run
 * are added, so resuming a half-finished file shows no spike; the span is measured from the
 * meter's start (or the window's edge), so the first second is not inflated either.
 */
export class SpeedMeter {
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly now: () => number;
  private readonly buckets: Array<{ t: number; bytes: number }> = [];
  private startedAt: number;

  constructor(options: { windowMs?: number; bucketMs?: number; now?: () => number } = {}) {
    this.windowMs = options.windowMs ?? 5000;
    this.bucketMs = options.bucketMs ?? 250;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** Starts measuring afresh (a resumed run). */
  reset(): void {
    this.buckets.length = 0;
    this.startedAt = this.now();
  }

  add(bytes: number): void {
    const t = this.now();
    const last = this.buckets[this.buckets.length - 1];
    if (last && t - last.t < this.bucketMs) last.bytes += bytes;
    else this.buckets.push({ t, bytes });
    this.prune(t);
  }

  /** Bytes per second over the window. */
  rate(): number {
    const t = this.now();
    this.prune(t);
    const total = this.buckets.reduce((s, b) => s + b.bytes, 0);
    if (total === 0) return 0;
    const span = Math.min(this.windowMs, t - this.startedAt);
    return total / (Math.max(span, 250) / 1000);
  }

  private prune(t: number): void {
    while (this.buckets.length > 0 && t - this.buckets[0]!.t > this.windowMs) this.buckets.shift();
  }
}

/** Seconds to go at `speed`, undefined when nothing moves; 0 when nothing remains. */
export function etaSeconds(remainingBytes: number, speed: number): number | undefined {
  if (remainingBytes <= 0) return 0;
  if (speed <= 0) return undefined;
  return remainingBytes / speed;
}
