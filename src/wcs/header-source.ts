/**
 * Where WCS keywords come from: anything with `get(keyword)`, so the FITS core's `Header` and a
 * plain record (tests, JSON fixtures) both work.
 */
export type HeaderValue = string | number | boolean | bigint | null | undefined | object;

export interface HeaderSource {
  get(keyword: string): HeaderValue;
}

/** A header source over a plain object or `[keyword, value]` pairs (first occurrence wins). */
export function recordHeader(entries: Readonly<Record<string, HeaderValue>> | ReadonlyArray<readonly [string, HeaderValue, ...unknown[]]>): HeaderSource {
  const map = new Map<string, HeaderValue>();
  const pairs = Array.isArray(entries) ? entries : Object.entries(entries);
  for (const [k, v] of pairs as ReadonlyArray<readonly [string, HeaderValue]>) {
    const key = k.trim().toUpperCase();
    if (!map.has(key)) map.set(key, v);
  }
  return { get: (keyword: string) => map.get(keyword.toUpperCase()) };
}

/** The number under `keyword`, or undefined when absent or not numeric. */
export function headerNumber(h: HeaderSource, keyword: string): number | undefined {
  const v = h.get(keyword);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim().replace(/[dD]/, 'e'));
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The string under `keyword` (trailing blanks removed), or undefined. */
export function headerString(h: HeaderSource, keyword: string): string | undefined {
  const v = h.get(keyword);
  if (typeof v === 'string') return v.replace(/\s+$/, '');
  return undefined;
}
