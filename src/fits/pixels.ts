/**
 * Bulk decoding of big-endian FITS pixel bytes into native typed arrays, and the BSCALE/BZERO/BLANK
 * rules, written to give the values astropy gives (including its float32 arithmetic for 8/16-bit
 * images). The hot loops work on whole bands: one byte swap (Buffer.swap16/32/64) and one pass.
 */
import type { Header } from './header.js';

export type RawArray = Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface Scaling {
  readonly bitpix: number;
  readonly bscale: number;
  readonly bzero: number;
  /** Integer BLANK value (only for integer BITPIX); pixels equal to it become NaN. */
  readonly blank: bigint | undefined;
  /** Physical values are written as float32 (BITPIX 8/16/-32) or float64 (32/64/-64). */
  readonly output: 'float32' | 'float64';
  /** Named integer conventions astropy recognises (uint16 = BITPIX 16 with BZERO 32768, ...). */
  readonly convention: 'none' | 'int8' | 'uint16' | 'uint32' | 'uint64' | 'scaled';
}

export function bytesPerPixel(bitpix: number): number {
  return Math.abs(bitpix) / 8;
}

/** Read BSCALE/BZERO/BLANK for an image (or random-groups array) with the given BITPIX. */
export function imageScaling(header: Header, bitpix: number): Scaling {
  const bscale = header.getNumber('BSCALE') ?? 1;
  const bzero = header.getNumber('BZERO') ?? 0;
  const rawBlank = header.get('BLANK');
  // BLANK must be an integer on an integer image; a real BLANK (or any BLANK on a float image) is ignored, as astropy does.
  const written = header.card('BLANK')?.records?.[0]?.slice(10) ?? '';
  const integral = typeof rawBlank === 'bigint' || (typeof rawBlank === 'number' && Number.isInteger(rawBlank) && /^ *[+-]?\d+ *(\/|$)/.test(written));
  const blank = bitpix > 0 && integral ? BigInt(rawBlank as number | bigint) : undefined;
  let convention: Scaling['convention'] = bscale === 1 && bzero === 0 ? 'none' : 'scaled';
  if (bscale === 1) {
    if (bitpix === 8 && bzero === -128) convention = 'int8';
    if (bitpix === 16 && bzero === 32768) convention = 'uint16';
    if (bitpix === 32 && bzero === 2147483648) convention = 'uint32';
    if (bitpix === 64 && bzero === 9223372036854775808) convention = 'uint64';
  }
  const output = bitpix === 8 || bitpix === 16 || bitpix === -32 ? 'float32' : 'float64';
  return { bitpix, bscale, bzero, blank, output, convention };
}

/**
 * Turn a band of big-endian bytes into native-endian raw values, in place when aligned.
 * The Buffer must not be used as bytes afterwards.
 */
export function rawFromBigEndian(bytes: Buffer, bitpix: number, alreadyNative = false): RawArray {
  const bpp = bytesPerPixel(bitpix);
  const n = Math.floor(bytes.length / bpp);
  let buf = bytes.length === n * bpp ? bytes : bytes.subarray(0, n * bpp);
  if (bpp > 1 && buf.byteOffset % bpp !== 0) {
    // Typed views need aligned offsets; copy into memory of our own (never Node's shared pool).
    const aligned = Buffer.allocUnsafeSlow(buf.length);
    aligned.set(buf);
    buf = aligned;
  }
  if (!alreadyNative) swapInPlace(buf, bpp);
  const ab = buf.buffer;
  const off = buf.byteOffset;
  switch (bitpix) {
    case 8:
      return new Uint8Array(ab, off, n);
    case 16:
      return new Int16Array(ab, off, n);
    case 32:
      return new Int32Array(ab, off, n);
    case 64:
      return new BigInt64Array(ab, off, n);
    case -32:
      return new Float32Array(ab, off, n);
    default:
      return new Float64Array(ab, off, n);
  }
}

/** Swap big-endian words of `bytesPer` bytes in place (native <-> FITS order on little-endian hosts). */
export function swapInPlace(buf: Buffer, bytesPer: number): void {
  if (bytesPer === 2) buf.swap16();
  else if (bytesPer === 4) buf.swap32();
  else if (bytesPer === 8) buf.swap64();
}

/** Native raw values back to big-endian bytes (for the writer). Does not modify `raw`. */
export function rawToBigEndian(raw: RawArray): Buffer {
  const copy = Buffer.from(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  swapInPlace(copy, raw.BYTES_PER_ELEMENT);
  return copy;
}

/**
 * Physical values of a band of big-endian bytes, written into `out` from `outOffset`.
 * When the result can alias the swapped bytes (float32 or float64 with no scaling), and `out` is
 * not given, the returned array is a view on `bytes` (no copy).
 */
export function decodeBand(
  bytes: Buffer,
  scaling: Scaling,
  out?: Float32Array | Float64Array,
  outOffset = 0,
  alreadyNative = false,
): Float32Array | Float64Array {
  const raw = rawFromBigEndian(bytes, scaling.bitpix, alreadyNative);
  const n = raw.length;
  const identity = scaling.bscale === 1 && scaling.bzero === 0;
  if (!out) {
    if (identity && scaling.bitpix === -32) return raw as Float32Array;
    if (identity && scaling.bitpix === -64) return raw as Float64Array;
    out = scaling.output === 'float32' ? new Float32Array(n) : new Float64Array(n);
    outOffset = 0;
  }
  const { bscale, bzero } = scaling;
  const blank = scaling.blank;
  if (scaling.bitpix === 64) {
    decodeInt64(raw as BigInt64Array, scaling, out, outOffset);
    return out;
  }
  const blankNum = blank === undefined ? undefined : Number(blank);
  if (scaling.output === 'float32' && !identity) {
    // astropy: float32 array *= bscale, then += bzero, each step rounded to float32.
    const s = Math.fround(bscale);
    const z = Math.fround(bzero);
    if (blankNum === undefined) {
      for (let i = 0; i < n; i++) out[outOffset + i] = Math.fround(raw[i] as number * s) + z;
    } else {
      for (let i = 0; i < n; i++) {
        const r = raw[i] as number;
        out[outOffset + i] = r === blankNum ? NaN : Math.fround(r * s) + z;
      }
    }
    return out;
  }
  if (identity) {
    if (blankNum === undefined) (out as Float64Array).set(raw as Float64Array, outOffset);
    else for (let i = 0; i < n; i++) {
      const r = raw[i] as number;
      out[outOffset + i] = r === blankNum ? NaN : r;
    }
    return out;
  }
  if (blankNum === undefined) {
    for (let i = 0; i < n; i++) out[outOffset + i] = (raw[i] as number) * bscale + bzero;
  } else {
    for (let i = 0; i < n; i++) {
      const r = raw[i] as number;
      out[outOffset + i] = r === blankNum ? NaN : r * bscale + bzero;
    }
  }
  return out;
}

function decodeInt64(raw: BigInt64Array, scaling: Scaling, out: Float32Array | Float64Array, outOffset: number): void {
  const n = raw.length;
  const words = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
  const { bscale, bzero } = scaling;
  const blank = scaling.blank;
  const blankLo = blank === undefined ? 0 : Number(BigInt.asIntN(32, blank));
  const blankHi = blank === undefined ? 0 : Number(BigInt.asIntN(32, blank >> 32n));
  const hasBlank = blank !== undefined;
  if (scaling.convention === 'uint64') {
    // value = raw + 2^63: flip the sign bit and read as unsigned.
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      out[outOffset + i] = hasBlank && lo === blankLo && hi === blankHi ? NaN : ((hi ^ 0x80000000) >>> 0) * 4294967296 + (lo >>> 0);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if (hasBlank && lo === blankLo && hi === blankHi) {
      out[outOffset + i] = NaN;
      continue;
    }
    const v = hi * 4294967296 + (lo >>> 0);
    out[outOffset + i] = v * bscale + bzero;
  }
}
