/*
 * The coefficient-type dependent half of the HCOMPRESS_1 decoder in codecs.c, included twice:
 * with T = int32_t (tiles whose coefficients fit in 32 bits: 8/16-bit images) and T = int64_t
 * (32-bit images). codecs.c defines T, U (the unsigned type of the same width) and FN(name)
 * (name suffixed with the width) before each inclusion. hcompress.ts is the reference these
 * functions reproduce exactly; see the comment above hc_decode in codecs.c.
 *
 * Sums wrap as the reference's Int32Array stores do (unsigned arithmetic: no undefined
 * behaviour); the smoothing's intermediates are 64-bit, as the reference computes them in
 * doubles before storing.
 */

#define ADD(x, y) ((T)((U)(x) + (U)(y)))
#define SUB(x, y) ((T)((U)(x) - (U)(y)))

/* ORs the two bits of x (x >> 1 into p[0], x & 1 into p[1]) in at bit `bit`. */
static inline __attribute__((always_inline)) void FN(hc_or2)(T *p, u32 x, int bit) {
  if (sizeof(T) == 4) {
    u64 w;
    __builtin_memcpy(&w, p, 8);
    w |= HC_PAIR[x] << bit;
    __builtin_memcpy(p, &w, 8);
  } else {
    p[0] |= (T)(x >> 1) << bit;
    p[1] |= (T)(x & 1) << bit;
  }
}

/* ORs the 4-bit code v of one 2x2 block in at bit `bit`: bit 3 -> r0[0], 2 -> r0[1], 1 -> r1[0],
 * 0 -> r1[1]; without `two` the block has no second row, without `pair` no second column. */
static inline __attribute__((always_inline)) void FN(hc_put)(T *r0, T *r1, int two, int pair, u32 v, int bit) {
  if (pair) {
    FN(hc_or2)(r0, v >> 2, bit);
    if (two) FN(hc_or2)(r1, v & 3, bit);
  } else {
    r0[0] |= (T)((v >> 3) & 1) << bit;
    if (two) r1[0] |= (T)((v >> 1) & 1) << bit;
  }
}

/*
 * Decodes the bit planes of one nqx x nqy quadrant at `a` (row length n). A plane is either
 * written directly (format 0: a 4-bit code per 2x2 block, blocks in row order) or as a quadtree
 * (format 0xF): the top code, then level after level (hc_level) down to the grid of 2x2 blocks,
 * whose codes go straight into the coefficients. grid0 and grid1 hold ((nqx+1)/2) x ((nqy+1)/2)
 * codes each.
 */
static int32_t FN(hc_quadrant)(hc_bits *reader, uint8_t *grid0, uint8_t *grid1, T *a, int n, int nqx, int nqy, int nplanes) {
  if (nqx <= 0 || nqy <= 0) return 0;
  hc_bits r = *reader; /* a local copy the compiler keeps in registers */
  int32_t st = 0;
  int log2n = hc_ceil_log2(nqx > nqy ? nqx : nqy);
  int gx = (nqx + 1) >> 1, gy = (nqy + 1) >> 1;
  int fullx = nqx >> 1, fully = nqy >> 1; /* blocks with two rows / two columns */
  for (int bit = nplanes - 1; bit >= 0; bit--) {
    u32 format = hc_get(&r, 4);
    if (format == 0) {
      for (int gi = 0; gi < gx; gi++) {
        T *r0 = a + n * 2 * gi, *r1 = r0 + n;
        int two = gi < fullx;
        for (int gj = 0; gj < fully; gj++) {
          u32 v = hc_get(&r, 4);
          if (v != 0) FN(hc_put)(r0 + 2 * gj, r1 + 2 * gj, two, 1, v, bit);
        }
        if (fully < gy) FN(hc_put)(r0 + 2 * fully, r1 + 2 * fully, two, 0, hc_get(&r, 4), bit);
      }
    } else if (format == 0xf) {
      if (log2n <= 1) {
        FN(hc_put)(a, a + n, nqx > 1, nqy > 1, hc_huffman(&r), bit);
      } else {
        uint8_t *par = grid0, *chi = grid1;
        par[0] = (uint8_t)hc_huffman(&r);
        /* the grid sizes level by level, ((nqx+1)/2, (nqy+1)/2) at the last, each (next + 1) / 2 */
        int lx = 1, ly = 1, nfx = nqx, nfy = nqy, c = 1 << log2n;
        for (int k = 1; k < log2n; k++) {
          c >>= 1;
          lx <<= 1;
          ly <<= 1;
          if (nfx <= c) lx -= 1;
          else nfx -= c;
          if (nfy <= c) ly -= 1;
          else nfy -= c;
          if (k == log2n - 1) break;
          hc_level(&r, par, chi, lx, ly);
          uint8_t *t = par;
          par = chi;
          chi = t;
        }
        /* the last level (lx, ly) = (gx, gy): codes read from the last block to the first */
        int py = (gy + 1) >> 1;
        for (int gi = gx - 1; gi >= 0; gi--) {
          const uint8_t *prow = par + py * (gi >> 1);
          u32 sh = (gi & 1) ? 0 : 2;
          T *r0 = a + n * 2 * gi, *r1 = r0 + n;
          int two = gi < fullx;
          /* by parent: its two bits for this row (2: left child, 1: right child), often both 0 */
          for (int pj = py - 1; pj >= 0; pj--) {
            u32 f = (u32)(prow[pj] >> sh) & 3;
            if (f == 0) continue;
            int gj = 2 * pj + 1;
            if ((f & 1) && gj < gy) FN(hc_put)(r0 + 2 * gj, r1 + 2 * gj, two, gj < fully, hc_huffman(&r), bit);
            gj--;
            if (f & 2) FN(hc_put)(r0 + 2 * gj, r1 + 2 * gj, two, gj < fully, hc_huffman(&r), bit);
          }
        }
      }
    } else {
      st = r.bad ? HC_ERR_SHORT : HC_ERR_FORMAT - (int32_t)format;
      break;
    }
    if (r.bad) {
      st = HC_ERR_SHORT;
      break;
    }
  }
  *reader = r;
  return st;
}

/* One sign bit per non-zero coefficient; returns the largest magnitude before the signs. */
static T FN(hc_signs)(hc_bits *reader, T *a, u32 count) {
  hc_bits r = *reader; /* a local copy the compiler keeps in registers */
  T maxv = 0;
  /* without branches (the signs are random): a zero coefficient takes no bit. A refill for a zero
   * one at the end changes neither the bytes consumed nor, past len + 4, the outcome. */
  for (u32 i = 0; i < count; i++) {
    T v = a[i];
    u32 nz = v != 0;
    hc_need(&r, 1);
    T s = (T)((u32)(r.acc >> 63) & nz);
    r.acc <<= nz;
    r.avail -= nz;
    a[i] = (v ^ -s) + s;
    maxv = v > maxv ? v : maxv;
  }
  *reader = r;
  return maxv;
}

/* Undoes the coefficient shuffle of the first `len` elements of one row (evens first, then odds). */
static void FN(hc_unshuffle_row)(T *a, int len, T *tmp) {
  int nhalf = (len + 1) >> 1;
  int t = 0;
  for (int i = nhalf; i < len; i++) tmp[t++] = a[i];
  for (int i = nhalf - 1; i >= 0; i--) a[2 * i] = a[i];
  t = 0;
  for (int i = 1; i < len; i += 2) a[i] = tmp[t++];
}

/* The same along x for the first `len` rows (row length n), on the first `width` columns: whole
 * row segments move, HC_COLS columns at a time through tmp (HC_COLS * (len/2) elements). */
static void FN(hc_unshuffle_rows)(T *a, int len, int n, int width, T *tmp) {
  int nhalf = (len + 1) >> 1;
  for (int j0 = 0; j0 < width; j0 += HC_COLS) {
    int w = width - j0 < HC_COLS ? width - j0 : HC_COLS;
    T *base = a + j0;
    int t = 0;
    for (int i = nhalf; i < len; i++, t += w) {
      const T *src = base + n * i;
      for (int j = 0; j < w; j++) tmp[t + j] = src[j];
    }
    for (int i = nhalf - 1; i >= 1; i--) {
      const T *src = base + n * i;
      T *dst = base + n * 2 * i;
      for (int j = 0; j < w; j++) dst[j] = src[j];
    }
    t = 0;
    for (int i = 1; i < len; i += 2, t += w) {
      T *dst = base + n * i;
      for (int j = 0; j < w; j++) dst[j] = tmp[t + j];
    }
  }
}

/* Smooths the coefficients of the nxtop x nytop corner toward interpolated values (SMOOTH). */
static void FN(hc_smooth)(T *a, int nxtop, int nytop, int ny, int32_t scale) {
  i64 smax = scale >> 1;
  if (smax <= 0) return;
  int ny2 = ny << 1;
  /* x differences */
  for (int i = 2; i < nxtop - 2; i += 2) {
    T *r0 = a + ny * i, *r1 = r0 + ny;
    for (int j = 0; j < nytop; j += 2) {
      i64 hm = r0[j - ny2], h0 = r0[j], hp = r0[j + ny2];
      i64 diff = hp - hm;
      i64 dmax = hc_max(hc_min(hp - h0, h0 - hm), 0) * 4;
      i64 dmin = hc_min(hc_max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = hc_max(hc_min(diff, dmax), dmin);
        r1[j] = (T)(r1[j] + hc_clamp(diff - (i64)r1[j] * 8, 8, smax));
      }
    }
  }
  /* y differences */
  for (int i = 0; i < nxtop; i += 2) {
    T *r0 = a + ny * i;
    for (int j = 2; j < nytop - 2; j += 2) {
      i64 hm = r0[j - 2], h0 = r0[j], hp = r0[j + 2];
      i64 diff = hp - hm;
      i64 dmax = hc_max(hc_min(hp - h0, h0 - hm), 0) * 4;
      i64 dmin = hc_min(hc_max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = hc_max(hc_min(diff, dmax), dmin);
        r0[j + 1] = (T)(r0[j + 1] + hc_clamp(diff - (i64)r0[j + 1] * 8, 8, smax));
      }
    }
  }
  /* curvature */
  for (int i = 2; i < nxtop - 2; i += 2) {
    T *r0 = a + ny * i, *r1 = r0 + ny;
    for (int j = 2; j < nytop - 2; j += 2) {
      i64 hmm = r0[j - ny2 - 2], hpm = r0[j + ny2 - 2], hmp = r0[j - ny2 + 2], hpp = r0[j + ny2 + 2];
      i64 h0 = r0[j];
      i64 diff = hpp + hmm - hmp - hpm;
      i64 hx2 = (i64)r1[j] * 2, hy2 = (i64)r0[j + 1] * 2;
      i64 m1 = hc_min(hc_max(hpp - h0, 0) - hx2 - hy2, hc_max(h0 - hpm, 0) + hx2 - hy2);
      i64 m2 = hc_min(hc_max(h0 - hmp, 0) - hx2 + hy2, hc_max(hmm - h0, 0) + hx2 + hy2);
      i64 dmax = hc_min(m1, m2) * 16;
      m1 = hc_max(hc_min(hpp - h0, 0) - hx2 - hy2, hc_min(h0 - hpm, 0) + hx2 - hy2);
      m2 = hc_max(hc_min(h0 - hmp, 0) - hx2 + hy2, hc_min(hmm - h0, 0) + hx2 + hy2);
      i64 dmin = hc_max(m1, m2) * 16;
      if (dmin < dmax) {
        diff = hc_max(hc_min(diff, dmax), dmin);
        r1[j + 1] = (T)(r1[j + 1] + hc_clamp(diff - (i64)r1[j + 1] * 64, 64, smax));
      }
    }
  }
}

/* Inverse H-transform of the nx x ny coefficients at a, in place (tmp: hc_work_bytes' share). */
static void FN(hc_inverse)(T *a, int nx, int ny, int smooth, int32_t scale, T *tmp) {
  int log2n = hc_ceil_log2(nx > ny ? nx : ny);
  if (log2n == 0) return; /* a single pixel: the sum is the value */
  int shift = 1;
  T bit0 = (T)1 << (log2n - 1);
  T bit1 = bit0 << 1;
  T mask0 = -bit0, mask1 = -bit1;
  const T mask2 = -(bit0 << 2);
  T prnd0 = bit0 >> 1, prnd1 = bit1 >> 1;
  const T prnd2 = bit1;
  T nrnd0 = prnd0 - 1, nrnd1 = prnd1 - 1;
  const T nrnd2 = prnd2 - 1;
  a[0] = ADD(a[0], a[0] >= 0 ? prnd2 : nrnd2) & mask2;
  int nxtop = 1, nytop = 1, nxf = nx, nyf = ny, c = 1 << log2n;
  for (int k = log2n - 1; k >= 0; k--) {
    c >>= 1;
    nxtop <<= 1;
    nytop <<= 1;
    if (nxf <= c) nxtop -= 1;
    else nxf -= c;
    if (nyf <= c) nytop -= 1;
    else nyf -= c;
    if (k == 0) {
      /* last pass: bit0 is 1, so hc is not rounded, and the sums are divided by 4 */
      nrnd0 = 0;
      shift = 2;
    }
    for (int i = 0; i < nxtop; i++) FN(hc_unshuffle_row)(a + ny * i, nytop, tmp);
    FN(hc_unshuffle_rows)(a, nxtop, ny, nytop, tmp);
    if (smooth) FN(hc_smooth)(a, nxtop, nytop, ny, scale);
    int oddx = nxtop & 1, oddy = nytop & 1;
    int i = 0;
    for (; i < nxtop - oddx; i += 2) {
      T *r0 = a + ny * i, *r1 = r0 + ny;
      int j = 0;
#ifdef __wasm_simd128__
      if (sizeof(T) == 4) {
        /* four 2x2 blocks a step: the scalar loop below, lane by lane (selects for the branches) */
        const v128_t zero = wasm_i32x4_splat(0);
        const v128_t vprnd0 = wasm_i32x4_splat((int32_t)prnd0), vnrnd0 = wasm_i32x4_splat((int32_t)nrnd0);
        const v128_t vprnd1 = wasm_i32x4_splat((int32_t)prnd1), vnrnd1 = wasm_i32x4_splat((int32_t)nrnd1);
        const v128_t vmask0 = wasm_i32x4_splat((int32_t)mask0), vmask1 = wasm_i32x4_splat((int32_t)mask1);
        const v128_t vbit0 = wasm_i32x4_splat((int32_t)bit0), vbit1 = wasm_i32x4_splat((int32_t)bit1);
        for (; j + 8 <= nytop - oddy; j += 8) {
          v128_t a0 = wasm_v128_load(r0 + j), a1 = wasm_v128_load(r0 + j + 4);
          v128_t b0 = wasm_v128_load(r1 + j), b1 = wasm_v128_load(r1 + j + 4);
          v128_t h0 = wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6), hy = wasm_i32x4_shuffle(a0, a1, 1, 3, 5, 7);
          v128_t hx = wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6), hc = wasm_i32x4_shuffle(b0, b1, 1, 3, 5, 7);
          hx = wasm_v128_and(wasm_i32x4_add(hx, wasm_v128_bitselect(vprnd1, vnrnd1, wasm_i32x4_ge(hx, zero))), vmask1);
          hy = wasm_v128_and(wasm_i32x4_add(hy, wasm_v128_bitselect(vprnd1, vnrnd1, wasm_i32x4_ge(hy, zero))), vmask1);
          hc = wasm_v128_and(wasm_i32x4_add(hc, wasm_v128_bitselect(vprnd0, vnrnd0, wasm_i32x4_ge(hc, zero))), vmask0);
          v128_t lowbit0 = wasm_v128_and(hc, vbit0);
          hx = wasm_v128_bitselect(wasm_i32x4_sub(hx, lowbit0), wasm_i32x4_add(hx, lowbit0), wasm_i32x4_ge(hx, zero));
          hy = wasm_v128_bitselect(wasm_i32x4_sub(hy, lowbit0), wasm_i32x4_add(hy, lowbit0), wasm_i32x4_ge(hy, zero));
          v128_t lowbit1 = wasm_v128_and(wasm_v128_xor(wasm_v128_xor(hc, hx), hy), vbit1);
          v128_t pos = wasm_i32x4_sub(lowbit0, lowbit1);
          v128_t neg = wasm_v128_bitselect(lowbit1, pos, wasm_i32x4_eq(lowbit0, zero));
          h0 = wasm_i32x4_add(h0, wasm_v128_bitselect(pos, neg, wasm_i32x4_ge(h0, zero)));
          v128_t sa = wasm_i32x4_add(h0, hx), sb = wasm_i32x4_add(hy, hc);
          v128_t da = wasm_i32x4_sub(h0, hx), db = wasm_i32x4_sub(hy, hc);
          v128_t o11 = wasm_i32x4_shr(wasm_i32x4_add(sa, sb), shift), o10 = wasm_i32x4_shr(wasm_i32x4_sub(sa, sb), shift);
          v128_t o01 = wasm_i32x4_shr(wasm_i32x4_add(da, db), shift), o00 = wasm_i32x4_shr(wasm_i32x4_sub(da, db), shift);
          wasm_v128_store(r0 + j, wasm_i32x4_shuffle(o00, o01, 0, 4, 1, 5));
          wasm_v128_store(r0 + j + 4, wasm_i32x4_shuffle(o00, o01, 2, 6, 3, 7));
          wasm_v128_store(r1 + j, wasm_i32x4_shuffle(o10, o11, 0, 4, 1, 5));
          wasm_v128_store(r1 + j + 4, wasm_i32x4_shuffle(o10, o11, 2, 6, 3, 7));
        }
      }
#endif
      for (; j < nytop - oddy; j += 2) {
        T h0 = r0[j], hx = r1[j], hy = r0[j + 1], hc = r1[j + 1];
        hx = ADD(hx, hx >= 0 ? prnd1 : nrnd1) & mask1;
        hy = ADD(hy, hy >= 0 ? prnd1 : nrnd1) & mask1;
        hc = ADD(hc, hc >= 0 ? prnd0 : nrnd0) & mask0;
        T lowbit0 = hc & bit0;
        hx = hx >= 0 ? SUB(hx, lowbit0) : ADD(hx, lowbit0);
        hy = hy >= 0 ? SUB(hy, lowbit0) : ADD(hy, lowbit0);
        T lowbit1 = (hc ^ hx ^ hy) & bit1;
        h0 = h0 >= 0 ? ADD(h0, SUB(lowbit0, lowbit1)) : ADD(h0, lowbit0 == 0 ? lowbit1 : SUB(lowbit0, lowbit1));
        r1[j + 1] = ADD(ADD(h0, hx), ADD(hy, hc)) >> shift;
        r1[j] = SUB(ADD(h0, hx), ADD(hy, hc)) >> shift;
        r0[j + 1] = ADD(SUB(h0, hx), SUB(hy, hc)) >> shift;
        r0[j] = SUB(SUB(h0, hx), SUB(hy, hc)) >> shift;
      }
      if (oddy) {
        T h0 = r0[j], hx = r1[j];
        hx = ADD(hx, hx >= 0 ? prnd1 : nrnd1) & mask1;
        T lowbit1 = hx & bit1;
        h0 = h0 >= 0 ? SUB(h0, lowbit1) : ADD(h0, lowbit1);
        r1[j] = ADD(h0, hx) >> shift;
        r0[j] = SUB(h0, hx) >> shift;
      }
    }
    if (oddx) {
      T *r0 = a + ny * i;
      int j = 0;
      for (; j < nytop - oddy; j += 2) {
        T h0 = r0[j], hy = r0[j + 1];
        hy = ADD(hy, hy >= 0 ? prnd1 : nrnd1) & mask1;
        T lowbit1 = hy & bit1;
        h0 = h0 >= 0 ? SUB(h0, lowbit1) : ADD(h0, lowbit1);
        r0[j + 1] = ADD(h0, hy) >> shift;
        r0[j] = SUB(h0, hy) >> shift;
      }
      if (oddy) r0[j] = r0[j] >> shift;
    }
    bit1 = bit0;
    bit0 >>= 1;
    mask1 = mask0;
    mask0 >>= 1;
    prnd1 = prnd0;
    prnd0 >>= 1;
    nrnd1 = nrnd0;
    nrnd0 = prnd0 - 1;
  }
}

#undef ADD
#undef SUB
