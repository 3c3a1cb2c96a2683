/**
 * The ones' complement sum of checksum.ts in WebAssembly (sum.c, src/fits/wasm/): one instance per
 * thread over a small shared memory of its own, into which bytes are copied (1 MiB per call), and
 * one per memory lent by `sumInPlaceOver`: bytes that already live in such a memory (the download
 * buffers of digest-service.ts) are summed where they are, without the copy.
 */
import { SUM_WASM_BASE64 } from './wasm/sum-wasm.js';
import { alignUp, compileWasm, webAssembly, type WasmHeapExports, type WasmMemory } from '../core/wasm-module.js';

/** sum.c's exports (its memory is imported, not among them). */
interface SumExports extends Omit<WasmHeapExports, 'memory'> {
  ones_sum(buf: number, words: number): number;
}

/** Bytes copied into the private memory per call. */
const SUM_PIECE = 1 << 20;
const PAGE = 65_536;

let module: object | undefined;

/** sum.c's module imports its memory, which must be shared (it is compiled for threads). */
function instantiate(memory: WasmMemory): SumExports {
  module ??= compileWasm(SUM_WASM_BASE64);
  const wasm = webAssembly() as unknown as { Instance: new (m: object, imports: object) => { readonly exports: object } };
  return new wasm.Instance(module, { env: { memory } }).exports as unknown as SumExports;
}

/** A shared wasm memory of `pages` 64 KiB pages that never grows (so its buffer never changes). */
export function sharedWasmMemory(pages: number): WasmMemory & { readonly buffer: SharedArrayBuffer } {
  const wasm = webAssembly() as unknown as { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory & { readonly buffer: SharedArrayBuffer } } | undefined;
  if (!wasm) throw new Error('this runtime has no WebAssembly');
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

/** The first byte of a memory above sum.c's reserved low addresses. */
export function sumHeapStart(): number {
  return alignUp(SUM_HEAP_BASE, 16);
}
/** sum.c's `__heap_base` (its static area; checked when an instance is made). */
const SUM_HEAP_BASE = 1024;

let own: { exports: SumExports; memory: WasmMemory; at: number } | undefined;
/** Memories lent for in-place sums, by their buffer. */
const lent = new Map<ArrayBufferLike, SumExports>();

/**
 * Sums bytes that lie in `memory` (made by sharedWasmMemory, at or above sumHeapStart()) in
 * place from now on, on this thread.
 */
export function sumInPlaceOver(memory: WasmMemory): void {
  if (lent.has(memory.buffer)) return;
  const x = instantiate(memory);
  if (Number(x.__heap_base.value) > SUM_HEAP_BASE) throw new Error('sum.c uses more static memory than ones-sum.ts reserves');
  lent.set(memory.buffer, x);
}

/**
 * `size` bytes of a shared wasm memory of their own, summed in place on this thread: a buffer that
 * bytes are read into (the digest thread's read-back) so that their FITS sum needs no copy.
 */
export function inPlaceSumBuffer(size: number): Uint8Array {
  const at = sumHeapStart();
  const memory = sharedWasmMemory(Math.ceil((at + size) / PAGE));
  sumInPlaceOver(memory);
  return new Uint8Array(memory.buffer, at, size);
}

/**
 * The ones' complement sum of the big-endian 32-bit words of `bytes` (length a multiple of 4),
 * folded to 32 bits with end-around carries (sum.c ones_sum): 0 only when every word is 0,
 * 0xFFFFFFFF for a nonzero sum that is 0 modulo 2^32 - 1.
 */
export function wasmOnesSum(bytes: Uint8Array): number {
  const inPlace = lent.size > 0 ? lent.get(bytes.buffer) : undefined;
  if (inPlace) return inPlace.ones_sum(bytes.byteOffset, bytes.length >>> 2) >>> 0;
  if (!own) {
    const at = sumHeapStart();
    const memory = sharedWasmMemory(Math.ceil((at + SUM_PIECE) / PAGE));
    own = { exports: instantiate(memory), memory, at };
  }
  const { exports: c, memory, at } = own;
  const target = new Uint8Array(memory.buffer, at, SUM_PIECE);
  let total = 0;
  for (let pos = 0; pos < bytes.length; pos += SUM_PIECE) {
    const piece = bytes.subarray(pos, Math.min(bytes.length, pos + SUM_PIECE));
    target.set(piece);
    total += c.ones_sum(at, piece.length >>> 2) >>> 0;
    if (total > 0xffffffff) total -= 0xffffffff; // end-around carry: stays nonzero
  }
  return total;
}
