/**
 * RICE_1 decoder (Rice, Yeh & Miller 1993, as used by the FITS tile compression convention).
 *
 * Stream layout: the first pixel as a raw big-endian `bytepix`-byte integer, then blocks of
 * `blocksize` mapped first differences. Each block starts with an `fsBits`-wide code:
 * 0 means every difference in the block is zero, `fsMax + 1` means the differences are stored
 * raw in `8 * bytepix` bits, anything else is `fs + 1` and each difference is a unary-coded high
 * part (zeros ended by a one) followed by `fs` low bits. Differences are zig-zag mapped
 * (0, -1, 1, -2, ...) and accumulate modulo 2^(8 * bytepix).
 *
 * The bit reader keeps a left-aligned 32-bit window `acc` holding `avail` unread bits, refilled a
 * byte at a time to at least 25 bits, so a pixel of a normal block costs one clz32 (the unary part)
 * and one shift (the low bits); see docs/fits-compression.md "Benchmark" for the profile.
 */
import { badData } from './errors.js';
import { RICE_ERR_CODE, RICE_ERR_INSIDE, RICE_ERR_SHORT, wasmRiceDecode, wasmRiceDequantize, type WasmDequantize } from './wasm.js';

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

/** Bytes of zero padding after the stream: the reader looks up to 4 bytes ahead. */
const PAD = 8;
/** Reused zero-padded copy of the current tile's stream (decoding is synchronous). */
let scratch = new Uint8Array(64 * 1024);

function padded(input: Uint8Array): Uint8Array {
  const need = input.length + PAD;
  if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  scratch.set(input);
  scratch.fill(0, input.length, need);
  return scratch;
}

/**
 * Decodes `count` pixels. Values are returned as stored: unsigned for bytepix 1, signed 16-bit for
 * bytepix 2, signed 32-bit for bytepix 4. `out`, when given (length ≥ count), receives them and is
 * returned, so a caller decoding many tiles can reuse one buffer.
 */
export function decodeRice(input: Uint8Array, count: number, blocksize: number, bytepix: number, out?: Int32Array): Int32Array {
  checkParams(input, count, blocksize, bytepix);
  if (!out || out.length < count) out = new Int32Array(count);
  if (count === 0) return out;
  checkStatus(wasmRiceDecode(input, count, blocksize, bytepix, out));
  return out;
}

/**
 * Decodes `count` quantized integers and restores them as floats in one go (codecs.c rice_decode
 * then dequantize, without the integers leaving WebAssembly memory) into `out` (length >= count):
 * the same values as decodeRice followed by dither.ts's dequantize, and the same errors.
 */
export function decodeRiceDequantized(input: Uint8Array, count: number, blocksize: number, bytepix: number, q: WasmDequantize, out: Float32Array | Float64Array): Float32Array | Float64Array {
  checkParams(input, count, blocksize, bytepix);
  if (count === 0) return out;
  checkStatus(wasmRiceDequantize(input, count, blocksize, bytepix, q, out));
  return out;
}

function checkStatus(status: number): void {
  if (status === RICE_ERR_SHORT) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
  if (status === RICE_ERR_INSIDE) throw badData('RICE_1: compressed tile ends inside a block');
  if (status <= RICE_ERR_CODE) throw badData(`RICE_1: invalid block code ${RICE_ERR_CODE - status}`);
  if (status !== 0) throw badData(`RICE_1: decoder status ${status}`);
}

function checkParams(input: Uint8Array, count: number, blocksize: number, bytepix: number): void {
  if (!PARAMS[bytepix]) throw badData(`RICE_1: unsupported BYTEPIX ${bytepix} (must be 1, 2 or 4)`);
  if (!Number.isInteger(blocksize) || blocksize < 1 || blocksize > 1 << 20) {
    throw badData(`RICE_1: invalid BLOCKSIZE ${blocksize}`);
  }
  if (count > 0 && input.length < bytepix + 1) throw badData('RICE_1: compressed tile is too short');
}

/**
 * The TypeScript decoder, kept as the reference the WebAssembly one (codecs.c) is tested against:
 * same results, same errors.
 */
export function decodeRiceReference(input: Uint8Array, count: number, blocksize: number, bytepix: number, out?: Int32Array): Int32Array {
  const p = PARAMS[bytepix];
  if (!p) throw badData(`RICE_1: unsupported BYTEPIX ${bytepix} (must be 1, 2 or 4)`);
  if (!Number.isInteger(blocksize) || blocksize < 1 || blocksize > 1 << 20) {
    throw badData(`RICE_1: invalid BLOCKSIZE ${blocksize}`);
  }
  if (!out || out.length < count) out = new Int32Array(count);
  if (count === 0) return out;
  const len = input.length;
  if (len < bytepix + 1) throw badData('RICE_1: compressed tile is too short');
  const { fsBits, fsMax, bBits } = p;
  const buf = padded(input);
  // values wrap to the stored width: unsigned 8-bit, signed 16 or 32-bit
  const unsigned8 = bytepix === 1;
  const sh = 32 - bBits;

  let c = 0;
  let lastpix = 0;
  for (let k = 0; k < bytepix; k++) lastpix = (lastpix << 8) | buf[c++]!;
  lastpix = unsigned8 ? lastpix & 0xff : (lastpix << sh) >> sh;
  // left-aligned bit window: the next unread bit is acc's bit 31
  let acc = 0;
  let avail = 0;
  let i = 0;

  while (i < count) {
    // bytes wholly or partly consumed so far: c - (avail >> 3)
    if (c - (avail >> 3) > len) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
    while (avail <= 24) {
      acc |= buf[c++]! << (24 - avail);
      avail += 8;
    }
    const fs = (acc >>> (32 - fsBits)) - 1;
    acc <<= fsBits;
    avail -= fsBits;
    const imax = Math.min(i + blocksize, count);
    if (fs < 0) {
      // low-entropy block: all differences are zero
      out.fill(lastpix, i, imax);
      i = imax;
    } else if (fs === fsMax) {
      // high-entropy block: differences stored raw in bBits bits (16 at a time)
      for (; i < imax; i++) {
        let diff = 0;
        for (let got = 0; got < bBits; ) {
          const take = bBits - got > 16 ? 16 : bBits - got;
          while (avail <= 24) {
            acc |= buf[c++]! << (24 - avail);
            avail += 8;
          }
          diff = (diff << take) | (acc >>> (32 - take));
          acc <<= take;
          avail -= take;
          got += take;
        }
        diff >>>= 0;
        const v = ((diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1)) + lastpix;
        lastpix = unsigned8 ? v & 0xff : (v << sh) >> sh;
        out[i] = lastpix;
      }
    } else if (fs > fsMax) {
      throw badData(`RICE_1: invalid block code ${fs + 1}`);
    } else {
      const lowShift = 31 - fs; // (acc >>> 1) >>> lowShift = the top fs bits, also for fs = 0
      for (; i < imax; i++) {
        while (avail <= 24) {
          acc |= buf[c++]! << (24 - avail);
          avail += 8;
        }
        // unary high part: count the zeros before the first one
        let nzero = Math.clz32(acc);
        if (nzero >= avail) {
          // a long run of zeros: swallow whole windows
          nzero = 0;
          do {
            nzero += avail;
            if (c >= len + PAD - 4) throw badData('RICE_1: compressed tile ends inside a block');
            acc = 0;
            avail = 0;
            while (avail <= 24) {
              acc |= buf[c++]! << (24 - avail);
              avail += 8;
            }
          } while (acc === 0);
          const z = Math.clz32(acc);
          nzero += z;
          acc = (acc << z) << 1;
          avail -= z + 1;
          if (c - (avail >> 3) > len) throw badData('RICE_1: compressed tile ends inside a block');
        } else {
          acc = (acc << nzero) << 1;
          avail -= nzero + 1;
        }
        if (avail < fs) {
          while (avail <= 24) {
            acc |= buf[c++]! << (24 - avail);
            avail += 8;
          }
        }
        const diff = ((nzero << fs) | ((acc >>> 1) >>> lowShift)) >>> 0;
        acc <<= fs;
        avail -= fs;
        const v = ((diff & 1) === 0 ? diff >>> 1 : ~(diff >>> 1)) + lastpix;
        lastpix = unsigned8 ? v & 0xff : (v << sh) >> sh;
        out[i] = lastpix;
      }
    }
  }
  if (c - (avail >> 3) > len) throw badData('RICE_1: compressed tile ends before all pixels were decoded');
  return out;
}
