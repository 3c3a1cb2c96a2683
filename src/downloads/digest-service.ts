/**
 * Streaming digests (SHA-256 + FITS CHECKSUM/DATASUM) computed on worker threads, so hashing
 * (~0.5 CPU s/GiB) runs beside the event loop that moves the bytes instead of on it, and the
 * streams of files downloaded at once hash on different cores.
 *
 * `update(data)` resolves once the worker has hashed `data`: until then the caller must not
 * change those bytes. Data in a SharedArrayBuffer is read in place (no copy); other data is
 * copied into the message. If the worker cannot start or dies, digests are computed on this
 * thread, or (for a stream cut short) `finish()` rejects and the caller reads the file again.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ContentDigest, type DigestResult } from './content-digest.js';
import type { FileLayer } from './file-layer.js';
import { WRITE_PIECE, type WriteOutcome } from './write-thread.js';

export interface StreamDigest {
  update(data: Uint8Array): Promise<void>;
  /**
   * Hashes `data` (shared memory) and writes it at `position` of descriptor `fd` on the digest's
   * thread, in WRITE_PIECE pwrites; resolves with what the write did once both are done.
   * Undefined when the thread cannot (no worker, data not shared, or the thread failed: then the
   * bytes may not be written and the digest is unusable): the caller writes them itself.
   * Absent on digests that hash on the caller's thread.
   */
  updateAndWrite?(data: Uint8Array, fd: number, position: number): Promise<WriteOutcome | undefined>;
  /**
   * True once the digest's thread has answered a first message (it is running): until then a
   * write posted to it would wait for the thread to boot (~0.1 s, seconds under tsx on a loaded
   * machine) and bytes a crash loses would pile up; write elsewhere meanwhile.
   */
  writesNow?(): boolean;
  /** Bytes fed so far (NaN once the digest is unusable). */
  readonly bytes: number;
  finish(): Promise<DigestResult>;
  /** Gives the digest up without a result. */
  dispose(): void;
}

export type DigestRequest =
  | { op: 'update'; id: number; seq: number; buffer: ArrayBufferLike; offset: number; length: number; write?: { fd: number; position: number; piece: number } }
  | { op: 'finish'; id: number; seq: number }
  | { op: 'drop'; id: number; seq: number };
export type DigestReply = { seq: number; result?: DigestResult; written?: WriteOutcome; error?: string };

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

/** One digest worker thread and the replies it still owes. */
class DigestThread {
  private worker: Worker | undefined;
  failed = false;
  /** The worker has answered at least once (it has booted). */
  answered = false;
  /** Digests created on this thread and not yet finished or dropped. */
  active = 0;
  private readonly waiting = new Map<number, { resolve: (r: DigestReply) => void }>();

  constructor(private readonly file: string) {}

  /** The running worker, started on first use; undefined once it failed. */
  get(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    // Under tsx (tests, `npm run dev`) the worker is TypeScript: register tsx in the thread first.
    const url = JSON.stringify(pathToFileURL(this.file).href);
    const source = this.file.endsWith('.ts') ? `import('tsx/esm/api').then((t) => t.register()).then(() => import(${url}))` : `import(${url})`;
    const worker = new Worker(source, { eval: true });
    worker.unref();
    worker.on('message', (reply: DigestReply) => {
      this.answered = true;
      const w = this.waiting.get(reply.seq);
      if (!w) return;
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) worker.unref();
      w.resolve(reply);
    });
    const fail = (why: string) => {
      this.failed = true;
      this.worker = undefined;
      for (const [seq, w] of this.waiting) w.resolve({ seq, error: why });
      this.waiting.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', () => fail('digest worker exited'));
    this.worker = worker;
    return worker;
  }

  send(worker: Worker, m: DigestRequest, transfer?: ArrayBuffer[]): Promise<DigestReply> {
    return new Promise((resolve) => {
      // A dead worker drops messages silently: answer at once instead of waiting forever.
      if (this.failed || this.worker !== worker) {
        resolve({ seq: m.seq, error: 'digest worker is not running' });
        return;
      }
      // A worker with work in flight keeps the process alive; an idle one does not.
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(m.seq, { resolve });
      try {
        worker.postMessage(m, transfer);
      } catch (err) {
        this.waiting.delete(m.seq);
        resolve({ seq: m.seq, error: err instanceof Error ? err.message : String(err) });
      }
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failed = true;
    if (w) await w.terminate();
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
   * `threads` worker threads share the streams (each stream stays on one, which hashes it in order).
   */
  constructor(private readonly options: { useWorker?: boolean; workerFile?: string; threads?: number } = {}) {}

  create(): StreamDigest {
    const thread = this.pickThread();
    const worker = thread?.get();
    if (!thread || !worker) return new InThreadDigest();
    const id = this.nextId++;
    thread.active++;
    let done = false;
    const settle = () => {
      if (!done) thread.active--;
      done = true;
    };
    let bytes = 0;
    let broken = false;
    return {
      get bytes() {
        return broken ? Number.NaN : bytes;
      },
      update: async (data) => {
        if (broken) return;
        bytes += data.length;
        let message: DigestRequest;
        let transfer: ArrayBuffer[] | undefined;
        if (data.buffer instanceof SharedArrayBuffer) {
          message = { op: 'update', id, seq: this.nextSeq++, buffer: data.buffer, offset: data.byteOffset, length: data.length };
        } else {
          // A fresh copy (Buffer#slice would be a view into a pooled allocation).
          const copy = new Uint8Array(data.length);
          copy.set(data);
          message = { op: 'update', id, seq: this.nextSeq++, buffer: copy.buffer, offset: 0, length: copy.length };
          transfer = [copy.buffer as ArrayBuffer];
        }
        const reply = await thread.send(worker, message, transfer);
        if (reply.error) broken = true;
      },
      writesNow: () => !broken && thread.answered && !thread.failed,
      updateAndWrite: async (data, fd, position) => {
        if (broken) return undefined;
        if (!(data.buffer instanceof SharedArrayBuffer)) {
          broken = true; // neither hashed nor written: the caller writes, and the file is hashed after
          return undefined;
        }
        bytes += data.length;
        const write = { fd, position, piece: WRITE_PIECE };
        const reply = await thread.send(worker, { op: 'update', id, seq: this.nextSeq++, buffer: data.buffer, offset: data.byteOffset, length: data.length, write });
        if (reply.error) broken = true;
        // A reply without the write's outcome: the thread died (or never wrote); written elsewhere.
        return reply.written;
      },
      finish: async () => {
        settle();
        if (broken) throw new Error('digest worker failed');
        const reply = await thread.send(worker, { op: 'finish', id, seq: this.nextSeq++ });
        if (reply.error || !reply.result) throw new Error(`digest worker failed: ${reply.error ?? 'no result'}`);
        return reply.result;
      },
      dispose: () => {
        if (done) return; // finished or already dropped
        settle();
        if (!broken && !thread.failed) worker.postMessage({ op: 'drop', id, seq: 0 } satisfies DigestRequest);
      },
    };
  }

  async close(): Promise<void> {
    const threads = this.threads ?? [];
    this.threads = [];
    await Promise.all(threads.map((t) => t.close()));
  }

  /** The live thread with the fewest streams; undefined when hashing must stay on this thread. */
  private pickThread(): DigestThread | undefined {
    if (this.options.useWorker === false) return undefined;
    if (!this.threads) {
      const file = this.options.workerFile ?? workerFile();
      this.threads = file ? Array.from({ length: Math.max(1, this.options.threads ?? DEFAULT_THREADS) }, () => new DigestThread(file)) : [];
    }
    let best: DigestThread | undefined;
    for (const t of this.threads) if (!t.failed && (!best || t.active < best.active)) best = t;
    return best;
  }
}

const FEED_PIECE = 2 * 1024 * 1024;

/**
 * Reusable shared-memory buffers. They must be reused, not left to the garbage collector: once
 * the digest worker has seen a SharedArrayBuffer, its memory lives until both threads collect it,
 * and the worker's small heap is rarely collected.
 */
export class SharedBufferPool {
  private readonly free: Buffer[] = [];
  constructor(readonly size: number, private readonly keep = 32) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.from(new SharedArrayBuffer(this.size));
  }

  give(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
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
