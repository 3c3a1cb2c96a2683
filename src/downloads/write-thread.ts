/**
 * Positional writes of download buffers on a thread of their own, in pieces of WRITE_PIECE bytes.
 *
 * Why pieces: the kernel sizes a page-cache folio after the write call that creates it, so one
 * 2 MiB pwrite asks for 2 MiB folios (high-order pages). On a VM whose host takes freed guest
 * memory back (virtio-balloon free page reporting reports exactly such blocks), every first touch
 * of those pages is a fault served by the host: on the session-9 VM a 2 MiB pwrite cost 1.4 CPU
 * s/GiB in `copy_folio_from_iter_atomic`, 64 KiB pwrites 0.17-0.2 s/GiB (curl writes 16 KiB).
 * Why a thread: 32 writes per 2 MiB through libuv's pool would be 32 hand-offs to the event loop;
 * here one message goes out per buffer and one reply comes back, and the event loop never blocks
 * on the disk. Only SharedArrayBuffer data can be written there; anything else, every write
 * before `startWriteThread` (files written in order are written by their digest thread, and
 * write here only until it runs), before the thread has answered that it runs, or once the
 * thread failed, goes through libuv in parallel pieces (`writePieces`). A thread that has not
 * answered in 30 s (stuck while it boots) is given up like a digest thread (thread-boot.ts):
 * nothing was posted to it, so nothing waits for it or is written twice (session 12). A thread
 * that cannot be made (`new Worker` throws ERR_WORKER_INIT_FAILED, EAGAIN, when the machine is out
 * of threads) is not a failed thread: writes go through libuv meanwhile and a write `retryMs`
 * later tries again (before, the thread was given up for the life of the process).
 */
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICE, lowerThreadPriority, startBelowEventLoop } from '../core/thread-priority.js';
import { BOOT_TIMEOUT_MS, giveUpIfSilent } from './thread-boot.js';
import type { ThreadStarter } from './digest-service.js';

/** Bytes per write call: small enough for the kernel's cheap low-order page allocations. */
export const WRITE_PIECE = 64 * 1024;

/** Bytes written from the start of a write that failed, and the error (with its errno code). */
export class PartialWriteError extends Error {
  constructor(readonly bytesWritten: number, readonly error: NodeJS.ErrnoException) {
    super(error.message);
  }
}

type WriteRequest = { seq: number; fd: number; buffer: SharedArrayBuffer; offset: number; length: number; position: number; piece: number };
/** What a positional write done on another thread did: bytes written contiguously from its start, and the error. */
export interface WriteOutcome {
  done: number;
  code?: string;
  message?: string;
}

type WriteReply = WriteOutcome & { seq: number };
/** The thread's first message: it listens. */
type ReadyReply = { ready: true };

/** Throws PartialWriteError unless `outcome` wrote all `length` bytes. */
export function checkWriteOutcome(outcome: WriteOutcome, length: number): void {
  if (outcome.code !== undefined || outcome.done < length) {
    throw new PartialWriteError(outcome.done, Object.assign(new Error(outcome.message ?? 'short write'), { code: outcome.code }));
  }
}

// The thread's whole program (CommonJS, evaluated: no file to find or bundle).
const PROGRAM = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
(${lowerThreadPriority.toString()})(require('node:os'), require('node:fs').readlinkSync, ${BACKGROUND_NICE});
parentPort.on('message', (m) => {
  let done = 0;
  try {
    while (done < m.length) {
      const n = Math.min(m.piece, m.length - done);
      done += writeSync(m.fd, new Uint8Array(m.buffer, m.offset + done, n), 0, n, m.position + done);
    }
    parentPort.postMessage({ seq: m.seq, done });
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, done, code: err && err.code, message: String(err && err.message) });
  }
});
parentPort.postMessage({ ready: true });
`;

/**
 * The write thread (exported for tests: `program` replaces its source, `bootTimeoutMs` its boot
 * timeout, `startThread` replaces `new Worker`, `retryMs` the wait before a thread that could not
 * be made is asked for again, default 1 s: a failing `new Worker` per buffer would cost for nothing).
 */
export class WriteThread {
  private worker: Worker | undefined;
  private failed = false;
  /** Started by startWriteThread only. */
  private wanted = false;
  /** The thread has answered that it listens: until then a write never waits for it to boot (libuv instead). */
  private ready = false;
  private nextSeq = 1;
  /** When no thread could be made: not asked for again before this time (ms since the epoch). */
  private retryAt = 0;
  private readonly waiting = new Map<number, (r: WriteReply | undefined) => void>();
  /** Callers of `start` waiting for the thread's first answer (or its failure). */
  private bootWaiters: Array<() => void> = [];

  constructor(private readonly options: { program?: string; bootTimeoutMs?: number; startThread?: ThreadStarter; retryMs?: number } = {}) {}

  /** `starting` until the thread answers, `failed` once it died or was given up. */
  get state(): 'idle' | 'starting' | 'running' | 'failed' {
    return this.failed ? 'failed' : this.ready ? 'running' : this.worker ? 'starting' : 'idle';
  }

  /** Writes `data` at `position` of `fd`; undefined when the thread is not available (write elsewhere). */
  write(fd: number, data: Uint8Array, position: number): Promise<WriteReply | undefined> {
    const worker = this.wanted ? this.get() : undefined;
    if (!worker || !this.ready || !(data.buffer instanceof SharedArrayBuffer)) return Promise.resolve(undefined);
    const seq = this.nextSeq++;
    return new Promise((resolve) => {
      // A thread with writes in flight keeps the process alive; an idle one does not.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(seq, resolve);
      try {
        worker.postMessage({ seq, fd, buffer: data.buffer as SharedArrayBuffer, offset: data.byteOffset, length: data.length, position, piece: WRITE_PIECE } satisfies WriteRequest);
      } catch {
        this.waiting.delete(seq);
        resolve(undefined);
      }
    });
  }

  /**
   * Starts the thread if it is not running; resolves once it has answered, or failed, or at once
   * when it runs already or no thread could be made now (writes then go through libuv).
   */
  start(): Promise<void> {
    this.wanted = true;
    this.get();
    if (!this.worker || this.ready || this.failed) return Promise.resolve();
    // A caller waits for the boot: the booting thread keeps the process alive meanwhile.
    this.worker.ref();
    return new Promise((resolve) => this.bootWaiters.push(resolve));
  }

  private bootDone(): void {
    if (this.waiting.size === 0) this.worker?.unref();
    for (const resolve of this.bootWaiters.splice(0)) resolve();
  }

  private get(): Worker | undefined {
    if (this.worker || this.failed || Date.now() < this.retryAt) return this.worker;
    let worker: Worker;
    try {
      const source = this.options.program ?? PROGRAM;
      worker = startBelowEventLoop(() => (this.options.startThread ? this.options.startThread(source, { eval: true }) : new Worker(source, { eval: true })));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_WORKER_INIT_FAILED') this.retryAt = Date.now() + (this.options.retryMs ?? 1_000);
      else this.failed = true;
      return undefined;
    }
    let booted = () => {};
    worker.on('message', (reply: WriteReply | ReadyReply) => {
      if ('ready' in reply) {
        this.ready = true;
        booted();
        this.bootDone();
        return;
      }
      const resolve = this.waiting.get(reply.seq);
      if (!resolve) return;
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) worker.unref();
      resolve(reply);
    });
    const fail = () => {
      this.failed = true;
      this.worker = undefined;
      // Whatever the thread did not confirm is written again elsewhere (same bytes, same place).
      for (const resolve of this.waiting.values()) resolve(undefined);
      this.waiting.clear();
      this.bootDone();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    booted = giveUpIfSilent(worker, 'write thread', this.options.bootTimeoutMs ?? BOOT_TIMEOUT_MS, () => {
      if (this.worker === worker) fail();
    });
    // After the 'message' listener, which refs the worker again: an idle thread must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

const thread = new WriteThread();

/**
 * Starts the write thread if it is not running, so the first buffer of a download does not wait
 * for a thread to boot (tens of ms, more on a loaded machine) while its connection keeps receiving:
 * bytes held longer are bytes a crash makes the resumed run fetch again. Resolves once the thread
 * runs or cannot (WriteThread.start): a one-shot run waits for it before its first request.
 */
export function startWriteThread(): Promise<void> {
  return thread.start();
}

/**
 * Writes all of `data` at `position`, in WRITE_PIECE pieces; throws PartialWriteError with the
 * bytes written from the start (contiguously) when a piece fails.
 */
export async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  const reply = await thread.write(handle.fd, data, position);
  if (!reply) return writePieces(handle, data, position);
  checkWriteOutcome(reply, data.length);
}

/** Through libuv: the pieces in parallel (positional writes, so their order does not matter). */
async function writePieces(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  const pieces: Array<Promise<number>> = [];
  for (let start = 0; start < data.length; start += WRITE_PIECE) {
    const end = Math.min(data.length, start + WRITE_PIECE);
    pieces.push(
      (async () => {
        let done = start;
        while (done < end) done += (await handle.write(data, done, end - done, position + done)).bytesWritten;
        return done - start;
      })(),
    );
  }
  const results = await Promise.allSettled(pieces);
  // Only the bytes up to the first failed piece count as written.
  let written = 0;
  for (const r of results) {
    if (r.status === 'rejected') throw new PartialWriteError(written, r.reason as NodeJS.ErrnoException);
    written += r.value;
  }
}

