/**
 * Stable argsorts for sorting tables by one column. Missing values (NaN, masked) go last in both
 * directions; equal keys keep table order (astropy's sort is not stable: defect 18).
 * Numbers use an LSD radix sort over the IEEE bits (4 passes of 16 bits, linear time), so 5
 * million rows sort in well under a second and 6 x 4 bytes per row of memory.
 */

/** Whether a Uint32Array view of a float64 holds its low word first (every platform Node runs on but s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const DIGITS = 65536;

/**
 * Indices of `rows` (default 0..n-1) ordered by keys[row]. `keys` NaN = missing.
 * Returns a new Uint32Array of row numbers.
 *
 * Each key becomes two uint32 words that compare like the number (sign bit flipped, negatives
 * inverted; -0 as 0; all inverted again for descending), read through a Uint32Array view of one
 * float64 (no allocation per row). The four 16-bit digits are counted in the same first pass, and
 * each pass moves only what later passes read: the low words up to the second pass, the high
 * words up to the third, the row numbers always.
 */
export function argsortNumbers(keys: Float64Array, descending: boolean, rows?: Uint32Array): Uint32Array {
  const n = rows ? rows.length : keys.length;
  const missing: number[] = [];
  let idx = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  const H = LITTLE_ENDIAN ? 1 : 0;
  const L = 1 - H;
  const flip = descending ? 0xffffffff : 0;
  const counts = new Uint32Array(4 * DIGITS);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const row = rows ? (rows[i] as number) : i;
    const v = keys[row] as number;
    if (v !== v) {
      missing.push(row);
      continue;
    }
    f[0] = v === 0 ? 0 : v; // -0 sorts with 0
    let h = w[H] as number;
    let l = w[L] as number;
    if (h & 0x80000000) {
      h = ~h;
      l = ~l;
    } else h |= 0x80000000;
    h = (h ^ flip) >>> 0;
    l = (l ^ flip) >>> 0;
    idx[m] = row;
    hi[m] = h;
    lo[m] = l;
    (counts[l & 0xffff] as number)++;
    (counts[DIGITS + (l >>> 16)] as number)++;
    (counts[2 * DIGITS + (h & 0xffff)] as number)++;
    (counts[3 * DIGITS + (h >>> 16)] as number)++;
    m++;
  }
  let idx2 = new Uint32Array(m);
  let hi2 = new Uint32Array(m);
  const lo2 = new Uint32Array(m);
  for (let pass = 0; pass < 4 && m > 0; pass++) {
    const base = pass * DIGITS;
    const words = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    // Skip a pass whose digit is the same everywhere (common for the low words of small integers).
    if (counts[base + (((words[0] as number) >>> shift) & 0xffff)] === m) continue;
    let sum = 0;
    for (let d = 0; d < DIGITS; d++) {
      const c = counts[base + d] as number;
      counts[base + d] = sum;
      sum += c;
    }
    if (pass === 0) {
      for (let i = 0; i < m; i++) {
        const l = lo[i] as number;
        const at = (counts[l & 0xffff] as number)++;
        idx2[at] = idx[i] as number;
        hi2[at] = hi[i] as number;
        lo2[at] = l;
      }
      lo = lo2;
    } else if (pass === 1) {
      for (let i = 0; i < m; i++) {
        const at = (counts[DIGITS + ((lo[i] as number) >>> 16)] as number)++;
        idx2[at] = idx[i] as number;
        hi2[at] = hi[i] as number;
      }
    } else if (pass === 2) {
      for (let i = 0; i < m; i++) {
        const h = hi[i] as number;
        const at = (counts[2 * DIGITS + (h & 0xffff)] as number)++;
        idx2[at] = idx[i] as number;
        hi2[at] = h;
      }
    } else {
      for (let i = 0; i < m; i++) {
        const at = (counts[3 * DIGITS + ((hi[i] as number) >>> 16)] as number)++;
        idx2[at] = idx[i] as number;
      }
    }
    [idx, idx2] = [idx2, idx];
    if (pass < 3) [hi, hi2] = [hi2, hi];
  }
  if (missing.length === 0 && idx.length === n) return idx;
  const out = new Uint32Array(n);
  out.set(idx.subarray(0, m));
  for (let i = 0; i < missing.length; i++) out[m + i] = missing[i] as number;
  return out;
}

/** Stable argsort with a comparator over keys that may be null (missing, last). */
export function argsortBy<K>(keys: (row: number) => K | null, compare: (a: K, b: K) => number, n: number, descending: boolean, rows?: Uint32Array): Uint32Array {
  const order: number[] = [];
  const missing: number[] = [];
  const count = rows ? rows.length : n;
  for (let i = 0; i < count; i++) {
    const row = rows ? (rows[i] as number) : i;
    (keys(row) === null ? missing : order).push(row);
  }
  const sign = descending ? -1 : 1;
  // Array.prototype.sort is stable (ES2019).
  order.sort((a, b) => sign * compare(keys(a) as K, keys(b) as K));
  return Uint32Array.from([...order, ...missing]);
}

/** Bytes per LSD pass over fixed-width strings: 6 bytes make an integer float64 holds exactly. */
const STRING_CHUNK = 6;

/**
 * Stable argsort of fixed-width byte strings (a FITS `nA` column: `bytes` holds `width` bytes a
 * row, row after row) in code-point order, as the strings read (cut at the first NUL, trailing
 * spaces removed: both become 0 here, below every character). An LSD radix sort over 6-byte
 * chunks, last chunk first, each pass `argsortNumbers` (stable): linear in rows x width, and the
 * memory is the column's bytes plus ~40 bytes a row, never one JS string per row. `bytes` is
 * normalised in place.
 */
export function argsortFixedStrings(bytes: Uint8Array, width: number, descending: boolean, rows?: Uint32Array): Uint32Array {
  const n = width === 0 ? 0 : bytes.length / width;
  for (let r = 0; r < n; r++) {
    const base = r * width;
    let end = width;
    const nul = bytes.subarray(base, base + width).indexOf(0);
    if (nul >= 0) end = nul;
    while (end > 0 && bytes[base + end - 1] === 0x20) end--;
    bytes.fill(0, base + end, base + width);
  }
  let order: Uint32Array | undefined = rows;
  const keys = new Float64Array(n);
  const passes = Math.max(1, Math.ceil(width / STRING_CHUNK));
  for (let pass = passes - 1; pass >= 0; pass--) {
    const from = pass * STRING_CHUNK;
    const to = Math.min(width, from + STRING_CHUNK);
    for (let r = 0; r < n; r++) {
      let k = 0;
      for (let b = from; b < from + STRING_CHUNK; b++) k = k * 256 + (b < to ? (bytes[r * width + b] as number) : 0);
      keys[r] = k;
    }
    order = argsortNumbers(keys, descending, order);
  }
  return order ?? new Uint32Array(0);
}
