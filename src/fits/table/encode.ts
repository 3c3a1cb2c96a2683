/**
 * encodeBinTable: build the header cards and the data unit (main table + heap) of a BINTABLE
 * HDU from columns of JavaScript values, for the writer to append. Independent of the writer:
 * it returns cards (`NewCard`) and unpadded bytes; the writer adds CHECKSUM/DATASUM and pads.
 */
import type { NewCard } from '../card.js';
import { FitsError } from '../errors.js';
import { ELEMENT_BYTES, elementBytes, formatBinaryTform, parseBinaryTform, type BinaryTform } from './tform.js';
import type { BinaryCode, Complex, NumericArray } from './types.js';

/** One cell value given to the encoder. Arrays make vector (or variable-length) cells. */
export type EncodeValue =
  | number
  | bigint
  | boolean
  | string
  | Complex
  | null
  | NumericArray
  | readonly (number | bigint | boolean | Complex | null)[];

export interface BinTableColumnSpec {
  /** TTYPEn. */
  readonly name: string;
  /**
   * TFORMn, e.g. '1J', '20A', '3E', '1PJ', '1QD'. When omitted it is inferred: numbers -> D,
   * bigint -> K, booleans -> L, strings -> nA (longest), {re, im} -> M, typed arrays by their
   * type (Uint16/Uint32/BigUint64/Int8 through the TZERO conventions), equal-length arrays ->
   * rX vectors, unequal lengths -> 1PX variable-length arrays (1QX past 4 GiB of heap).
   */
  readonly format?: string;
  /** One value per row, or a typed array holding a scalar column. */
  readonly values: readonly EncodeValue[] | NumericArray;
  readonly unit?: string;
  /** TDIMn in FITS order (fastest first). */
  readonly dim?: readonly number[];
  /** TNULLn: stored for null (and NaN) values of integer columns. */
  readonly tnull?: number | bigint;
  /** TSCALn / TZEROn: values are physical; stored = (value - zero) / scale. */
  readonly scale?: number;
  readonly zero?: number;
  readonly disp?: string;
  /** Comment of the TTYPEn card. */
  readonly comment?: string;
}

export interface EncodeBinTableOptions {
  readonly extname?: string;
  readonly extver?: number;
  /** Extra cards appended after the column keywords (e.g. NINPUTS, METAVERS). */
  readonly cards?: readonly NewCard[];
}

export interface EncodedBinTable {
  /** Header cards from XTENSION to the last column keyword (no END, no CHECKSUM). */
  readonly cards: NewCard[];
  /** Main table followed by the heap, NOT padded to 2880 (pad with zeros). */
  readonly data: Uint8Array;
  readonly nRows: number;
  readonly rowBytes: number;
  readonly heapBytes: number;
}

const TYPED_FORMAT: ReadonlyArray<[new (n: number) => NumericArray, BinaryCode, number]> = [
  [Float64Array, 'D', 0],
  [Float32Array, 'E', 0],
  [Int32Array, 'J', 0],
  [Int16Array, 'I', 0],
  [Uint8Array, 'B', 0],
  [Int8Array, 'B', -128],
  [Uint16Array, 'I', 32768],
  [Uint32Array, 'J', 2147483648],
  [BigInt64Array, 'K', 0],
  [BigUint64Array, 'K', 9223372036854775808],
];

function isTyped(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function typedFormat(v: NumericArray): { code: BinaryCode; zero: number } {
  for (const [ctor, code, zero] of TYPED_FORMAT) if (v instanceof ctor) return { code, zero };
  throw new FitsError('FITS_BAD_ARGUMENT', 'unsupported typed array');
}

function isComplexValue(v: unknown): v is Complex {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isTyped(v) && 're' in v && 'im' in v;
}

type Element = number | bigint | boolean | string | Complex | null;

/** Code for a scalar element kind. */
function scalarCode(values: readonly Element[], column: string): BinaryCode {
  let code: BinaryCode | undefined;
  for (const v of values) {
    if (v === null) continue;
    const c: BinaryCode =
      typeof v === 'number' ? 'D' : typeof v === 'bigint' ? 'K' : typeof v === 'boolean' ? 'L' : typeof v === 'string' ? 'A' : 'M';
    if (code === undefined) code = c;
    else if (code !== c) throw new FitsError('FITS_BAD_ARGUMENT', `column '${column}' mixes value types; give a format`);
  }
  return code ?? 'D';
}

interface Plan {
  spec: BinTableColumnSpec;
  tform: BinaryTform;
  zero: number;
  scale: number;
  /** Elements per row for fixed cells (chars for A). */
  cells: (readonly Element[] | NumericArray | string)[];
}

function asCells(spec: BinTableColumnSpec): (readonly Element[] | NumericArray | string)[] {
  const vals = spec.values;
  if (isTyped(vals)) return Array.from({ length: vals.length }, (_, i) => vals.subarray(i, i + 1) as NumericArray);
  return (vals as readonly EncodeValue[]).map((v) => {
    if (typeof v === 'string') return v;
    if (isTyped(v) || Array.isArray(v)) return v as readonly Element[] | NumericArray;
    return [v as Element];
  });
}

function planColumn(spec: BinTableColumnSpec, nRows: number, index: number): Plan {
  const n = index + 1;
  const values = spec.values;
  if (values.length !== nRows) {
    throw new FitsError('FITS_BAD_ARGUMENT', `column '${spec.name}' has ${values.length} values, expected ${nRows}`);
  }
  const cells = asCells(spec);
  let scale = spec.scale ?? 1;
  let zero = spec.zero ?? 0;
  let tform: BinaryTform;
  if (spec.format) {
    tform = parseBinaryTform(spec.format, n);
  } else {
    let code: BinaryCode;
    const first = isTyped(values) ? values : cells.find((c) => typeof c !== 'string' && isTyped(c));
    if (first && isTyped(first)) {
      const t = typedFormat(first);
      code = t.code;
      if (spec.zero === undefined && t.zero !== 0) zero = t.zero;
    } else if (cells.some((c) => typeof c === 'string')) code = 'A';
    else code = scalarCode(cells.flatMap((c) => (typeof c === 'string' ? [c] : Array.from(c as ArrayLike<Element>))), spec.name);
    const lengths = cells.map((c) => (typeof c === 'string' ? c.length : c.length));
    const max = lengths.reduce((a, b) => Math.max(a, b), 0);
    const uniform = lengths.every((l) => l === max);
    const scalarLike = !isTyped(values) && (values as readonly EncodeValue[]).every((v) => !Array.isArray(v) && !isTyped(v));
    if (code === 'A') tform = parseBinaryTform(`${Math.max(1, max)}A`, n);
    else if (isTyped(values) || (scalarLike && uniform)) tform = parseBinaryTform(`1${code}`, n);
    else if (uniform && nRows > 0) tform = parseBinaryTform(`${max}${code}`, n);
    else tform = parseBinaryTform(`1P${code}`, n);
  }
  if (tform.code === 'A' || tform.code === 'L' || tform.code === 'X') {
    if (scale !== 1 || zero !== 0) throw new FitsError('FITS_BAD_ARGUMENT', `column '${spec.name}': TSCAL/TZERO only apply to numeric columns`);
  }
  if (scale === 0 || !Number.isFinite(scale) || !Number.isFinite(zero)) {
    throw new FitsError('FITS_BAD_ARGUMENT', `column '${spec.name}': TSCAL must be finite and non-zero`);
  }
  return { spec, tform, zero, scale, cells };
}

function checkAscii(s: string, column: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new FitsError('FITS_BAD_ARGUMENT', `column '${column}': strings must be printable ASCII (found code ${c})`);
  }
}

/** Writes elements big-endian into `out` at `pos`; returns bytes written. */
function writeElements(
  plan: Plan,
  code: BinaryCode,
  cell: readonly Element[] | NumericArray | string,
  count: number,
  out: DataView,
  pos: number,
  row: number,
): void {
  const name = plan.spec.name;
  if (code === 'A') {
    const s = typeof cell === 'string' ? cell : (cell as readonly Element[]).map((x) => (x === null ? '' : String(x))).join('');
    checkAscii(s, name);
    if (s.length > count) throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': '${s.slice(0, 20)}...' is longer than ${count} characters`);
    for (let i = 0; i < count; i++) out.setUint8(pos + i, i < s.length ? s.charCodeAt(i) : 0x20);
    return;
  }
  if (typeof cell === 'string') throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': a string in a ${code} column`);
  if (cell.length > count) throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': ${cell.length} elements, the column holds ${count}`);
  if (code === 'X') {
    for (let i = 0; i < cell.length; i++) {
      if (cell[i]) out.setUint8(pos + (i >> 3), out.getUint8(pos + (i >> 3)) | (0x80 >> (i & 7)));
    }
    return;
  }
  const size = ELEMENT_BYTES[code];
  for (let i = 0; i < count; i++) {
    const v = i < cell.length ? (cell[i] as Element) : null;
    const p = pos + i * size;
    if (code === 'L') {
      out.setUint8(p, v === null ? 0 : v ? 0x54 : 0x46);
      continue;
    }
    if (code === 'C' || code === 'M') {
      const c = isComplexValue(v) ? v : v === null ? { re: Number.NaN, im: Number.NaN } : { re: Number(v), im: 0 };
      const re = (c.re - plan.zero) / plan.scale;
      const im = c.im / plan.scale;
      if (code === 'C') {
        out.setFloat32(p, re);
        out.setFloat32(p + 4, im);
      } else {
        out.setFloat64(p, re);
        out.setFloat64(p + 8, im);
      }
      continue;
    }
    if (code === 'E' || code === 'D') {
      const x = v === null ? Number.NaN : (Number(v) - plan.zero) / plan.scale;
      if (code === 'E') out.setFloat32(p, x);
      else out.setFloat64(p, x);
      continue;
    }
    writeInteger(plan, code, v, out, p, row);
  }
}

const INT_RANGE: Readonly<Record<'B' | 'I' | 'J' | 'K', [bigint, bigint]>> = {
  B: [0n, 255n],
  I: [-32768n, 32767n],
  J: [-2147483648n, 2147483647n],
  K: [-(2n ** 63n), 2n ** 63n - 1n],
};

function writeInteger(plan: Plan, code: BinaryCode, v: Element, out: DataView, p: number, row: number): void {
  const name = plan.spec.name;
  let stored: bigint;
  const missing = v === null || (typeof v === 'number' && Number.isNaN(v));
  if (missing) {
    if (plan.spec.tnull === undefined) {
      throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': null value in an integer column without TNULL`);
    }
    stored = BigInt(plan.spec.tnull);
  } else if (typeof v === 'bigint') {
    // Exact integer arithmetic for 64-bit values (TZERO 2^63 for unsigned).
    if (plan.scale !== 1) throw new FitsError('FITS_BAD_ARGUMENT', `column '${name}': bigint values need TSCAL = 1`);
    stored = v - BigInt(plan.zero);
  } else if (typeof v === 'number' || typeof v === 'boolean') {
    const x = (Number(v) - plan.zero) / plan.scale;
    if (!Number.isFinite(x)) throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': ${v} cannot be stored as an integer`);
    stored = BigInt(Math.round(x));
  } else {
    throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': ${String(v)} is not a number`);
  }
  const [lo, hi] = INT_RANGE[code as 'B' | 'I' | 'J' | 'K'];
  if (stored < lo || stored > hi) {
    throw new FitsError('FITS_BAD_ARGUMENT', `row ${row + 1}, column '${name}': ${String(v)} does not fit in a ${code} column`);
  }
  if (code === 'B') out.setUint8(p, Number(stored));
  else if (code === 'I') out.setInt16(p, Number(stored));
  else if (code === 'J') out.setInt32(p, Number(stored));
  else out.setBigInt64(p, stored);
}

/** Build a BINTABLE HDU (header cards + data bytes) from columns. */
export function encodeBinTable(columns: readonly BinTableColumnSpec[], options: EncodeBinTableOptions = {}): EncodedBinTable {
  if (columns.length > 999) throw new FitsError('FITS_BAD_ARGUMENT', 'a table has at most 999 columns');
  const nRows = columns[0]?.values.length ?? 0;
  const plans = columns.map((c, i) => planColumn(c, nRows, i));

  // Variable-length cells: lay the heap out first so TFORM (P or Q, max length) is known.
  let heapBytes = 0;
  const heapOffsets = plans.map((plan) => {
    if (!plan.tform.varLength) return null;
    return plan.cells.map((cell) => {
      const offset = heapBytes;
      heapBytes += elementBytes(plan.tform.code, cell.length);
      return offset;
    });
  });
  plans.forEach((plan, j) => {
    if (!plan.tform.varLength) return;
    const max = plan.cells.reduce((m, c) => Math.max(m, c.length), 0);
    let letter = plan.tform.varLength;
    if (letter === 'P' && (heapBytes > 0xffffffff || max > 0xffffffff)) {
      if (columns[j]?.format) throw new FitsError('FITS_BAD_ARGUMENT', `column '${plan.spec.name}': the heap is too large for P descriptors; use Q`);
      letter = 'Q';
    }
    plan.tform = parseBinaryTform(formatBinaryTform({ repeat: 1, code: plan.tform.code, varLength: letter, maxVarLength: max }), j + 1);
  });

  const rowBytes = plans.reduce((s, p) => s + p.tform.byteWidth, 0);
  const mainBytes = rowBytes * nRows;
  const total = mainBytes + heapBytes;
  if (!Number.isSafeInteger(total) || total > 2 ** 31) throw new FitsError('FITS_TOO_LARGE', `table of ${total} bytes is too large to encode in memory`);
  const data = new Uint8Array(total);
  const view = new DataView(data.buffer);

  let fieldOffset = 0;
  plans.forEach((plan, j) => {
    const t = plan.tform;
    for (let r = 0; r < nRows; r++) {
      const pos = r * rowBytes + fieldOffset;
      const cell = plan.cells[r] as readonly Element[] | NumericArray | string;
      if (t.varLength) {
        const count = cell.length;
        const heapOffset = (heapOffsets[j] as number[])[r] as number;
        writeElements(plan, t.code, cell, count, view, mainBytes + heapOffset, r);
        if (t.varLength === 'P') {
          view.setUint32(pos, count);
          view.setUint32(pos + 4, heapOffset);
        } else {
          view.setBigUint64(pos, BigInt(count));
          view.setBigUint64(pos + 8, BigInt(heapOffset));
        }
      } else if (t.repeat > 0) {
        writeElements(plan, t.code, cell, t.repeat, view, pos, r);
      }
    }
    fieldOffset += t.byteWidth;
  });

  const cards: NewCard[] = [
    { keyword: 'XTENSION', value: 'BINTABLE', comment: 'binary table extension' },
    { keyword: 'BITPIX', value: 8, comment: 'array data type' },
    { keyword: 'NAXIS', value: 2, comment: 'number of array dimensions' },
    { keyword: 'NAXIS1', value: rowBytes, comment: 'length of dimension 1' },
    { keyword: 'NAXIS2', value: nRows, comment: 'length of dimension 2' },
    { keyword: 'PCOUNT', value: heapBytes, comment: 'number of group parameters' },
    { keyword: 'GCOUNT', value: 1, comment: 'number of groups' },
    { keyword: 'TFIELDS', value: plans.length, comment: 'number of table fields' },
  ];
  plans.forEach((plan, j) => {
    const n = j + 1;
    const s = plan.spec;
    checkAscii(s.name, s.name);
    cards.push({ keyword: `TTYPE${n}`, value: s.name, comment: s.comment ?? '' });
    cards.push({ keyword: `TFORM${n}`, value: formatBinaryTform({ ...plan.tform }) });
    if (s.unit) cards.push({ keyword: `TUNIT${n}`, value: s.unit });
    if (s.dim) cards.push({ keyword: `TDIM${n}`, value: `(${s.dim.join(',')})` });
    if (s.tnull !== undefined) cards.push({ keyword: `TNULL${n}`, value: s.tnull });
    if (plan.scale !== 1 || plan.zero !== 0) {
      cards.push({ keyword: `TSCAL${n}`, value: plan.scale });
      cards.push({ keyword: `TZERO${n}`, value: plan.zero >= 2 ** 53 ? BigInt(plan.zero) : plan.zero });
    }
    if (s.disp) cards.push({ keyword: `TDISP${n}`, value: s.disp });
  });
  if (options.extname !== undefined) cards.push({ keyword: 'EXTNAME', value: options.extname, comment: 'extension name' });
  if (options.extver !== undefined) cards.push({ keyword: 'EXTVER', value: options.extver, comment: 'extension version' });
  for (const c of options.cards ?? []) cards.push(c);
  return { cards, data, nRows, rowBytes, heapBytes };
}
