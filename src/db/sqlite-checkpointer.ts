/**
 * WAL checkpoints of the embedded SQLite database on a thread of its own (issue #20, session 15).
 *
 * SQLite's default: the connection whose commit takes the WAL past 1000 pages (wal_autocheckpoint)
 * copies the WAL back into the database file and syncs it, inside that commit. better-sqlite3 runs
 * on the event loop, so a download job's 4.5 MB record (~1100 pages) held the loop 185-817 ms.
 * Here a worker thread with its own connection to the file runs `wal_checkpoint(PASSIVE)` (which
 * never waits for, nor blocks, readers and writers) every `intervalMs`, at once when the main
 * connection nudges it (it committed about NUDGE_BYTES since the last nudge: a checkpoint right
 * after such a commit is done before the next one, so the writer starts the WAL again from its
 * beginning instead of growing it), and again after `busyMs` when one could not copy everything
 * (a commit came meanwhile, or a reader still reads older pages). Once the WAL is fully copied
 * and nothing was written since the last look, it is truncated (`wal_checkpoint(TRUNCATE)`, no busy wait: if any
 * connection is busy it simply tries at a later idle look). The main connection turns its own
 * auto-checkpoint off only when the thread answered that it runs, and back on if the thread dies.
 * Checkpoints only move committed pages: crash safety is that of WAL, unchanged.
 */
import { createRequire } from 'node:module';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { startBelowEventLoop } from '../core/thread-priority.js';

export interface CheckpointerOptions {
  /** Longest time between two checkpoints while nothing is written (default 1000 ms). */
  readonly intervalMs?: number;
  /** Time before the next checkpoint when one could not copy everything (default 50 ms). */
  readonly busyMs?: number;
  /** Bytes committed (about) before the main connection asks for a checkpoint at once (default NUDGE_BYTES). */
  readonly nudgeBytes?: number;
  /** Replaces `new Worker` (tests). */
  readonly startThread?: (source: string, options: WorkerOptions) => Worker;
}

/** What `PRAGMA wal_checkpoint` answers: busy 1 when it could not finish, WAL frames, frames copied. */
export interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/** About how many bytes the main connection commits before it nudges the thread: 1000 pages of 4 KiB, SQLite's auto-checkpoint. */
export const NUDGE_BYTES = 1000 * 4096;

type Reply = { ready: true } | { seq: number; result?: CheckpointResult; error?: string };

// The thread's whole program (CommonJS, evaluated without the parent's loaders: plain JavaScript).
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// Changes whenever another connection commits: unchanged between two looks = nothing written.
let version = -1;
let timer;
function checkpoint(mode) {
  try {
    return db.pragma('wal_checkpoint(' + mode + ')')[0];
  } catch (err) {
    return { busy: 1, log: -1, checkpointed: -1, error: String(err && err.message) };
  }
}
function tick() {
  clearTimeout(timer);
  const before = version;
  try {
    version = db.pragma('data_version', { simple: true });
  } catch {
    version = -1;
  }
  let r = checkpoint('PASSIVE');
  const idle = r.busy === 0 && r.log > 0 && r.log === r.checkpointed && version === before && version !== -1;
  if (idle) r = checkpoint('TRUNCATE');
  // Not all copied (a commit came meanwhile, or a reader holds older pages): again soon.
  const behind = (r.busy !== 0 && !r.error) || r.checkpointed < r.log;
  timer = setTimeout(tick, behind ? workerData.busyMs : workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m.stop) {
    clearTimeout(timer);
    db.close();
    parentPort.close();
    return;
  }
  if (m.nudge) {
    tick();
    return;
  }
  const r = checkpoint(m.mode);
  parentPort.postMessage({ seq: m.seq, result: r.error ? undefined : r, error: r.error });
});
timer = setTimeout(tick, workerData.intervalMs);
parentPort.postMessage({ ready: true });
`;

/** True for the names SQLite opens in memory (nothing to checkpoint, no file for a second connection). */
export function isMemoryDatabase(file: string): boolean {
  return file === '' || file === ':memory:' || /^file::memory:|[?&]mode=memory\b/.test(file);
}

/**
 * The checkpoint thread of one database file. `onReady` runs when the thread answered that it
 * runs (turn the main connection's auto-checkpoint off), `onLost` once if it fails or ends before
 * `stop` (turn it back on).
 */
export class WalCheckpointer {
  private readonly worker: Worker | undefined;
  private running = false;
  private stopped = false;
  private failed = false;
  private nextSeq = 1;
  private readonly waiting = new Map<number, (r: Reply & { seq: number }) => void>();
  private readonly exited: Promise<void>;
  private readonly nudgeBytes: number;

  constructor(file: string, private readonly hooks: { onReady: () => void; onLost: () => void }, options: CheckpointerOptions = {}) {
    this.nudgeBytes = options.nudgeBytes ?? NUDGE_BYTES;
    const workerData = { file, module: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: options.intervalMs ?? 1_000, busyMs: options.busyMs ?? 50 };
    const threadOptions: WorkerOptions = { eval: true, workerData, execArgv: [] };
    let worker: Worker | undefined;
    try {
      // Below the event loop (core/thread-priority.ts): it boots amid a download's first second, and checkpoints can wait.
      worker = startBelowEventLoop(() => (options.startThread ? options.startThread(PROGRAM, threadOptions) : new Worker(PROGRAM, threadOptions)));
    } catch {
      worker = undefined;
    }
    this.worker = worker;
    if (!worker) {
      this.exited = Promise.resolve();
      this.stopped = true;
      this.failed = true;
      return;
    }
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: Reply) => {
      if ('ready' in m) {
        if (this.stopped) return;
        this.running = true;
        this.hooks.onReady();
        return;
      }
      const resolve = this.waiting.get(m.seq);
      this.waiting.delete(m.seq);
      resolve?.(m);
    });
    worker.on('error', () => this.lost());
    worker.once('exit', () => this.lost());
    // Listeners first: one added after unref() refs the worker again. The thread never keeps the process alive.
    worker.unref();
  }

  /** `failed` when no thread could be made or it ended before `stop`. */
  get state(): 'starting' | 'running' | 'failed' | 'stopped' {
    return this.running ? 'running' : this.failed ? 'failed' : this.stopped ? 'stopped' : 'starting';
  }

  private lost(): void {
    for (const resolve of this.waiting.values()) resolve({ seq: 0, error: 'checkpoint thread ended' });
    this.waiting.clear();
    if (this.stopped) return;
    this.stopped = true;
    this.failed = true;
    const wasRunning = this.running;
    this.running = false;
    if (wasRunning) this.hooks.onLost();
  }

  /** About the bytes the main connection wrote since the thread was last nudged (it adds them). */
  written = 0;

  /** After a commit: a checkpoint now on the thread once about `nudgeBytes` were written. */
  committed(): void {
    if (this.written < this.nudgeBytes || !this.running) return;
    this.written = 0;
    this.worker?.postMessage({ nudge: true });
  }

  /** A checkpoint now, on the thread (tests, diagnostics); undefined when it is not running. */
  async checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): Promise<CheckpointResult | undefined> {
    const worker = this.worker;
    if (!worker || !this.running) return undefined;
    const seq = this.nextSeq++;
    // A request in flight keeps the process alive; an idle thread does not.
    if (this.waiting.size === 0) worker.ref();
    const reply = await new Promise<Reply & { seq: number }>((resolve) => {
      this.waiting.set(seq, resolve);
      worker.postMessage({ seq, mode });
    });
    if (this.waiting.size === 0 && !this.stopped) worker.unref();
    return 'result' in reply ? reply.result : undefined;
  }

  /** Stops the thread (its connection closed) and waits for it to end. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const wasRunning = this.running;
    this.stopped = true;
    this.running = false;
    // Waited for: it keeps the process alive until it ends.
    worker.ref();
    if (wasRunning) {
      worker.postMessage({ stop: true });
    } else {
      // Still booting (or stuck): nothing of ours runs there yet.
      void worker.terminate();
    }
    await this.exited;
  }
}
