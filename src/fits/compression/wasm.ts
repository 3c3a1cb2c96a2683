/**
 * The WebAssembly build of codecs.c (src/fits/compression/wasm/): one instance per thread, made on
 * first use. This module owns the instance's linear memory: a call copies its input in just above
 * the C stack and static data (`__heap_base`), followed by the zero padding the decoder reads
 * ahead into, and takes its output from just after; memory grows when a tile needs more (it never
 * shrinks, like any wasm memory: at most one tile's stream and pixels, the largest tile seen).
 */
import { CODECS_WASM_BASE64 } from './wasm/codecs-wasm.js';

// The project compiles without the DOM lib, whose declarations hold WebAssembly's: the little used
// here is declared locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface CodecExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  rice_decode(buf: number, len: number, count: number, blocksize: number, bytepix: number, out: number): number;
  ones_sum(buf: number, words: number): number;
}

/** Zero bytes after a RICE_1 stream (RICE_PAD in codecs.c). */
export const RICE_PAD = 16;
/** Error codes of codecs.c. */
export const RICE_ERR_SHORT = -1;
export const RICE_ERR_INSIDE = -2;
export const RICE_ERR_CODE = -1000;

let codecs: CodecExports | undefined;
let heapBase = 0;

function instance(): CodecExports {
  if (!codecs) {
    // synchronous: the module is 4 KB, compiled once per thread in well under a millisecond
    const module = new wasm.Module(Buffer.from(CODECS_WASM_BASE64, 'base64'));
    codecs = new wasm.Instance(module, {}).exports as unknown as CodecExports;
    heapBase = align(Number(codecs.__heap_base.value), 16);
  }
  return codecs;
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Makes sure linear memory holds `end` bytes, returning the (possibly new) buffer. */
function ensureMemory(c: CodecExports, end: number): ArrayBuffer {
  const have = c.memory.buffer.byteLength;
  if (end > have) c.memory.grow(Math.ceil((end - have) / 65536));
  return c.memory.buffer;
}

/**
 * Runs codecs.c's rice_decode on `input` and copies `count` decoded values into `out`.
 * Returns 0 or an error code (RICE_ERR_*); the caller has validated the parameters.
 */
export function wasmRiceDecode(input: Uint8Array, count: number, blocksize: number, bytepix: number, out: Int32Array): number {
  const c = instance();
  const inPtr = heapBase;
  const outPtr = align(inPtr + input.length + RICE_PAD, 16);
  const buffer = ensureMemory(c, outPtr + count * 4);
  const bytes = new Uint8Array(buffer, inPtr, input.length + RICE_PAD);
  bytes.set(input);
  bytes.fill(0, input.length);
  const status = c.rice_decode(inPtr, input.length, count, blocksize, bytepix, outPtr);
  if (status === 0) out.set(new Int32Array(buffer, outPtr, count));
  return status;
}

/** Bytes copied into linear memory per ones_sum call (a 2 MiB download buffer goes in two). */
const SUM_PIECE = 1 << 20;

/**
 * The ones' complement sum of the big-endian 32-bit words of `bytes` (length a multiple of 4),
 * folded to 32 bits with end-around carries (codecs.c ones_sum): 0 only when every word is 0,
 * 0xFFFFFFFF for a nonzero sum that is 0 modulo 2^32 - 1.
 */
export function wasmOnesSum(bytes: Uint8Array): number {
  const c = instance();
  const ptr = heapBase;
  let buffer = ensureMemory(c, ptr + Math.min(SUM_PIECE, bytes.length));
  let total = 0;
  for (let pos = 0; pos < bytes.length; pos += SUM_PIECE) {
    const piece = bytes.subarray(pos, Math.min(bytes.length, pos + SUM_PIECE));
    if (buffer.byteLength === 0) buffer = c.memory.buffer; // detached by a grow elsewhere (not expected)
    new Uint8Array(buffer, ptr, piece.length).set(piece);
    total += c.ones_sum(ptr, piece.length >>> 2) >>> 0;
    if (total > 0xffffffff) total -= 0xffffffff; // end-around carry: stays nonzero
  }
  return total;
}
