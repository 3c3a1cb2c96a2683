/**
 * The engine as a real child process (src/main.ts through tsx), for tests of what only a process
 * shows: signals, restarts, start-up failures. API tests that need no process use engine.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './paths.js';
import type { TaskName } from '../../src/workers/tasks/index.js';

/** A local port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface SpawnedEngine {
  readonly child: ChildProcess;
  /** The exit code (null when a signal ended it); listened for from the spawn on, so no exit is missed. */
  readonly exited: Promise<number | null>;
  /** What the engine has written to stderr so far. */
  stderr(): string;
}

/**
 * Starts `node --import tsx src/main.ts` from the repository root, `env` added to this process's
 * environment. With `keepStdout` its JSON log is kept too (`stdout()`), for tests that show the
 * engine's own account of a failed request.
 */
export function spawnEngine(env: Record<string, string>, options: { keepStdout?: boolean } = {}): SpawnedEngine & { stdout(): string } {
  return spawnScript(['src/main.ts'], env, options.keepStdout ?? false);
}

/**
 * Starts a job worker, `jwst-engine worker` (src/cli/main.ts through tsx); it serves /health on
 * PORT. Its stdout (the JSON log) is kept: `stdout()`.
 */
export function spawnWorker(env: Record<string, string>): SpawnedEngine & { stdout(): string } {
  return spawnScript(['src/cli/main.ts', 'worker'], env, true);
}

/**
 * An engine (`engine`) or job worker (`worker`) whose pool holds every run of `task` in the middle
 * of its work until it is stopped (test/helpers/held-engine.ts): a render that surely is still
 * running when the test stops the process. `waitForHold` waits until a run got there.
 */
export function spawnHeld(kind: 'engine' | 'worker', task: TaskName, env: Record<string, string>): SpawnedEngine & { stdout(): string } {
  return spawnScript(['test/helpers/held-engine.ts', kind, task], env, kind === 'worker');
}

/** Resolves once a run of `task` waits at the hold of a process from `spawnHeld` (its stderr says so); rejects if the process exits first. */
export function waitForHold(engine: SpawnedEngine, task: TaskName): Promise<void> {
  const line = `held: ${task}\n`;
  return new Promise((resolve, reject) => {
    const stderr = engine.child.stderr!;
    const done = () => {
      stderr.off('data', check); // (after spawnScript's own listener, which has added the text)
      engine.child.off('exit', onExit);
    };
    const check = () => {
      if (!engine.stderr().includes(line)) return;
      done();
      resolve();
    };
    const onExit = () => {
      done();
      reject(new Error(`the process exited before a run of ${task} reached its hold: ${engine.stderr()}`));
    };
    stderr.on('data', check);
    engine.child.once('exit', onExit);
    if (engine.child.exitCode !== null || engine.child.signalCode !== null) onExit();
    else check();
  });
}

function spawnScript(args: readonly string[], env: Record<string, string>, keepStdout = false): SpawnedEngine & { stdout(): string } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr, stdout: () => stdout };
}

/**
 * Polls GET /health on the port until it answers 200; throws (with the engine's stderr) after
 * `deadlineMs`: generous, as tsx compiles the engine as it loads (seconds on a quiet machine,
 * minutes at load 16-35 on 2 cores).
 */
export async function waitForHealth(port: number, engine: SpawnedEngine, deadlineMs = 300_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`engine did not come up: ${engine.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
