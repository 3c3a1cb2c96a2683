/**
 * Coalesced checkpoint writes (issue #20, session 14). A download job writes its whole state (every
 * file) when a file's layout is decided and when a file completes with a library record; one such
 * write per file made a job's checkpoint work grow with the square of its file count (400 files:
 * 400 writes of the whole record; 5000 files: 5000 writes of a record 12 times larger).
 *
 * `request()` asks for a write and resolves once a write that began after the call has finished, so
 * the state as of the call (or later) is saved. At most one write is in flight; the requests made
 * meanwhile share the next one, which saves the latest state. The next write also waits, after the
 * last one ended, `spacing` times what that write took (at most `maxDelayMs`): writing the whole
 * record then takes at most 1 / (1 + spacing) of the time, however many files finish meanwhile, so
 * a job's checkpoint work grows with its duration (one write per spacing interval), not with the
 * square of its file count. A small job's write is cheap, so its gap is tiny and every request
 * is written at once as before.
 *
 * Coalescing only delays a saved state, never advances it: a write saves what is true when it
 * starts, so the record never calls a file complete before its bytes are verified and renamed.
 */
export interface CoalescedSavesOptions {
  /** The wait after a write, as a multiple of that write's duration (default 3). */
  readonly spacing?: number;
  /** The longest wait after a write before the next one starts (default 250 ms). */
  readonly maxDelayMs?: number;
}

export class CoalescedSaves {
  /** Writes started (for tests and the bench). */
  writes = 0;
  /** The write in flight, if any. */
  private inFlight: Promise<void> | undefined;
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastEnd = 0;
  private lastCost = 0;
  private closed = false;

  /** `write` saves the state as it is when called; its rejection is the caller's to report (ignored here). */
  constructor(private readonly write: () => Promise<void>, private readonly o: CoalescedSavesOptions = {}) {}

  /** Resolves once a write that began after this call has finished (also when it failed). */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
      this.schedule();
    }
    return this.waiting.promise;
  }

  /**
   * No more writes: a request still waiting is answered at once (the caller's own last save, made
   * after this, carries the state). Resolves once the write in flight, if any, has finished.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    await this.inFlight;
    waiting?.resolve();
  }

  private schedule(): void {
    if (this.inFlight || this.timer || !this.waiting || this.closed) return;
    const gap = Math.min(this.o.maxDelayMs ?? 250, (this.o.spacing ?? 3) * this.lastCost);
    const wait = Math.max(0, this.lastEnd + gap - performance.now());
    // Even with no wait: the requests of this turn of the event loop share the write.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, wait);
  }

  private start(): void {
    const waiting = this.waiting;
    if (!waiting || this.closed) return;
    this.waiting = undefined;
    this.writes++;
    const began = performance.now();
    this.inFlight = Promise.resolve()
      .then(this.write)
      .catch(() => undefined)
      .then(() => {
        this.lastEnd = performance.now();
        this.lastCost = this.lastEnd - began;
        this.inFlight = undefined;
        waiting.resolve();
        this.schedule();
      });
  }
}
