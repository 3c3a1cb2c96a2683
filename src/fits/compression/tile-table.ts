/**
 * The binary table that carries a tile-compressed image: one row per tile, with the compressed
 * bytes in a variable-length array column (P or Q descriptor into the heap) and optional per-tile
 * ZSCALE / ZZERO / ZBLANK columns. Only what tile decompression needs is parsed here; general
 * tables live in src/fits/table/.
 */
import type { Header } from '../header.js';
import { FitsError } from '../errors.js';
import { descriptorAt } from '../table/decode-binary.js';
import { ELEMENT_BYTES, parseBinaryTform } from '../table/tform.js';
import type { BinaryCode } from '../table/types.js';

export interface TableColumn {
  readonly name: string;
  /** Byte offset of the field inside a row. */
  readonly offset: number;
  readonly repeat: number;
  /** Type letter of the field (for P/Q: the letter of the array elements). */
  readonly type: string;
  /** 'P' (32-bit) or 'Q' (64-bit) for variable-length arrays, else undefined. */
  readonly descriptor: 'P' | 'Q' | undefined;
  /** Bytes of one element of `type`. */
  readonly elemBytes: number;
}

export interface TileTable {
  readonly rowBytes: number;
  readonly rows: number;
  /** Offset of the heap from the start of the data unit. */
  readonly heapOffset: number;
  readonly heapBytes: number;
  readonly columns: ReadonlyMap<string, TableColumn>;
}

function badHeader(message: string): FitsError {
  return new FitsError('FITS_BAD_HEADER', message);
}

/** A TFORM (or ZFORM) in the terms tile decoding uses; parsed by the table module's parser. */
export function parseTform(
  tform: string,
  column: number,
  keyword = 'TFORM',
): { repeat: number; type: BinaryCode; descriptor: 'P' | 'Q' | undefined; byteWidth: number } {
  const t = parseBinaryTform(tform, column, keyword);
  return { repeat: t.repeat, type: t.code, descriptor: t.varLength ?? undefined, byteWidth: t.byteWidth };
}

export function parseTileTable(header: Header, dataBytes: number): TileTable {
  const rowBytes = header.getNumber('NAXIS1');
  const rows = header.getNumber('NAXIS2');
  const fields = header.getNumber('TFIELDS') ?? 0;
  const pcount = header.getNumber('PCOUNT') ?? 0;
  if (rowBytes === undefined || rows === undefined || !Number.isSafeInteger(rowBytes) || !Number.isSafeInteger(rows) || rowBytes < 0 || rows < 0) {
    throw badHeader('compressed image table: NAXIS1/NAXIS2 missing or invalid');
  }
  if (!Number.isInteger(fields) || fields < 0 || fields > 999) throw badHeader(`compressed image table: invalid TFIELDS ${fields}`);
  const tableBytes = rowBytes * rows;
  const heapOffset = header.getNumber('THEAP') ?? tableBytes;
  if (!Number.isSafeInteger(heapOffset) || heapOffset < tableBytes) throw badHeader(`compressed image table: invalid THEAP ${heapOffset}`);
  const heapBytes = Math.max(0, Math.min(tableBytes + pcount, dataBytes) - heapOffset);

  const columns = new Map<string, TableColumn>();
  let offset = 0;
  for (let i = 1; i <= fields; i++) {
    const tform = header.getString(`TFORM${i}`);
    if (tform === undefined) throw badHeader(`compressed image table: TFORM${i} is missing`);
    const { repeat, type, descriptor, byteWidth } = parseTform(tform, i);
    const name = (header.getString(`TTYPE${i}`) ?? '').trim().toUpperCase();
    if (name && !columns.has(name)) {
      columns.set(name, { name, offset, repeat, type, descriptor, elemBytes: ELEMENT_BYTES[type] });
    }
    offset += byteWidth;
  }
  if (offset > rowBytes) throw badHeader(`compressed image table: columns need ${offset} bytes per row but NAXIS1 is ${rowBytes}`);
  return { rowBytes, rows, heapOffset, heapBytes, columns };
}

/** Reads the (count, heap offset) descriptor of a P or Q column in one row. */
export function readDescriptor(table: Uint8Array, row: number, rowBytes: number, col: TableColumn): { count: number; offset: number } {
  return descriptorAt(table, row * rowBytes + col.offset, col.descriptor === 'P' ? 'P' : 'Q', `tile ${row + 1}, column ${col.name}`);
}

/** Reads a scalar numeric field (ZSCALE, ZZERO, ZBLANK) of one row. */
export function readScalar(table: Uint8Array, row: number, rowBytes: number, col: TableColumn): number {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const at = row * rowBytes + col.offset;
  switch (col.type) {
    case 'D':
      return view.getFloat64(at);
    case 'E':
      return view.getFloat32(at);
    case 'J':
      return view.getInt32(at);
    case 'I':
      return view.getInt16(at);
    case 'K':
      return Number(view.getBigInt64(at));
    case 'B':
      return view.getUint8(at);
    default:
      throw badHeader(`compressed image table: column ${col.name} has unsupported type ${col.type}`);
  }
}
