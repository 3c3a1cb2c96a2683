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

  let c = 0;
  let lastpix = 0;
  for (let k = 0; k < bytepix; k++) lastpix = (lastpix << 8) | input[c++]!;
  // Reading past the end yields zero bytes; the position check at the end reports the overrun.
  let b = input[c++]!;
  let nbits = 8;
  let i = 0;
  const wrap = bytepix === 4 ? (v: number) => v | 0 : bytepix === 2 ? (v: number) => (v << 16) >> 16 : (v: number) => v & 0xff;

  while (i < count) {
    nbits -= fsBits;
    while (nbits < 0) {
      b = (b << 8) | (c < len ? input[c]! : 0);
      c++;
      nbits += 8;
    }
    const fs = (b >>> nbits) - 1;
    b &= (1 << nbits) - 1;
    const imax = Math.min(i + blocksize, count);
    if (fs < 0) {
      // low-entropy block: all differences are zero
      const v = wrap(lastpix);
      for (; i < imax; i++) out[i] = v;
      lastpix = v;
    } else if (fs === fsMax) {
      // high-entropy block: differences stored raw in bBits bits
      for (; i < imax; i++) {
        let k = bBits - nbits;
        let diff = k >= 32 ? 0 : b << k;
        for (k -= 8; k >= 0; k -= 8) {
          b = c < len ? input[c]! : 0;
          c++;
          diff |= b << k;
        }
        if (nbits > 0) {
          b = c < len ? input[c]! : 0;
          c++;
          diff |= b >>> -k;
          b &= (1 << nbits) - 1;
        } else {
          b = 0;
        }
        diff >>>= 0;
        if (bBits < 32) diff &= (1 << bBits) - 1;
        const mapped = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = wrap(mapped + lastpix);
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
          b = input[c++]!;
        }
        const nzero = nbits - (32 - Math.clz32(b));
        nbits -= nzero + 1;
        b ^= 1 << nbits;
        nbits -= fs;
        while (nbits < 0) {
          b = (b << 8) | (c < len ? input[c] : 0)!;
          c++;
          nbits += 8;
        }
        const diff = ((nzero << fs) | (b >>> nbits)) >>> 0;
        b &= (1 << nbits) - 1;
        const mapped = (diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1);
        lastpix = wrap(mapped + lastpix);
        out[i] = lastpix;
      }
    }
    if (c > len + 1) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
  }
  if (c > len) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
  return out;
}
