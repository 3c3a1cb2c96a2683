/**
 * GZIP_1 and GZIP_2 tile codecs. GZIP_1 is a plain gzip (or zlib) stream of the tile's big-endian
 * pixel bytes. GZIP_2 first shuffles the bytes so that all most-significant bytes come first, then
 * all second bytes, and so on, which makes the stream compress better.
 */
import { gunzipSync, unzipSync, constants as zlibConstants } from 'node:zlib';
import { badData } from './errors.js';

/**
 * Inflates a gzip or zlib stream, refusing to produce more than `maxBytes` (a corrupt or hostile
 * tile must not allocate more than the tile can hold).
 */
export function inflateBounded(input: Uint8Array, maxBytes: number, what = 'GZIP'): Uint8Array {
  if (input.length < 2) throw badData(`${what}: compressed tile is too short`);
  try {
    const out = unzipSync(input, {
      maxOutputLength: Math.max(1, maxBytes),
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw badData(`${what}: tile inflates to more than the ${maxBytes} bytes it can hold`, err);
    }
    throw badData(`${what}: corrupt compressed tile (${(err as Error).message})`, err);
  }
}

/** Reverses the GZIP_2 byte shuffle for elements of `elemBytes` bytes. */
export function unshuffleBytes(input: Uint8Array, elemBytes: number): Uint8Array {
  if (elemBytes <= 1) return input;
  const n = Math.floor(input.length / elemBytes);
  const out = new Uint8Array(input.length);
  for (let j = 0; j < elemBytes; j++) {
    const base = j * n;
    for (let i = 0; i < n; i++) out[i * elemBytes + j] = input[base + i]!;
  }
  // any trailing bytes (not a whole element) are left where they were
  for (let k = n * elemBytes; k < input.length; k++) out[k] = input[k]!;
  return out;
}

/**
 * The 16-bit integers of an inflated GZIP_2 tile of `count` elements, the shuffle undone in the same
 * pass as the big-endian conversion: the high bytes are raw[0, count), the low bytes raw[count,
 * 2 count). One loop and no intermediate array (unshuffleBytes and then a byte swap cost two passes
 * and a new array a tile). Writes into `out` when given.
 */
export function unshuffleInt16(raw: Uint8Array, count: number, out: Int16Array = new Int16Array(count)): Int16Array {
  const hi = raw.subarray(0, count);
  const lo = raw.subarray(count, 2 * count);
  for (let i = 0; i < count; i++) out[i] = (hi[i]! << 8) | lo[i]!;
  return out;
}

/** The 32-bit integers of an inflated GZIP_2 tile, as unshuffleInt16 (four byte planes). */
export function unshuffleInt32(raw: Uint8Array, count: number, out: Int32Array = new Int32Array(count)): Int32Array {
  const b0 = raw.subarray(0, count);
  const b1 = raw.subarray(count, 2 * count);
  const b2 = raw.subarray(2 * count, 3 * count);
  const b3 = raw.subarray(3 * count, 4 * count);
  for (let i = 0; i < count; i++) out[i] = (b0[i]! << 24) | (b1[i]! << 16) | (b2[i]! << 8) | b3[i]!;
  return out;
}

/**
 * Inflates a GZIP_1 / GZIP_2 tile holding `count` big-endian elements. The element width is taken
 * from the inflated length (1, 2, 4 or 8 bytes): writers use the image's own width for integers but
 * 4-byte integers for quantized floats, and some older writers widen integers.
 */
export function decodeGzipTile(
  input: Uint8Array,
  count: number,
  shuffled: boolean,
): { bytes: Uint8Array; elemBytes: number } {
  const what = shuffled ? 'GZIP_2' : 'GZIP_1';
  return gzipTileBytes(inflateBounded(input, count * 8, what), count, shuffled);
}

/**
 * The element width of an inflated GZIP_1 / GZIP_2 tile (from its length) and its big-endian
 * elements, the GZIP_2 shuffle undone.
 */
export function gzipTileBytes(raw: Uint8Array, count: number, shuffled: boolean): { bytes: Uint8Array; elemBytes: number } {
  const elemBytes = gzipElementBytes(raw, count, shuffled);
  return { bytes: shuffled ? unshuffleBytes(raw, elemBytes) : raw, elemBytes };
}

/** The element width (1, 2, 4 or 8 bytes) of an inflated GZIP_1 / GZIP_2 tile of `count` elements, from its length. */
export function gzipElementBytes(raw: Uint8Array, count: number, shuffled: boolean): number {
  const elemBytes = count > 0 ? raw.length / count : 1;
  if (elemBytes !== 1 && elemBytes !== 2 && elemBytes !== 4 && elemBytes !== 8) {
    throw badData(`${shuffled ? 'GZIP_2' : 'GZIP_1'}: tile inflates to ${raw.length} bytes, which is not ${count} pixels of 1, 2, 4 or 8 bytes`);
  }
  return elemBytes;
}

/** Largest output of one inflateGzipRun call: the run's bytes are held until its tiles are copied. */
export const MAX_GZIP_RUN_BYTES = 16 * 1024 * 1024;

/**
 * Inflates tiles stored back to back in the heap (`bytes` is their concatenation, `lengths` their
 * sizes, `counts` their pixel counts) in one zlib call: each tile is a gzip member, and gunzip goes
 * on from one member to the next. One call instead of one per tile saves zlib's stream set-up and
 * Node's per-call overhead (~20 µs a tile, as much as inflating a 2048-pixel row tile).
 *
 * Taken only when every tile is a gzip member whose trailer (ISIZE, the inflated length, which zlib
 * then verifies with the CRC) says `count × w` bytes with one width w of 1, 2, 4 or 8 for all;
 * otherwise, or if zlib objects to anything, this returns undefined and the caller inflates tile by
 * tile, which reports a corrupt tile precisely. Returns each tile's inflated bytes.
 */
export function inflateGzipRun(bytes: Uint8Array, lengths: readonly number[], counts: readonly number[]): Uint8Array[] | undefined {
  let pos = 0;
  let width = 0;
  let total = 0;
  const sizes: number[] = [];
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k]!;
    const count = counts[k]!;
    // gzip header (1f 8b, deflate) + 8-byte trailer at least
    if (len < 18 || count < 1 || bytes[pos] !== 0x1f || bytes[pos + 1] !== 0x8b || bytes[pos + 2] !== 8) return undefined;
    const end = pos + len;
    const isize = (bytes[end - 4]! | (bytes[end - 3]! << 8) | (bytes[end - 2]! << 16) | (bytes[end - 1]! << 24)) >>> 0;
    const w = isize / count;
    if (w !== 1 && w !== 2 && w !== 4 && w !== 8) return undefined;
    if (width === 0) width = w;
    else if (w !== width) return undefined;
    sizes.push(isize);
    total += isize;
    pos = end;
  }
  if (pos !== bytes.length || total === 0 || total > MAX_GZIP_RUN_BYTES) return undefined;
  let out: Buffer;
  try {
    out = gunzipSync(bytes, { maxOutputLength: total });
  } catch {
    return undefined;
  }
  if (out.length !== total) return undefined;
  const tiles: Uint8Array[] = [];
  let at = 0;
  for (const size of sizes) {
    tiles.push(new Uint8Array(out.buffer, out.byteOffset + at, size));
    at += size;
  }
  return tiles;
}
