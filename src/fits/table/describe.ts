/**
 * describeTable: the column layout of a BINTABLE or ASCII TABLE HDU, from its header alone.
 * Nothing here reads data, and nothing allocates in proportion to NAXIS2 or PCOUNT.
 */
import { FitsError } from '../errors.js';
import { parseAsciiTform, parseBinaryTform, parseTdim } from './tform.js';
import type { AsciiCode, BinaryCode, CardValue, HeaderLike, TableColumn, TableDescription, TableHduLike, ValueType } from './types.js';

/** The standard allows 999 columns; refusing more keeps a hostile TFIELDS from looping for ever. */
const MAX_FIELDS = 999;

function asInteger(value: CardValue | undefined, keyword: string, required: boolean): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw new FitsError('FITS_BAD_HEADER', `table header has no ${keyword}`);
    return undefined;
  }
  if (typeof value === 'bigint') {
    throw new FitsError('FITS_TOO_LARGE', `${keyword} = ${value} is beyond what can be addressed`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new FitsError('FITS_BAD_HEADER', `${keyword} must be an integer, found ${String(value)}`);
  }
  if (value < 0) throw new FitsError('FITS_BAD_HEADER', `${keyword} = ${value} is negative`);
  if (!Number.isSafeInteger(value)) throw new FitsError('FITS_TOO_LARGE', `${keyword} = ${value} is too large`);
  return value;
}

function asString(value: CardValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return null;
}

function asReal(value: CardValue | undefined, keyword: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FitsError('FITS_BAD_HEADER', `${keyword} is not a finite number`);
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  throw new FitsError('FITS_BAD_HEADER', `${keyword} must be a number, found ${String(value)}`);
}

const REAL_NUMERIC: ReadonlySet<ValueType> = new Set<ValueType>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']);

/**
 * TZEROn as added to `stored * TSCALn`: -0 for a TZERO of 0 where the product can be -0 (a float,
 * or a negative TSCAL), since `x + -0` is `x` for every x while `x + 0` turns -0 into +0; astropy
 * adds TZERO only when it is not 0, so a stored -0.0 (or 0 times a negative TSCAL) stays -0.0
 * there too. Integers times a positive TSCAL keep the +0 they had (no -0 to keep; the same number
 * type in the gather loops as before).
 */
export function zeroAddend(col: TableColumn): number {
  if (col.tzero !== 0) return col.tzero;
  const integer = col.code === 'B' || col.code === 'I' || col.code === 'J' || col.code === 'K';
  return integer && col.tscal > 0 ? 0 : -0;
}

/** A column whose values are real numbers (not logical, bits, strings or complex). */
export function isRealNumeric(col: TableColumn): boolean {
  return REAL_NUMERIC.has(col.valueType);
}

/** Elements of one fixed-width numeric cell (a TDIM may cover fewer than the repeat count). */
export function numericCellElements(col: TableColumn): number {
  return col.dim ? col.dim.reduce((a, b) => a * b, 1) : col.repeat;
}

export function tableKind(header: HeaderLike): 'bintable' | 'ascii-table' | undefined {
  const x = asString(header.get('XTENSION'))?.trim().toUpperCase();
  if (x === 'BINTABLE' || x === 'A3DTABLE') return 'bintable';
  if (x === 'TABLE') return 'ascii-table';
  return undefined;
}

/** Unsigned/signed conventions that keep integers exact (astropy's uint handling, plus B/-128). */
function offsetType(code: BinaryCode, tscal: number, tzero: number): ValueType | undefined {
  if (tscal !== 1) return undefined;
  if (code === 'B' && tzero === -128) return 'int8';
  if (code === 'I' && tzero === 32768) return 'uint16';
  if (code === 'J' && tzero === 2147483648) return 'uint32';
  if (code === 'K' && tzero === 9223372036854775808) return 'uint64';
  return undefined;
}

const STORED_TYPE: Readonly<Record<BinaryCode, ValueType>> = {
  L: 'boolean', X: 'bits', A: 'string', B: 'uint8', I: 'int16', J: 'int32', K: 'int64',
  E: 'float32', D: 'float64', C: 'complex64', M: 'complex128',
};

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

interface Common {
  ttype: string | null;
  name: string;
  unit: string | null;
  disp: string | null;
  tscal: number;
  tzero: number;
}

function commonKeywords(header: HeaderLike, n: number): Common {
  const rawName = asString(header.get(`TTYPE${n}`));
  const ttype = rawName === null ? null : rawName.trimEnd();
  return {
    ttype,
    name: ttype === null || ttype === '' ? `COL${n}` : ttype,
    unit: asString(header.get(`TUNIT${n}`))?.trimEnd() || null,
    disp: asString(header.get(`TDISP${n}`))?.trim() || null,
    tscal: asReal(header.get(`TSCAL${n}`), `TSCAL${n}`, 1),
    tzero: asReal(header.get(`TZERO${n}`), `TZERO${n}`, 0),
  };
}

/** The fields a binary and an ASCII column begin with: index, names, TFORMn as written and the type letter. */
function columnIdentity(n: number, c: Common, tformText: string, code: BinaryCode | AsciiCode): Pick<TableColumn, 'index' | 'name' | 'ttype' | 'tform' | 'code'> {
  return { index: n - 1, name: c.name, ttype: c.ttype, tform: tformText.trim(), code };
}

function binaryColumn(header: HeaderLike, n: number, byteOffset: number, warnings: string[]): TableColumn {
  const tformText = asString(header.get(`TFORM${n}`));
  if (tformText === null) throw new FitsError('FITS_BAD_HEADER', `binary table has no TFORM${n}`);
  const t = parseBinaryTform(tformText, n);
  const c = commonKeywords(header, n);
  const numeric = t.code !== 'L' && t.code !== 'X' && t.code !== 'A';
  const tscal = numeric ? c.tscal : 1;
  const tzero = numeric ? c.tzero : 0;
  if (tscal === 0) warnings.push(`TSCAL${n} = 0 makes every value of column ${n} equal to TZERO`);

  let valueType: ValueType = STORED_TYPE[t.code];
  let scaling: TableColumn['scaling'] = 'none';
  if (tscal !== 1 || tzero !== 0) {
    const unsigned = offsetType(t.code, tscal, tzero);
    if (unsigned) {
      valueType = unsigned;
      scaling = 'offset';
    } else {
      scaling = 'linear';
      valueType = t.code === 'C' || t.code === 'M' ? 'complex128' : 'float64';
    }
  }

  let tnull: number | bigint | null = null;
  const rawNull = header.get(`TNULL${n}`);
  if (rawNull !== undefined && rawNull !== null) {
    if ((typeof rawNull === 'number' && Number.isInteger(rawNull)) || typeof rawNull === 'bigint') {
      if ('BIJK'.includes(t.code)) tnull = rawNull;
      else warnings.push(`TNULL${n} ignored: column ${n} is not an integer column`);
    } else {
      warnings.push(`TNULL${n} ignored: not an integer`);
    }
  }

  let dim: number[] | null = null;
  const tdimText = asString(header.get(`TDIM${n}`));
  if (tdimText !== null) {
    const parsed = parseTdim(tdimText);
    if (!parsed) warnings.push(`TDIM${n} = '${tdimText}' ignored: not a dimension list`);
    else if (t.varLength === null && product(parsed) > t.repeat) {
      warnings.push(`TDIM${n} = '${tdimText}' ignored: more elements than TFORM${n} holds`);
    } else dim = parsed;
  }

  let shape: number[] | null;
  if (t.varLength !== null) shape = null;
  else if (t.code === 'A') shape = dim && dim.length > 1 ? dim.slice(1).reverse() : [];
  else if (dim) shape = dim.slice().reverse();
  else if (t.code === 'X') shape = [t.repeat];
  else shape = t.repeat === 1 ? [] : [t.repeat];

  return {
    ...columnIdentity(n, c, tformText, t.code),
    repeat: t.varLength ? 1 : t.repeat,
    varLength: t.varLength,
    maxVarLength: t.maxVarLength,
    byteOffset,
    byteWidth: t.byteWidth,
    dim,
    shape,
    valueType,
    unit: c.unit,
    disp: c.disp,
    tnull,
    tscal,
    tzero,
    scaling,
  };
}

function asciiColumn(header: HeaderLike, n: number, rowBytes: number): TableColumn {
  const tformText = asString(header.get(`TFORM${n}`));
  if (tformText === null) throw new FitsError('FITS_BAD_HEADER', `ASCII table has no TFORM${n}`);
  const t = parseAsciiTform(tformText, n);
  const start = asInteger(header.get(`TBCOL${n}`), `TBCOL${n}`, true) as number;
  if (start < 1 || start - 1 + t.width > rowBytes) {
    throw new FitsError('FITS_BAD_HEADER', `column ${n} (TBCOL${n}=${start}, width ${t.width}) does not fit in NAXIS1=${rowBytes}`);
  }
  const c = commonKeywords(header, n);
  const numeric = t.code !== 'A';
  const tscal = numeric ? c.tscal : 1;
  const tzero = numeric ? c.tzero : 0;
  const linear = tscal !== 1 || tzero !== 0;
  let valueType: ValueType;
  if (t.code === 'A') valueType = 'string';
  else if (linear || t.code !== 'I') valueType = 'float64';
  else valueType = t.width <= 9 ? 'int32' : 'int64';
  const rawNull = header.get(`TNULL${n}`);
  return {
    ...columnIdentity(n, c, tformText, t.code),
    repeat: t.code === 'A' ? t.width : 1,
    varLength: null,
    maxVarLength: null,
    byteOffset: start - 1,
    byteWidth: t.width,
    dim: null,
    shape: [],
    valueType,
    unit: c.unit,
    disp: c.disp,
    tnull: asString(rawNull ?? undefined),
    tscal,
    tzero,
    scaling: linear ? 'linear' : 'none',
    start,
    width: t.width,
    decimals: t.decimals,
  };
}

/** Describe the table in `hdu` (BINTABLE or ASCII TABLE); FitsError if it is not a table. */
export function describeTable(hdu: TableHduLike): TableDescription {
  const header = hdu.header;
  const kind = tableKind(header);
  if (!kind) {
    const x = asString(header.get('XTENSION'));
    throw new FitsError('FITS_BAD_ARGUMENT', `HDU${hdu.index === undefined ? '' : ` ${hdu.index}`} is not a table (XTENSION = ${x === null ? 'none' : `'${x.trim()}'`})`);
  }
  const naxis = asInteger(header.get('NAXIS'), 'NAXIS', true) as number;
  if (naxis !== 2) throw new FitsError('FITS_BAD_HEADER', `a table has NAXIS = 2, found ${naxis}`);
  const rowBytes = asInteger(header.get('NAXIS1'), 'NAXIS1', true) as number;
  const nRows = asInteger(header.get('NAXIS2'), 'NAXIS2', true) as number;
  const pcount = asInteger(header.get('PCOUNT'), 'PCOUNT', false) ?? 0;
  const tfields = asInteger(header.get('TFIELDS'), 'TFIELDS', true) as number;
  if (tfields > MAX_FIELDS) throw new FitsError('FITS_BAD_HEADER', `TFIELDS = ${tfields} is more than the ${MAX_FIELDS} the standard allows`);
  const mainBytes = rowBytes * nRows;
  const dataBytes = mainBytes + pcount;
  if (!Number.isSafeInteger(dataBytes)) throw new FitsError('FITS_TOO_LARGE', `table of ${nRows} rows of ${rowBytes} bytes is too large`);
  if (kind === 'ascii-table' && pcount !== 0) throw new FitsError('FITS_BAD_HEADER', `an ASCII table has PCOUNT = 0, found ${pcount}`);

  const theap = asInteger(header.get('THEAP'), 'THEAP', false);
  const heapOffset = theap ?? mainBytes;
  if (heapOffset < mainBytes && pcount > 0) {
    throw new FitsError('FITS_BAD_HEADER', `THEAP = ${heapOffset} points inside the main table (${mainBytes} bytes)`);
  }

  const warnings: string[] = [];
  const columns: TableColumn[] = [];
  let offset = 0;
  for (let n = 1; n <= tfields; n++) {
    if (kind === 'bintable') {
      const col = binaryColumn(header, n, offset, warnings);
      offset += col.byteWidth;
      if (offset > rowBytes) {
        throw new FitsError('FITS_BAD_HEADER', `columns 1..${n} need ${offset} bytes per row but NAXIS1 = ${rowBytes}`);
      }
      columns.push(col);
    } else {
      columns.push(asciiColumn(header, n, rowBytes));
    }
  }
  return { kind, nRows, rowBytes, columns, heapOffset, pcount, dataBytes, warnings };
}
