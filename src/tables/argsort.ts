/**
 * Stable argsorts for sorting tables by one column. Missing values (NaN, masked) go last in both
 * directions; equal keys keep table order (astropy's sort is not stable: defect 18).
 * Numbers use an LSD radix sort over the IEEE bits (4 passes of 16 bits, linear time), so 5
 * million rows sort in well under a second and 5 x 12 bytes per row of memory.
 */

/** Map a float64 to two uint32 words that compare like the number (NaN excluded). */
function sortableWords(v: number, view: DataView): [number, number] {
  view.setFloat64(0, v === 0 ? 0 : v); // -0 sorts with 0
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else hi = (hi | 0x80000000) >>> 0;
  return [hi, lo];
}

/**
 * Indices of `rows` (default 0..n-1) ordered by keys[row]. `keys` NaN = missing.
 * Returns a new Uint32Array of row numbers.
 */
export function argsortNumbers(keys: Float64Array, descending: boolean, rows?: Uint32Array): Uint32Array {
  const n = rows ? rows.length : keys.length;
  let nPresent = 0;
  const missing: number[] = [];
  let idx = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < n; i++) {
    const row = rows ? (rows[i] as number) : i;
    const v = keys[row] as number;
    if (Number.isNaN(v)) {
      missing.push(row);
      continue;
    }
    const [h, l] = sortableWords(v, view);
    idx[nPresent] = row;
    hi[nPresent] = descending ? ~h >>> 0 : h;
    lo[nPresent] = descending ? ~l >>> 0 : l;
    nPresent++;
  }
  let idx2 = new Uint32Array(nPresent);
  let hi2 = new Uint32Array(nPresent);
  let lo2 = new Uint32Array(nPresent);
  const counts = new Uint32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const words = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    counts.fill(0);
    for (let i = 0; i < nPresent; i++) (counts[(((words[i] as number) >>> shift) & 0xffff) + 1] as number)++;
    // Skip a pass whose digit is the same everywhere (common for the low words of small integers).
    let trivial = false;
    for (let d = 1; d <= 65536; d++) if (counts[d] === nPresent) trivial = true;
    if (trivial) continue;
    for (let d = 1; d <= 65536; d++) counts[d] = (counts[d] as number) + (counts[d - 1] as number);
    for (let i = 0; i < nPresent; i++) {
      const d = ((words[i] as number) >>> shift) & 0xffff;
      const at = (counts[d] as number)++;
      idx2[at] = idx[i] as number;
      hi2[at] = hi[i] as number;
      lo2[at] = lo[i] as number;
    }
    [idx, idx2] = [idx2, idx];
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  const out = new Uint32Array(n);
  out.set(idx.subarray(0, nPresent));
  for (let i = 0; i < missing.length; i++) out[nPresent + i] = missing[i] as number;
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
