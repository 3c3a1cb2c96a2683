/*
 * The count loop of GET /histogram's affine displays (zscale, linear), compiled to WebAssembly by
 * scripts/build-wasm.mjs (clang --target=wasm32, no libc). It is float32-histogram.ts's
 * `countAffine`, statement for statement: that TypeScript function stays the reference, and the
 * tests run both on the same bands (test/imaging/histogram-count.test.ts). The TypeScript side
 * (src/imaging/count-kernel.ts) owns the memory: a pass's tables live in one instance's linear
 * memory, and the pixels are copied in a piece at a time (64 KB: they stay in the cache).
 *
 * Every double operation is the TypeScript one in the same order (-ffp-contract=off: no fused
 * multiply-add), so the sums are bit-identical. JavaScript's `x | 0` (ToInt32) and its reads past
 * a typed array's end (undefined: every comparison false, increments dropped) are reproduced where
 * a bin index is computed, though they arise only for degenerate edges.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

#define NON_FINITE_BITS 0x7f800000u
/* float32-histogram.ts: sub-bucket entry marks and table values */
#define SUB_BINNED (1 << 29)
#define SUB_PER_PIXEL (-1)

/* ECMAScript ToInt32 of a double. */
static inline int32_t to_int32(double x) {
  if (x > -2147483649.0 && x < 2147483648.0) return (int32_t)x;
  if (!(x - x == 0.0)) return 0; /* NaN, +-inf */
  if (x > -9223372036854775808.0 && x < 9223372036854775808.0) return (int32_t)(uint32_t)(uint64_t)(int64_t)x;
  /* |x| >= 2^63: a multiple of 2^11; only its bits 11..31 matter */
  double t = x < 0 ? -x : x;
  double q = __builtin_floor(t / 4294967296.0);
  uint32_t lo = (uint32_t)(uint64_t)(t - q * 4294967296.0);
  return (int32_t)(x < 0 ? (0u - lo) : lo);
}

/* binOf of the kernels: counts[k]++ for x's bin among edges e[0..nb] (x already in [first, last]). */
static inline void bin_into(double x, double first, double norm, const double *e, int32_t nb, int32_t *counts) {
  int32_t k = to_int32((x - first) * norm);
  if (k == nb) k--;
  if (k >= 0 && k <= nb && x < e[k]) k--;
  else if (k != nb - 1 && k >= -1 && k < nb && x >= e[k + 1]) k++;
  if (k >= 0 && k < nb) counts[k]++;
}

/* One pixel's table work of count_affine (u: its bits, v: its value, m: its clamped mapped value). */
#define COUNT_TABLES(u, v, m)                                                                                  \
  do {                                                                                                         \
    const uint32_t key_ = (u) ^ ((uint32_t)((int32_t)(u) >> 31) & 0x7fffffffu);                                \
    COUNT_TABLES_AT(key_, (key_ >> 16) ^ 0x8000u, (key_ >> 8) & 0xffu, v, m);                                  \
  } while (0)

/* The same, given the key, its bucket (hi) and its sub-bucket in the bucket (lo). */
#define COUNT_TABLES_AT(keyIn, hi, lo, v, m)                                                                   \
  do {                                                                                                         \
    const uint32_t key = (keyIn);                                                                              \
    const int32_t j = regionOf[(hi)] | (int32_t)(lo);                                                          \
    const int32_t e = sub[j];                                                                                  \
    sub[j] = e + 1;                                                                                            \
    wanted[n] = (int32_t)key;                                                                                  \
    n += (int32_t)((uint32_t)e >> 30);                                                                         \
    if ((e & SUB_BINNED) != 0) {                                                                               \
      const int32_t kr = subRaw[j];                                                                            \
      if (kr >= 0) rawPart[kr]++;                                                                              \
      else if (kr == SUB_PER_PIXEL) {                                                                          \
        double r = span == 0 ? 0 : ((v) - min) / span;                                                         \
        r = r < 0 ? 0 : r > 1 ? 1 : r;                                                                         \
        if (r >= rFirst && r <= rLast) bin_into(r, rFirst, rNorm, rEdges, nb, rawPart);                        \
      }                                                                                                        \
      const int32_t ks = subStretched[j];                                                                      \
      if (ks >= 0) part[ks]++;                                                                                 \
      else if (ks == SUB_PER_PIXEL && (m) >= sFirst && (m) <= sLast) bin_into((m), sFirst, sNorm, sEdges, nb, part); \
    }                                                                                                          \
  } while (0)

/*
 * countAffine over `len` pixels at `band`; `n` keys are already listed in `wanted`, the new count
 * is returned. sums[0..1] are summed on from their values.
 * Four pixels at a time: the mapping (division, clamp, square) in two f64x2 vectors, the same
 * IEEE operations per pixel (pmin/pmax are the ternaries, NaN and -0 included); the sums are still
 * added one pixel after the other, in pixel order (no reassociation). A non-finite pixel adds +0
 * instead of being skipped: the same sums, since x + 0 == x for every x but -0, and sums that
 * start at +0 never become -0 (sums that start at -0 take the scalar loop). Half the bench plane:
 * 34.7 -> 27.3 ms (docs/viewer.md, session 13).
 */
EXPORT("count_affine")
int32_t count_affine(const float *band, int32_t len, double min, double span, double rFirst, double rLast, double sFirst, double sLast,
                     double aMin, double aSpan, double shift, const double *rEdges, const double *sEdges, const int32_t *regionOf,
                     int32_t *sub, const int32_t *subRaw, const int32_t *subStretched, int32_t *wanted, int32_t n,
                     int32_t *rawPart, int32_t *part, int32_t nb, double *sums) {
  const double rNorm = nb / (rLast - rFirst);
  const double sNorm = nb / (sLast - sFirst);
  double s1 = sums[0];
  double s2 = sums[1];
  int32_t i = 0;
  /* the +0 of a skipped pixel is exact only while the sums are not -0 */
  if (!(s1 == 0 && __builtin_signbit(s1)) && !(s2 == 0 && __builtin_signbit(s2))) {
    const v128_t lo2 = wasm_f64x2_splat(aMin), span2 = wasm_f64x2_splat(aSpan), shift2 = wasm_f64x2_splat(shift);
    const v128_t zero2 = wasm_f64x2_splat(0), one2 = wasm_f64x2_splat(1);
    const v128_t nonFinite = wasm_i32x4_splat((int32_t)NON_FINITE_BITS);
    const v128_t magnitude = wasm_i32x4_splat(0x7fffffff), top = wasm_i32x4_splat(0x8000), lowByte = wasm_i32x4_splat(0xff);
    for (; i + 4 <= len; i += 4) {
      const v128_t f4 = wasm_v128_load(band + i);
      const v128_t fin4 = wasm_i32x4_ne(wasm_v128_and(f4, nonFinite), nonFinite);
      const v128_t va = wasm_f64x2_promote_low_f32x4(f4);
      const v128_t vb = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(f4, f4, 2, 3, 0, 1));
      const v128_t ma = wasm_f64x2_pmax(wasm_f64x2_pmin(wasm_f64x2_div(wasm_f64x2_sub(va, lo2), span2), one2), zero2);
      const v128_t mb = wasm_f64x2_pmax(wasm_f64x2_pmin(wasm_f64x2_div(wasm_f64x2_sub(vb, lo2), span2), one2), zero2);
      const v128_t da = wasm_v128_and(wasm_f64x2_sub(ma, shift2), wasm_i64x2_extend_low_i32x4(fin4));
      const v128_t db = wasm_v128_and(wasm_f64x2_sub(mb, shift2), wasm_i64x2_extend_high_i32x4(fin4));
      const v128_t dda = wasm_f64x2_mul(da, da);
      const v128_t ddb = wasm_f64x2_mul(db, db);
      s1 += wasm_f64x2_extract_lane(da, 0);
      s2 += wasm_f64x2_extract_lane(dda, 0);
      s1 += wasm_f64x2_extract_lane(da, 1);
      s2 += wasm_f64x2_extract_lane(dda, 1);
      s1 += wasm_f64x2_extract_lane(db, 0);
      s2 += wasm_f64x2_extract_lane(ddb, 0);
      s1 += wasm_f64x2_extract_lane(db, 1);
      s2 += wasm_f64x2_extract_lane(ddb, 1);
      /* the four keys, buckets and sub-buckets at once (the integer operations of COUNT_TABLES) */
      const v128_t k4 = wasm_v128_xor(f4, wasm_v128_and(wasm_i32x4_shr(f4, 31), magnitude));
      const v128_t hi4 = wasm_v128_xor(wasm_u32x4_shr(k4, 16), top);
      const v128_t lo4 = wasm_v128_and(wasm_u32x4_shr(k4, 8), lowByte);
      if (wasm_i32x4_extract_lane(fin4, 0)) COUNT_TABLES_AT((uint32_t)wasm_i32x4_extract_lane(k4, 0), (uint32_t)wasm_i32x4_extract_lane(hi4, 0), wasm_i32x4_extract_lane(lo4, 0), wasm_f64x2_extract_lane(va, 0), wasm_f64x2_extract_lane(ma, 0));
      if (wasm_i32x4_extract_lane(fin4, 1)) COUNT_TABLES_AT((uint32_t)wasm_i32x4_extract_lane(k4, 1), (uint32_t)wasm_i32x4_extract_lane(hi4, 1), wasm_i32x4_extract_lane(lo4, 1), wasm_f64x2_extract_lane(va, 1), wasm_f64x2_extract_lane(ma, 1));
      if (wasm_i32x4_extract_lane(fin4, 2)) COUNT_TABLES_AT((uint32_t)wasm_i32x4_extract_lane(k4, 2), (uint32_t)wasm_i32x4_extract_lane(hi4, 2), wasm_i32x4_extract_lane(lo4, 2), wasm_f64x2_extract_lane(vb, 0), wasm_f64x2_extract_lane(mb, 0));
      if (wasm_i32x4_extract_lane(fin4, 3)) COUNT_TABLES_AT((uint32_t)wasm_i32x4_extract_lane(k4, 3), (uint32_t)wasm_i32x4_extract_lane(hi4, 3), wasm_i32x4_extract_lane(lo4, 3), wasm_f64x2_extract_lane(vb, 1), wasm_f64x2_extract_lane(mb, 1));
    }
  }
  for (; i < len; i++) {
    float f = band[i];
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    if ((u & NON_FINITE_BITS) == NON_FINITE_BITS) continue;
    const double v = f;
    double m = (v - aMin) / aSpan;
    m = m < 0 ? 0 : m > 1 ? 1 : m;
    const double d = m - shift;
    s1 += d;
    s2 += d * d;
    COUNT_TABLES(u, v, m);
  }
  sums[0] = s1;
  sums[1] = s2;
  return n;
}

/*
 * float32-keys.ts's `scanKeys` over `rows` rows of `width` float32 bits at `bits`: each row's
 * finite count into rowCounts[r], the bucket counts into part[0..65535] (part[65536]: where the
 * non-finite pixels' increments go, never read), the smallest and largest keys into minMax[0..1]
 * (updated); returns the finite count. Four pixels at a time: the finiteness test, the keys, the
 * minimum and maximum in SIMD, the four increments scalar (no branch).
 */
EXPORT("scan_keys")
int32_t scan_keys(const int32_t *bits, int32_t width, int32_t rows, int32_t *rowCounts, int32_t *part, int32_t *minMax) {
  const v128_t nonFinite = wasm_i32x4_splat((int32_t)NON_FINITE_BITS);
  const v128_t magnitude = wasm_i32x4_splat(0x7fffffff);
  const v128_t top = wasm_i32x4_splat(0x8000);
  const v128_t sink = wasm_i32x4_splat(65536);
  const v128_t hi = wasm_i32x4_splat(0x7fffffff);
  const v128_t lo = wasm_i32x4_splat((int32_t)0x80000000);
  v128_t mn = wasm_i32x4_splat(minMax[0]);
  v128_t mx = wasm_i32x4_splat(minMax[1]);
  int32_t total = 0;
  for (int32_t r = 0; r < rows; r++) {
    const int32_t *row = bits + (int64_t)r * width;
    v128_t cnt = wasm_i32x4_splat(0);
    int32_t i = 0;
    for (; i + 4 <= width; i += 4) {
      const v128_t u = wasm_v128_load(row + i);
      const v128_t finite = wasm_i32x4_ne(wasm_v128_and(u, nonFinite), nonFinite);
      const v128_t k = wasm_v128_xor(u, wasm_v128_and(wasm_i32x4_shr(u, 31), magnitude));
      mn = wasm_i32x4_min(mn, wasm_v128_bitselect(k, hi, finite));
      mx = wasm_i32x4_max(mx, wasm_v128_bitselect(k, lo, finite));
      cnt = wasm_i32x4_sub(cnt, finite);
      const v128_t b = wasm_v128_bitselect(wasm_v128_xor(wasm_u32x4_shr(k, 16), top), sink, finite);
      part[wasm_i32x4_extract_lane(b, 0)]++;
      part[wasm_i32x4_extract_lane(b, 1)]++;
      part[wasm_i32x4_extract_lane(b, 2)]++;
      part[wasm_i32x4_extract_lane(b, 3)]++;
    }
    int32_t c = wasm_i32x4_extract_lane(cnt, 0) + wasm_i32x4_extract_lane(cnt, 1) + wasm_i32x4_extract_lane(cnt, 2) + wasm_i32x4_extract_lane(cnt, 3);
    for (; i < width; i++) {
      const uint32_t u = (uint32_t)row[i];
      if ((u & NON_FINITE_BITS) == NON_FINITE_BITS) continue;
      c++;
      const int32_t k = (int32_t)(u ^ ((uint32_t)((int32_t)u >> 31) & 0x7fffffffu));
      mn = wasm_i32x4_min(mn, wasm_i32x4_splat(k));
      mx = wasm_i32x4_max(mx, wasm_i32x4_splat(k));
      part[((uint32_t)k >> 16) ^ 0x8000u]++;
    }
    rowCounts[r] = c;
    total += c;
  }
  int32_t a = wasm_i32x4_extract_lane(mn, 0), z = wasm_i32x4_extract_lane(mx, 0);
  for (int l = 1; l < 4; l++) {
    const int32_t m1 = l == 1 ? wasm_i32x4_extract_lane(mn, 1) : l == 2 ? wasm_i32x4_extract_lane(mn, 2) : wasm_i32x4_extract_lane(mn, 3);
    const int32_t m2 = l == 1 ? wasm_i32x4_extract_lane(mx, 1) : l == 2 ? wasm_i32x4_extract_lane(mx, 2) : wasm_i32x4_extract_lane(mx, 3);
    if (m1 < a) a = m1;
    if (m2 > z) z = m2;
  }
  minMax[0] = a;
  minMax[1] = z;
  return total;
}

/*
 * float32-histogram.ts's `countListed`: counts the `n` listed keys (all of buckets with a slot,
 * slotOf >= 0) into counts[slot << 16 | low 16 bits], after sorting them by slot into `sorted`
 * (room for n), so that one slot's 256 KB of counts is in the cache at a time. `at`: slots + 1
 * entries of scratch.
 */
EXPORT("count_listed")
void count_listed(const int32_t *keys, int32_t n, const int32_t *slotOf, int32_t slots, int32_t *counts, int32_t *sorted, int32_t *at) {
  for (int32_t s = 0; s <= slots; s++) at[s] = 0;
  for (int32_t k = 0; k < n; k++) at[slotOf[((uint32_t)keys[k] >> 16) ^ 0x8000u] + 1]++;
  for (int32_t s = 0; s < slots; s++) at[s + 1] += at[s];
  for (int32_t k = 0; k < n; k++) sorted[at[slotOf[((uint32_t)keys[k] >> 16) ^ 0x8000u]]++] = keys[k];
  /* at[s] is now the end of slot s */
  for (int32_t s = 0, k = 0; s < slots; s++) {
    int32_t *base = counts + ((int64_t)s << 16);
    for (const int32_t e = at[s]; k < e; k++) base[sorted[k] & 0xffff]++;
  }
}

/*
 * Reverses the bytes of each of the `n` 32-bit words at `words` (FITS big-endian to native), 16
 * bytes at a time: the scan of a plane read raw swaps each piece where it scans it, instead of a
 * pass of its own over the plane (swap32).
 */
EXPORT("swap32")
void swap32(uint8_t *words, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(words + 4 * i);
    wasm_v128_store(words + 4 * i, wasm_i8x16_shuffle(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
  }
  for (; i < n; i++) {
    uint32_t w;
    __builtin_memcpy(&w, words + 4 * i, 4);
    w = __builtin_bswap32(w);
    __builtin_memcpy(words + 4 * i, &w, 4);
  }
}
