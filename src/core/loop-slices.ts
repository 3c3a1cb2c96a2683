/**
 * Long work on the event loop cut into slices: the work asks `due` between its steps and calls
 * `turn()` when a slice has run `budgetMs`, so timers, I/O and other requests run between slices
 * (issue #20, session 19: the jobs list of 50 jobs of 2000 files held the loop for seconds).
 */
import { setImmediate as loopTurn } from 'node:timers/promises';

export class LoopSlices {
  private start = performance.now();

  constructor(readonly budgetMs: number) {}

  /** Milliseconds since the slice began. */
  get elapsedMs(): number {
    return performance.now() - this.start;
  }

  /** The slice has run its budget. */
  get due(): boolean {
    return this.elapsedMs >= this.budgetMs;
  }

  /** Lets the event loop run (one turn: after I/O and timers due), then starts a new slice. */
  async turn(): Promise<void> {
    await loopTurn();
    this.start = performance.now();
  }

  /** `turn()` when the slice is due. */
  async turnIfDue(): Promise<void> {
    if (this.due) await this.turn();
  }

  /**
   * `items.map(fn)`, the loop let run whenever the slice is due, asked every `step` items (issue
   * #20, session 20: one job of 10,000 files read and made into its answer in one go held the loop
   * 60-90 ms).
   */
  async map<T, U>(items: readonly T[], fn: (item: T, index: number) => U, step = 64): Promise<U[]> {
    const out = new Array<U>(items.length);
    for (let i = 0; i < items.length; i++) {
      out[i] = fn(items[i]!, i);
      if (i % step === step - 1 && this.due) await this.turn();
    }
    return out;
  }

  /** Runs `steps` to its end, the loop let run between its steps whenever the slice is due. */
  async drain(steps: Iterator<unknown>): Promise<void> {
    while (!steps.next().done) if (this.due) await this.turn();
  }
}
