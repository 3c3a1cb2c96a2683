/** Range and Content-Range headers (RFC 9110 §14), only the single-range forms we use. */

export interface ContentRange {
  /** First byte sent, or undefined for `bytes * /total` (416 answers). */
  readonly start: number | undefined;
  /** Last byte sent, inclusive. */
  readonly end: number | undefined;
  /** Complete length, or undefined when the server wrote `*`. */
  readonly total: number | undefined;
}

/** `bytes=start-end` (end inclusive) or `bytes=start-` when end is undefined. */
export function rangeHeader(start: number, end?: number): string {
  return end === undefined ? `bytes=${start}-` : `bytes=${start}-${end}`;
}

/** Parses `bytes a-b/T`, `bytes a-b/*` or `bytes * /T`; undefined when malformed. */
export function parseContentRange(value: string | string[] | undefined): ContentRange | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*\/\s*(\d+|\*)\s*$/i.exec(text);
  if (!m) return undefined;
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (m[1] === undefined) return total === undefined ? undefined : { start: undefined, end: undefined, total };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || (total !== undefined && end >= total)) return undefined;
  return { start, end, total };
}

/** A non-negative integer header value, or undefined. */
export function parseLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/** Strong ETags may guard If-Range; weak ones (W/"...") may not (RFC 9110 §13.1.5). */
export function isStrongEtag(etag: string | undefined): etag is string {
  return etag !== undefined && etag !== '' && !etag.startsWith('W/');
}
