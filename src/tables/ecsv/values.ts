/**
 * Text -> value conversions for ECSV fields, as numpy converts them when astropy reads a column:
 * floats rounded to the column's precision (float16, float32), 64-bit integers exact (bigint),
 * range-checked integers, Python's spellings of booleans and non-finite floats.
 */
import { TableError } from '../errors.js';
import type { EcsvDatatype } from './types.js';

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 2n ** 64n - 1n],
};

export function isIntegerType(t: string): boolean {
  return t in INT_RANGE;
}

export function isFloatType(t: string): boolean {
  return t === 'float16' || t === 'float32' || t === 'float64' || t === 'float128';
}

/** Round to the nearest IEEE half-precision value (ties to even), as numpy's float16. */
export function roundFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a >= 65520) return sign * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  if (e < -14) e = -14; // subnormals share the smallest exponent
  const quantum = 2 ** (e - 10);
  const v = a / quantum;
  const f = Math.floor(v);
  const d = v - f;
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return sign * r * quantum;
}

/** Python's float(): decimal forms plus nan/inf/infinity in any case, with a sign. */
export function parsePythonFloat(text: string): number | undefined {
  const t = text.trim();
  const m = /^([+-]?)(nan|inf|infinity)$/i.exec(t);
  if (m) return m[2]?.toLowerCase() === 'nan' ? Number.NaN : m[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

export function roundFloat(type: string, v: number): number {
  if (type === 'float32') return Math.fround(v);
  if (type === 'float16') return roundFloat16(v);
  return v;
}

function bad(what: string, column: string, row: number): never {
  throw new TableError('TABLE_BAD_DATA', `column '${column}', data row ${row + 1}: ${what}`);
}

/** Convert an integer (text, number or bigint from JSON) to the column's type, range-checked. */
export function toInteger(type: string, raw: string | number | bigint, column: string, row: number): number | bigint {
  let v: bigint;
  if (typeof raw === 'bigint') v = raw;
  else if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) bad(`${raw} is not an integer`, column, row);
    v = BigInt(raw);
  } else {
    const t = raw.trim().replace(/_/g, '');
    if (!/^[+-]?\d+$/.test(t)) bad(`'${raw}' is not an integer`, column, row);
    v = BigInt(t);
  }
  const range = INT_RANGE[type] as [bigint, bigint];
  if (v < range[0] || v > range[1]) bad(`${v} is out of range for ${type}`, column, row);
  return type === 'int64' || type === 'uint64' ? v : Number(v);
}

export function toBoolean(raw: string | boolean | number, column: string, row: number): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  const t = raw.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return bad(`'${raw}' is not a boolean`, column, row);
}

export function toFloat(type: string, raw: string | number | bigint, column: string, row: number): number {
  if (typeof raw === 'number') return roundFloat(type, raw);
  if (typeof raw === 'bigint') return roundFloat(type, Number(raw));
  const v = parsePythonFloat(raw);
  if (v === undefined) bad(`'${raw}' is not a number`, column, row);
  return roundFloat(type, v as number);
}

/** A scalar field of a column of this datatype ('' has already been taken as masked). */
export function convertScalar(type: EcsvDatatype, raw: string, column: string, row: number): number | bigint | boolean | string {
  if (type === 'string') return raw;
  if (type === 'bool') return toBoolean(raw, column, row);
  if (isIntegerType(type)) return toInteger(type, raw, column, row);
  return toFloat(type, raw, column, row);
}
