/*
 * The FITS ones' complement sum (src/fits/checksum.ts, via ones-sum.ts) in WebAssembly SIMD,
 * compiled by scripts/build-wasm.mjs into a module of its own that imports a *shared* memory: the
 * download buffers are allocated in such a memory (digest-service.ts's pool), so the digest
 * thread sums them where the socket wrote them instead of copying each 2 MiB into a private
 * memory first (session 13). The function keeps its values in wasm locals (no C stack in linear
 * memory), so threads may call it on one shared memory at once.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef uint64_t u64;
typedef uint32_t u32;

#define EXPORT(name) __attribute__((export_name(name)))

static inline u32 load_be32(const uint8_t *p) {
  u32 v;
  __builtin_memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

/*
 * The FITS checksum convention's 32-bit ones' complement sum of `words` big-endian words at p
 * (src/fits/checksum.ts): the words are added into 64-bit lanes (a call is given at most 2^32
 * words, so they cannot overflow) and the total folded with end-around carries. The result is 0
 * only when every word is 0; 0xFFFFFFFF stands for a nonzero sum of 0 modulo 2^32 - 1.
 * Four words per SIMD step: a byte shuffle makes them native-endian, then they widen into two
 * 64-bit accumulators (the JavaScript loop, a copy and a byte swap first, cost ~1.1-2 CPU s/GiB).
 * p need not be aligned (wasm loads are not).
 */
EXPORT("ones_sum")
u32 ones_sum(const uint8_t *p, u32 words) {
  v128_t a0 = wasm_i64x2_splat(0), a1 = wasm_i64x2_splat(0), a2 = wasm_i64x2_splat(0), a3 = wasm_i64x2_splat(0);
  u32 i = 0;
  for (; i + 8 <= words; i += 8) {
    v128_t x = wasm_v128_load(p + 4 * i);
    v128_t y = wasm_v128_load(p + 4 * i + 16);
    x = wasm_i8x16_shuffle(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    y = wasm_i8x16_shuffle(y, y, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    a0 = wasm_i64x2_add(a0, wasm_u64x2_extend_low_u32x4(x));
    a1 = wasm_i64x2_add(a1, wasm_u64x2_extend_high_u32x4(x));
    a2 = wasm_i64x2_add(a2, wasm_u64x2_extend_low_u32x4(y));
    a3 = wasm_i64x2_add(a3, wasm_u64x2_extend_high_u32x4(y));
  }
  v128_t a = wasm_i64x2_add(wasm_i64x2_add(a0, a1), wasm_i64x2_add(a2, a3));
  /* two lanes of at most 2^63: add them as halves so the total cannot overflow */
  u64 l0 = (u64)wasm_i64x2_extract_lane(a, 0), l1 = (u64)wasm_i64x2_extract_lane(a, 1);
  u64 s = (l0 & 0xffffffffu) + (l0 >> 32) + (l1 & 0xffffffffu) + (l1 >> 32);
  for (; i < words; i++) s += load_be32(p + 4 * i);
  while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
  return (u32)s;
}
