/**
 * What a benchmark process's event-loop delay stands for, read by bench/lib/event-loop-monitor.mjs
 * at exit and printed by bench/run.ts beside the figure:
 *   - 'engine': the engine's own main thread doing what it does in production (the service bench's
 *     server, the download client): its p99 is the figure issue #20 holds to < 20 ms;
 *   - 'harness': a bench process that computes on its main thread or runs the Python side with
 *     spawnSync: its p99 is that work's length, not a property of the engine (which runs the same
 *     code in its worker pool);
 *   - 'helper': a test server (the range server, the fake MAST).
 * A process that says nothing is listed as 'harness'.
 */
export type EventLoopRole = 'engine' | 'harness' | 'helper';

/**
 * The environment entry that labels a child process the bench starts but cannot change (the built
 * engine, `node dist/main.js`; an engine started by a test helper): read by the monitor when the
 * process declared nothing. Its own children inherit it.
 */
export function eventLoopRoleEnv(role: EventLoopRole): { BENCH_ELD_ROLE: EventLoopRole } {
  return { BENCH_ELD_ROLE: role };
}

/** Declares this process's role (children do not inherit it). */
export function declareEventLoopRole(role: EventLoopRole): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for('jwst-bench.event-loop-role')] = role;
}

interface WorkHook {
  begin(): void;
  end(): void;
}

const workHook = (): WorkHook | undefined => (globalThis as Record<symbol, WorkHook | undefined>)[Symbol.for('jwst-bench.event-loop-work')];

/**
 * Opens a window of the work the bench times: bench/lib/event-loop-monitor.mjs then reports the
 * event-loop delay over these windows apart from the whole life (start-up's module compilation
 * included). Several windows add up; a window left open closes at exit. Does nothing when the
 * process runs without the monitor (outside bench/run.ts).
 */
export function beginTimedWork(): void {
  workHook()?.begin();
}

/** Closes the window opened by beginTimedWork. */
export function endTimedWork(): void {
  workHook()?.end();
}
