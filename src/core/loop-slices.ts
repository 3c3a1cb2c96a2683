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
}
