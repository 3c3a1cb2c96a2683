/** Sets of downloaded byte ranges, half-open [start, end), kept sorted and merged. */
export type ByteRange = readonly [start: number, end: number];

/** Adds [start, end) to a sorted, merged list and returns the new list. */
export function addRange(ranges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  if (end <= start) return [...ranges];
  const out: ByteRange[] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (const [a, b] of ranges) {
    if (b < s) out.push([a, b]);
    else if (a > e) {
      if (!placed) {
        out.push([s, e]);
        placed = true;
      }
      out.push([a, b]);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push([s, e]);
  return out;
}

export function coveredBytes(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0);
}

/** The gaps of `ranges` inside [0, total). */
export function missingRanges(ranges: readonly ByteRange[], total: number): ByteRange[] {
  const out: ByteRange[] = [];
  let cursor = 0;
  for (const [a, b] of ranges) {
    if (a > cursor) out.push([cursor, Math.min(a, total)]);
    cursor = Math.max(cursor, b);
    if (cursor >= total) break;
  }
  if (cursor < total) out.push([cursor, total]);
  return out.filter(([a, b]) => b > a);
}

/** Drops everything at or beyond `size` (bytes the file on disk does not have). */
export function clipRanges(ranges: readonly ByteRange[], size: number): ByteRange[] {
  return ranges.filter(([a]) => a < size).map(([a, b]): ByteRange => [a, Math.min(b, size)]);
}

/** End of the contiguous prefix starting at 0 (0 when byte 0 is missing). */
export function prefixEnd(ranges: readonly ByteRange[]): number {
  const first = ranges[0];
  return first && first[0] === 0 ? first[1] : 0;
}

/** Splits gaps into pieces of at most `chunkSize` bytes. */
export function splitIntoChunks(gaps: readonly ByteRange[], chunkSize: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (const [a, b] of gaps) {
    for (let s = a; s < b; s += chunkSize) out.push([s, Math.min(b, s + chunkSize)]);
  }
  return out;
}

export function isValidRangeList(value: unknown): value is ByteRange[] {
  return Array.isArray(value) && value.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] >= 0 && r[1] >= r[0]);
}
