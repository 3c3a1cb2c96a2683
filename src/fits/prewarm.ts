/**
 * Start-up work for a process (or worker thread) that will read FITS planes, so that its first
 * real read does not pay for it:
 * - V8 counts ArrayBuffer memory against an external-memory limit that starts at 64 MiB; the first
 *   64 MiB plane of an isolate crosses it and triggers a scavenge plus a full mark-compact (~3 ms).
 *   One untouched 64 MiB buffer is allocated here and handed to the buffer pool: the collection
 *   happens now, the limit is raised past it, and the first 4096² float32 plane reuses the buffer.
 *   Untouched pages are not resident, so this costs address space, not RSS, until a read uses it.
 * - With `residentPlaneBytes` (an engine pool thread: WORKER_PLANE_BUFFER_MB, default 0: off), a
 *   buffer of that size is faulted in now, one write per page, and pooled: the first read of a plane
 *   up to that size (and over half of it: the pool's reuse rule) copies into resident memory instead
 *   of waiting for the kernel to zero fresh pages (9-14 ms for 64 MiB of huge pages, at times 65-95
 *   ms; docs/fits.md). Only that first read gains (the engine's tasks do not hand planes back to the
 *   pool), and the memory is resident from the start until such a read takes it: opt-in.
 * - The open/parse/read/swap code is compiled by reading a small in-memory file (~2.5 ms saved),
 *   then the file path itself (fs open/stat/read of the first blocks/close through openSource,
 *   which the in-memory file does not reach) by opening Node's own executable: it is not FITS, so
 *   the open fails after those steps. A first `FitsFile.open` after the in-memory warm-up alone
 *   took 1.5-2 ms more than after a real file's (docs/fits.md). No temporary file: a pool thread
 *   terminated during its start-up would leave it behind.
 */
import { releaseBuffer, takeBuffer } from './buffer-pool.js';
import { FitsFile } from './file.js';
import { readPlane } from './image.js';
import { encodeFits } from './writer.js';

const POOLED_PLANE_BYTES = 64 * 1024 * 1024;
/** Small (256 KiB): a plane over one 4 MiB pipeline chunk would compile a little more but leave
 * ~20 MiB resident in every thread. */
const WARM_WIDTH = 256;
const WARM_HEIGHT = 256;

/** Bytes between two writes that fault a buffer in: the smallest page size. */
const PAGE_BYTES = 4096;

export interface PrewarmOptions {
  /** Fault in a pooled plane buffer of this many bytes (default 0: the 64 MiB buffer stays untouched). */
  readonly residentPlaneBytes?: number;
}

let started: Promise<void> | undefined;

/** Idempotent (the first call's options count); never throws (a failure only means the first read is slower). */
export function prewarmFitsReader(options: PrewarmOptions = {}): Promise<void> {
  started ??= (async () => {
    try {
      poolPlaneBuffers(Math.max(0, Math.floor(options.residentPlaneBytes ?? 0)));
      const values = new Float32Array(WARM_WIDTH * WARM_HEIGHT);
      const file = await FitsFile.fromBuffer(await encodeFits([{ data: values, axes: [WARM_WIDTH, WARM_HEIGHT], bitpix: -32 }]));
      try {
        await readPlane(file, 0); // not pooled: it would stay resident
      } finally {
        await file.close();
      }
      await warmFilePath();
    } catch {
      // Only a speed-up.
    }
  })();
  return started;
}

/**
 * The untouched 64 MiB buffer (V8's first external-memory collection happens now) and, when asked,
 * a resident one; both taken before either is released, so that the pool's reuse rule cannot hand
 * the first back as the second.
 */
function poolPlaneBuffers(residentBytes: number): void {
  const buffers: Buffer[] = [];
  if (residentBytes > 0) buffers.push(faultIn(takeBuffer(residentBytes)));
  if (residentBytes < POOLED_PLANE_BYTES) buffers.push(takeBuffer(POOLED_PLANE_BYTES));
  for (const buffer of buffers) releaseBuffer(buffer);
}

/** One write per page makes the kernel back every page of the buffer now. */
function faultIn(buffer: Buffer): Buffer {
  for (let at = 0; at < buffer.length; at += PAGE_BYTES) buffer[at] = 0;
  return buffer;
}

/** FitsFile.open on a file that is surely there and readable (the open fails: it is not FITS). */
async function warmFilePath(): Promise<void> {
  try {
    const file = await FitsFile.open(process.execPath);
    await file.close();
  } catch {
    // Expected: FITS_NOT_FITS, after the open, stat, first read and close it was run for.
  }
}
