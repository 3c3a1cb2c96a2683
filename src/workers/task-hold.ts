/**
 * Holding a pool task in the middle of its work, for tests (issue #20: tests wait for events, not
 * for the clock). A test that must act while a render is surely running (answer light requests
 * meanwhile, stop the engine) arms a hold for a task name (`WorkerPool.holdForTest`); every run of
 * that task submitted while the hold is armed carries its shared memory (`TaskMessage.hold`). The
 * task's thread waits at one of the task's own stop checks (`throwIfCancelled`, between bands,
 * rows, tiles: after `afterSteps` of them have passed, so the work has begun) until the test
 * releases the hold or the task is stopped (its client went away, the engine shuts down: then that
 * check throws CancelledError, as it would have without the hold). The test learns that the task
 * got there from `reached()`, an event, not a guess of how long the work lasts.
 *
 * Nothing else arms a hold: no route, setting or environment variable reaches `holdForTest` (only
 * tests call it; test/architecture.test.ts checks that no module of src/ other than the pool
 * names it), so a client cannot hold a task, and an engine that never arms one pays one property
 * read per task submitted and one per task run.
 */

/** Slots of a hold's Int32Array (over a SharedArrayBuffer). */
const ARRIVED = 0; // tasks that reached the hold point so far
const RELEASED = 1; // 1 once the test released the hold
const WAKE = 2; // bumped (and notified) by a release and by a held task's stop
const STEPS = 3; // stop checks a task passes before it waits
const SLOTS = 4;

/** A held thread gives up after this long on its own, so a test that forgets to release fails rather than hangs. */
const GIVE_UP_MS = 120_000;

export interface HoldOptions {
  /** Stop checks the task passes before it waits at the next one (default 1: its work has begun). */
  readonly afterSteps?: number;
}

/** The test's side of a hold (main thread). */
export class TaskHold {
  /** What a held task's message carries. */
  readonly cells = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));

  /** `onRelease`: the pool stops giving the hold to new runs. */
  constructor(options: HoldOptions = {}, private readonly onRelease: () => void = () => undefined) {
    this.cells[STEPS] = Math.max(0, Math.floor(options.afterSteps ?? 1));
  }

  /** How many held tasks have reached the hold point. */
  get arrived(): number {
    return Atomics.load(this.cells, ARRIVED);
  }

  /** Resolves once `count` tasks carrying this hold are waiting at (or have passed) the hold point. */
  async reached(count = 1): Promise<void> {
    for (;;) {
      const arrived = Atomics.load(this.cells, ARRIVED);
      if (arrived >= count) return;
      const waited = waitAsync(this.cells, ARRIVED, arrived);
      if (waited.async) await waited.value;
    }
  }

  /** Lets every held task go on (and those reaching the point later pass it). */
  release(): void {
    this.onRelease();
    Atomics.store(this.cells, RELEASED, 1);
    wake(this.cells);
  }
}

/** `Atomics.waitAsync` (Node 16+; TypeScript declares it from lib es2024 on). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Wakes the held threads so they look again (called by the pool when a held task is stopped). */
export function wake(cells: Int32Array): void {
  Atomics.add(cells, WAKE, 1);
  Atomics.notify(cells, WAKE);
}

/**
 * The worker's side: `stopped` (the task's stop test, read at each of its checks) that first waits
 * at the hold point: at the check after `afterSteps` checks, until the hold is released or
 * `stopped()` turns true (the pool wakes the thread when it sets the stop flag).
 */
export function holdingStopTest(cells: Int32Array, stopped: () => boolean): () => boolean {
  let steps = Atomics.load(cells, STEPS);
  return () => {
    if (steps >= 0 && steps-- === 0) waitAtHold(cells, stopped);
    return stopped();
  };
}

function waitAtHold(cells: Int32Array, stopped: () => boolean): void {
  Atomics.add(cells, ARRIVED, 1);
  Atomics.notify(cells, ARRIVED);
  const until = Date.now() + GIVE_UP_MS;
  for (;;) {
    // read before the tests below: a wake between them changes it, and the wait returns at once
    const seen = Atomics.load(cells, WAKE);
    if (Atomics.load(cells, RELEASED) === 1 || stopped()) return;
    const left = until - Date.now();
    if (left <= 0) return;
    Atomics.wait(cells, WAKE, seen, left);
  }
}
