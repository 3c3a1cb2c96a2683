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
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

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

/*
 * HCOMPRESS_1 tiles (FITS tile compression convention, sec. 4; R. White's H-compress). Written for
 * this project from the description; hcompress.ts is the TypeScript decoder these functions
 * reproduce exactly, values and errors (compression-hcompress.test.ts runs both on astropy's
 * tiles and on made, cut and changed streams).
 *
 * The tile's whole stream (its 25-byte header included, followed by HC_PAD zero bytes) is at buf;
 * `work` holds hc_work_bytes(nx, ny) bytes: the coefficients (8 bytes a pixel: 32-bit ones use
 * the first half), the unshuffle buffer and the quadtree codes. As hcompress.ts does, the
 * coefficients are 32-bit integers while the bit planes (<= 30) and the pixel sum (< 2^30) allow
 * it and the scaled coefficients stay below 2^28 (so sums of four stay inside 32 bits, as the
 * convention's 32-bit arithmetic for 8/16-bit images assumes), else 64-bit integers, which equal
 * the reference's doubles while the scaled coefficients stay below 2^44 (HC_TOO_LARGE past it:
 * the TypeScript decoder takes those tiles).
 *
 * Returns HC_INT32 (int32 pixels at work), HC_FLOAT64 (doubles at work), HC_TOO_LARGE, or an
 * error: HC_ERR_SHORT (the stream ends early), HC_ERR_END (no end code after the bit planes),
 * HC_ERR_FORMAT - code (a bit plane's format code is neither 0 nor 0xF). The caller has checked
 * the header: magic, 1 <= nx*ny <= 2^24, bit planes <= 52, no bit planes for an empty quadrant.
 */
typedef int64_t i64;

#define HC_PAD 16
#define HC_COLS 64
#define HC_INT32 1
#define HC_FLOAT64 2
#define HC_TOO_LARGE 3
#define HC_ERR_SHORT (-1)
#define HC_ERR_END (-2)
#define HC_ERR_FORMAT (-1000)

/* MSB-first reader with a left-aligned 64-bit window (as rice() above). Bits past the stream read
 * as zeros (the padding); past len + 4 bytes `bad` is set and the window is refilled with zeros,
 * so a corrupt stream cannot read outside the padding and fails with HC_ERR_SHORT. Any bit read
 * past len ends in HC_ERR_SHORT (the final check), as the TypeScript reader's does. */
typedef struct {
  const uint8_t *buf;
  u32 len;
  u32 c;
  u32 avail;
  u32 bad;
  u64 acc;
} hc_bits;

static inline __attribute__((always_inline)) void hc_need(hc_bits *r, u32 n) {
  if (r->avail < n) {
    if (r->c <= r->len + 4) {
      r->acc |= (u64)load_be32(r->buf + r->c) << (32 - r->avail);
      r->c += 4;
    } else {
      r->bad = 1;
    }
    r->avail += 32;
  }
}

static inline __attribute__((always_inline)) u32 hc_get(hc_bits *r, u32 n) {
  hc_need(r, n);
  u32 v = (u32)(r->acc >> (64 - n));
  r->acc <<= n;
  r->avail -= n;
  return v;
}


/* The quadtree's fixed code for 4-bit values (3 to 6 bits): 6-bit prefix -> length << 4 | value. */
static const uint8_t HC_HUFFMAN[64] = {
    0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
    0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x34, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38,
    0x43, 0x43, 0x43, 0x43, 0x45, 0x45, 0x45, 0x45, 0x4a, 0x4a, 0x4a, 0x4a, 0x4c, 0x4c, 0x4c, 0x4c,
    0x4f, 0x4f, 0x4f, 0x4f, 0x56, 0x56, 0x57, 0x57, 0x59, 0x59, 0x5b, 0x5b, 0x5d, 0x5d, 0x60, 0x6e};

static inline __attribute__((always_inline)) u32 hc_huffman(hc_bits *r) {
  hc_need(r, 6);
  u32 e = HC_HUFFMAN[r->acc >> 58];
  u32 n = e >> 4;
  r->acc <<= n;
  r->avail -= n;
  return e & 15;
}

static inline int hc_ceil_log2(int n) {
  int k = 0;
  while ((1 << k) < n) k++;
  return k;
}

/* One level of a bit plane's quadtree: the gx x gy grid of 4-bit codes `chi` from its parent grid
 * `par` ((gx+1)/2 x (gy+1)/2): an entry whose bit in its parent's code is set (bit 3 for the
 * top-left child, 2 top-right, 1 bottom-left, 0 bottom-right) is read from the stream, the others
 * are 0; entries are read from the last to the first. */
static inline __attribute__((always_inline)) void hc_level(hc_bits *r, const uint8_t *par, uint8_t *chi, int gx, int gy) {
  int py = (gy + 1) >> 1;
  for (int gi = gx - 1; gi >= 0; gi--) {
    const uint8_t *prow = par + py * (gi >> 1);
    u32 sh = (gi & 1) ? 0 : 2;
    uint8_t *crow = chi + gy * gi;
    /* by parent: its two bits for this row (2: left child, 1: right child) */
    for (int pj = py - 1; pj >= 0; pj--) {
      u32 f = (u32)(prow[pj] >> sh) & 3;
      int gj = 2 * pj;
      if (gj + 1 < gy) crow[gj + 1] = (f & 1) ? (uint8_t)hc_huffman(r) : 0;
      crow[gj] = (f & 2) ? (uint8_t)hc_huffman(r) : 0;
    }
  }
}

/* Row pairs (x >> 1 -> [0], x & 1 -> [1]) as two int32 in one 64-bit word, for the 32-bit insert. */
static const u64 HC_PAIR[4] = {0, 1ull << 32, 1, 1 | (1ull << 32)};

/* Truncating division clamped to [-smax, smax]. */
static inline i64 hc_clamp(i64 s, i64 div, i64 smax) {
  i64 q = s / div;
  return q > smax ? smax : q < -smax ? -smax : q;
}

static inline i64 hc_min(i64 x, i64 y) { return x < y ? x : y; }
static inline i64 hc_max(i64 x, i64 y) { return x > y ? x : y; }

#define T int32_t
#define U uint32_t
#define FN(name) name##32
#include "hcompress-t.h"
#undef T
#undef U
#undef FN
#define T int64_t
#define U uint64_t
#define FN(name) name##64
#include "hcompress-t.h"
#undef T
#undef U
#undef FN

static inline u32 hc_align16(u32 n) { return (n + 15) & ~15u; }

static inline u32 hc_tmp_bytes(u32 nx, u32 ny) {
  u32 rows = HC_COLS * (nx / 2 + 1), cols = ny / 2 + 1;
  return hc_align16(8 * (rows > cols ? rows : cols));
}

/* Bytes of `work` hc_decode needs for an nx x ny tile. */
EXPORT("hc_work_bytes")
u32 hc_work_bytes(u32 nx, u32 ny) { return hc_align16(8 * nx * ny) + hc_tmp_bytes(nx, ny) + hc_align16(((nx + 3) >> 2) * ((ny + 3) >> 2)) * 2; }

EXPORT("hc_decode")
int32_t hc_decode(const uint8_t *buf, u32 len, int32_t nx, int32_t ny, int32_t scale, u32 sum_hi, u32 sum_lo, u32 p0, u32 p1, u32 p2,
                  u32 smooth, uint8_t *work) {
  u32 n = (u32)nx * (u32)ny;
  i64 sumall = (i64)(((u64)sum_hi << 32) | sum_lo);
  u32 maxp = p0 > p1 ? p0 : p1;
  if (p2 > maxp) maxp = p2;
  int wide = !(maxp <= 30 && sumall > -(1 << 30) && sumall < (1 << 30));
  uint8_t *tmp = work + hc_align16(8 * n);
  uint8_t *grid0 = tmp + hc_tmp_bytes((u32)nx, (u32)ny);
  uint8_t *grid1 = grid0 + hc_align16((((u32)nx + 3) >> 2) * (((u32)ny + 3) >> 2));
  __builtin_memset(work, 0, (wide ? 8 : 4) * n);

  hc_bits r = {buf, len, 25, 0, 0, 0};
  int nx2 = (nx + 1) >> 1, ny2 = (ny + 1) >> 1;
  int32_t st;
#define HC_QUADRANTS(FN, T)                                                                                    \
  st = FN(&r, grid0, grid1, (T *)work, ny, nx2, ny2, (int)p0);                                                 \
  if (st == 0) st = FN(&r, grid0, grid1, (T *)work + ny2, ny, nx2, ny >> 1, (int)p1);                          \
  if (st == 0) st = FN(&r, grid0, grid1, (T *)work + ny * nx2, ny, nx >> 1, ny2, (int)p1);                     \
  if (st == 0) st = FN(&r, grid0, grid1, (T *)work + ny * nx2 + ny2, ny, nx >> 1, ny >> 1, (int)p2);
  if (wide) {
    HC_QUADRANTS(hc_quadrant64, i64)
  } else {
    HC_QUADRANTS(hc_quadrant32, int32_t)
  }
#undef HC_QUADRANTS
  if (st != 0) return st;
  if (hc_get(&r, 4) != 0) return HC_ERR_END;
  if (r.bad) return HC_ERR_SHORT;
  /* the signs start on a byte boundary */
  r.c -= r.avail >> 3;
  r.avail = 0;
  r.acc = 0;
  double maxabs = wide ? (double)hc_signs64(&r, (i64 *)work, n) : (double)hc_signs32(&r, (int32_t *)work, n);
  if (r.bad || r.c - (r.avail >> 3) > len) return HC_ERR_SHORT;
  double absum = sumall < 0 ? -(double)sumall : (double)sumall;
  if (absum > maxabs) maxabs = absum;
  int32_t factor = scale > 1 ? scale : 1;

  if (!wide && maxabs * factor < 268435456.0 /* 2^28 */) {
    int32_t *a = (int32_t *)work;
    a[0] = (int32_t)sumall;
    if (factor > 1)
      for (u32 i = 0; i < n; i++) a[i] = (int32_t)((u32)a[i] * (u32)factor);
    hc_inverse32(a, nx, ny, (int)smooth, scale, (int32_t *)tmp);
    return HC_INT32;
  }
  if (maxabs * factor >= 17592186044416.0 /* 2^44 */) return HC_TOO_LARGE;
  if (!wide) {
    /* widen in place from the end (byte copies: the two views alias) */
    for (u32 i = n; i-- > 0;) {
      int32_t v;
      __builtin_memcpy(&v, work + 4 * i, 4);
      i64 w = v;
      __builtin_memcpy(work + 8 * i, &w, 8);
    }
  }
  i64 *a = (i64 *)work;
  a[0] = sumall;
  if (factor > 1)
    for (u32 i = 0; i < n; i++) a[i] *= factor;
  hc_inverse64(a, nx, ny, (int)smooth, scale, (i64 *)tmp);
  for (u32 i = 0; i < n; i++) {
    i64 v;
    __builtin_memcpy(&v, work + 8 * i, 8);
    double d = (double)v;
    __builtin_memcpy(work + 8 * i, &d, 8);
  }
  return HC_FLOAT64;
}

/*
 * PLIO_1 line lists (plio.ts has the format and the TypeScript decoder these results reproduce,
 * compression-codecs.test.ts runs both): the list's big-endian 16-bit words at `list`, decoded
 * from word `first` up to word `length` (the caller has read and checked the header) into `count`
 * int32 pixels at out. Values wrap to 32 bits as the reference's Int32Array stores do. Returns 0,
 * or PLIO_ERR_SET when a set-value word is the list's last.
 */
#define PLIO_ERR_SET (-1)

EXPORT("plio_decode")
int32_t plio_decode(const uint8_t *list, u32 first, u32 length, u32 count, int32_t *out) {
  __builtin_memset(out, 0, 4 * count);
  u32 op = 0;          /* next output pixel */
  int64_t x1 = 1;      /* next list pixel, 1-based */
  const int64_t xe = count;
  u32 pv = 1;
  for (u32 ip = first; ip < length && x1 <= xe; ip++) {
    int32_t word = (int16_t)(((u32)list[2 * ip] << 8) | list[2 * ip + 1]);
    int32_t opcode = word >> 12; /* negative for words 0x8000-0xFFFF: ignored */
    u32 data = (u32)word & 0xfff;
    if ((opcode | 1) == 7) {
      /* IS / DS: one pixel of the changed value (most words of a noisy image) */
      pv = opcode == 6 ? pv + data : pv - data;
      out[op++] = (int32_t)pv;
      x1++;
      continue;
    }
    switch (opcode) {
      case 0:
      case 4:
      case 5: {
        int64_t x2 = x1 + data - 1;
        int64_t i2 = x2 < xe ? x2 : xe;
        int64_t np = i2 - x1 + 1;
        if (np > 0) {
          if (opcode == 4)
            for (int64_t k = 0; k < np; k++) out[op + k] = (int32_t)pv;
          else if (opcode == 5 && i2 == x2)
            out[op + np - 1] = (int32_t)pv;
          op += (u32)np;
        }
        x1 = x2 + 1;
        break;
      }
      case 1:
        if (ip + 1 >= length) return PLIO_ERR_SET;
        pv = ((u32)(int32_t)(int16_t)(((u32)list[2 * ip + 2] << 8) | list[2 * ip + 3]) << 12) + data;
        ip++;
        break;
      case 2:
        pv += data;
        break;
      case 3:
        pv -= data;
        break;
      default:
        break;
    }
  }
  return 0;
}

