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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
 * included). Several windows add up, but each one after the first also counts the gap before it
 * as one delay (Node 20's monitorEventLoopDelay keeps its last sample's time across disable and
 * enable): open one window over the timed work. A window left open closes at exit. Does nothing
 * when the process runs without the monitor (outside bench/run.ts).
 */
export function beginTimedWork(): void {
  workHook()?.begin();
}

/** Closes the window opened by beginTimedWork. */
export function endTimedWork(): void {
  workHook()?.end();
}

/** Names the file holding the state of the windows a bench opens in its children (read by the monitor on SIGURG). */
const CONTROL_ENV = 'BENCH_ELD_WORK_CONTROL';

/**
 * Timed-work windows in child processes the bench cannot change (the built engine, `node
 * dist/main.js`; the jobs bench's API and workers): `env` goes into the children's environment;
 * `begin(pid…)` / `end(pid…)` write the wanted state to a file and send each child SIGURG, on
 * which bench/lib/event-loop-monitor.mjs opens or closes its window (as beginTimedWork /
 * endTimedWork do in-process). SIGURG because a process without the monitor ignores it (SIGUSR2
 * would end it); the state is in the file, not in the signal, so two signals that merge still
 * leave the window as asked. Outside bench/run.ts `env` is empty and begin/end do nothing.
 */
export interface TimedWorkControl {
  readonly env: Record<string, string>;
  begin(...pids: Array<number | undefined>): void;
  end(...pids: Array<number | undefined>): void;
  /** Removes the state file (after the children have exited). */
  close(): void;
}

export function timedWorkControl(): TimedWorkControl {
  if (!process.env['BENCH_ELD_FILE']) return { env: {}, begin() {}, end() {}, close() {} };
  const dir = mkdtempSync(join(tmpdir(), 'bench-eld-'));
  const file = join(dir, 'work');
  writeFileSync(file, '0');
  const send = (state: '0' | '1', pids: Array<number | undefined>) => {
    writeFileSync(file, state);
    for (const pid of pids) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGURG');
      } catch {
        // the child has exited: its figures are final
      }
    }
  };
  return {
    env: { [CONTROL_ENV]: file },
    begin: (...pids) => send('1', pids),
    end: (...pids) => send('0', pids),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
