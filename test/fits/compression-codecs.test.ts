/**
 * Unit tests of the tile codecs on hand-made inputs. The Rice encoder below is a test-only
 * implementation of the published algorithm, used to round-trip many block shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { FitsError } from '../../src/fits/errors.js';
import {
  N_RANDOM,
  ZERO_VALUE,
  decodeGzipTile,
  decodeHcompress,
  decodePlio,
  decodeRice,
  decompressLzw,
  dequantize,
  ditherRandomValues,
  unshuffleBytes,
} from '../../src/fits/compression/index.js';
import { decodeRiceReference } from '../../src/fits/compression/rice.js';
import { decodePlioBigEndian } from '../../src/fits/compression/plio.js';
import { unshuffleInt16, unshuffleInt32 } from '../../src/fits/compression/gzip.js';
import { decodeRiceDequantized } from '../../src/fits/compression/rice.js';
import { wasmDequantize } from '../../src/fits/compression/wasm.js';
import { ditherSeedIndex, quantizeMethodCode, type QuantizeMethod } from '../../src/fits/compression/dither.js';

const isFitsError = (e: unknown) => e instanceof FitsError && e.code === 'FITS_BAD_DATA';

/** Test-only Rice encoder (first value raw, then per block: fs code, unary high part, fs low bits). */
function encodeRice(values: ArrayLike<number>, blocksize: number, bytepix: 1 | 2 | 4): Uint8Array {
  const fsBits = { 1: 3, 2: 4, 4: 5 }[bytepix];
  const fsMax = { 1: 6, 2: 14, 4: 25 }[bytepix];
  const bBits = bytepix * 8;
  const bits: number[] = [];
  const put = (v: number, n: number) => {
    for (let k = n - 1; k >= 0; k--) bits.push(Math.floor(v / 2 ** k) % 2);
  };
  const mod = 2 ** bBits;
  const first = ((values[0]! % mod) + mod) % mod;
  put(first, bBits);
  let last = values[0]!;
  for (let i = 0; i < values.length; i += blocksize) {
    const block: number[] = [];
    for (let j = i; j < Math.min(values.length, i + blocksize); j++) {
      // difference modulo 2^bBits, as a signed value, zig-zag mapped
      let d = (((values[j]! - last) % mod) + mod) % mod;
      if (d >= mod / 2) d -= mod;
      block.push(d >= 0 ? 2 * d : -2 * d - 1);
      last = values[j]!;
    }
    const sum = block.reduce((a, b) => a + b, 0);
    if (sum === 0) {
      put(0, fsBits);
      continue;
    }
    const dpsum = (sum - block.length / 2 - 1) / block.length;
    let fs = 0;
    for (let p = Math.floor(dpsum); p > 0; p = Math.floor(p / 2)) fs++;
    if (fs >= fsMax) {
      put(fsMax + 1, fsBits);
      for (const m of block) put(m, bBits);
    } else {
      put(fs + 1, fsBits);
      for (const m of block) {
        const top = Math.floor(m / 2 ** fs);
        for (let z = 0; z < top; z++) bits.push(0);
        bits.push(1);
        put(m % 2 ** fs, fs);
      }
    }
  }
  while (bits.length % 8) bits.push(0);
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) for (let k = 0; k < 8; k++) out[i] = (out[i]! << 1) | bits[i * 8 + k]!;
  return out;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('RICE_1: a hand-made stream (first pixel, one all-zero block) gives three equal pixels', () => {
  // bytepix 2: first pixel 0x0005, then fs code 0000 (all differences zero)
  assert.deepEqual(Array.from(decodeRice(Uint8Array.from([0x00, 0x05, 0x00]), 3, 32, 2)), [5, 5, 5]);
});

for (const bytepix of [1, 2, 4] as const) {
  for (const blocksize of [16, 32]) {
    test(`RICE_1 round trip: bytepix ${bytepix}, blocksize ${blocksize}, flat / noisy / extreme blocks`, () => {
      const rnd = seeded(bytepix * 100 + blocksize);
      const n = 1000;
      const lo = bytepix === 1 ? 0 : -(2 ** (bytepix * 8 - 1));
      const span = 2 ** (bytepix * 8);
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        if (i < 100) values.push(lo + 7); // low-entropy blocks
        else if (i < 400) values.push(Math.round(lo + span / 2 + (rnd() - 0.5) * 40)); // small differences
        else if (i < 600) values.push(Math.floor(lo + rnd() * span)); // high-entropy blocks
        else values.push(Math.round(lo + span / 2 + Math.sin(i / 30) * span * 0.01 + rnd() * 5));
      }
      const decoded = decodeRice(encodeRice(values, blocksize, bytepix), n, blocksize, bytepix);
      assert.deepEqual(Array.from(decoded), values.map((v) => v || 0)); // no -0 in an Int32Array
    });
  }
}

test('RICE_1: bad parameters and truncated streams are FitsErrors', () => {
  assert.throws(() => decodeRice(new Uint8Array(10), 5, 32, 3), isFitsError);
  assert.throws(() => decodeRice(new Uint8Array(10), 5, 0, 2), isFitsError);
  assert.throws(() => decodeRice(new Uint8Array(1), 5, 32, 2), isFitsError);
  const full = encodeRice(Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000), 32, 2);
  assert.throws(() => decodeRice(full.subarray(0, full.length >> 1), 200, 32, 2), isFitsError);
});

test('RICE_1: the WebAssembly decoder gives what the TypeScript reference gives (values and errors), on encoded, cut and random streams', () => {
  const rnd = seeded(77);
  const outcome = (f: () => Int32Array) => {
    try {
      return Array.from(f());
    } catch (e) {
      assert.ok(isFitsError(e), String(e));
      return `error: ${(e as Error).message}`;
    }
  };
  let cases = 0;
  for (const bytepix of [1, 2, 4] as const) {
    for (const blocksize of [1, 7, 32]) {
      const lo = bytepix === 1 ? 0 : -(2 ** (bytepix * 8 - 1));
      const span = 2 ** (bytepix * 8);
      const values = Array.from({ length: 300 }, (_, i) =>
        i % 97 < 20 ? lo + 3 : i % 97 < 60 ? Math.floor(lo + rnd() * span) : Math.round(lo + span / 2 + (rnd() - 0.5) * 2 ** (bytepix * 4)),
      );
      const full = encodeRice(values, blocksize, bytepix);
      const streams = [full, full.subarray(0, full.length >> 1), full.subarray(0, full.length - 1)];
      for (let k = 0; k < 200; k++) {
        const len = 1 + Math.floor(rnd() * 48);
        const sparse = k % 2 === 0;
        streams.push(Uint8Array.from({ length: len }, () => (sparse && rnd() < 0.7 ? 0 : Math.floor(rnd() * 256))));
      }
      for (const stream of streams) {
        for (const count of [values.length, 1 + Math.floor(rnd() * 80)]) {
          const ours = outcome(() => decodeRice(stream, count, blocksize, bytepix));
          assert.deepEqual(ours, outcome(() => decodeRiceReference(stream, count, blocksize, bytepix)));
          cases++;
        }
      }
      assert.deepEqual(outcome(() => decodeRice(full, values.length, blocksize, bytepix)), values.map((v) => v || 0));
    }
  }
  assert.ok(cases > 3000);
});

test('GZIP_2: the byte shuffle is undone, GZIP_1 inflates plain big-endian bytes', () => {
  const values = Int32Array.from([1, -2, 0x01020304, 1000000]);
  const be = Buffer.alloc(16);
  values.forEach((v, i) => be.writeInt32BE(v, i * 4));
  const shuffled = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) shuffled[j * 4 + i] = be[i * 4 + j]!;
  assert.deepEqual(Buffer.from(unshuffleBytes(shuffled, 4)), be);
  const g2 = decodeGzipTile(gzipSync(shuffled), 4, true);
  assert.equal(g2.elemBytes, 4);
  assert.deepEqual(Buffer.from(g2.bytes), be);
  const g1 = decodeGzipTile(gzipSync(be), 8, false);
  assert.equal(g1.elemBytes, 2, 'element width follows from the inflated length');
});

test('GZIP_2: the fused unshuffle of 16 and 32-bit integers equals unshuffleBytes then a big-endian read', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  for (const count of [1, 2, 3, 17, 2048]) {
    for (const width of [2, 4] as const) {
      const shuffled = Uint8Array.from({ length: count * width }, rnd);
      const be = Buffer.from(unshuffleBytes(shuffled, width));
      const expected = Array.from({ length: count }, (_, i) => (width === 2 ? be.readInt16BE(i * 2) : be.readInt32BE(i * 4)));
      const got = width === 2 ? unshuffleInt16(shuffled, count) : unshuffleInt32(shuffled, count);
      assert.deepEqual(Array.from(got), expected, `${count} x ${width} bytes`);
      // into a reused buffer, as the image reader does
      const into = width === 2 ? unshuffleInt16(shuffled, count, new Int16Array(count)) : unshuffleInt32(shuffled, count, new Int32Array(count));
      assert.deepEqual(Array.from(into), expected);
    }
  }
});

test('GZIP: a tile that inflates beyond its size, or is not gzip, is a FitsError', () => {
  assert.throws(() => decodeGzipTile(gzipSync(Buffer.alloc(1 << 20)), 100, false), isFitsError);
  assert.throws(() => decodeGzipTile(Uint8Array.from([1, 2, 3, 4, 5]), 4, false), isFitsError);
  assert.throws(() => decodeGzipTile(gzipSync(Buffer.alloc(7)), 2, false), isFitsError);
});

test('PLIO_1: a hand-made line list (set value, runs, zeros, increments)', () => {
  const op = (code: number, data: number) => (code << 12) | data;
  const body = [
    op(1, 7), 0, // SH: value = 7 + (0 << 12)
    op(4, 3), // HN: 3 pixels of 7
    op(0, 2), // ZN: 2 zeros
    op(6, 1), // IS: value 8, one pixel
    op(5, 3), // PN: 2 zeros then one 8
    op(7, 5), // DS: value 3, one pixel
    op(1, 5), 1, // SH: value 5 + 4096
    op(4, 2),
  ];
  const words = Int16Array.from([0, 0, 3 + body.length, ...body]);
  assert.deepEqual(Array.from(decodePlio(words, 16)), [7, 7, 7, 0, 0, 8, 0, 0, 8, 3, 4101, 4101, 0, 0, 0, 0]);
  // output is cut at the tile size
  assert.deepEqual(Array.from(decodePlio(words, 4)), [7, 7, 7, 0]);
  assert.throws(() => decodePlio(Int16Array.from([0, 0, 99, 1]), 4), isFitsError);
  assert.throws(() => decodePlio(Int16Array.from([0, 0]), 4), isFitsError);
  // negative words (opcodes 8..15, e.g. 0xE005 and 0xF001, whose low opcode bits look like IS/DS)
  // are ignored; a reused buffer is filled (zeros included) and its first pixels returned
  const withNegative = [op(6, 2), (0xe005 << 16) >> 16, (0xf001 << 16) >> 16, op(7, 1), op(0, 1), op(6, 4)];
  const list = Int16Array.from([0, 0, 3 + withNegative.length, ...withNegative]);
  assert.deepEqual(Array.from(decodePlio(list, 5)), [3, 2, 0, 6, 0]);
  const reused = new Int32Array(8).fill(-9);
  const got = decodePlio(list, 5, reused);
  assert.equal(got.buffer, reused.buffer);
  assert.deepEqual(Array.from(got), [3, 2, 0, 6, 0]);
});

test('HCOMPRESS_1: bad magic, truncation and oversized headers are FitsErrors without big allocations', () => {
  assert.throws(() => decodeHcompress(new Uint8Array(40), false, 100), isFitsError);
  const header = Buffer.alloc(40);
  header[0] = 0xdd;
  header[1] = 0x99;
  header.writeInt32BE(1_000_000, 2);
  header.writeInt32BE(1_000_000, 6);
  assert.throws(() => decodeHcompress(header, false, 300 * 300), isFitsError);
  header.writeInt32BE(4, 2);
  header.writeInt32BE(4, 6);
  header[22] = 60; // more bit planes than a double holds
  assert.throws(() => decodeHcompress(header, false, 16), isFitsError);
  header[22] = 3;
  header.fill(0xff, 25);
  assert.throws(() => decodeHcompress(header, false, 16), isFitsError);
});

test('PLIO_1: the WebAssembly decoder of stored lists gives decodePlio\'s pixels and errors (random lists, both headers, cut lists)', () => {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const outcome = (fn: () => Int32Array) => {
    try {
      return Array.from(fn());
    } catch (e) {
      if (!(e instanceof FitsError)) throw e;
      return e.message;
    }
  };
  const kinds = new Set<string>();
  for (let k = 0; k < 1500; k++) {
    const body: number[] = [];
    const nWords = Math.floor(rand() * 60);
    for (let i = 0; i < nWords; i++) {
      // mostly valid opcodes with small data, some negative words (ignored) and raw values
      const r = rand();
      body.push(r < 0.85 ? ((Math.floor(rand() * 8) << 12) | Math.floor(rand() * (rand() < 0.5 ? 8 : 4096))) : r < 0.93 ? -Math.floor(rand() * 32768) - 1 : Math.floor(rand() * 65536) - 32768);
    }
    const long = rand() < 0.3;
    const header = long ? [0, 7, -100, (7 + body.length) & 0x7fff, (7 + body.length) >> 15, 0, 0] : [0, 0, 3 + body.length];
    let words = [...header, ...body];
    if (rand() < 0.15) words = words.slice(0, Math.floor(rand() * words.length)); // cut: header checks
    if (rand() < 0.05) words[2] = Math.floor(rand() * 100) - 50; // a bad length or first word
    const list = Int16Array.from(words);
    const bytes = new Uint8Array(list.length * 2 + (rand() < 0.3 ? 1 : 0)); // an odd byte is ignored
    list.forEach((w, i) => {
      bytes[2 * i] = (w >> 8) & 0xff;
      bytes[2 * i + 1] = w & 0xff;
    });
    const count = Math.floor(rand() * 300);
    const expected = outcome(() => decodePlio(list, count));
    assert.deepEqual(outcome(() => decodePlioBigEndian(bytes, count)), expected, `list ${k}: ${words}`);
    assert.deepEqual(outcome(() => decodePlioBigEndian(bytes, count, new Int32Array(count + 3).fill(-1))), expected, `list ${k} reused`);
    kinds.add(typeof expected === 'string' ? expected.replace(/[0-9]+/g, 'N') : 'pixels');
  }
  // pixels and every error of the format came up
  assert.ok(kinds.size >= 4 && kinds.has('pixels'), [...kinds].join('; '));
});

test('dither: the convention random sequence and the three quantization methods', () => {
  const r = ditherRandomValues();
  assert.equal(r.length, N_RANDOM);
  assert.equal(r[0], Math.fround(16807 / 2147483647));
  assert.ok(r.every((v) => v > 0 && v < 1));

  const out = new Float64Array(3);
  dequantize([1, 2, -5], out, { method: 'NO_DITHER', scale: 0.5, zero: 10, blank: -5, tileNumber: 1, ditherSeed: 1 });
  assert.deepEqual(Array.from(out), [10.5, 11, NaN]);

  // DITHER_1, tile 1, ZDITHER0 1: seed index 0, first offset floor(r[0] * 500) = 0
  dequantize([4, 4, 4], out, { method: 'SUBTRACTIVE_DITHER_1', scale: 2, zero: 1, tileNumber: 1, ditherSeed: 1 });
  assert.deepEqual(Array.from(out), [0, 1, 2].map((k) => (4 - r[k]! + 0.5) * 2 + 1));
  // tile 3 with ZDITHER0 9999 wraps the seed index to (2 + 9998) % 10000 = 0
  const wrapped = new Float64Array(3);
  dequantize([4, 4, 4], wrapped, { method: 'SUBTRACTIVE_DITHER_1', scale: 2, zero: 1, tileNumber: 3, ditherSeed: 9999 });
  assert.deepEqual(Array.from(wrapped), Array.from(out));

  dequantize([ZERO_VALUE, 4, 7], out, { method: 'SUBTRACTIVE_DITHER_2', scale: 2, zero: 1, blank: 7, tileNumber: 1, ditherSeed: 1 });
  assert.equal(out[0], 0);
  assert.equal(out[1], (4 - r[1]! + 0.5) * 2 + 1, 'a zero pixel still advances the sequence');
  assert.ok(Number.isNaN(out[2]));
});

test('dither: the random walk moves to the next seed after 10000 pixels', () => {
  const r = ditherRandomValues();
  const n = 10100;
  const out = new Float64Array(n);
  dequantize(new Int32Array(n), out, { method: 'SUBTRACTIVE_DITHER_1', scale: 1, zero: 0, tileNumber: 1, ditherSeed: 1 });
  const start = Math.floor(r[0]! * 500);
  const firstWrap = N_RANDOM - start; // pixel at which the offset reaches 10000
  assert.equal(out[firstWrap - 1], -r[N_RANDOM - 1]! + 0.5);
  assert.equal(out[firstWrap], -r[Math.floor(r[1]! * 500)]! + 0.5);
});

test('dither: the WebAssembly dequantize gives the TypeScript reference\'s bits (methods, blanks, zeros, float32/64, seeds that wrap, runs past the table end)', () => {
  let seed = 11;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const bits = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  let cases = 0;
  for (const method of ['NO_DITHER', 'SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2'] as QuantizeMethod[]) {
    for (const n of [1, 7, 2048, 10_000, 23_456]) {
      for (const [tileNumber, ditherSeed] of [[1, 1], [3, 9999], [5000, 7321], [10_000, 10_000]] as const) {
        const ints = Int32Array.from({ length: n }, () => {
          const u = rnd();
          return u < 0.02 ? -2147483647 : u < 0.04 ? ZERO_VALUE : u < 0.06 ? 123 : Math.round((rnd() - 0.5) * 2 ** 31);
        });
        for (const blank of [undefined, -2147483647, 123, 0.5]) {
          const scale = rnd() * 3 + 1e-7;
          const zero = (rnd() - 0.5) * 1e4;
          const params = { method, scale, zero, blank, tileNumber, ditherSeed };
          const q = { method: quantizeMethodCode(method), scale, zero, blank, seedIndex: ditherSeedIndex(tileNumber, ditherSeed) };
          for (const Out of [Float32Array, Float64Array]) {
            const ref = new Out(n);
            dequantize(ints, ref, params);
            const got = new Out(n);
            wasmDequantize(ints, q, got);
            assert.equal(bits(got), bits(ref), `${method} n=${n} tile ${tileNumber} seed ${ditherSeed} blank ${blank} ${Out.name}`);
            cases++;
          }
        }
      }
    }
  }
  assert.equal(cases, 3 * 5 * 4 * 4 * 2);
});

test('RICE_1 quantized floats: decoding and restoring in one call gives decodeRice then dequantize, and the same errors', () => {
  const values = Int32Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? -2147483647 : Math.round(1000 * Math.sin(i / 50)) + (i % 7)));
  const stream = encodeRice(values, 32, 4);
  const q = { method: 1 as const, scale: 0.01, zero: 100, blank: -2147483647, seedIndex: ditherSeedIndex(17, 3) };
  const ref = new Float32Array(values.length);
  dequantize(decodeRice(stream, values.length, 32, 4), ref, { method: 'SUBTRACTIVE_DITHER_1', scale: 0.01, zero: 100, blank: -2147483647, tileNumber: 17, ditherSeed: 3 });
  const got = decodeRiceDequantized(stream, values.length, 32, 4, q, new Float32Array(values.length));
  assert.deepEqual(Buffer.from(got.buffer), Buffer.from(ref.buffer));
  for (const cut of [stream.subarray(0, 20), stream.subarray(0, stream.length >> 1)]) {
    const msg = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(msg(() => decodeRiceDequantized(cut, values.length, 32, 4, q, new Float32Array(values.length))), msg(() => decodeRice(cut, values.length, 32, 4)));
  }
});

test('LZW (.Z): bad magic, bad flags and corrupt codes are FitsErrors', () => {
  assert.throws(() => decompressLzw(Uint8Array.from([0x1f, 0x8b, 8])), isFitsError);
  assert.throws(() => decompressLzw(Uint8Array.from([0x1f, 0x9d, 0x80 | 30, 0, 0])), isFitsError);
  // first code 0x1ff (a dictionary code before any entry exists)
  assert.throws(() => decompressLzw(Uint8Array.from([0x1f, 0x9d, 0x90, 0xff, 0x01, 0, 0])), isFitsError);
  assert.deepEqual(Array.from(decompressLzw(Uint8Array.from([0x1f, 0x9d, 0x90]))), []);
  // 'A' (65) then 'B' (66) as two 9-bit codes, LSB first
  const codes = [65, 66];
  let acc = 0n;
  codes.forEach((c, i) => (acc |= BigInt(c) << BigInt(9 * i)));
  const bytes = [Number(acc & 0xffn), Number((acc >> 8n) & 0xffn), Number((acc >> 16n) & 0xffn)];
  assert.equal(Buffer.from(decompressLzw(Uint8Array.from([0x1f, 0x9d, 0x90, ...bytes]))).toString('latin1'), 'AB');
});

/** Test-only Unix compress (.Z) encoder: LZW, block mode, 8-code groups flushed on width change / clear. */
function compressLzw(input: Uint8Array, maxBits = 16, clearWhenFull = false): Uint8Array {
  const out: number[] = [0x1f, 0x9d, 0x80 | maxBits];
  const maxMax = 1 << maxBits;
  let nBits = 9;
  let maxCode = (1 << nBits) - 1;
  let freeEnt = 257;
  let clearFlag = false;
  let group: number[] = []; // codes of the current group, written when full or flushed
  let groupBits = 0;
  const flushGroup = (n: number) => {
    // pack the codes LSB-first into exactly n bytes (a partial group is padded to n bytes)
    let acc = 0n;
    let pos = 0n;
    for (const c of group) {
      acc |= BigInt(c) << pos;
      pos += BigInt(nBits);
    }
    const bytes = Number(pos + 7n) >> 3;
    for (let i = 0; i < n && (i < bytes || group.length === 8); i++) out.push(Number((acc >> BigInt(8 * i)) & 0xffn));
    if (group.length < 8) for (let i = bytes; i < n; i++) out.push(0);
    group = [];
    groupBits = 0;
  };
  const output = (code: number) => {
    group.push(code);
    groupBits += nBits;
    if (group.length === 8) flushGroup(nBits);
    if (freeEnt > maxCode || clearFlag) {
      if (group.length > 0) flushGroup(nBits);
      if (clearFlag) {
        nBits = 9;
        maxCode = (1 << nBits) - 1;
        clearFlag = false;
      } else {
        nBits++;
        maxCode = nBits === maxBits ? maxMax : (1 << nBits) - 1;
      }
    }
  };
  if (input.length === 0) return Uint8Array.from(out);
  let dict = new Map<number, number>();
  let ent = input[0]!;
  for (let i = 1; i < input.length; i++) {
    const c = input[i]!;
    const key = ent * 256 + c;
    const hit = dict.get(key);
    if (hit !== undefined) {
      ent = hit;
      continue;
    }
    output(ent);
    ent = c;
    if (freeEnt < maxMax) dict.set(key, freeEnt++);
    else if (clearWhenFull) {
      dict = new Map();
      freeEnt = 257;
      clearFlag = true;
      output(256);
    }
  }
  output(ent);
  // final partial group: only the bytes that hold bits
  if (group.length > 0) {
    let acc = 0n;
    let pos = 0n;
    for (const c of group) {
      acc |= BigInt(c) << pos;
      pos += BigInt(nBits);
    }
    const bytes = Number(pos + 7n) >> 3;
    for (let i = 0; i < bytes; i++) out.push(Number((acc >> BigInt(8 * i)) & 0xffn));
  }
  return Uint8Array.from(out);
}

test('LZW (.Z): round trips through a test-side compress encoder (9..16-bit codes, table full, CLEAR)', () => {
  const rnd = seeded(99);
  const random = new Uint8Array(90_000).map(() => Math.floor(rnd() * 256));
  const text = new Uint8Array(120_000).map((_, i) => 'abcdefghij klmnop'.charCodeAt((i * i) % 17) ^ (rnd() < 0.05 ? 1 : 0));
  const cases: [Uint8Array, number, boolean][] = [
    [random, 16, false], // reaches 16-bit codes and a full table
    [random, 16, true],
    [text, 12, true], // clears repeatedly
    [text, 16, false],
    [random.subarray(0, 5000), 9, true], // maxbits 9: codes widen to 10 bits once the table is full
    [new Uint8Array(0), 16, false],
  ];
  for (const [data, bits, clear] of cases) {
    const decoded = decompressLzw(compressLzw(data, bits, clear));
    assert.equal(Buffer.compare(Buffer.from(decoded), Buffer.from(data)), 0, `${data.length} bytes, ${bits} bits, clear ${clear}`);
  }
  // the output limit is a size limit (413), told apart from corrupt input by its code
  assert.throws(() => decompressLzw(compressLzw(random, 16, false), { maxOutputBytes: 1000 }), {
    code: 'FITS_TOO_LARGE',
    httpStatus: 413,
    message: 'compress (.Z): output exceeds the 1000-byte limit',
  });
});
