/**
 * Start-up work for a process (or worker thread) that will read FITS planes, so that its first
 * real read does not pay for it:
 * - V8 counts ArrayBuffer memory against an external-memory limit that starts at 64 MiB; the first
 *   64 MiB plane of an isolate crosses it and triggers a scavenge plus a full mark-compact (~3 ms).
 *   One untouched 64 MiB buffer is allocated here and handed to the buffer pool: the collection
 *   happens now, the limit is raised past it, and the first 4096² float32 plane reuses the buffer.
 *   Untouched pages are not resident, so this costs address space, not RSS, until a read uses it.
 * - The open/parse/read/swap code is compiled by reading a small in-memory file (~2.5 ms saved),
 *   then the file path itself (fs open/stat/read/close through FileSource, which the in-memory
 *   file does not reach) by writing a 64×64 file into a temporary directory, reading it and
 *   deleting it: measured, a first `FitsFile.open` after the in-memory warm-up alone still took
 *   1.5-2 ms more than after this (docs/fits.md).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseBuffer, takeBuffer } from './buffer-pool.js';
import { FitsFile } from './file.js';
import { readPlane } from './image.js';
import { encodeFits } from './writer.js';

const POOLED_PLANE_BYTES = 64 * 1024 * 1024;
/** Small (256 KiB): a plane over one 4 MiB pipeline chunk would compile a little more but leave
 * ~20 MiB resident in every thread. */
const WARM_WIDTH = 256;
const WARM_HEIGHT = 256;
/** The on-disk warm-up file: small, only the code path matters. */
const WARM_FILE_SIDE = 64;

let started: Promise<void> | undefined;

/** Idempotent; never throws (a failure only means the first read is slower). */
export function prewarmFitsReader(): Promise<void> {
  started ??= (async () => {
    try {
      releaseBuffer(takeBuffer(POOLED_PLANE_BYTES));
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

/** Open, read and close a small real file: the fs and FileSource code the in-memory read skips. */
async function warmFilePath(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fits-prewarm-'));
  try {
    const path = join(dir, 'warm.fits');
    const values = new Float32Array(WARM_FILE_SIDE * WARM_FILE_SIDE);
    await writeFile(path, await encodeFits([{ data: values, axes: [WARM_FILE_SIDE, WARM_FILE_SIDE], bitpix: -32 }]));
    const file = await FitsFile.open(path);
    try {
      await readPlane(file, 0);
    } finally {
      await file.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
