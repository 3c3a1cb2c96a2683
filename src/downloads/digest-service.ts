/**
 * Streaming digests (SHA-256 + FITS CHECKSUM/DATASUM) computed on worker threads, so hashing
 * (~0.5 CPU s/GiB) runs beside the event loop that moves the bytes instead of on it, and the
 * streams of files downloaded at once hash on different cores.
 *
 * `update(data)` resolves once the worker has hashed `data`: until then the caller must not
 * change those bytes. Data in a SharedArrayBuffer is read in place (no copy); other data is
 * copied into the message. If the worker cannot start (fails, or has not answered in 30 s) or
 * dies, digests are computed on this thread, or (for a stream cut short) `finish()` rejects and
 * the caller reads the file again.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ContentDigest, type DigestPart, type DigestResult } from './content-digest.js';
import type { FileLayer, ReadableFile } from './file-layer.js';
import { BOOT_TIMEOUT_MS, giveUpIfSilent } from './thread-boot.js';
import { startBelowEventLoop } from '../core/thread-priority.js';
import { WRITE_PIECE, type WriteOutcome } from './write-thread.js';
import { sharedWasmMemory, sumHeapStart } from '../fits/ones-sum.js';
import type { WasmMemory } from '../core/wasm-module.js';

export interface StreamDigest {
  update(data: Uint8Array): Promise<void>;
  /**
   * Hashes `data` (shared memory) and writes it at `position` of descriptor `fd` on the digest's
   * thread, in WRITE_PIECE pwrites; resolves with what the write did once both are done.
   * Undefined when the thread cannot (no worker, data not shared, or the thread failed: then the
   * bytes may not be written and the digest is unusable): the caller writes them itself.
   * Absent on digests that hash on the caller's thread.
   */
  updateAndWrite?(data: Uint8Array, fd: number, position: number, lazy?: boolean): Promise<WriteOutcome | undefined>;
  /**
   * Hashes bytes [position, position + length) of descriptor `fd`, read on the digest's thread
   * (pread into its own memory: no buffer, read or message per piece on this side); resolves with
   * the bytes hashed, fewer at the end of the file. Rejects with the read's error (its errno
   * `code`); a thread that failed or died resolves (the digest is then unusable: `bytes` NaN, as
   * for `update`). The descriptor must stay open until it settles. Absent on digests that hash on
   * the caller's thread.
   */
  updateFromFile?(fd: number, position: number, length: number): Promise<number>;
  /**
   * `lazy` updates (above) settle when this thread next looks (another update, a timer), not as
   * soon as the worker is done; a caller that waits for them calls `hurry(keep)` first: it is
   * answered once at most `keep` of them are pending (so a writer short of buffers is woken once
   * per few buffers, not once per buffer).
   */
  hurry?(keep?: number): void;
  /**
   * True once the digest's thread has answered a first message (it is running): until then a
   * write posted to it would wait for the thread to boot (~0.1 s, seconds under tsx on a loaded
   * machine) and bytes a crash loses would pile up; write elsewhere meanwhile.
   */
  writesNow?(): boolean;
  /** Bytes fed so far (NaN once the digest is unusable). */
  readonly bytes: number;
  /** How many digest threads compute it: 2 once split over two (ThreadedDigest); absent on this thread. */
  readonly threads?: number;
  finish(): Promise<DigestResult>;
  /** Gives the digest up without a result. */
  dispose(): void;
}

export type DigestRequest =
  // `inPool`: the bytes lie in sharedBuffers' wasm memory (the thread has it): no buffer is sent
  // `part`: the thread computes only that half of the stream's digest (a stream split over two threads)
  | { op: 'update'; id: number; part?: DigestPart; buffer?: ArrayBufferLike; inPool?: true; offset: number; length: number; write?: { fd: number; position: number; piece: number } }
  | { op: 'updateFromFile'; id: number; part?: DigestPart; fd: number; position: number; length: number }
  | { op: 'finish'; id: number; part?: DigestPart; seq: number }
  | { op: 'drop'; id: number; seq: number };

/** Hashing on this thread (no worker, or a broken one). */
class InThreadDigest implements StreamDigest {
  private readonly d = new ContentDigest();
  get bytes(): number {
    return this.d.bytes;
  }
  async update(data: Uint8Array): Promise<void> {
    this.d.update(data);
  }
  async finish(): Promise<DigestResult> {
    return this.d.finish();
  }
  dispose(): void {}
}

function workerFile(): string | undefined {
  // digest-worker.ts under tsx, .js when compiled, .mjs when bundled beside the bundle.
  const here = fileURLToPath(import.meta.url);
  const path = fileURLToPath(new URL(`./digest-worker${extname(here)}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** Indices of a digest thread's shared state (an Int32Array the worker updates after every update). */
export const HANDLED = 0; // updates the worker has finished (written and hashed), in posting order
export const FAILURES = 1; // updates that failed; each failure's reply is posted before this moves
export const WAKE_AT = 2; // 0, or the update number after which the worker posts a wake-up

/** What the worker posts: a failed update (its number), a finish's answer (seq), a wake-up or that it runs. */
export type DigestReply = { seq?: number; n?: number; result?: DigestResult; written?: WriteOutcome; error?: string; wake?: true; ready?: true; read?: { done: number; code?: string } };

interface PendingUpdate {
  n: number;
  stream: number;
  /** The caller waits for this one: ask the worker to wake this thread when it is done. */
  eager: boolean;
  written: number | undefined;
  resolve: (r: DigestReply) => void;
}

/** How often updates nobody waits for are looked at (progress is recorded then): a timer, not a thread wake-up. */
const POLL_MS = 50;

/**
 * One digest worker thread and the updates it still owes.
 *
 * Why no reply per update: each message back wakes the event loop (~0.3-0.5 ms on the session-10
 * VM, ~0.2-0.3 CPU s/GiB of postMessage). The worker counts finished updates in shared memory
 * instead; this side reads the count whenever it posts another update (every 2 MiB), on a slow
 * timer, and asks for a wake-up (WAKE_AT) only when a caller waits: `eager` updates, or a stream
 * that `hurry`s (a writer with no free buffer, or draining). A failed update still comes back as
 * a message, posted before the count moves past it.
 */
class DigestThread {
  private worker: Worker | undefined;
  failed = false;
  /** The worker has answered at least once (it has booted). */
  answered = false;
  /** Callers of `booting` waiting for the first answer (or the failure). */
  private bootWaiters: Array<() => void> = [];
  /** Digests created on this thread and not yet finished or dropped. */
  active = 0;
  private readonly state = new Int32Array(new SharedArrayBuffer(3 * 4));
  private posted = 0;
  private failuresSeen = 0;
  private readonly failures = new Map<number, DigestReply>();
  private readonly pending: PendingUpdate[] = [];
  /** Streams whose caller waits, with how many of their updates may stay pending before it is woken. */
  private readonly hurried = new Map<number, number>();
  private readonly calls = new Map<number, (r: DigestReply) => void>();
  private timer: NodeJS.Timeout | undefined;
  private booted: (() => void) | undefined;

  constructor(private readonly file: string, private readonly bootTimeoutMs = BOOT_TIMEOUT_MS, private readonly startThread: ThreadStarter = startWorker) {}

  /**
   * The running worker, started on first use; undefined once it failed, or when no thread could
   * be made now: `new Worker` throws ERR_WORKER_INIT_FAILED (EAGAIN) at once when the system is
   * out of threads (a loaded machine, a pids limit). That is not the thread failing: the caller
   * hashes on its own thread this time and the next use tries again.
   */
  get(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    // Under tsx (tests, `npm run dev`) the worker is TypeScript: register tsx in the thread first.
    const url = JSON.stringify(pathToFileURL(this.file).href);
    const source = this.file.endsWith('.ts') ? `import('tsx/esm/api').then((t) => t.register()).then(() => import(${url}))` : `import(${url})`;
    let worker: Worker;
    try {
      // The pool's wasm memory: the thread sums the FITS checksum of pool buffers in place.
      // Below the event loop from its first instruction: its boot overlaps the job's first requests.
      worker = startBelowEventLoop(() => this.startThread(source, { eval: true, workerData: { state: this.state, poolMemory: sharedBuffers.wasmMemory() } }));
    } catch {
      return undefined;
    }
    worker.unref();
    worker.on('message', (reply: DigestReply) => {
      this.answered = true;
      this.bootDone();
      this.booted?.();
      if (reply.n !== undefined) {
        this.failures.set(reply.n, reply);
        this.failuresSeen++;
      } else if (reply.seq !== undefined) {
        const resolve = this.calls.get(reply.seq);
        this.calls.delete(reply.seq);
        resolve?.(reply);
      }
      this.poll();
    });
    const fail = (why: string) => {
      this.failed = true;
      this.worker = undefined;
      this.bootDone();
      clearTimeout(this.timer);
      for (const p of this.pending.splice(0)) p.resolve({ error: why });
      for (const [seq, resolve] of this.calls) resolve({ seq, error: why });
      this.calls.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', () => fail('digest worker exited'));
    // A thread stuck booting (its module never loads) would hold every update posted to it for
    // ever, unlike one that dies: given up after a while, its streams fail and are hashed again
    // here. Safe: until its first answer no write is posted to it (writesNow), only hashing.
    this.booted = giveUpIfSilent(worker, 'digest worker', this.bootTimeoutMs, (why) => {
      if (this.worker === worker) fail(why);
    });
    this.worker = worker;
    return worker;
  }

  /** Asked for already (`get`): booting, running or failed. */
  get started(): boolean {
    return this.worker !== undefined || this.failed;
  }

  /** Resolves once the started thread has answered or failed; undefined if it is not booting now. */
  booting(): Promise<void> | undefined {
    if (!this.worker || this.answered || this.failed) return undefined;
    return new Promise((resolve) => this.bootWaiters.push(resolve));
  }

  private bootDone(): void {
    for (const resolve of this.bootWaiters.splice(0)) resolve();
  }

  /** Posts an update (numbered in posting order); resolves once the worker finished it. */
  update(worker: Worker, m: DigestRequest & { op: 'update' | 'updateFromFile' }, stream: number, eager: boolean, transfer?: ArrayBuffer[]): Promise<DigestReply> {
    return new Promise((resolve) => {
      // A dead worker drops messages silently: answer at once instead of waiting forever.
      if (this.failed || this.worker !== worker) {
        resolve({ error: 'digest worker is not running' });
        return;
      }
      try {
        worker.postMessage(m, transfer);
      } catch (err) {
        resolve({ error: err instanceof Error ? err.message : String(err) });
        return;
      }
      this.pending.push({ n: ++this.posted, stream, eager, written: m.op === 'update' && m.write ? m.length : undefined, resolve });
      this.poll();
    });
  }

  /** A finish (or another call with a reply of its own). */
  call(worker: Worker, m: DigestRequest & { op: 'finish' }): Promise<DigestReply> {
    return new Promise((resolve) => {
      if (this.failed || this.worker !== worker) {
        resolve({ seq: m.seq, error: 'digest worker is not running' });
        return;
      }
      this.calls.set(m.seq, resolve);
      try {
        worker.postMessage(m);
      } catch (err) {
        this.calls.delete(m.seq);
        resolve({ seq: m.seq, error: err instanceof Error ? err.message : String(err) });
        return;
      }
      this.poll();
    });
  }

  /** The caller of `stream` waits until at most `keep` of its updates are pending: wake this thread then. */
  hurry(stream: number, keep: number): void {
    this.hurried.set(stream, Math.min(keep, this.hurried.get(stream) ?? keep));
    this.poll();
  }

  /** Settles the updates the worker has finished and says which one to be woken after. */
  private poll(): void {
    for (;;) {
      const handled = Atomics.load(this.state, HANDLED);
      // Read after HANDLED: a failure counted there has been posted; wait for its message.
      if (Atomics.load(this.state, FAILURES) > this.failuresSeen) return;
      while (this.pending.length > 0 && this.pending[0]!.n <= handled) {
        const p = this.pending.shift()!;
        const failure = this.failures.get(p.n);
        this.failures.delete(p.n);
        p.resolve(failure ?? { written: p.written === undefined ? undefined : { done: p.written } });
      }
      let next = this.pending.find((p) => p.eager)?.n ?? Number.POSITIVE_INFINITY;
      for (const [stream, keep] of this.hurried) {
        const mine = this.pending.filter((p) => p.stream === stream);
        if (mine.length <= keep) this.hurried.delete(stream); // its caller has what it waited for
        else next = Math.min(next, mine[mine.length - keep - 1]!.n);
      }
      const wake = Number.isFinite(next) ? next : 0;
      Atomics.store(this.state, WAKE_AT, wake);
      // Either the worker sees WAKE_AT after counting, or this load sees its count (both sequentially consistent).
      if (wake !== 0 && Atomics.load(this.state, HANDLED) >= wake) continue;
      // A worker with a caller waiting keeps the process alive; otherwise it does not.
      if (wake !== 0 || this.calls.size > 0) this.worker?.ref();
      else this.worker?.unref();
      if (this.pending.length > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.poll();
        }, POLL_MS); // not unref'd: updates still owed keep the process alive, as a waiting reply did
      }
      return;
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failed = true;
    clearTimeout(this.timer);
    this.booted?.();
    this.bootDone();
    if (w) await w.terminate();
  }
}

/** Makes a worker thread (tests inject one that fails as `new Worker` does when no thread can be made). */
export type ThreadStarter = (source: string, options: WorkerOptions) => Worker;

const startWorker: ThreadStarter = (source, options) => new Worker(source, options);

/** A digest thread and its running worker; `part`, when the stream's digest is split over two threads. */
interface Lane {
  readonly thread: DigestThread;
  readonly worker: Worker;
  readonly part?: DigestPart;
}

/**
 * A stream's digest on the digest threads. When another thread is idle at the stream's first
 * bytes, the digest is split over both: the first thread writes the bytes and sums the FITS
 * checksums, the second computes the SHA-256 of the same shared bytes. SHA-256 is the larger half
 * (~0.6 of the ~1 CPU s/GiB a stream costs its thread), so one file then flows at about the rate
 * of the slower half instead of the sum of both. Every message goes to each lane; an update
 * settles once every lane has finished it (the caller then reuses the buffer).
 */
class ThreadedDigest implements StreamDigest {
  private lanes: Lane[];
  private decided = false;
  private settled = false;
  private broken = false;
  private count = 0;

  constructor(private readonly id: number, first: Lane, private readonly partnerFor: () => Lane | undefined, private readonly nextSeq: () => number) {
    this.lanes = [first];
    first.thread.active++;
  }

  get bytes(): number {
    return this.broken ? Number.NaN : this.count;
  }

  get threads(): number {
    return this.lanes.length;
  }

  /** At the first bytes: the SHA-256 half goes to an idle running thread, if there is one. */
  private split(): readonly Lane[] {
    if (this.decided) return this.lanes;
    this.decided = true;
    const partner = this.partnerFor();
    if (partner) {
      partner.thread.active++;
      this.lanes = [{ ...this.lanes[0]!, part: 'fits' }, { ...partner, part: 'sha256' }];
    }
    return this.lanes;
  }

  private settle(): void {
    if (!this.settled) for (const lane of this.lanes) lane.thread.active--;
    this.settled = true;
  }

  async update(data: Uint8Array): Promise<void> {
    if (this.broken) return;
    this.count += data.length;
    const replies = await Promise.all(
      this.split().map((lane) => {
        if (data.buffer instanceof SharedArrayBuffer) return lane.thread.update(lane.worker, { op: 'update', id: this.id, part: lane.part, ...sharedBuffers.where(data) }, this.id, true);
        // A fresh copy per lane (Buffer#slice would be a view into a pooled allocation).
        const copy = new Uint8Array(data.length);
        copy.set(data);
        return lane.thread.update(lane.worker, { op: 'update', id: this.id, part: lane.part, buffer: copy.buffer, offset: 0, length: copy.length }, this.id, true, [copy.buffer as ArrayBuffer]);
      }),
    );
    if (replies.some((r) => r.error)) this.broken = true;
  }

  writesNow(): boolean {
    return !this.broken && this.lanes.every((lane) => lane.thread.answered && !lane.thread.failed);
  }

  hurry(keep = 0): void {
    for (const lane of this.lanes) lane.thread.hurry(this.id, keep);
  }

  async updateAndWrite(data: Uint8Array, fd: number, position: number, lazy = false): Promise<WriteOutcome | undefined> {
    if (this.broken) return undefined;
    if (!(data.buffer instanceof SharedArrayBuffer)) {
      this.broken = true; // neither hashed nor written: the caller writes, and the file is hashed after
      return undefined;
    }
    this.count += data.length;
    const write = { fd, position, piece: WRITE_PIECE };
    // The first lane writes (and is the one that sums the FITS checksums, when split).
    const replies = await Promise.all(this.split().map((lane, i) => lane.thread.update(lane.worker, { op: 'update', id: this.id, part: lane.part, ...sharedBuffers.where(data), ...(i === 0 ? { write } : {}) }, this.id, !lazy)));
    if (replies.some((r) => r.error)) this.broken = true;
    // A reply without the write's outcome: the thread died (or never wrote); written elsewhere.
    return replies[0]!.written;
  }

  async updateFromFile(fd: number, position: number, length: number): Promise<number> {
    if (this.broken) return length;
    this.count += length;
    // Each lane reads the bytes itself (pread into its own memory).
    const replies = await Promise.all(this.split().map((lane) => lane.thread.update(lane.worker, { op: 'updateFromFile', id: this.id, part: lane.part, fd, position, length }, this.id, true)));
    // A reply without `read`: the whole length was read, or the thread failed (then `error`).
    const reads = replies.map((r) => r.read?.done ?? length);
    const done = Math.min(...reads);
    this.count -= length - done;
    if (reads.some((n) => n !== done)) this.broken = true; // the lanes saw different bytes
    const failed = replies.find((r) => r.read?.code !== undefined);
    if (failed) {
      this.broken = true;
      throw Object.assign(new Error(failed.error ?? 'read failed'), { code: failed.read!.code });
    }
    if (replies.some((r) => r.error && !r.read)) this.broken = true; // a thread failed: the digest is unusable
    return done;
  }

  async finish(): Promise<DigestResult> {
    this.settle();
    if (this.broken) throw new Error('digest worker failed');
    const replies = await Promise.all(this.lanes.map((lane) => lane.thread.call(lane.worker, { op: 'finish', id: this.id, part: lane.part, seq: this.nextSeq() })));
    const results = replies.map((r) => {
      if (r.error || !r.result) throw new Error(`digest worker failed: ${r.error ?? 'no result'}`);
      return r.result;
    });
    if (results.length === 1) return results[0]!;
    const [fits, sha] = results as [DigestResult, DigestResult];
    if (fits.bytes !== sha.bytes) throw new Error(`digest worker failed: its halves hashed ${fits.bytes} and ${sha.bytes} bytes`);
    return { sha256: sha.sha256, bytes: fits.bytes, fits: fits.fits };
  }

  dispose(): void {
    if (this.settled) return; // finished or already dropped
    this.settle();
    for (const lane of this.lanes) if (!this.broken && !lane.thread.failed) lane.worker.postMessage({ op: 'drop', id: this.id, seq: 0 } satisfies DigestRequest);
  }
}

/** Digest threads by default: two, so that concurrent files hash on both cores of a small machine. */
const DEFAULT_THREADS = Math.max(1, Math.min(2, availableParallelism()));

export class DigestService {
  private threads: DigestThread[] | undefined;
  private nextId = 1;
  private nextSeq = 1;

  /**
   * `useWorker: false` hashes on this thread; `workerFile` replaces the worker script (tests);
   * `threads` worker threads share the streams (each stream stays on one, which hashes it in order);
   * `bootTimeoutMs`: a thread that has not answered by then is given up (its streams fail);
   * `startThread` replaces `new Worker` (tests); `split: false` never splits a stream over two
   * threads (ThreadedDigest).
   */
  constructor(private readonly options: { useWorker?: boolean; workerFile?: string; threads?: number; bootTimeoutMs?: number; startThread?: ThreadStarter; split?: boolean } = {}) {}

  /**
   * A digest for a stream of about `expectedBytes` (undefined: unknown). A stream of at most
   * SMALL_STREAM bytes hashes on this thread while no digest thread has answered yet: it would
   * otherwise wait for one to boot (~0.1 s, 0.15-0.3 s while other threads boot beside it) to hash
   * what this thread hashes in a few ms; a one-shot download of small files then starts no thread.
   */
  create(expectedBytes?: number): StreamDigest {
    if (expectedBytes !== undefined && expectedBytes <= SMALL_STREAM && this.options.useWorker !== false && !this.threads?.some((t) => t.answered && !t.failed)) return new InThreadDigest();
    const thread = this.pickThread();
    const worker = thread?.get();
    if (!thread || !worker) return new InThreadDigest();
    // The others boot now too (if not yet started): the next streams, or the halves of one, go there.
    this.warm();
    const partner = this.options.split === false ? () => undefined : () => this.idlePartner(thread);
    return new ThreadedDigest(this.nextId++, { thread, worker }, partner, () => this.nextSeq++);
  }

  /**
   * Starts up to `count` digest threads now, so their boot (~0.1 s, longer on a loaded machine)
   * overlaps the job's set-up instead of holding the first buffers of its first file. The
   * download manager starts both: even a job of one file uses two, its digest split over them.
   * Never throws: a thread that cannot be made now is made on first use, or hashing stays here.
   */
  warm(count = Number.POSITIVE_INFINITY): void {
    if (!this.pickThread()) return;
    for (const t of (this.threads ?? []).slice(0, count)) t.get();
  }

  /**
   * Starts the first digest thread not started yet (a one-shot run starts them one per turn:
   * each `new Worker` holds the caller's thread a few ms); false when none is left to start.
   */
  warmOne(): boolean {
    if (!this.pickThread()) return false;
    const next = this.threads?.find((t) => !t.started);
    next?.get();
    return next !== undefined;
  }

  /**
   * Resolves once every digest thread started (warm) has answered or failed and `also` (other
   * threads' boots: the write thread) has settled, or after `maxMs`: a one-shot download waits for
   * them before its first request (DownloadManager).
   */
  async running(maxMs: number, also: Array<Promise<void>> = []): Promise<void> {
    const boots = [...(this.threads ?? []).flatMap((t) => t.booting() ?? []), ...also];
    if (boots.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(boots), new Promise((resolve) => (timer = setTimeout(resolve, maxMs)))]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    const threads = this.threads ?? [];
    this.threads = [];
    await Promise.all(threads.map((t) => t.close()));
  }

  /** A running thread other than `thread` with no stream: half of a new stream's digest can go there. */
  private idlePartner(thread: DigestThread): Lane | undefined {
    for (const t of this.threads ?? []) {
      if (t === thread || t.failed || !t.answered || t.active > 0) continue;
      const worker = t.get();
      if (worker) return { thread: t, worker };
    }
    return undefined;
  }

  /** The live thread with the fewest streams; undefined when hashing must stay on this thread. */
  private pickThread(): DigestThread | undefined {
    if (this.options.useWorker === false) return undefined;
    if (!this.threads) {
      const file = this.options.workerFile ?? workerFile();
      this.threads = file ? Array.from({ length: Math.max(1, this.options.threads ?? DEFAULT_THREADS) }, () => new DigestThread(file, this.options.bootTimeoutMs, this.options.startThread)) : [];
    }
    let best: DigestThread | undefined;
    for (const t of this.threads) if (!t.failed && (!best || t.active < best.active)) best = t;
    return best;
  }
}

const FEED_PIECE = 2 * 1024 * 1024;

/**
 * Largest stream hashed on the caller's thread while no digest thread runs yet (DigestService.create):
 * SHA-256 and the FITS sum of 8 MiB take ~6 ms here, in pieces of at most one 2 MiB buffer.
 */
export const SMALL_STREAM = 8 * 1024 * 1024;

/**
 * Reusable shared-memory buffers. They must be reused, not left to the garbage collector: once
 * the digest worker has seen a SharedArrayBuffer, its memory lives until both threads collect it,
 * and the worker's small heap is rarely collected.
 *
 * The first `keep` buffers are slots of one shared WebAssembly memory (made on first use; its
 * pages cost memory only once touched), which the digest threads are given: they sum a slot's
 * FITS checksum in place (src/fits/ones-sum.ts) instead of copying it into wasm memory first
 * (~0.06 CPU s/GiB, session 13). Beyond those, and where WebAssembly is missing, plain
 * SharedArrayBuffers, as before.
 */
export class SharedBufferPool {
  private readonly free: Buffer[] = [];
  private readonly freeSlots: Buffer[] = [];
  private memory: (WasmMemory & { readonly buffer: SharedArrayBuffer }) | null | undefined;
  private slotsMade = 0;
  private firstSlot = 0;
  constructor(readonly size: number, private readonly keep = 32) {}

  /** The memory the slots live in (undefined where WebAssembly or shared memory is missing). */
  wasmMemory(): WasmMemory | undefined {
    if (this.memory === undefined) {
      try {
        // Slots start at a page boundary above sum.c's low addresses.
        this.firstSlot = Math.ceil(sumHeapStart() / 65_536) * 65_536;
        this.memory = sharedWasmMemory((this.firstSlot + this.keep * this.size) / 65_536);
      } catch {
        this.memory = null;
      }
    }
    return this.memory ?? undefined;
  }

  take(): Buffer {
    const slot = this.freeSlots.pop();
    if (slot) return slot;
    const memory = this.wasmMemory() as { readonly buffer: SharedArrayBuffer } | undefined;
    if (memory && this.slotsMade < this.keep) return Buffer.from(memory.buffer, this.firstSlot + this.size * this.slotsMade++, this.size);
    return this.free.pop() ?? Buffer.from(new SharedArrayBuffer(this.size));
  }

  give(buf: Buffer): void {
    if (this.memory && buf.buffer === this.memory.buffer) this.freeSlots.push(buf);
    else if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }

  /** How an update message names shared bytes: a place in the pool's memory, or their buffer. */
  where(data: Uint8Array): { buffer?: ArrayBufferLike; inPool?: true; offset: number; length: number } {
    if (this.memory && data.buffer === this.memory.buffer) return { inPool: true, offset: data.byteOffset, length: data.length };
    return { buffer: data.buffer, offset: data.byteOffset, length: data.length };
  }
}

/** The buffers of download streams and file digests (2 MiB each). */
export const sharedBuffers = new SharedBufferPool(FEED_PIECE);

/**
 * Feeds bytes [from, length) of `path` into `digest`, reading the next piece while the last one
 * is hashed.
 */
export async function feedFile(digest: StreamDigest, fs: FileLayer, path: string, length: number | undefined, signal?: AbortSignal, from = 0): Promise<void> {
  const file = await fs.openReadable(path);
  if (digest.updateFromFile && file.fd !== undefined && length !== undefined) return feedFromThread(digest, digest.updateFromFile, file, file.fd, length, signal, from);
  const buffers = [sharedBuffers.take(), sharedBuffers.take()];
  const hashing: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  try {
    for (let pos = from, i = 0; ; i ^= 1) {
      signal?.throwIfAborted();
      const want = length === undefined ? FEED_PIECE : Math.min(FEED_PIECE, length - pos);
      if (want <= 0) break;
      await hashing[i];
      const buf = buffers[i]!;
      const n = await file.read(want === FEED_PIECE ? buf : buf.subarray(0, want), pos);
      if (n === 0) break;
      hashing[i] = digest.update(buf.subarray(0, n));
      pos += n;
    }
    await Promise.all(hashing);
  } finally {
    // Only buffers no digest still reads go back to the pool.
    await Promise.allSettled(hashing);
    for (const b of buffers) sharedBuffers.give(b);
    await file.close();
  }
}

/** Bytes per read-and-hash request a digest thread gets from feedFile (two are posted ahead). */
const FILE_PIECE = 8 * 1024 * 1024;

/**
 * feedFile on the digest's own thread: it reads the bytes (pread) and hashes them, one message per
 * FILE_PIECE and a second one queued behind it, so the thread never waits for this one. Before,
 * every 2 MiB was a read through libuv, a hand-off back here and a message to the thread (out of
 * order, 4 connections per file: ~1,500 events of this thread per GiB read back).
 */
async function feedFromThread(digest: StreamDigest, updateFromFile: NonNullable<StreamDigest['updateFromFile']>, file: ReadableFile, fd: number, length: number, signal: AbortSignal | undefined, from: number): Promise<void> {
  const inFlight: Array<{ n: number; hashed: Promise<number> }> = [];
  try {
    for (let pos = from; pos < length; ) {
      signal?.throwIfAborted();
      if (inFlight.length === 2) {
        const first = inFlight.shift()!;
        if ((await first.hashed) < first.n) return; // the file ended first (as read() returning 0)
      }
      const n = Math.min(FILE_PIECE, length - pos);
      const hashed = updateFromFile.call(digest, fd, pos, n);
      hashed.catch(() => undefined); // awaited below: a failure surfaces there
      inFlight.push({ n, hashed });
      pos += n;
    }
    while (inFlight.length > 0) await inFlight.shift()!.hashed;
  } finally {
    // The thread reads the descriptor: it closes only once no request is left.
    await Promise.allSettled(inFlight.map((r) => r.hashed));
    await file.close();
  }
}
