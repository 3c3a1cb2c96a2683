/*
 * Hot loops of the FITS tile codecs, compiled to WebAssembly by scripts/build-wasm.mjs (clang
 * --target=wasm32, no libc). The TypeScript side (src/fits/compression/wasm.ts) owns the memory
 * layout: it copies a tile's stream into linear memory followed by RICE_PAD zero bytes, calls a
 * function here, and copies the result out. Written for this project from the RICE_1 description
 * in the FITS tile compression convention; see rice.ts for the reference TypeScript decoder, whose
 * results and error cases these functions reproduce exactly (the tests run both).
 *
 * Why WebAssembly: V8's code for the bit loop bounds-checks every typed-array access and re-tags
 * integers; here the loop reads the stream 32 bits at a time into a 64-bit window, and the
 * compiler specialises it for each BYTEPIX (callgrind: ~113 instructions a pixel in V8, see
 * docs/fits-compression.md for this one).
 */
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

#define EXPORT(name) __attribute__((export_name(name)))

/* Zero bytes the caller puts after the stream: the reader loads 4 bytes at a time ahead. */
#define RICE_PAD 16

/* Error codes, mapped to messages by wasm.ts. An invalid block code is returned as
 * RICE_ERR_CODE - code. */
#define RICE_ERR_SHORT (-1)  /* the stream ends before all pixels were decoded */
#define RICE_ERR_INSIDE (-2) /* the stream ends inside a block (a run of zeros past its end) */
#define RICE_ERR_CODE (-1000)

static inline u32 load_be32(const uint8_t *p) {
  u32 v;
  __builtin_memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

static inline u32 clz64(u64 x) { return x ? (u32)__builtin_clzll(x) : 64; }

/* Stored values wrap to the stored width: unsigned 8-bit, signed 16 or 32-bit. */
static inline int32_t wrap(int32_t v, int bytepix) {
  if (bytepix == 1) return v & 0xff;
  if (bytepix == 2) return (int16_t)v;
  return v;
}

/*
 * The bit window `acc` is left-aligned: its top `avail` bits are the next unread bits of the
 * stream and everything below them is zero, so a refill ORs the next big-endian 32-bit word in
 * just below them. After a refill at least 33 bits are available: one pixel of a normal block
 * needs at most 1 + 25 bits once its run of zeros is consumed.
 */
#define REFILL                                                   \
  if (avail <= 32) {                                             \
    acc |= (u64)load_be32(buf + c) << (32 - avail);              \
    c += 4;                                                      \
    avail += 32;                                                 \
  }

static inline __attribute__((always_inline)) int32_t rice(const uint8_t *buf, u32 len, u32 count, u32 blocksize, int32_t *out,
                                                          const int bytepix, const int fsBits, const int fsMax, const int bBits) {
  u32 c = 0;
  int32_t last = 0;
  for (int k = 0; k < bytepix; k++) last = (int32_t)(((u32)last << 8) | buf[c++]);
  last = wrap(last, bytepix);
  u64 acc = 0;
  u32 avail = 0;
  u32 i = 0;
  while (i < count) {
    /* bytes wholly or partly consumed so far: c - avail / 8 */
    if (c - (avail >> 3) > len) return RICE_ERR_SHORT;
    REFILL
    int fs = (int)(acc >> (64 - fsBits)) - 1;
    acc <<= fsBits;
    avail -= fsBits;
    u32 imax = count - i < blocksize ? count : i + blocksize;
    if (fs < 0) {
      /* low-entropy block: every difference is zero */
      for (; i < imax; i++) out[i] = last;
    } else if (fs == fsMax) {
      /* high-entropy block: differences stored raw in bBits bits. A block running past the
       * stream cannot end well (the final check would fail): say so before reading past it. */
      if (c - (avail >> 3) + (imax - i) * (u32)bytepix > len) return RICE_ERR_SHORT;
      for (; i < imax; i++) {
        REFILL
        u32 diff = (u32)(acc >> (64 - bBits));
        acc <<= bBits;
        avail -= bBits;
        int32_t v = (int32_t)(((diff & 1) ? ~(diff >> 1) : (diff >> 1)) + (u32)last);
        last = wrap(v, bytepix);
        out[i] = last;
      }
    } else if (fs > fsMax) {
      return RICE_ERR_CODE - (fs + 1);
    } else {
      for (; i < imax; i++) {
        REFILL
        /* unary high part: the zeros before the first one */
        u32 nzero = clz64(acc);
        if (nzero >= avail) {
          /* a long run of zeros: swallow whole words (the padding is zeros, so a stream that
           * ends inside the run stops here) */
          nzero = avail;
          for (;;) {
            if (c + 4 > len + RICE_PAD) return RICE_ERR_INSIDE;
            acc = (u64)load_be32(buf + c) << 32;
            c += 4;
            avail = 32;
            if (acc != 0) break;
            nzero += 32;
          }
          u32 z = clz64(acc);
          nzero += z;
          acc = (acc << z) << 1;
          avail -= z + 1;
          if (c - (avail >> 3) > len) return RICE_ERR_INSIDE;
        } else {
          acc = (acc << nzero) << 1;
          avail -= nzero + 1;
        }
        if (avail < (u32)fs) {
          REFILL
        }
        u32 diff = (nzero << fs) | (u32)((acc >> 1) >> (63 - fs));
        acc <<= fs;
        avail -= fs;
        int32_t v = (int32_t)(((diff & 1) ? ~(diff >> 1) : (diff >> 1)) + (u32)last);
        last = wrap(v, bytepix);
        out[i] = last;
      }
    }
  }
  if (c - (avail >> 3) > len) return RICE_ERR_SHORT;
  return 0;
}

/*
 * Decodes `count` RICE_1 pixels from buf[0, len) (followed by RICE_PAD zero bytes) into out as
 * int32 (unsigned for bytepix 1). The caller has checked bytepix, 1 <= blocksize <= 2^20,
 * count >= 1 and len >= bytepix + 1. Returns 0 or an error code.
 */
EXPORT("rice_decode")
int32_t rice_decode(const uint8_t *buf, u32 len, u32 count, u32 blocksize, u32 bytepix, int32_t *out) {
  if (bytepix == 1) return rice(buf, len, count, blocksize, out, 1, 3, 6, 8);
  if (bytepix == 2) return rice(buf, len, count, blocksize, out, 2, 4, 14, 16);
  return rice(buf, len, count, blocksize, out, 4, 5, 25, 32);
}

/*
 * Restores one tile of quantized floats (FITS tile compression convention, sec. 5; dither.ts holds
 * the TypeScript reference this reproduces bit for bit): `in` holds `n` stored integers, `out`
 * receives float32 (wide = 0) or float64 values computed in double precision exactly as the
 * reference orders the operations:
 *   method 0 (NO_DITHER):              v * scale + zero
 *   method 1 (SUBTRACTIVE_DITHER_1):   (v - rand[next] + 0.5) * scale + zero
 *   method 2 (SUBTRACTIVE_DITHER_2):   as 1, and the stored ZERO_VALUE gives exactly 0.0
 * `blank` (when has_blank) gives NaN. `rand` is the convention's 10000 random numbers (as doubles);
 * the walk starts at seed index `iseed` with offset floor(rand[iseed] * 500) and moves to the next
 * seed when the offset reaches 10000. No fused multiply-add: wasm32 has none (build-wasm.mjs also
 * passes -ffp-contract=off).
 */
#define N_RANDOM 10000
#define ZERO_VALUE (-2147483646)

#define DEQUANTIZE_LOOP(T)                                                                     \
  T *o = (T *)out;                                                                             \
  if (method == 0) {                                                                           \
    for (u32 i = 0; i < n; i++) {                                                              \
      int32_t v = in[i];                                                                       \
      double d = (double)v * scale + zero;                                                     \
      if (has_blank && v == blank) d = __builtin_nan("");                                      \
      o[i] = (T)d;                                                                             \
    }                                                                                          \
    return;                                                                                    \
  }                                                                                            \
  u32 next = (u32)(rand[iseed] * 500.0);                                                       \
  u32 i = 0;                                                                                   \
  while (i < n) {                                                                              \
    /* a run up to the end of the table, then the walk moves to the next seed */               \
    u32 len = N_RANDOM - next < n - i ? N_RANDOM - next : n - i;                               \
    const int32_t *src = in + i;                                                               \
    const double *r = rand + next;                                                             \
    T *dst = o + i;                                                                            \
    for (u32 k = 0; k < len; k++) {                                                            \
      int32_t v = src[k];                                                                      \
      double d = ((double)v - r[k] + 0.5) * scale + zero;                                      \
      if (has_blank && v == blank) d = __builtin_nan("");                                      \
      else if (method == 2 && v == ZERO_VALUE) d = 0.0;                                        \
      dst[k] = (T)d;                                                                           \
    }                                                                                          \
    i += len;                                                                                  \
    next += len;                                                                               \
    if (next == N_RANDOM) {                                                                    \
      iseed = iseed + 1 == N_RANDOM ? 0 : iseed + 1;                                           \
      next = (u32)(rand[iseed] * 500.0);                                                       \
    }                                                                                          \
  }

EXPORT("dequantize")
void dequantize(const int32_t *in, u32 n, void *out, u32 wide, u32 method, double scale, double zero, u32 has_blank, int32_t blank,
                const double *rand, u32 iseed) {
  if (wide) {
    DEQUANTIZE_LOOP(double)
  } else {
    DEQUANTIZE_LOOP(float)
  }
}

#include <wasm_simd128.h>

/*
 * The FITS checksum convention's 32-bit ones' complement sum of `words` big-endian words at p
 * (src/fits/checksum.ts): the words are added into 64-bit lanes (a call is given at most 2^32
 * words, so they cannot overflow) and the total folded with end-around carries. The result is 0
 * only when every word is 0; 0xFFFFFFFF stands for a nonzero sum of 0 modulo 2^32 - 1.
 * Four words per SIMD step: a byte shuffle makes them native-endian, then they widen into two
 * 64-bit accumulators (the JavaScript loop, a copy and a byte swap first, cost ~1.1-2 CPU s/GiB).
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
