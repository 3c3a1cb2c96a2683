/**
 * Decoding of ASCII-table fields (TFORM Aw, Iw, Fw.d, Ew.d, Dw.d).
 *
 * Blank fields and fields equal to TNULL are undefined: NaN for real columns; for integer columns
 * null with `nulls: 'mask'`, 0 with `nulls: 'raw'` (what astropy's FITS_rec returns). Reals without
 * an explicit decimal point get the `d` implied decimals of Fw.d/Ew.d/Dw.d (FITS 4.0 §7.2.5, as
 * CFITSIO does; astropy ignores them).
 */
import { FitsError } from '../errors.js';
import { zeroAddend } from './describe.js';
import type { NullMode, TableCell, TableColumn } from './types.js';

const INT_RE = /^[+-]?\d+$/;
const REAL_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[EeDd]\s*([+-]?\d+)|([+-]\d+))?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function fieldText(bytes: Uint8Array, pos: number, width: number): string {
  let s = '';
  for (let i = pos; i < pos + width; i++) {
    const b = bytes[i] as number;
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

function parseReal(text: string, decimals: number): number | undefined {
  const m = REAL_RE.exec(text);
  if (!m) return undefined;
  const mantissa = m[1] as string;
  const exponent = m[2] ?? m[3];
  let value = Number(exponent === undefined ? mantissa : `${mantissa}e${exponent}`);
  if (!mantissa.includes('.') && decimals > 0) value /= 10 ** decimals;
  return value;
}

export function decodeAsciiCell(col: TableColumn, bytes: Uint8Array, rowStart: number, nulls: NullMode, row: number): TableCell {
  const raw = fieldText(bytes, rowStart + col.byteOffset, col.width ?? 0);
  if (col.code === 'A') return raw.trimEnd();
  const text = raw.trim();
  const isNull = text === '' || (typeof col.tnull === 'string' && text === col.tnull.trim());
  const linear = col.scaling === 'linear';
  if (col.code === 'I') {
    if (isNull) return linear ? Number.NaN : nulls === 'mask' ? null : col.valueType === 'int64' ? 0n : 0;
    if (!INT_RE.test(text)) {
      throw new FitsError('FITS_BAD_DATA', `row ${row + 1}, column '${col.name}': '${text}' is not an integer (${col.tform})`);
    }
    // An integer has no sign of zero: '-0' is 0 (`+ 0`), as astropy parses it before scaling, so
    // '-0' under TSCAL -1 is -0 like '0' (it gave +0 before, session 14).
    const int = Number(text) + 0;
    if (linear) return int * col.tscal + zeroAddend(col);
    if (col.valueType === 'int32') return int;
    const big = BigInt(text);
    if (big < INT64_MIN || big > INT64_MAX) {
      throw new FitsError('FITS_BAD_DATA', `row ${row + 1}, column '${col.name}': ${text} does not fit in 64 bits`);
    }
    return big;
  }
  if (isNull) return Number.NaN;
  const value = parseReal(text, col.decimals ?? 0);
  if (value === undefined) {
    throw new FitsError('FITS_BAD_DATA', `row ${row + 1}, column '${col.name}': '${text}' is not a number (${col.tform})`);
  }
  return linear ? value * col.tscal + zeroAddend(col) : value;
}
