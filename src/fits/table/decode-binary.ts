/**
 * Decoding of binary-table cells from row bytes (big-endian) and heap bytes, with TSCAL/TZERO,
 * the unsigned conventions, TNULL and TDIM applied.
 */
import { FitsError } from '../errors.js';
import { zeroAddend } from './describe.js';
import type { ArrayCell, BinaryCode, Complex, NullMode, NumericArray, TableCell, TableColumn } from './types.js';

const TWO_63 = 1n << 63n;

/** Raw stored elements: numbers for every numeric type, typed arrays sized exactly. */
function readStored(code: BinaryCode, bytes: Uint8Array, pos: number, count: number): NumericArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (code) {
    case 'B':
      return bytes.slice(pos, pos + count);
    case 'I': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(pos + 2 * i);
      return out;
    }
    case 'J': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(pos + 4 * i);
      return out;
    }
    case 'K': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getBigInt64(pos + 8 * i);
      return out;
    }
    case 'E': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(pos + 4 * i);
      return out;
    }
    case 'D': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(pos + 8 * i);
      return out;
    }
    case 'C': {
      const out = new Float32Array(2 * count);
      for (let i = 0; i < 2 * count; i++) out[i] = view.getFloat32(pos + 4 * i);
      return out;
    }
    case 'M': {
      const out = new Float64Array(2 * count);
      for (let i = 0; i < 2 * count; i++) out[i] = view.getFloat64(pos + 8 * i);
      return out;
    }
    default:
      throw new FitsError('FITS_BAD_DATA', `internal: ${code} is not a numeric element type`);
  }
}

function nullMask(col: TableColumn, stored: NumericArray): Uint8Array | undefined {
  if (col.tnull === null || typeof col.tnull === 'string') return undefined;
  let mask: Uint8Array | undefined;
  if (stored instanceof BigInt64Array) {
    const t = BigInt(col.tnull);
    for (let i = 0; i < stored.length; i++) if (stored[i] === t) (mask ??= new Uint8Array(stored.length))[i] = 1;
  } else {
    const t = Number(col.tnull);
    for (let i = 0; i < stored.length; i++) if (stored[i] === t) (mask ??= new Uint8Array(stored.length))[i] = 1;
  }
  return mask;
}

/** Apply TSCAL/TZERO: offset conventions keep integers exact; linear scaling gives float64. */
function physical(col: TableColumn, stored: NumericArray, mask: Uint8Array | undefined): NumericArray {
  if (col.scaling === 'none') return stored;
  if (col.scaling === 'offset') {
    switch (col.valueType) {
      case 'int8': {
        const out = new Int8Array(stored.length);
        for (let i = 0; i < stored.length; i++) out[i] = (stored[i] as number) - 128;
        return out;
      }
      case 'uint16': {
        const out = new Uint16Array(stored.length);
        for (let i = 0; i < stored.length; i++) out[i] = (stored[i] as number) + 32768;
        return out;
      }
      case 'uint32': {
        const out = new Uint32Array(stored.length);
        for (let i = 0; i < stored.length; i++) out[i] = (stored[i] as number) + 2147483648;
        return out;
      }
      case 'uint64': {
        const out = new BigUint64Array(stored.length);
        for (let i = 0; i < stored.length; i++) out[i] = BigInt.asUintN(64, (stored[i] as bigint) + TWO_63);
        return out;
      }
      default:
        return stored;
    }
  }
  // Linear scaling to float64; for complex only the real part gets TZERO.
  const out = new Float64Array(stored.length);
  const complex = col.code === 'C' || col.code === 'M';
  const zero = zeroAddend(col);
  for (let i = 0; i < stored.length; i++) {
    if (mask?.[i]) {
      out[i] = Number.NaN;
      continue;
    }
    const v = typeof stored[i] === 'bigint' ? Number(stored[i]) : (stored[i] as number);
    out[i] = complex && i % 2 === 1 ? v * col.tscal : v * col.tscal + zero;
  }
  return out;
}

function decodeString(bytes: Uint8Array, pos: number, width: number): string {
  let end = pos;
  const limit = pos + width;
  while (end < limit && bytes[end] !== 0) end++;
  let s = '';
  for (let i = pos; i < end; i++) s += String.fromCharCode(bytes[i] as number);
  return s.trimEnd();
}

function decodeLogical(byte: number): boolean | null {
  if (byte === 0x54) return true;
  if (byte === 0x46) return false;
  return null;
}

function toComplex(values: NumericArray): Complex[] {
  const out: Complex[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) out.push({ re: values[i] as number, im: values[i + 1] as number });
  return out;
}

/**
 * Decode `count` elements of the column's type at `bytes[pos..]` into a cell of `shape`
 * (`[]` = scalar). Used for the fixed part of a row and for heap arrays alike.
 */
export function decodeElements(
  col: TableColumn,
  bytes: Uint8Array,
  pos: number,
  count: number,
  shape: readonly number[],
  nulls: NullMode,
): TableCell {
  const code = col.code as BinaryCode;
  const scalar = shape.length === 0;
  switch (code) {
    case 'A': {
      if (scalar) return decodeString(bytes, pos, count);
      const n = shape.reduce((a, b) => a * b, 1);
      // TDIM (w, n1, n2, ...): strings of w characters (w may leave unused bytes at the end).
      const width = col.dim && col.dim.length > 1 ? (col.dim[0] as number) : n === 0 ? 0 : Math.floor(count / n);
      const strings: string[] = [];
      for (let i = 0; i < n; i++) strings.push(decodeString(bytes, pos + i * width, width));
      return { shape, values: strings };
    }
    case 'L': {
      const values: (boolean | null)[] = [];
      for (let i = 0; i < count; i++) values.push(decodeLogical(bytes[pos + i] as number));
      return scalar ? (values[0] ?? null) : { shape, values };
    }
    case 'X': {
      const values: boolean[] = [];
      for (let i = 0; i < count; i++) values.push((((bytes[pos + (i >> 3)] as number) >> (7 - (i & 7))) & 1) === 1);
      return { shape: scalar ? [count] : shape, values };
    }
    default: {
      const stored = readStored(code, bytes, pos, count);
      const mask = nulls === 'mask' ? nullMask(col, stored) : undefined;
      const values = physical(col, stored, mask);
      const linear = col.scaling === 'linear';
      if (code === 'C' || code === 'M') {
        const complex = toComplex(values);
        return scalar ? (complex[0] ?? null) : { shape, values: complex };
      }
      if (scalar) {
        if (count === 0) return null;
        if (mask?.[0] && !linear) return null;
        return values[0] as number | bigint;
      }
      const cell: ArrayCell = mask && !linear ? { shape, values, nulls: mask } : { shape, values };
      return cell;
    }
  }
}

/** Decode the fixed-width cell of `col` in the row starting at `rowStart`. */
export function decodeFixedCell(col: TableColumn, bytes: Uint8Array, rowStart: number, nulls: NullMode): TableCell {
  const shape = col.shape ?? [];
  let count = col.repeat;
  // With a TDIM that covers fewer elements than the repeat count, only those are part of the cell.
  if (col.dim && col.code !== 'A' && col.code !== 'X') count = col.dim.reduce((a, b) => a * b, 1);
  return decodeElements(col, bytes, rowStart + col.byteOffset, count, shape, nulls);
}

/** The (count, heap offset) pair of a P or Q descriptor. */
export function readDescriptor(col: TableColumn, bytes: Uint8Array, rowStart: number): { count: number; offset: number } {
  return descriptorAt(bytes, rowStart + col.byteOffset, col.varLength === 'P' ? 'P' : 'Q', `column '${col.name}'`);
}

/**
 * The (element count, heap offset) pair of a P (two 32-bit) or Q (two 64-bit) descriptor at byte
 * `pos`, read unsigned; FITS_BAD_DATA when a Q value is beyond any addressable heap.
 */
export function descriptorAt(bytes: Uint8Array, pos: number, kind: 'P' | 'Q', what: string): { count: number; offset: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'P') return { count: view.getUint32(pos), offset: view.getUint32(pos + 4) };
  const count = view.getBigUint64(pos);
  const offset = view.getBigUint64(pos + 8);
  if (count > BigInt(Number.MAX_SAFE_INTEGER) || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FitsError('FITS_BAD_DATA', `${what}: Q descriptor (${count}, ${offset}) is beyond any heap`);
  }
  return { count: Number(count), offset: Number(offset) };
}

/** Shape of one variable-length cell: the TDIM when it matches the length, else a flat vector. */
export function varCellShape(col: TableColumn, count: number): number[] {
  if (col.code === 'A') {
    if (col.dim && col.dim.length > 1 && col.dim.reduce((a, b) => a * b, 1) === count) return col.dim.slice(1).reverse();
    return [];
  }
  if (col.dim && col.dim.reduce((a, b) => a * b, 1) === count) return col.dim.slice().reverse();
  return [count];
}

// One small function per element type, so V8 optimises each loop on its own type feedback.
function gatherFloat64(view: DataView, base: number, rowBytes: number, nRows: number, out: Float64Array, at: number): number {
  for (let r = 0, p = base; r < nRows; r++, p += rowBytes) out[at + r] = view.getFloat64(p);
  return nRows;
}

function gatherFloat32(view: DataView, base: number, rowBytes: number, nRows: number, out: Float64Array, at: number): number {
  for (let r = 0, p = base; r < nRows; r++, p += rowBytes) out[at + r] = view.getFloat32(p);
  return nRows;
}

/**
 * Fast path of decodeNumericBlock for float columns (E, D), which have no TNULL: writes the values of
 * `nRows` rows straight into `out` from index `at` and returns how many it wrote, or -1 for any
 * other column type. Without TSCAL/TZERO the values are copied as stored (-0 stays -0, as numpy's
 * astype does); with them each is `v * scale + zero`, as decodeNumericBlock computes it.
 */
export function decodeRealColumnInto(col: TableColumn, bytes: Uint8Array, rowBytes: number, nRows: number, perRow: number, out: Float64Array, at: number): number {
  const code = col.code as BinaryCode;
  if (code !== 'E' && code !== 'D') return -1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scale = col.tscal;
  const zero = zeroAddend(col);
  const plain = scale === 1 && zero === 0;
  if (perRow === 1) {
    const n = code === 'D' ? gatherFloat64(view, col.byteOffset, rowBytes, nRows, out, at) : gatherFloat32(view, col.byteOffset, rowBytes, nRows, out, at);
    if (!plain) for (let k = at; k < at + n; k++) out[k] = out[k]! * scale + zero;
    return n;
  }
  let k = at;
  let base = col.byteOffset;
  const size = code === 'D' ? 8 : 4;
  for (let r = 0; r < nRows; r++, base += rowBytes) {
    for (let e = 0; e < perRow; e++) {
      const v = size === 8 ? view.getFloat64(base + 8 * e) : view.getFloat32(base + 4 * e);
      out[k++] = plain ? v : v * scale + zero;
    }
  }
  return k - at;
}

function gatherInt32(view: DataView, base: number, rowBytes: number, nRows: number, perRow: number, scale: number, zero: number, out: Float64Array, at: number): number {
  if (perRow === 1) {
    for (let r = 0, p = base; r < nRows; r++, p += rowBytes) out[at + r] = view.getInt32(p) * scale + zero;
    return nRows;
  }
  let k = at;
  for (let r = 0; r < nRows; r++) for (let e = 0, p = base + r * rowBytes; e < perRow; e++, p += 4) out[k++] = view.getInt32(p) * scale + zero;
  return k - at;
}

function gatherInt16(view: DataView, base: number, rowBytes: number, nRows: number, perRow: number, scale: number, zero: number, out: Float64Array, at: number): number {
  if (perRow === 1) {
    for (let r = 0, p = base; r < nRows; r++, p += rowBytes) out[at + r] = view.getInt16(p) * scale + zero;
    return nRows;
  }
  let k = at;
  for (let r = 0; r < nRows; r++) for (let e = 0, p = base + r * rowBytes; e < perRow; e++, p += 2) out[k++] = view.getInt16(p) * scale + zero;
  return k - at;
}

function gatherUint8(bytes: Uint8Array, base: number, rowBytes: number, nRows: number, perRow: number, scale: number, zero: number, out: Float64Array, at: number): number {
  if (perRow === 1) {
    for (let r = 0, p = base; r < nRows; r++, p += rowBytes) out[at + r] = (bytes[p] as number) * scale + zero;
    return nRows;
  }
  let k = at;
  for (let r = 0; r < nRows; r++) for (let e = 0, p = base + r * rowBytes; e < perRow; e++, p++) out[k++] = (bytes[p] as number) * scale + zero;
  return k - at;
}

/**
 * The fast path of decodeNumericBlock wherever no TNULL has to be checked: writes the physical
 * values of `nRows` rows of a real (E, D: decodeRealColumnInto) or integer (B, I, J: `raw * scale +
 * zero`, as decodeNumericBlock computes them) column straight into `out` from index `at`, and
 * returns how many it wrote; -1 when decodeNumericBlock is needed (TNULL checked with nulls
 * 'mask', K columns).
 */
export function decodeNumericColumnInto(col: TableColumn, bytes: Uint8Array, rowBytes: number, nRows: number, perRow: number, nulls: NullMode, out: Float64Array, at: number): number {
  const real = decodeRealColumnInto(col, bytes, rowBytes, nRows, perRow, out, at);
  if (real >= 0) return real;
  if (nulls === 'mask' && col.tnull !== null && typeof col.tnull !== 'string') return -1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (col.code) {
    case 'J':
      return gatherInt32(view, col.byteOffset, rowBytes, nRows, perRow, col.tscal, zeroAddend(col), out, at);
    case 'I':
      return gatherInt16(view, col.byteOffset, rowBytes, nRows, perRow, col.tscal, zeroAddend(col), out, at);
    case 'B':
      return gatherUint8(bytes, col.byteOffset, rowBytes, nRows, perRow, col.tscal, zeroAddend(col), out, at);
    default:
      return -1;
  }
}

/**
 * Physical values (float64) of a fixed-width real-valued column over a block of `nRows` rows, in
 * one pass per column (the fast path of statistics and numeric columns). TNULL elements are NaN
 * and flagged in `nullMask` when `nulls` is 'mask'.
 */
export function decodeNumericBlock(
  col: TableColumn,
  bytes: Uint8Array,
  rowBytes: number,
  nRows: number,
  perRow: number,
  nulls: NullMode,
): { values: Float64Array; nullMask: Uint8Array | null } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = col.code as BinaryCode;
  const size = ELEMENT_SIZE[code];
  const values = new Float64Array(nRows * perRow);
  const checkNull = nulls === 'mask' && col.tnull !== null && typeof col.tnull !== 'string';
  const nullMask = checkNull ? new Uint8Array(values.length) : null;
  const tnull = checkNull ? Number(col.tnull) : 0;
  const scale = col.tscal;
  const zero = zeroAddend(col);
  let k = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * rowBytes + col.byteOffset;
    switch (code) {
      case 'E':
        for (let e = 0; e < perRow; e++) values[k++] = view.getFloat32(base + 4 * e) * scale + zero;
        break;
      case 'D':
        for (let e = 0; e < perRow; e++) values[k++] = view.getFloat64(base + 8 * e) * scale + zero;
        break;
      case 'B':
      case 'I':
      case 'J':
        for (let e = 0; e < perRow; e++) {
          const p = base + size * e;
          const raw = code === 'B' ? view.getUint8(p) : code === 'I' ? view.getInt16(p) : view.getInt32(p);
          if (nullMask && raw === tnull) {
            nullMask[k] = 1;
            values[k++] = Number.NaN;
          } else values[k++] = raw * scale + zero;
        }
        break;
      case 'K': {
        const tnullBig = checkNull ? BigInt(col.tnull as number | bigint) : 0n;
        for (let e = 0; e < perRow; e++) {
          const big = view.getBigInt64(base + 8 * e);
          if (nullMask && big === tnullBig) {
            nullMask[k] = 1;
            values[k++] = Number.NaN;
          } else {
            // The uint64 convention: exact in bigint, rounded once to float64.
            values[k++] = col.scaling === 'offset' ? Number(BigInt.asUintN(64, big + TWO_63)) : Number(big) * scale + zero;
          }
        }
        break;
      }
      default:
        throw new FitsError('FITS_BAD_DATA', `internal: ${code} is not a real-valued element type`);
    }
  }
  return { values, nullMask };
}

const ELEMENT_SIZE: Readonly<Record<BinaryCode, number>> = { L: 1, X: 1, B: 1, A: 1, I: 2, J: 4, K: 8, E: 4, D: 8, C: 8, M: 16 };
