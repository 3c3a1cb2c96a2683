/**
 * Unix `compress` (.Z) decoder: LZW with variable code width (9 bits up to the header's maximum,
 * at most 16) and, in block mode, code 256 clearing the dictionary. Codes are packed LSB-first.
 * A quirk of the original tool matters for compatibility: codes are read in groups of 8, and when
 * the code width grows or the table is cleared, the rest of the current group is skipped.
 */
import { FitsError } from '../errors.js';
import { badData } from './errors.js';

const MAGIC0 = 0x1f;
const MAGIC1 = 0x9d;
const BLOCK_MODE = 0x80;
const CLEAR = 256;

export interface LzwOptions {
  /**
   * Refuse (FitsError FITS_TOO_LARGE) to produce more than this many bytes (default 1 GiB): a small
   * .Z can expand enormously.
   */
  readonly maxOutputBytes?: number;
}

export function isLzwCompressed(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === MAGIC0 && buf[1] === MAGIC1;
}

export function decompressLzw(buf: Uint8Array, options: LzwOptions = {}): Uint8Array {
  if (!isLzwCompressed(buf)) throw badData('not a Unix compress (.Z) stream: bad magic number');
  if (buf.length < 3) throw badData('compress (.Z): stream is truncated');
  const flags = buf[2]!;
  const maxBits = flags & 0x1f;
  const blockMode = (flags & BLOCK_MODE) !== 0;
  if (maxBits < 9 || maxBits > 16) throw badData(`compress (.Z): unsupported maximum code width ${maxBits}`);
  const maxOut = Math.min(options.maxOutputBytes ?? 2 ** 30, 2 ** 32 - 1);

  const maxCodes = 1 << maxBits;
  const prefix = new Uint16Array(maxCodes);
  const suffix = new Uint8Array(maxCodes);
  const stack = new Uint8Array(maxCodes);
  for (let i = 0; i < 256; i++) suffix[i] = i;

  let out = new Uint8Array(Math.min(maxOut, Math.max(1024, buf.length * 4)));
  let outLen = 0;
  const ensure = (extra: number) => {
    if (outLen + extra <= out.length) return;
    if (outLen + extra > maxOut) throw new FitsError('FITS_TOO_LARGE', `compress (.Z): output exceeds the ${maxOut}-byte limit`);
    const grown = new Uint8Array(Math.min(maxOut, Math.max(out.length * 2, outLen + extra)));
    grown.set(out.subarray(0, outLen));
    out = grown;
  };

  const totalBits = (buf.length - 3) * 8;
  let bitPos = 0; // relative to byte 3
  let nBits = 9;
  let maxCode = (1 << nBits) - 1;
  let freeEnt = blockMode ? 257 : 256;
  let groupStart = 0; // bit position where the current group of 8 codes started
  let oldCode = -1;
  let finChar = 0;

  const readCode = (): number => {
    if (bitPos + nBits > totalBits) return -1;
    const byteIdx = 3 + (bitPos >> 3);
    const shift = bitPos & 7;
    // up to 16 bits + 7 shift = 23 bits: three bytes are enough
    const b0 = buf[byteIdx]!;
    const b1 = byteIdx + 1 < buf.length ? buf[byteIdx + 1]! : 0;
    const b2 = byteIdx + 2 < buf.length ? buf[byteIdx + 2]! : 0;
    const v = ((b0 | (b1 << 8) | (b2 << 16)) >>> shift) & ((1 << nBits) - 1);
    bitPos += nBits;
    return v;
  };
  // Skips to the end of the current group of 8 codes (the group is nBits bytes long).
  const skipGroup = () => {
    const groupBits = nBits * 8;
    const used = bitPos - groupStart;
    const rem = used % groupBits;
    if (rem !== 0) bitPos += groupBits - rem;
    groupStart = bitPos;
  };

  for (;;) {
    // As compress and gzip do: no check against maxBits here. For maxBits >= 10 the width stops at
    // maxBits (maxCode becomes the table size); with maxBits = 9 the codes grow to 10 bits once the
    // table is full, a quirk of the original tool that real streams contain.
    if (freeEnt > maxCode) {
      skipGroup();
      nBits++;
      maxCode = nBits === maxBits ? maxCodes : (1 << nBits) - 1;
    }
    const code = readCode();
    if (code < 0) break;
    if (oldCode === -1) {
      if (code >= 256) throw badData('compress (.Z): first code is not a literal byte');
      oldCode = code;
      finChar = code;
      ensure(1);
      out[outLen++] = code;
      continue;
    }
    if (code === CLEAR && blockMode) {
      prefix.fill(0);
      skipGroup();
      nBits = 9;
      maxCode = (1 << nBits) - 1;
      freeEnt = 256; // the next entry made will be 257 after the following code
      oldCode = -2; // next code starts afresh but still builds no entry
      continue;
    }
    if (oldCode === -2) {
      if (code >= 256) throw badData('compress (.Z): code after a clear is not a literal byte');
      freeEnt = 257;
      oldCode = code;
      finChar = code;
      ensure(1);
      out[outLen++] = code;
      continue;
    }
    let sp = 0;
    let cur = code;
    if (cur >= freeEnt) {
      if (cur > freeEnt) throw badData('compress (.Z): corrupt input (code out of range)');
      // the KwKwK case: the code being defined right now
      stack[sp++] = finChar;
      cur = oldCode;
    }
    while (cur >= 256) {
      if (sp >= maxCodes) throw badData('compress (.Z): corrupt input (dictionary loop)');
      stack[sp++] = suffix[cur]!;
      cur = prefix[cur]!;
    }
    finChar = suffix[cur]!;
    stack[sp++] = finChar;
    ensure(sp);
    while (sp > 0) out[outLen++] = stack[--sp]!;
    if (freeEnt < maxCodes) {
      prefix[freeEnt] = oldCode;
      suffix[freeEnt] = finChar;
      freeEnt++;
    }
    oldCode = code;
  }
  return out.slice(0, outLen);
}
