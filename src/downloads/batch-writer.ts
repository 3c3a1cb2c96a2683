/**
 * Turns response bodies into large in-order writes of one file. The connection reads body bytes
 * straight into one of a few pooled WRITE_BATCH buffers (a BodyTarget; bytes that arrive another
 * way are copied in through the sink); a full buffer is written
 * (writes chained, strictly in order) and hashed on the digest worker while the other one fills,
 * so network, disk and hashing overlap. The connection is paused whenever no buffer could take
 * another read, so memory stays at BUFFERS buffers whatever the disk or hash speed.
 *
 * The writer lives across the bodies of consecutive Range requests: on a fast link the tail of
 * one piece stays in the buffer the next piece goes on filling (buffers go out full, not one
 * partial write and digest message per request), on a slow one (TAIL_FLUSH_MS) it is written at
 * the piece's end; nothing waits between pieces, so the next piece streams at once.
 * On a slow link a buffer is also written once it has held bytes for FLUSH_AFTER_MS (within a
 * body, or between bodies by a timer), so a crash loses little and progress moves. `onWritten`
 * reports every range that reached the disk, right after its write.
 */
import { DiskFullError, RangeMismatchError } from './errors.js';
import type { WritableFile } from './file-layer.js';
import { sharedBuffers, type StreamDigest } from './digest-service.js';
import { READ_SIZE, type BodyTarget, type ResponseBody } from './http1-client.js';

export const WRITE_BATCH = sharedBuffers.size;
/** Buffers per writer: one filling, the others being written and hashed (4 × 2 MiB measured best). */
const BUFFERS = 4;
/**
 * A writer short of buffers is woken when this many of its buffers are still with the digest
 * thread: one wake-up per BUFFERS - 2 buffers, while the thread still has one to work on.
 */
const HURRY_KEEP = 1;
/** Bytes are not kept in memory longer than this before being written. */
const FLUSH_AFTER_MS = 1000;
/**
 * A piece's tail is written at the piece's end when its buffer has held bytes this long (a slow
 * link, where a piece's bytes are on disk at its end as always); on a fast one (a 5 MiB piece in
 * ~20 ms on loopback) the next piece goes on filling the buffer.
 */
const TAIL_FLUSH_MS = 100;

export class BatchWriter {
  private readonly owned: Buffer[] = [];
  private readonly spare: Buffer[] = [];
  private current: Buffer;
  private fill = 0;
  /** File position of `current[0]`. */
  private queued: number;
  private chain: Promise<void> = Promise.resolve();
  private releases: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private body: ResponseBody | undefined;
  private stop = Number.POSITIVE_INFINITY;
  private overrun = false;
  private waiting = false;
  private closed = false;
  /** Resolved whenever a buffer comes back. */
  private readonly freed: Array<() => void> = [];
  /** When the current buffer received its first byte. */
  private bufferedSince = 0;
  /** Buffers queued to be written on this thread's side (not by the digest thread), not yet written. */
  private writesHere = 0;
  /** Writes a piece's tail left in `current` if no body goes on filling it (see take). */
  private tailTimer: NodeJS.Timeout | undefined;
  /** The digest saw bytes out of file order: it must not be used. */
  digestBroken = false;

  constructor(
    private readonly file: WritableFile,
    start: number,
    private readonly digest: StreamDigest | undefined,
    private readonly onWritten: (pos: number, length: number) => void,
  ) {
    this.queued = start;
    this.current = this.newBuffer();
    for (let i = 1; i < BUFFERS; i++) this.spare.push(this.newBuffer());
  }

  /** Position after the last byte received (buffered or written). */
  get received(): number {
    return this.queued + this.fill;
  }

  /**
   * Streams `body`, whose first byte belongs at `pos`, up to `stop` at most. Resolves when the
   * body ends (its bytes may still be in a buffer); rejects with the body's error, or
   * RangeMismatchError when the server sends more than announced, or the write error.
   */
  async take(body: ResponseBody, pos: number, stop: number): Promise<void> {
    if (this.writeError !== undefined) throw this.writeError;
    if (pos !== this.received) {
      // A jump (pieces of one connection need not be adjacent): write what is buffered first,
      // waiting for a free buffer rather than allocating one.
      while (this.fill > 0 && this.spare.length === 0 && this.writeError === undefined) {
        this.digest?.hurry?.(HURRY_KEEP);
        await new Promise<void>((r) => this.freed.push(r));
      }
      this.flush();
      this.queued = pos;
      if (this.digest) this.digestBroken = true;
    }
    const bodyStart = pos;
    this.body = body;
    this.stop = stop;
    this.overrun = false;
    let failure: unknown;
    try {
      await body.pipe(this.sink, this.target);
    } catch (err) {
      failure = err;
    } finally {
      this.body = undefined;
      this.waiting = false;
    }
    if (this.writeError !== undefined) {
      await this.settle();
      throw this.writeError;
    }
    if (this.overrun) {
      // Not a byte of a body that overran is kept, when none of it has been issued yet.
      if (bodyStart >= this.queued) this.fill = bodyStart - this.queued;
      throw new RangeMismatchError(`server sent more bytes than announced (past byte ${stop})`);
    }
    if (failure !== undefined) throw failure;
    // On a slow link (the buffer has held bytes for TAIL_FLUSH_MS) the tail is written now, while
    // the next piece streams (not waited for): each piece on disk and recorded at its end. On a
    // fast one it stays in `current` for the next piece of this connection to go on filling (the
    // next piece is usually adjacent), so buffers go out full: a flush per piece cost a partial
    // write and a message to each digest thread per Range request. A jump, drain or close writes
    // it, or the timer once it has waited FLUSH_AFTER_MS between bodies (one timer per
    // FLUSH_AFTER_MS at most, not one per piece).
    if (this.fill > 0 && this.spare.length > 0 && performance.now() - this.bufferedSince > TAIL_FLUSH_MS) this.flush();
    if (this.fill > 0 && this.tailTimer === undefined) {
      this.tailTimer = setTimeout(() => {
        this.tailTimer = undefined;
        if (this.body === undefined && !this.closed && this.fill > 0 && this.spare.length > 0) this.flush();
      }, FLUSH_AFTER_MS);
      this.tailTimer.unref();
    }
  }

  /** Writes everything buffered and waits for every write and hash; throws a write error. */
  async drain(): Promise<void> {
    this.flush();
    await this.settle();
    if (this.writeError !== undefined) throw this.writeError;
  }

  /** Drains (keeping the bytes already received) and gives the buffers back to the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain().catch(() => undefined);
    this.closed = true;
    clearTimeout(this.tailTimer);
    for (const buf of this.owned) sharedBuffers.give(buf);
  }

  private readonly sink = (chunk: Buffer): boolean => {
    if (this.writeError !== undefined || this.overrun) return false;
    if (this.queued + this.fill + chunk.length > this.stop) {
      this.overrun = true;
      this.body?.discard();
      return false;
    }
    if (this.fill === 0) this.bufferedSince = performance.now();
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(WRITE_BATCH - this.fill, chunk.length - offset);
      chunk.copy(this.current, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === WRITE_BATCH) {
        this.flush();
        this.bufferedSince = performance.now();
      }
    }
    return this.afterFill();
  };

  /**
   * Lends the free end of the current buffer to the connection (bounded by `stop`). Without a
   * spare buffer the last byte is kept back: filling `current` would force a flush with nothing
   * to go on with; but not while waiting (paused), as the body resumes only once a buffer came
   * back. Nothing moves `current` until `filled` (see BodyTarget).
   */
  private readonly target: BodyTarget = {
    lend: () => {
      if (this.writeError !== undefined || this.overrun) return undefined;
      const room = Math.min(WRITE_BATCH - this.fill - (this.spare.length > 0 || this.waiting ? 0 : 1), this.stop - this.received);
      return room > 0 ? this.current.subarray(this.fill, this.fill + room) : undefined;
    },
    filled: (n) => {
      if (this.fill === 0) this.bufferedSince = performance.now();
      this.fill += n;
      if (this.fill === WRITE_BATCH) {
        this.flush();
        this.bufferedSince = performance.now();
      }
      return this.afterFill();
    },
  };

  /** After bytes came in: flush a buffer held too long; false (pause) when no more can be taken. */
  private afterFill(): boolean {
    if (this.fill > 0 && performance.now() - this.bufferedSince > FLUSH_AFTER_MS && this.spare.length > 0) this.flush();
    if (this.canTakeMore()) return true;
    this.waiting = true;
    // Paused until buffers come back: ask the digest thread to say when all but one are done.
    this.digest?.hurry?.(HURRY_KEEP);
    return false;
  }

  /** Room for the largest read without filling the current buffer, unless a spare one is ready. */
  private canTakeMore(): boolean {
    return this.spare.length > 0 || WRITE_BATCH - this.fill > READ_SIZE;
  }

  private newBuffer(): Buffer {
    const buf = sharedBuffers.take();
    this.owned.push(buf);
    return buf;
  }

  private async settle(): Promise<void> {
    this.digest?.hurry?.(0);
    await this.chain;
    await this.releases;
  }

  /** Issues the write (and hash) of the current buffer. */
  private flush(): void {
    if (this.fill === 0) return;
    const buf = this.current;
    const length = this.fill;
    const at = this.queued;
    this.queued += length;
    this.current = this.spare.pop() ?? this.newBuffer();
    this.fill = 0;
    const data = buf.subarray(0, length);
    // In order with a digest on a running thread: that thread writes and hashes the buffer (one
    // message each way); else the bytes are hashed there and written here (the write thread, or
    // libuv). Writes stay in file order: after a buffer written here, the next one goes to the
    // digest thread only once the chain reaches it (a .part written in order is trusted up to its
    // size on resume, so no byte may land past one not yet written).
    const { digest, file } = this;
    const viaDigest = digest?.updateAndWrite !== undefined && file.writeVia !== undefined && digest.writesNow?.() === true;
    // Lazy: the digest thread does not answer each buffer; we hurry it when we wait (see DigestThread).
    const post = (lazy: boolean) => file.writeVia!(data, at, (fd) => digest!.updateAndWrite!(data, fd, at, lazy));
    let posted = viaDigest && this.writesHere === 0 ? post(true) : undefined;
    posted?.catch(() => undefined); // its error is taken in the chain
    const hashed = viaDigest ? undefined : digest?.update(data);
    if (!viaDigest) this.writesHere++;
    this.chain = this.chain.then(async () => {
      if (this.writeError !== undefined) return;
      try {
        // Posted late (after writes made here), perhaps while a caller already waits: not lazy.
        if (viaDigest) posted ??= post(false);
        // Not written by the digest thread (it failed), or not meant to be: written here, in order.
        if (!(await (posted ?? false))) await this.file.write(data, at);
        this.onWritten(at, length);
      } catch (err) {
        if (err instanceof DiskFullError && err.bytesWritten > 0) this.onWritten(at, err.bytesWritten);
        this.writeError = err;
        this.body?.discard();
      } finally {
        if (!viaDigest) this.writesHere--;
      }
    });
    // The buffer is free again once it is both on disk and hashed.
    const released = Promise.all([this.chain, hashed, posted?.catch(() => undefined)]).then(() => {
      this.spare.push(buf);
      for (const wake of this.freed.splice(0)) wake();
      if (this.waiting && this.canTakeMore() && this.writeError === undefined) {
        this.waiting = false;
        this.body?.resume();
      }
    });
    this.releases = Promise.all([this.releases, released]).then(() => undefined);
  }
}
