/**
 * HCOMPRESS_1 decoder, written from R. White's description of H-compress (White 1992, "High-
 * performance compression of astronomical images"; FITS tile compression convention, sec. 4).
 *
 * Stream: magic 0xDD 0x99, nx, ny, scale (big-endian int32), the sum of all pixels (int64), the
 * number of bit planes of the three coefficient quadrants (3 bytes), then the quadtree-coded bit
 * planes of the four quadrants of the H-transform, an end nybble 0, then one sign bit per non-zero
 * coefficient. Decoding multiplies by `scale` and applies the inverse H-transform (optionally
 * smoothed). `nx` is the slow axis and `ny` the fast one, so the output is row-major.
 *
 * Arithmetic is done on doubles with floor-based equivalents of the two's-complement shifts and
 * masks of the reference description, so 32-bit images (whose coefficients need 64 bits) decode
 * exactly as long as values stay below 2^53.
 */
import { badData } from './errors.js';
import { HC_ERR_END, HC_ERR_FORMAT, HC_ERR_SHORT, wasmHcompressDecode, type WasmHcompressHeader } from './wasm.js';

/**
 * MSB-first bit reader with up to 32 bits of look-ahead. Reading may run a few bytes past the end
 * (zeros) so that look-ahead is cheap; `consumed` and the fill limit catch real overruns.
 */
class BitInput {
  private readonly data: Uint8Array;
  private readonly limit: number;
  private pos: number;
  private buffer = 0;
  private nb = 0; // valid bits at the bottom of `buffer`

  constructor(input: Uint8Array, start: number) {
    this.data = new Uint8Array(input.length + 8);
    this.data.set(input);
    this.limit = input.length + 4;
    this.pos = start;
  }

  private fill(): void {
    while (this.nb <= 24) {
      if (this.pos >= this.limit) throw badData('HCOMPRESS_1: compressed tile ends early');
      this.buffer = (this.buffer << 8) | this.data[this.pos++]!;
      this.nb += 8;
    }
  }

  /** Bytes used so far (a partly used byte counts). */
  get consumed(): number {
    return this.pos - (this.nb >> 3);
  }

  /** Drops the rest of the current byte: the next read starts on a byte boundary. */
  restart(): void {
    this.pos -= this.nb >> 3;
    this.nb = 0;
    this.buffer = 0;
  }

  bit(): number {
    if (this.nb < 1) this.fill();
    this.nb--;
    return (this.buffer >>> this.nb) & 1;
  }

  /** Reads n <= 24 bits. */
  bits(n: number): number {
    if (this.nb < n) this.fill();
    this.nb -= n;
    return (this.buffer >>> this.nb) & ((1 << n) - 1);
  }

  nybble(): number {
    return this.bits(4);
  }

  /** The fixed Huffman code of the quadtree's 4-bit values (3 to 6 bits), by table look-up. */
  huffman(): number {
    if (this.nb < 6) this.fill();
    const entry = HUFFMAN[(this.buffer >>> (this.nb - 6)) & 63]!;
    this.nb -= entry >> 4;
    return entry & 15;
  }
}

// The quadtree code of each 4-bit value (White's table): [code, length in bits].
const HUFFMAN_CODES: readonly (readonly [number, number])[] = [
  [0x3e, 6], [0x00, 3], [0x01, 3], [0x08, 4], [0x02, 3], [0x09, 4], [0x1a, 5], [0x1b, 5],
  [0x03, 3], [0x1c, 5], [0x0a, 4], [0x1d, 5], [0x0b, 4], [0x1e, 5], [0x3f, 6], [0x0c, 4],
];
/** 6-bit prefix -> (length << 4) | value. */
const HUFFMAN = (() => {
  const table = new Uint8Array(64);
  HUFFMAN_CODES.forEach(([code, len], value) => {
    for (let suffix = 0; suffix < 1 << (6 - len); suffix++) table[(code << (6 - len)) | suffix] = (len << 4) | value;
  });
  return table;
})();

function ceilLog2(n: number): number {
  let log2n = 0;
  while (1 << log2n < n) log2n++;
  return log2n;
}

/**
 * Expands 4-bit codes of a[(nx+1)/2][(ny+1)/2] (row length ny2) into 0/1 values of b[nx][ny] with
 * row length `n`; a and b may be the same array (copy from the end first).
 */
function quadCopy(a: Uint8Array, nx: number, ny: number, b: Uint8Array, n: number): void {
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  let k = ny2 * nx2 - 1;
  for (let i = nx2 - 1; i >= 0; i--) {
    let s = 2 * (n * i + ny2 - 1);
    for (let j = ny2 - 1; j >= 0; j--) {
      b[s] = a[k--]!;
      s -= 2;
    }
  }
  let i = 0;
  for (; i < nx - 1; i += 2) {
    let s00 = n * i;
    let s10 = s00 + n;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = b[s00]!;
      b[s10 + 1] = v & 1;
      b[s10] = (v >> 1) & 1;
      b[s00 + 1] = (v >> 2) & 1;
      b[s00] = (v >> 3) & 1;
      s00 += 2;
      s10 += 2;
    }
    if (j < ny) {
      const v = b[s00]!;
      b[s10] = (v >> 1) & 1;
      b[s00] = (v >> 3) & 1;
    }
  }
  if (i < nx) {
    let s00 = n * i;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = b[s00]!;
      b[s00 + 1] = (v >> 2) & 1;
      b[s00] = (v >> 3) & 1;
      s00 += 2;
    }
    if (j < ny) b[s00] = (b[s00]! >> 3) & 1;
  }
}

/**
 * Sets bit `bit` of the quadrant of `a` at `off` (row length n) from the 4-bit codes of a
 * ((nx+1)/2) x ((ny+1)/2) grid: bit 3 -> [i][j], 2 -> [i][j+1], 1 -> [i+1][j], 0 -> [i+1][j+1].
 */
function insertBitPlane32(codes: Uint8Array, nx: number, ny: number, a: Int32Array, off: number, n: number, bit: number): void {
  let k = 0;
  let i = 0;
  for (; i < nx - 1; i += 2) {
    let s00 = off + n * i;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = codes[k++]!;
      if (v !== 0) {
        a[s00] |= ((v >> 3) & 1) << bit;
        a[s00 + 1] |= ((v >> 2) & 1) << bit;
        a[s00 + n] |= ((v >> 1) & 1) << bit;
        a[s00 + n + 1] |= (v & 1) << bit;
      }
      s00 += 2;
    }
    if (j < ny) {
      const v = codes[k++]!;
      a[s00] |= ((v >> 3) & 1) << bit;
      a[s00 + n] |= ((v >> 1) & 1) << bit;
    }
  }
  if (i < nx) {
    let s00 = off + n * i;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = codes[k++]!;
      a[s00] |= ((v >> 3) & 1) << bit;
      a[s00 + 1] |= ((v >> 2) & 1) << bit;
      s00 += 2;
    }
    if (j < ny) a[s00] |= ((codes[k++]! >> 3) & 1) << bit;
  }
}

/** The same for doubles (bit planes above 30): adding 2^bit equals setting the bit, as each is set once. */
function insertBitPlane64(codes: Uint8Array, nx: number, ny: number, a: Float64Array, off: number, n: number, bit: number): void {
  const planeVal = 2 ** bit;
  let k = 0;
  let i = 0;
  for (; i < nx - 1; i += 2) {
    let s00 = off + n * i;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = codes[k++]!;
      if (v !== 0) {
        if (v & 8) a[s00] += planeVal;
        if (v & 4) a[s00 + 1] += planeVal;
        if (v & 2) a[s00 + n] += planeVal;
        if (v & 1) a[s00 + n + 1] += planeVal;
      }
      s00 += 2;
    }
    if (j < ny) {
      const v = codes[k++]!;
      if (v & 8) a[s00] += planeVal;
      if (v & 2) a[s00 + n] += planeVal;
    }
  }
  if (i < nx) {
    let s00 = off + n * i;
    let j = 0;
    for (; j < ny - 1; j += 2) {
      const v = codes[k++]!;
      if (v & 8) a[s00] += planeVal;
      if (v & 4) a[s00 + 1] += planeVal;
      s00 += 2;
    }
    if (j < ny && codes[k++]! & 8) a[s00] += planeVal;
  }
}

/** Decodes the bit planes of one quadrant (nqx x nqy, row length n, starting at `off`). */
function decodeQuadrant(
  input: BitInput,
  a: Float64Array | Int32Array,
  off: number,
  n: number,
  nqx: number,
  nqy: number,
  nbitplanes: number,
): void {
  if (nqx <= 0 || nqy <= 0) {
    if (nbitplanes > 0) throw badData('HCOMPRESS_1: bit planes given for an empty quadrant');
    return;
  }
  const log2n = ceilLog2(Math.max(nqx, nqy));
  const nqx2 = (nqx + 1) >> 1;
  const nqy2 = (nqy + 1) >> 1;
  const scratch = new Uint8Array(nqx2 * nqy2);
  for (let bit = nbitplanes - 1; bit >= 0; bit--) {
    const format = input.nybble();
    if (format === 0) {
      // bit plane written directly, 4 pixels per nybble
      for (let i = 0; i < scratch.length; i++) scratch[i] = input.nybble();
    } else if (format === 0xf) {
      scratch[0] = input.huffman();
      let nx = 1;
      let ny = 1;
      let nfx = nqx;
      let nfy = nqy;
      let c = 1 << log2n;
      for (let k = 1; k < log2n; k++) {
        // generates n[k-1] = (n[k]+1)/2 with n[log2n] = nqx (resp. nqy)
        c >>= 1;
        nx <<= 1;
        ny <<= 1;
        if (nfx <= c) nx -= 1;
        else nfx -= c;
        if (nfy <= c) ny -= 1;
        else nfy -= c;
        quadCopy(scratch, nx, ny, scratch, ny);
        for (let i = nx * ny - 1; i >= 0; i--) if (scratch[i] !== 0) scratch[i] = input.huffman();
      }
    } else {
      throw badData(`HCOMPRESS_1: bad bit-plane format code ${format}`);
    }
    if (a instanceof Int32Array) insertBitPlane32(scratch, nqx, nqy, a, off, n, bit);
    else insertBitPlane64(scratch, nqx, nqy, a, off, n, bit);
  }
}

/** Reverses the coefficient shuffle of n elements with stride n2 starting at `off`. */
function unshuffle(a: Float64Array | Int32Array, off: number, n: number, n2: number, tmp: Float64Array | Int32Array): void {
  const nhalf = (n + 1) >> 1;
  let pt = 0;
  for (let i = nhalf, p = off + n2 * nhalf; i < n; i++, p += n2) tmp[pt++] = a[p]!;
  for (let i = nhalf - 1, p2 = off + n2 * (nhalf - 1), p1 = off + 2 * n2 * (nhalf - 1); i >= 0; i--) {
    a[p1] = a[p2]!;
    p2 -= n2;
    p1 -= 2 * n2;
  }
  pt = 0;
  for (let i = 1, p = off + n2; i < n; i += 2, p += 2 * n2) a[p] = tmp[pt++]!;
}

/** Rounds x to a multiple of `bit` (a power of two), adding `rnd` first: (x + rnd) & -bit. */
function roundTo(x: number, rnd: number, bit: number): number {
  return Math.floor((x + rnd) / bit) * bit;
}

/** The bit of value `bit` in the two's-complement representation of integer x. */
function bitOf(x: number, bit: number): number {
  const q = Math.floor(x / bit);
  return q - 2 * Math.floor(q / 2) === 0 ? 0 : bit;
}

/** Smooths the coefficients toward interpolated values (H-compress "smooth" option). */
function hsmooth(a: Float64Array | Int32Array, nxtop: number, nytop: number, ny: number, scale: number): void {
  const smax = scale >> 1;
  if (smax <= 0) return;
  const ny2 = ny << 1;
  const clampS = (s: number, div: number) => {
    const q = s >= 0 ? Math.floor(s / div) : Math.floor((s + div - 1) / div);
    return Math.max(Math.min(q, smax), -smax);
  };
  // x differences
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i;
    let s10 = s00 + ny;
    for (let j = 0; j < nytop; j += 2) {
      const hm = a[s00 - ny2]!;
      const h0 = a[s00]!;
      const hp = a[s00 + ny2]!;
      let diff = hp - hm;
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = Math.max(Math.min(diff, dmax), dmin);
        a[s10] = a[s10]! + clampS(diff - a[s10]! * 8, 8);
      }
      s00 += 2;
      s10 += 2;
    }
  }
  // y differences
  for (let i = 0; i < nxtop; i += 2) {
    let s00 = ny * i + 2;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hm = a[s00 - 2]!;
      const h0 = a[s00]!;
      const hp = a[s00 + 2]!;
      let diff = hp - hm;
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = Math.max(Math.min(diff, dmax), dmin);
        a[s00 + 1] = a[s00 + 1]! + clampS(diff - a[s00 + 1]! * 8, 8);
      }
      s00 += 2;
    }
  }
  // curvature
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i + 2;
    let s10 = s00 + ny;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hmm = a[s00 - ny2 - 2]!;
      const hpm = a[s00 + ny2 - 2]!;
      const hmp = a[s00 - ny2 + 2]!;
      const hpp = a[s00 + ny2 + 2]!;
      const h0 = a[s00]!;
      let diff = hpp + hmm - hmp - hpm;
      const hx2 = a[s10]! * 2;
      const hy2 = a[s00 + 1]! * 2;
      let m1 = Math.min(Math.max(hpp - h0, 0) - hx2 - hy2, Math.max(h0 - hpm, 0) + hx2 - hy2);
      let m2 = Math.min(Math.max(h0 - hmp, 0) - hx2 + hy2, Math.max(hmm - h0, 0) + hx2 + hy2);
      const dmax = Math.min(m1, m2) * 16;
      m1 = Math.max(Math.min(hpp - h0, 0) - hx2 - hy2, Math.min(h0 - hpm, 0) + hx2 - hy2);
      m2 = Math.max(Math.min(h0 - hmp, 0) - hx2 + hy2, Math.min(hmm - h0, 0) + hx2 + hy2);
      const dmin = Math.max(m1, m2) * 16;
      if (dmin < dmax) {
        diff = Math.max(Math.min(diff, dmax), dmin);
        a[s10 + 1] = a[s10 + 1]! + clampS(diff - a[s10 + 1]! * 64, 64);
      }
      s00 += 2;
      s10 += 2;
    }
  }
}

/** Inverse H-transform of the nx x ny coefficient array, in place. */
function hinv(a: Float64Array, nx: number, ny: number, smooth: boolean, scale: number): void {
  const log2n = ceilLog2(Math.max(nx, ny));
  if (log2n === 0) return; // a single pixel: the sum is the value
  const tmp = new Float64Array((Math.max(nx, ny) + 1) >> 1);
  let shift = 1;
  let bit0 = 2 ** (log2n - 1);
  let bit1 = bit0 * 2;
  let bit2 = bit0 * 4;
  let prnd0 = Math.floor(bit0 / 2);
  let prnd1 = bit1 / 2;
  const prnd2 = bit2 / 2;
  let nrnd0 = prnd0 - 1;
  let nrnd1 = prnd1 - 1;
  const nrnd2 = prnd2 - 1;
  a[0] = roundTo(a[0]!, a[0]! >= 0 ? prnd2 : nrnd2, bit2);

  let nxtop = 1;
  let nytop = 1;
  let nxf = nx;
  let nyf = ny;
  let c = 1 << log2n;
  for (let k = log2n - 1; k >= 0; k--) {
    c >>= 1;
    nxtop <<= 1;
    nytop <<= 1;
    if (nxf <= c) nxtop -= 1;
    else nxf -= c;
    if (nyf <= c) nytop -= 1;
    else nyf -= c;
    if (k === 0) {
      // last pass: bit0 is 1, so no rounding of hc, and the sums are divided by 4
      nrnd0 = 0;
      shift = 2;
    }
    const div = shift === 1 ? 2 : 4;
    for (let i = 0; i < nxtop; i++) unshuffle(a, ny * i, nytop, 1, tmp);
    for (let j = 0; j < nytop; j++) unshuffle(a, j, nxtop, ny, tmp);
    if (smooth) hsmooth(a, nxtop, nytop, ny, scale);
    const oddx = nxtop % 2;
    const oddy = nytop % 2;
    let i = 0;
    for (; i < nxtop - oddx; i += 2) {
      let s00 = ny * i;
      let s10 = s00 + ny;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00]!;
        let hx = a[s10]!;
        let hy = a[s00 + 1]!;
        let hc = a[s10 + 1]!;
        hx = roundTo(hx, hx >= 0 ? prnd1 : nrnd1, bit1);
        hy = roundTo(hy, hy >= 0 ? prnd1 : nrnd1, bit1);
        hc = roundTo(hc, hc >= 0 ? prnd0 : nrnd0, bit0);
        const lowbit0 = bitOf(hc, bit0);
        hx = hx >= 0 ? hx - lowbit0 : hx + lowbit0;
        hy = hy >= 0 ? hy - lowbit0 : hy + lowbit0;
        const lowbit1 = (bitOf(hc, bit1) ^ bitOf(hx, bit1) ^ bitOf(hy, bit1)) === 0 ? 0 : bit1;
        h0 = h0 >= 0 ? h0 + lowbit0 - lowbit1 : h0 + (lowbit0 === 0 ? lowbit1 : lowbit0 - lowbit1);
        a[s10 + 1] = Math.floor((h0 + hx + hy + hc) / div);
        a[s10] = Math.floor((h0 + hx - hy - hc) / div);
        a[s00 + 1] = Math.floor((h0 - hx + hy - hc) / div);
        a[s00] = Math.floor((h0 - hx - hy + hc) / div);
        s00 += 2;
        s10 += 2;
      }
      if (oddy) {
        let h0 = a[s00]!;
        let hx = a[s10]!;
        hx = roundTo(hx, hx >= 0 ? prnd1 : nrnd1, bit1);
        const lowbit1 = bitOf(hx, bit1);
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s10] = Math.floor((h0 + hx) / div);
        a[s00] = Math.floor((h0 - hx) / div);
      }
    }
    if (oddx) {
      let s00 = ny * i;
      let j = 0;
      for (; j < nytop - oddy; j += 2) {
        let h0 = a[s00]!;
        let hy = a[s00 + 1]!;
        hy = roundTo(hy, hy >= 0 ? prnd1 : nrnd1, bit1);
        const lowbit1 = bitOf(hy, bit1);
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s00 + 1] = Math.floor((h0 + hy) / div);
        a[s00] = Math.floor((h0 - hy) / div);
        s00 += 2;
      }
      if (oddy) a[s00] = Math.floor(a[s00]! / div);
    }
    bit2 = bit1;
    bit1 = bit0;
    bit0 = bit0 / 2;
    prnd1 = prnd0;
    prnd0 = Math.floor(prnd0 / 2);
    nrnd1 = nrnd0;
    nrnd0 = prnd0 - 1;
  }
}

/**
 * The same inverse transform in 32-bit integer arithmetic (what the reference uses for 8/16-bit
 * images): exact whenever every coefficient fits in 32 bits, and several times faster.
 */
function hinv32(a: Int32Array, nx: number, ny: number, smooth: boolean, scale: number): void {
  const log2n = ceilLog2(Math.max(nx, ny));
  if (log2n === 0) return;
  const tmp = new Int32Array((Math.max(nx, ny) + 1) >> 1);
  let shift = 1;
  let bit0 = 1 << (log2n - 1);
  let bit1 = bit0 << 1;
  let mask0 = -bit0;
  let mask1 = mask0 << 1;
  const mask2 = mask0 << 2;
  let prnd0 = bit0 >> 1;
  let prnd1 = bit1 >> 1;
  const prnd2 = bit1;
  let nrnd0 = prnd0 - 1;
  let nrnd1 = prnd1 - 1;
  const nrnd2 = prnd2 - 1;
  a[0] = (a[0]! + (a[0]! >= 0 ? prnd2 : nrnd2)) & mask2;
  let nxtop = 1;
  let nytop = 1;
  let nxf = nx;
  let nyf = ny;
  let c = 1 << log2n;
  for (let k = log2n - 1; k >= 0; k--) {
    c >>= 1;
    nxtop <<= 1;
    nytop <<= 1;
    if (nxf <= c) nxtop -= 1;
    else nxf -= c;
    if (nyf <= c) nytop -= 1;
    else nyf -= c;
    if (k === 0) {
      nrnd0 = 0;
      shift = 2;
    }
    for (let i = 0; i < nxtop; i++) unshuffle(a, ny * i, nytop, 1, tmp);
    for (let j = 0; j < nytop; j++) unshuffle(a, j, nxtop, ny, tmp);
    if (smooth) hsmooth(a, nxtop, nytop, ny, scale);
    const oddx = nxtop % 2;
    const oddy = nytop % 2;
    let i = 0;
    for (; i < nxtop - oddx; i += 2) {
      let s00 = ny * i;
      let s10 = s00 + ny;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00]!;
        let hx = a[s10]!;
        let hy = a[s00 + 1]!;
        let hc = a[s10 + 1]!;
        hx = (hx + (hx >= 0 ? prnd1 : nrnd1)) & mask1;
        hy = (hy + (hy >= 0 ? prnd1 : nrnd1)) & mask1;
        hc = (hc + (hc >= 0 ? prnd0 : nrnd0)) & mask0;
        const lowbit0 = hc & bit0;
        hx = hx >= 0 ? hx - lowbit0 : hx + lowbit0;
        hy = hy >= 0 ? hy - lowbit0 : hy + lowbit0;
        const lowbit1 = (hc ^ hx ^ hy) & bit1;
        h0 = h0 >= 0 ? h0 + lowbit0 - lowbit1 : h0 + (lowbit0 === 0 ? lowbit1 : lowbit0 - lowbit1);
        a[s10 + 1] = (h0 + hx + hy + hc) >> shift;
        a[s10] = (h0 + hx - hy - hc) >> shift;
        a[s00 + 1] = (h0 - hx + hy - hc) >> shift;
        a[s00] = (h0 - hx - hy + hc) >> shift;
        s00 += 2;
        s10 += 2;
      }
      if (oddy) {
        let h0 = a[s00]!;
        let hx = a[s10]!;
        hx = (hx + (hx >= 0 ? prnd1 : nrnd1)) & mask1;
        const lowbit1 = hx & bit1;
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s10] = (h0 + hx) >> shift;
        a[s00] = (h0 - hx) >> shift;
      }
    }
    if (oddx) {
      let s00 = ny * i;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00]!;
        let hy = a[s00 + 1]!;
        hy = (hy + (hy >= 0 ? prnd1 : nrnd1)) & mask1;
        const lowbit1 = hy & bit1;
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s00 + 1] = (h0 + hy) >> shift;
        a[s00] = (h0 - hy) >> shift;
        s00 += 2;
      }
      if (oddy) a[s00] = a[s00]! >> shift;
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

/**
 * Reads one sign bit per non-zero coefficient, puts the sum of all pixels in a[0], and returns the
 * largest magnitude (monomorphic copies for the two array types keep the loops fast).
 */
function applySigns32(a: Int32Array, bits: BitInput, sumall: number): number {
  let maxAbs = Math.abs(sumall);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v !== 0) {
      if (bits.bit() !== 0) a[i] = -v;
      if (v > maxAbs) maxAbs = v;
    }
  }
  a[0] = sumall;
  return maxAbs;
}

function applySigns64(a: Float64Array, bits: BitInput, sumall: number): number {
  let maxAbs = Math.abs(sumall);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v !== 0) {
      if (bits.bit() !== 0) a[i] = -v;
      if (v > maxAbs) maxAbs = v;
    }
  }
  a[0] = sumall;
  return maxAbs;
}

export interface HcompressTile {
  /** Slow dimension (tile rows). */
  readonly nx: number;
  /** Fast dimension (tile columns). */
  readonly ny: number;
  readonly scale: number;
  /** Pixel values, row-major (ny fastest). */
  readonly data: Int32Array | Float64Array;
}

/** Tiles above this many pixels go to the TypeScript decoder: WebAssembly memory never shrinks, and
 * hc_decode's working set is ~8.5 bytes a pixel (a 4096² tile keeps ~140 MB in each thread). */
const WASM_MAX_PIXELS = 1 << 24;

interface HcompressHeader extends WasmHcompressHeader {
  /** The sum of all pixels, as a double (exact below 2^53). */
  readonly sumall: number;
}

/** Reads and checks the 25-byte header; every check depends on the header alone. */
function readHeader(input: Uint8Array, maxPixels: number): HcompressHeader {
  if (input.length < 25) throw badData('HCOMPRESS_1: compressed tile is too short');
  if (input[0] !== 0xdd || input[1] !== 0x99) throw badData('HCOMPRESS_1: bad magic number');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const nx = view.getInt32(2);
  const ny = view.getInt32(6);
  const scale = view.getInt32(10);
  if (nx <= 0 || ny <= 0 || nx * ny > maxPixels) {
    throw badData(`HCOMPRESS_1: tile declares ${nx} x ${ny} pixels, more than the ${maxPixels} it can hold`);
  }
  const sumHi = view.getInt32(14);
  const sumLo = view.getUint32(18);
  const planes = [input[22]!, input[23]!, input[24]!] as const;
  if (planes.some((p) => p > 52)) throw badData(`HCOMPRESS_1: ${Math.max(...planes)} bit planes is more than supported`);
  // a tile one pixel wide or high has only its first quadrant (quadrants 2 and 3 take planes[1], 4 planes[2])
  if ((planes[1] > 0 || planes[2] > 0) && (nx === 1 || ny === 1)) {
    throw badData('HCOMPRESS_1: bit planes given for an empty quadrant');
  }
  return { nx, ny, scale, sumHi, sumLo, sumall: sumHi * 4294967296 + sumLo, planes };
}

/**
 * Decodes one HCOMPRESS_1 tile. `maxPixels` bounds the size the stream may declare (the tile's own
 * size), so a corrupt header cannot make us allocate more. The bit planes and the inverse
 * transform run in WebAssembly (codecs.c hc_decode) with the same results and errors as
 * decodeHcompressReference, which takes the tiles the WebAssembly decoder leaves (above 2^24
 * pixels, or coefficients beyond 2^44).
 */
export function decodeHcompress(input: Uint8Array, smooth: boolean, maxPixels: number): HcompressTile {
  const h = readHeader(input, maxPixels);
  if (h.nx * h.ny <= WASM_MAX_PIXELS) {
    const got = wasmHcompressDecode(input, h, smooth);
    if (typeof got === 'number') {
      if (got === HC_ERR_SHORT) throw badData('HCOMPRESS_1: compressed tile ends early');
      if (got === HC_ERR_END) throw badData('HCOMPRESS_1: bad bit plane values (no end code)');
      throw badData(`HCOMPRESS_1: bad bit-plane format code ${HC_ERR_FORMAT - got}`);
    }
    if (got) return { nx: h.nx, ny: h.ny, scale: h.scale, data: got };
  }
  return decodeBody(input, h, smooth);
}

/** The TypeScript decoder (the reference for codecs.c's hc_decode, and its fallback). */
export function decodeHcompressReference(input: Uint8Array, smooth: boolean, maxPixels: number): HcompressTile {
  return decodeBody(input, readHeader(input, maxPixels), smooth);
}

function decodeBody(input: Uint8Array, h: HcompressHeader, smooth: boolean): HcompressTile {
  const { nx, ny, scale, sumall, planes } = h;
  // 32-bit integers while every value fits (bit planes <= 30, as for 8/16-bit images), else doubles
  const useInt = Math.max(...planes) <= 30 && Math.abs(sumall) < 2 ** 30;
  const a = useInt ? new Int32Array(nx * ny) : new Float64Array(nx * ny);
  const bits = new BitInput(input, 25);
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  decodeQuadrant(bits, a, 0, ny, nx2, ny2, planes[0]!);
  decodeQuadrant(bits, a, ny2, ny, nx2, ny >> 1, planes[1]!);
  decodeQuadrant(bits, a, ny * nx2, ny, nx >> 1, ny2, planes[1]!);
  decodeQuadrant(bits, a, ny * nx2 + ny2, ny, nx >> 1, ny >> 1, planes[2]!);
  if (bits.nybble() !== 0) throw badData('HCOMPRESS_1: bad bit plane values (no end code)');
  bits.restart();
  const maxAbs = a instanceof Int32Array ? applySigns32(a, bits, sumall) : applySigns64(a, bits, sumall);
  if (bits.consumed > input.length) throw badData('HCOMPRESS_1: compressed tile ends early');

  // The inverse transform in 32-bit arithmetic is exact when every scaled coefficient stays
  // below 2^28 (sums of four then stay inside 32 bits); otherwise use doubles.
  const factor = scale > 1 ? scale : 1;
  if (useInt && maxAbs * factor < 2 ** 28) {
    const ints = a as Int32Array;
    if (factor > 1) for (let i = 0; i < ints.length; i++) ints[i] = ints[i]! * factor;
    hinv32(ints, nx, ny, smooth, scale);
    return { nx, ny, scale, data: ints };
  }
  const dbl = useInt ? Float64Array.from(a) : (a as Float64Array);
  if (factor > 1) for (let i = 0; i < dbl.length; i++) dbl[i] = dbl[i]! * factor;
  hinv(dbl, nx, ny, smooth, scale);
  return { nx, ny, scale, data: dbl };
}
