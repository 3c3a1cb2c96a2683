/**
 * GZIP_1 and GZIP_2 tile codecs. GZIP_1 is a plain gzip (or zlib) stream of the tile's big-endian
 * pixel bytes. GZIP_2 first shuffles the bytes so that all most-significant bytes come first, then
 * all second bytes, and so on, which makes the stream compress better.
 */
import { unzipSync, constants as zlibConstants } from 'node:zlib';
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
  const raw = inflateBounded(input, count * 8, what);
  const elemBytes = count > 0 ? raw.length / count : 1;
  if (![1, 2, 4, 8].includes(elemBytes)) {
    throw badData(`${what}: tile inflates to ${raw.length} bytes, which is not ${count} pixels of 1, 2, 4 or 8 bytes`);
  }
  return { bytes: shuffled ? unshuffleBytes(raw, elemBytes) : raw, elemBytes };
}
