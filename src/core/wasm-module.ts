/**
 * What the project's WebAssembly kernels share (src/fits/compression/wasm.ts for codecs.c,
 * src/imaging/count-kernel.ts for count.c): the module compiled from its committed base64 once per
 * thread, and linear memory laid out in 16-byte aligned blocks above the C stack and static data
 * (`__heap_base`), grown when a call needs more (wasm memory never shrinks).
 */

// The project compiles without the DOM lib, whose declarations hold WebAssembly's: the little used
// here is declared locally.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The exports every kernel module has: its memory and where its free heap starts. */
export interface WasmHeapExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
}

/** This runtime's WebAssembly, or undefined where there is none. */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/**
 * Compiles a committed module (synchronous: a few KB, well under a millisecond); throws where the
 * runtime has no WebAssembly.
 */
export function compileWasm(base64: string): object {
  const wasm = webAssembly();
  if (!wasm) throw new Error('this runtime has no WebAssembly');
  return new wasm.Module(Buffer.from(base64, 'base64'));
}

/** A new instance of `module` (no imports), its exports typed as `T`. */
export function instantiateWasm<T extends WasmHeapExports>(module: object): T {
  const wasm = webAssembly();
  if (!wasm) throw new Error('this runtime has no WebAssembly');
  return new wasm.Instance(module, {}).exports as unknown as T;
}

/** `n` rounded up to a multiple of `to`. */
export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** The first 16-byte aligned address of an instance's free heap. */
export function heapStart(x: WasmHeapExports): number {
  return alignUp(Number(x.__heap_base.value), 16);
}

/** Makes sure `memory` holds `end` bytes, returning its (possibly new) buffer. */
export function ensureMemory(memory: WasmMemory, end: number): ArrayBuffer {
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / 65_536));
  return memory.buffer;
}
