/**
 * RICE_1 decoder (Rice, Yeh & Miller 1993, as used by the FITS tile compression convention).
 *
 * Stream layout: the first pixel as a raw big-endian `bytepix`-byte integer, then blocks of
 * `blocksize` mapped first differences. Each block starts with an `fsBits`-wide code:
 * 0 means every difference in the block is zero, `fsMax + 1` means the differences are stored
 * raw in `8 * bytepix` bits, anything else is `fs + 1` and each difference is a unary-coded high
 * part (zeros ended by a one) followed by `fs` low bits. Differences are zig-zag mapped
 * (0, -1, 1, -2, ...) and accumulate modulo 2^(8 * bytepix).
 */
import { badData } from './errors.js';

interface RiceParams {
  readonly fsBits: number;
  readonly fsMax: number;
  readonly bBits: number;
}

const PARAMS: Readonly<Record<number, RiceParams>> = {
  1: { fsBits: 3, fsMax: 6, bBits: 8 },
  2: { fsBits: 4, fsMax: 14, bBits: 16 },
  4: { fsBits: 5, fsMax: 25, bBits: 32 },
};

/**
 * Decodes `count` pixels. Values are returned as stored: unsigned for bytepix 1, signed 16-bit for
 * bytepix 2, signed 32-bit for bytepix 4.
 */
export function decodeRice(input: Uint8Array, count: number, blocksize: number, bytepix: number): Int32Array {
  const p = PARAMS[bytepix];
  if (!p) throw badData(`RICE_1: unsupported BYTEPIX ${bytepix} (must be 1, 2 or 4)`);
  if (!Number.isInteger(blocksize) || blocksize < 1 || blocksize > 1 << 20) {
    throw badData(`RICE_1: invalid BLOCKSIZE ${blocksize}`);
  }
  const out = new Int32Array(count);
  if (count === 0) return out;
  const len = input.length;
  if (len < bytepix + 1) throw badData('RICE_1: compressed tile is too short');
  const { fsBits, fsMax, bBits } = p;
  // A zero-padded copy lets the hot loops read ahead without bounds checks; running past the real
  // end is detected afterwards from the read position.
  const buf = new Uint8Array(len + 8);
  buf.set(input);
  // values wrap to the stored width: unsigned 8-bit, signed 16 or 32-bit
  const unsigned8 = bytepix === 1;
  const sh = 32 - bBits;

  let c = 0;
  let lastpix = 0;
  for (let k = 0; k < bytepix; k++) lastpix = (lastpix << 8) | buf[c++]!;
  lastpix = unsigned8 ? lastpix & 0xff : (lastpix << sh) >> sh;
  let b = buf[c++]!;
  let nbits = 8;
  let i = 0;

  while (i < count) {
    if (c > len + 4) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
    nbits -= fsBits;
    while (nbits < 0) {
      b = (b << 8) | buf[c++]!;
      nbits += 8;
    }
    const fs = (b >>> nbits) - 1;
    b &= (1 << nbits) - 1;
    const imax = Math.min(i + blocksize, count);
    if (fs < 0) {
      // low-entropy block: all differences are zero
      for (; i < imax; i++) out[i] = lastpix;
    } else if (fs === fsMax) {
      // high-entropy block: differences stored raw in bBits bits
      for (; i < imax; i++) {
        let k = bBits - nbits;
        let diff = k >= 32 ? 0 : b << k;
        for (k -= 8; k >= 0; k -= 8) {
          b = buf[c++]!;
          diff |= b << k;
        }
        if (nbits > 0) {
          b = buf[c++]!;
          diff |= b >>> -k;
          b &= (1 << nbits) - 1;
        } else {
          b = 0;
        }
        diff >>>= 0;
        if (bBits < 32) diff &= (1 << bBits) - 1;
        const v = ((diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1)) + lastpix;
        lastpix = unsigned8 ? v & 0xff : (v << sh) >> sh;
        out[i] = lastpix;
      }
    } else if (fs > fsMax) {
      throw badData(`RICE_1: invalid block code ${fs + 1}`);
    } else {
      for (; i < imax; i++) {
        // count the leading zeros of the unary part
        while (b === 0) {
          if (c >= len) throw badData('RICE_1: compressed tile ends inside a block');
          nbits += 8;
          b = buf[c++]!;
        }
        const nzero = nbits - (32 - Math.clz32(b));
        nbits -= nzero + 1;
        b ^= 1 << nbits;
        nbits -= fs;
        while (nbits < 0) {
          b = (b << 8) | buf[c++]!;
          nbits += 8;
        }
        const diff = ((nzero << fs) | (b >>> nbits)) >>> 0;
        b &= (1 << nbits) - 1;
        const v = ((diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1)) + lastpix;
        lastpix = unsigned8 ? v & 0xff : (v << sh) >> sh;
        out[i] = lastpix;
      }
    }
  }
  if (c > len) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
  return out;
}
