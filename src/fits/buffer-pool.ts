/**
 * An opt-in pool of large buffers. A fresh 64 MiB allocation costs tens of milliseconds of page
 * faults (numpy avoids part of that with huge pages; Node cannot), so a long-running reader that
 * is done with a plane can hand its memory back with `releasePlane` and the next read of a similar
 * size reuses it. Never release a plane that is still in use: its memory will be overwritten.
 */
import { constants } from 'node:buffer';
import type { ImagePlane } from '../core/image-plane.js';
import { FitsError } from './errors.js';

const MAX_LENGTH = constants.MAX_LENGTH;

const MIN_POOLED = 1 << 20;
let maxPooledBytes = 512 * 1024 * 1024;
const pool: ArrayBuffer[] = [];
let pooledBytes = 0;

/** A Buffer of exactly `bytes` bytes, reusing a released one of a close size when possible. */
export function takeBuffer(bytes: number): Buffer {
  if (bytes >= MIN_POOLED) {
    let best = -1;
    for (let i = 0; i < pool.length; i++) {
      const size = pool[i]!.byteLength;
      if (size >= bytes && size <= bytes * 2 && (best < 0 || size < pool[best]!.byteLength)) best = i;
    }
    if (best >= 0) {
      const ab = pool.splice(best, 1)[0]!;
      pooledBytes -= ab.byteLength;
      return Buffer.from(ab, 0, bytes);
    }
  }
  if (bytes > MAX_LENGTH) throw new FitsError('FITS_TOO_LARGE', `cannot hold ${bytes} bytes in one buffer (limit ${MAX_LENGTH})`);
  try {
    return Buffer.allocUnsafeSlow(bytes);
  } catch (err) {
    throw new FitsError('FITS_TOO_LARGE', `cannot allocate ${bytes} bytes`, { cause: err });
  }
}

/** Give a buffer's memory back to the pool (only whole, large ArrayBuffers are kept). */
export function releaseBuffer(view: ArrayBufferView): void {
  const ab = view.buffer;
  if (!(ab instanceof ArrayBuffer) || ab.byteLength < MIN_POOLED || pool.includes(ab)) return;
  if (pooledBytes + ab.byteLength > maxPooledBytes) return;
  pool.push(ab);
  pooledBytes += ab.byteLength;
}

/** Release the memory of a plane returned by readPlane once the caller is completely done with it. */
export function releasePlane(plane: ImagePlane): void {
  releaseBuffer(plane.data);
}

/** The sizes of the buffers the pool holds now (this thread's pool), largest first. */
export function pooledBufferSizes(): number[] {
  return pool.map((ab) => ab.byteLength).sort((a, b) => b - a);
}

/** Set how many bytes the pool may hold (0 empties and disables it). */
export function setBufferPoolLimit(bytes: number): void {
  maxPooledBytes = Math.max(0, bytes);
  while (pooledBytes > maxPooledBytes && pool.length) pooledBytes -= pool.pop()!.byteLength;
}
