/**
 * The WebAssembly build of codecs.c (src/fits/compression/wasm/): one instance per thread, made on
 * first use. This module owns the instance's linear memory: a call copies its input in just above
 * the C stack and static data (`__heap_base`), followed by the zero padding the decoder reads
 * ahead into, and takes its output from just after; memory grows when a tile needs more (it never
 * shrinks, like any wasm memory: at most one tile's stream and pixels, the largest tile seen).
 */
import { CODECS_WASM_BASE64 } from './wasm/codecs-wasm.js';
import { N_RANDOM, ditherRandomValues } from './dither.js';
import { alignUp as align, compileWasm, ensureMemory, heapStart, instantiateWasm, type WasmHeapExports } from '../../core/wasm-module.js';

interface CodecExports extends WasmHeapExports {
  rice_decode(buf: number, len: number, count: number, blocksize: number, bytepix: number, out: number): number;
  dequantize(input: number, n: number, out: number, wide: number, method: number, scale: number, zero: number, hasBlank: number, blank: number, rand: number, iseed: number): void;
  hc_work_bytes(nx: number, ny: number): number;
  plio_decode(list: number, first: number, length: number, count: number, out: number): number;
  hc_decode(buf: number, len: number, nx: number, ny: number, scale: number, sumHi: number, sumLo: number, p0: number, p1: number, p2: number, smooth: number, work: number): number;
}

/** Zero bytes after a RICE_1 stream (RICE_PAD in codecs.c). */
export const RICE_PAD = 16;
/** Error codes of codecs.c. */
export const RICE_ERR_SHORT = -1;
export const RICE_ERR_INSIDE = -2;
export const RICE_ERR_CODE = -1000;

let codecs: CodecExports | undefined;
/** Where the dither random table lives (N_RANDOM doubles, copied in on first use). */
let randPtr = 0;
let randLoaded = false;
/** Where each call's input and output go: after the table. */
let heapBase = 0;

function instance(): CodecExports {
  if (!codecs) {
    codecs = instantiateWasm<CodecExports>(compileWasm(CODECS_WASM_BASE64));
    randPtr = heapStart(codecs);
    heapBase = randPtr + N_RANDOM * 8;
  }
  return codecs;
}

/**
 * Runs codecs.c's rice_decode on `input` and copies `count` decoded values into `out`.
 * Returns 0 or an error code (RICE_ERR_*); the caller has validated the parameters.
 */
export function wasmRiceDecode(input: Uint8Array, count: number, blocksize: number, bytepix: number, out: Int32Array): number {
  const c = instance();
  const inPtr = heapBase;
  const outPtr = align(inPtr + input.length + RICE_PAD, 16);
  const buffer = ensureMemory(c.memory, outPtr + count * 4);
  const bytes = new Uint8Array(buffer, inPtr, input.length + RICE_PAD);
  bytes.set(input);
  bytes.fill(0, input.length);
  const status = c.rice_decode(inPtr, input.length, count, blocksize, bytepix, outPtr);
  if (status === 0) out.set(new Int32Array(buffer, outPtr, count));
  return status;
}

/** How quantized integers become floats (dither.ts DequantizeParams, resolved for the C side). */
export interface WasmDequantize {
  /** 0 NO_DITHER, 1 SUBTRACTIVE_DITHER_1, 2 SUBTRACTIVE_DITHER_2. */
  readonly method: 0 | 1 | 2;
  readonly scale: number;
  readonly zero: number;
  /** The stored integer meaning NaN, or undefined (also when it is no 32-bit integer: nothing can equal it). */
  readonly blank: number | undefined;
  /** Index of the tile's first seed in the random table (0..N_RANDOM-1). */
  readonly seedIndex: number;
}

function dequantizeIn(c: CodecExports, intPtr: number, count: number, floatPtr: number, wide: boolean, q: WasmDequantize): void {
  if (!randLoaded) {
    new Float64Array(c.memory.buffer, randPtr, N_RANDOM).set(ditherRandomValues());
    randLoaded = true;
  }
  const hasBlank = q.blank !== undefined && Number.isInteger(q.blank) && q.blank >= -0x80000000 && q.blank <= 0x7fffffff;
  c.dequantize(intPtr, count, floatPtr, wide ? 1 : 0, q.method, q.scale, q.zero, hasBlank ? 1 : 0, hasBlank ? q.blank! : 0, randPtr, q.seedIndex);
}

/**
 * RICE_1 decoding and the restoring of quantized floats of one tile in one visit to linear memory
 * (codecs.c rice_decode, then dequantize on the integers where they are): the floats are copied
 * into `out` (length >= count). Returns 0 or an error code (RICE_ERR_*), as wasmRiceDecode.
 */
export function wasmRiceDequantize(input: Uint8Array, count: number, blocksize: number, bytepix: number, q: WasmDequantize, out: Float32Array | Float64Array): number {
  const c = instance();
  const inPtr = heapBase;
  const intPtr = align(inPtr + input.length + RICE_PAD, 16);
  const floatPtr = align(intPtr + count * 4, 16);
  const wide = out instanceof Float64Array;
  const buffer = ensureMemory(c.memory, floatPtr + count * (wide ? 8 : 4));
  const bytes = new Uint8Array(buffer, inPtr, input.length + RICE_PAD);
  bytes.set(input);
  bytes.fill(0, input.length);
  const status = c.rice_decode(inPtr, input.length, count, blocksize, bytepix, intPtr);
  if (status !== 0) return status;
  dequantizeIn(c, intPtr, count, floatPtr, wide, q);
  out.set(wide ? new Float64Array(buffer, floatPtr, count) : new Float32Array(buffer, floatPtr, count));
  return 0;
}

/** dither.ts's dequantize of 32-bit integers, in WebAssembly: `ints` copied in, the floats copied into `out`. */
export function wasmDequantize(ints: Int32Array, q: WasmDequantize, out: Float32Array | Float64Array): void {
  const c = instance();
  const intPtr = heapBase;
  const count = ints.length;
  const floatPtr = align(intPtr + count * 4, 16);
  const wide = out instanceof Float64Array;
  const buffer = ensureMemory(c.memory, floatPtr + count * (wide ? 8 : 4));
  new Int32Array(buffer, intPtr, count).set(ints);
  dequantizeIn(c, intPtr, count, floatPtr, wide, q);
  out.set(wide ? new Float64Array(buffer, floatPtr, count) : new Float32Array(buffer, floatPtr, count));
}

/** Zero bytes after an HCOMPRESS_1 stream (HC_PAD in codecs.c). */
const HC_PAD = 16;
/** Results of codecs.c hc_decode. */
const HC_INT32 = 1;
const HC_FLOAT64 = 2;
export const HC_ERR_SHORT = -1;
export const HC_ERR_END = -2;
export const HC_ERR_FORMAT = -1000;

/** The header fields of an HCOMPRESS_1 tile that hc_decode takes (hcompress.ts has checked them). */
export interface WasmHcompressHeader {
  readonly nx: number;
  readonly ny: number;
  readonly scale: number;
  /** The pixel sum's two 32-bit halves (signed high, unsigned low). */
  readonly sumHi: number;
  readonly sumLo: number;
  readonly planes: readonly [number, number, number];
}

/**
 * Runs codecs.c's hc_decode on one HCOMPRESS_1 tile (`input`: the whole stream, header included):
 * the pixels, copied out (Int32Array when 32-bit arithmetic sufficed, as hcompress.ts's decoder
 * returns them), an error code (HC_ERR_*), or undefined when the tile is for the TypeScript decoder
 * (coefficients beyond 2^44, or linear memory that cannot grow to the tile's working set).
 */
export function wasmHcompressDecode(input: Uint8Array, h: WasmHcompressHeader, smooth: boolean): Int32Array | Float64Array | number | undefined {
  const c = instance();
  const inPtr = heapBase;
  const workPtr = align(inPtr + input.length + HC_PAD, 16);
  const count = h.nx * h.ny;
  let buffer: ArrayBuffer;
  try {
    buffer = ensureMemory(c.memory, workPtr + c.hc_work_bytes(h.nx, h.ny));
  } catch {
    return undefined; // RangeError: no more memory for this instance; the TypeScript decoder allocates its own
  }
  const bytes = new Uint8Array(buffer, inPtr, input.length + HC_PAD);
  bytes.set(input);
  bytes.fill(0, input.length);
  const [p0, p1, p2] = h.planes;
  const status = c.hc_decode(inPtr, input.length, h.nx, h.ny, h.scale, h.sumHi, h.sumLo, p0, p1, p2, smooth ? 1 : 0, workPtr);
  if (status === HC_INT32) return new Int32Array(buffer, workPtr, count).slice();
  if (status === HC_FLOAT64) return new Float64Array(buffer, workPtr, count).slice();
  return status < 0 ? status : undefined;
}

/** codecs.c plio_decode's error: a set-value word is the list's last. */
export const PLIO_ERR_SET = -1;

/**
 * Runs codecs.c's plio_decode on a PLIO_1 list (`list`: its big-endian 16-bit words, header
 * included, at least `length` of them; plio.ts has checked the header) and copies the pixels into
 * `out` (`out.length` of them). Returns 0 or PLIO_ERR_SET.
 */
export function wasmPlioDecode(list: Uint8Array, first: number, length: number, out: Int32Array): number {
  const c = instance();
  const inPtr = heapBase;
  const outPtr = align(inPtr + list.length, 16);
  const buffer = ensureMemory(c.memory, outPtr + out.length * 4);
  new Uint8Array(buffer, inPtr, list.length).set(list);
  const status = c.plio_decode(inPtr, first, length, out.length, outPtr);
  if (status === 0) out.set(new Int32Array(buffer, outPtr, out.length));
  return status;
}
