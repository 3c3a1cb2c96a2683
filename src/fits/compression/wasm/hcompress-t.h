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

/* Sets bit `bit` of the nqx x nqy quadrant at `a` (row length n) from the 4-bit codes of its
 * ((nqx+1)/2) x ((nqy+1)/2) grid: code bit 3 -> [i][j], 2 -> [i][j+1], 1 -> [i+1][j], 0 -> [i+1][j+1]. */
static void FN(hc_insert)(const uint8_t *codes, int nqx, int nqy, T *a, int n, int bit) {
  int k = 0, i = 0;
  for (; i < nqx - 1; i += 2) {
    T *r0 = a + n * i, *r1 = r0 + n;
    int j = 0;
    for (; j < nqy - 1; j += 2) {
      u32 v = codes[k++];
      if (v != 0) {
        r0[j] |= (T)((v >> 3) & 1) << bit;
        r0[j + 1] |= (T)((v >> 2) & 1) << bit;
        r1[j] |= (T)((v >> 1) & 1) << bit;
        r1[j + 1] |= (T)(v & 1) << bit;
      }
    }
    if (j < nqy) {
      u32 v = codes[k++];
      r0[j] |= (T)((v >> 3) & 1) << bit;
      r1[j] |= (T)((v >> 1) & 1) << bit;
    }
  }
  if (i < nqx) {
    T *r0 = a + n * i;
    int j = 0;
    for (; j < nqy - 1; j += 2) {
      u32 v = codes[k++];
      r0[j] |= (T)((v >> 3) & 1) << bit;
      r0[j + 1] |= (T)((v >> 2) & 1) << bit;
    }
    if (j < nqy) r0[j] |= (T)((codes[k] >> 3) & 1) << bit;
  }
}

/* One sign bit per non-zero coefficient; returns the largest magnitude before the signs. */
static T FN(hc_signs)(hc_bits *r, T *a, u32 count) {
  T maxv = 0;
  for (u32 i = 0; i < count; i++) {
    T v = a[i];
    if (v != 0) {
      if (hc_bit(r)) a[i] = -v;
      if (v > maxv) maxv = v;
    }
  }
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
