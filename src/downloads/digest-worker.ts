/**
 * Worker thread of DigestService: SHA-256 and FITS checksums of download streams, off the event
 * loop. Messages are handled in order, so a stream's updates are hashed in the order they were
 * posted. Finished updates are counted in memory shared with the sender (which then reuses the
 * buffer), not answered one by one; a failed one is also posted back, and the sender may ask to
 * be woken after a given update (WAKE_AT in digest-service.ts).
 *
 * An update may also carry a positional write of the same bytes (`write`): the .part file of a
 * file downloaded in order is written here, in WRITE_PIECE pwrites, before the bytes are hashed,
 * so a buffer costs one message each way instead of two (every message wakes a sleeping thread,
 * which on the session-10 VM cost ~0.5 ms of the event loop's time per write message). Once a
 * stream's write fails, its later writes are not attempted (no bytes land past a hole).
 *
 * A stream split over two threads (`part`, see ThreadedDigest) is known to each by the same id:
 * one writes and sums the FITS checksums, the other computes the SHA-256 of the same bytes.
 */
import { readSync, readlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ContentDigest } from './content-digest.js';
import { FAILURES, HANDLED, WAKE_AT, type DigestRequest, type DigestReply } from './digest-service.js';
import type { WriteOutcome } from './write-thread.js';
import { BACKGROUND_NICE, lowerThreadPriority } from '../core/thread-priority.js';
import { inPlaceSumBuffer, sumInPlaceOver } from '../fits/ones-sum.js';
import type { WasmMemory } from '../core/wasm-module.js';

const port = parentPort;
if (!port) throw new Error('digest-worker must run in a worker thread');
// Bulk work: the event loop, when it wakes, gets a core before this thread (core/thread-priority.ts).
lowerThreadPriority(os, readlinkSync, BACKGROUND_NICE);
const digests = new Map<number, ContentDigest>();
/** Streams whose write failed, with that failure: their later writes are skipped and report it again. */
const writeFailed = new Map<number, { code: string; message: string }>();

function write(id: number, fd: number, bytes: Uint8Array, position: number, piece: number): WriteOutcome {
  // the same cause (e.g. ENOSPC) as the write that failed, so the caller classifies it the same way
  const earlier = writeFailed.get(id);
  if (earlier) return { done: 0, code: earlier.code, message: `an earlier write of this file failed: ${earlier.message}` };
  let done = 0;
  try {
    while (done < bytes.length) {
      const n = Math.min(piece, bytes.length - done);
      done += writeSync(fd, bytes, done, n, position + done);
    }
    return { done };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const failure = { code: e.code ?? 'EIO', message: String(e.message) };
    writeFailed.set(id, failure);
    return { done, ...failure };
  }
}

/** Bytes written, then hashed, at a time: they are still in this core's L2 when hashed. */
const HASH_STEP = 256 * 1024;

/**
 * Writes `bytes` (as `write`) and hashes them, HASH_STEP at a time rather than all written, then
 * all hashed: the kernel's copy into the page cache has just pulled each step into this core's
 * cache (the bytes arrive written by the event loop's core). Every byte is hashed even when a write
 * fails, as before; the outcome counts the bytes written.
 */
function writeAndHash(id: number, fd: number, bytes: Uint8Array, position: number, piece: number, d: ContentDigest): WriteOutcome {
  let outcome: WriteOutcome = { done: 0 };
  for (let at = 0; at < bytes.length; at += HASH_STEP) {
    const step = bytes.subarray(at, at + HASH_STEP);
    if (outcome.code === undefined) {
      const w = write(id, fd, step, position + at, piece);
      outcome = { ...w, done: outcome.done + w.done };
    }
    d.update(step);
  }
  return outcome;
}

/** Where `updateFromFile` reads (allocated on first use; reused, so its pages stay this thread's). */
const READ_PIECE = 2 * 1024 * 1024;
let scratch: Uint8Array | undefined;
/** The read-back buffer: in a wasm memory of its own (the FITS sum reads it in place), else plain. */
function readBuffer(): Uint8Array {
  try {
    return inPlaceSumBuffer(READ_PIECE);
  } catch {
    return Buffer.allocUnsafeSlow(READ_PIECE);
  }
}

// Shared with DigestService's thread: finished updates are counted there, not answered one by one.
const shared = (workerData as { state?: Int32Array } | null)?.state;
// The download buffers' memory (SharedBufferPool): their FITS sums are taken in place.
const poolMemory = (workerData as { poolMemory?: WasmMemory } | null)?.poolMemory;
try {
  if (poolMemory) sumInPlaceOver(poolMemory);
} catch {
  // no in-place sums here: the pool's bytes are copied into wasm memory as other bytes are
}
const state = shared instanceof Int32Array ? shared : new Int32Array(new SharedArrayBuffer(3 * 4));
let handled = 0;

/** Counts an update as finished (a failure is posted first) and wakes the other side if it asked. */
function finished(failure?: DigestReply): void {
  if (failure) {
    port!.postMessage(failure);
    Atomics.add(state, FAILURES, 1);
  }
  handled = Atomics.add(state, HANDLED, 1) + 1;
  for (;;) {
    const at = Atomics.load(state, WAKE_AT);
    if (at === 0 || handled < at) return;
    if (Atomics.compareExchange(state, WAKE_AT, at, 0) === at) {
      port!.postMessage({ wake: true } satisfies DigestReply);
      return;
    }
  }
}

port.on('message', (m: DigestRequest) => {
  if (m.op === 'update') {
    const n = handled + 1;
    let written: WriteOutcome | undefined;
    try {
      const source = m.inPool ? poolMemory?.buffer : m.buffer;
      if (!source) throw new Error('an update without its bytes');
      const bytes = new Uint8Array(source, m.offset, m.length);
      let d = digests.get(m.id);
      if (!d) digests.set(m.id, (d = new ContentDigest(m.part)));
      if (m.write) written = writeAndHash(m.id, m.write.fd, bytes, m.write.position, m.write.piece, d);
      else d.update(bytes);
    } catch (err) {
      finished({ n, written, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    finished(written && (written.code !== undefined || written.done < m.length) ? { n, written } : undefined);
    return;
  }
  if (m.op === 'updateFromFile') {
    const n = handled + 1;
    let done = 0;
    try {
      let d = digests.get(m.id);
      if (!d) digests.set(m.id, (d = new ContentDigest(m.part)));
      scratch ??= readBuffer();
      while (done < m.length) {
        let got: number;
        try {
          got = readSync(m.fd, scratch, 0, Math.min(scratch.length, m.length - done), m.position + done);
        } catch (err) {
          // The read's own failure goes back with its errno, as FileHandle.read's would have.
          const e = err as NodeJS.ErrnoException;
          finished({ n, read: { done, code: e.code ?? 'EIO' }, error: String(e.message) });
          return;
        }
        if (got === 0) break; // the end of the file
        d.update(scratch.subarray(0, got));
        done += got;
      }
    } catch (err) {
      finished({ n, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    finished(done < m.length ? { n, read: { done } } : undefined);
    return;
  }
  if (m.op === 'finish') {
    let reply: DigestReply;
    try {
      const d = digests.get(m.id) ?? new ContentDigest(m.part);
      reply = { seq: m.seq, result: d.finish() };
    } catch (err) {
      reply = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
    }
    digests.delete(m.id);
    writeFailed.delete(m.id);
    port.postMessage(reply);
    return;
  }
  digests.delete(m.id);
  writeFailed.delete(m.id);
});
// Running: the first writes may be posted here now (writesNow).
port.postMessage({ ready: true } satisfies DigestReply);
