/**
 * Tile-compressed binary tables (ZTABLE = T; Pence, Seaman & White, "Tiled table compression").
 * Each row of the stored table is a tile of ZTILELEN rows of the original table; each column of a
 * tile is compressed separately (ZCTYPn) into a variable-length byte array. Decompressing rebuilds
 * the original BINTABLE (header from ZFORMn/ZNAXISn, data row by row), which the table module can
 * then read like any other table.
 */
import { FitsFile, type Hdu } from '../file.js';
import { Header } from '../header.js';
import { FitsError } from '../errors.js';
import { badData, unsupported } from './errors.js';
import { decodeGzipTile } from './gzip.js';
import { decodeRice } from './rice.js';
import { parseTform, parseTileTable, readDescriptor } from './tile-table.js';

/** Bytes of one stored number: complex values are pairs, shuffled (GZIP_2) component by component. */
const NUMBER_BYTES: Readonly<Record<string, number>> = { L: 1, X: 1, B: 1, A: 1, I: 2, J: 4, K: 8, E: 4, D: 8, C: 4, M: 8 };
const COLUMN_CODECS = ['GZIP_1', 'GZIP_2', 'RICE_1', 'NOCOMPRESS'] as const;
type ColumnCodec = (typeof COLUMN_CODECS)[number];

export interface DecompressTableOptions {
  /** Refuse tables whose uncompressed rows exceed this many bytes (default 1 GiB). */
  readonly maxBytes?: number;
}

export interface DecompressedTable {
  /** The header of the original (uncompressed) BINTABLE. */
  readonly header: Header;
  /** The data unit of the original table (rows only; no heap), unpadded. */
  readonly data: Buffer;
}

// Keywords that describe the compression, not the original table.
const DROPPED = /^(ZTABLE|ZTILELEN|ZNAXIS\d*|ZPCOUNT|ZTHEAP|ZFORM\d+|ZCTYP\d+|CHECKSUM|DATASUM|THEAP)$/;

interface OriginalColumn {
  readonly offset: number;
  readonly width: number;
  readonly repeat: number;
  readonly type: string;
  readonly codec: ColumnCodec;
}

export async function decompressTable(file: FitsFile, hdu: Hdu, options: DecompressTableOptions = {}): Promise<DecompressedTable> {
  const h = hdu.header;
  if (h.get('ZTABLE') !== true) throw new FitsError('FITS_BAD_ARGUMENT', `HDU ${hdu.index} is not a tile-compressed table`);
  const rowBytes = h.getNumber('ZNAXIS1');
  const rows = h.getNumber('ZNAXIS2');
  const tileLen = h.getNumber('ZTILELEN') ?? rows;
  const fields = h.getNumber('TFIELDS') ?? 0;
  if (rowBytes === undefined || rows === undefined || !Number.isSafeInteger(rowBytes) || !Number.isSafeInteger(rows) || rowBytes < 0 || rows < 0) {
    throw new FitsError('FITS_BAD_HEADER', 'compressed table: ZNAXIS1/ZNAXIS2 missing or invalid');
  }
  if (tileLen === undefined || !Number.isSafeInteger(tileLen) || tileLen < 1) throw new FitsError('FITS_BAD_HEADER', `compressed table: invalid ZTILELEN ${tileLen}`);
  if ((h.getNumber('ZPCOUNT') ?? 0) !== 0) throw unsupported('compressed tables with variable-length array columns (ZPCOUNT > 0) are not supported');
  const total = rowBytes * rows;
  const maxBytes = options.maxBytes ?? 2 ** 30;
  if (total > maxBytes) throw new FitsError('FITS_TOO_LARGE', `compressed table expands to ${total} bytes, more than the limit of ${maxBytes}`);

  const columns: OriginalColumn[] = [];
  let offset = 0;
  for (let i = 1; i <= fields; i++) {
    const zform = h.getString(`ZFORM${i}`);
    if (zform === undefined) throw new FitsError('FITS_BAD_HEADER', `compressed table: ZFORM${i} is missing`);
    const { repeat, type, descriptor, byteWidth: width } = parseTform(zform, i, 'ZFORM');
    if (descriptor) throw unsupported(`compressed table column ${i} ('${zform}') is a variable-length array, which is not supported`);
    const codec = (h.getString(`ZCTYP${i}`) ?? 'NOCOMPRESS').trim().toUpperCase() as ColumnCodec;
    if (!COLUMN_CODECS.includes(codec)) throw unsupported(`compressed table column ${i}: compression '${codec}' is not supported`);
    columns.push({ offset, width, repeat, type, codec });
    offset += width;
  }
  if (offset !== rowBytes) throw badData(`compressed table: columns add up to ${offset} bytes per row, ZNAXIS1 is ${rowBytes}`);

  const table = parseTileTable(h, hdu.dataBytes);
  if (table.rowBytes * table.rows > maxBytes) throw new FitsError('FITS_TOO_LARGE', `compressed table of ${table.rowBytes * table.rows} bytes of tile rows is larger than the limit of ${maxBytes}`);
  const tiles = rows === 0 ? 0 : Math.ceil(rows / tileLen);
  if (table.rows < tiles) throw badData(`compressed table needs ${tiles} tiles but has ${table.rows} rows`);
  const tableBytes = new Uint8Array(await file.readBytes(hdu.dataOffset, table.rowBytes * table.rows));
  // stored columns are positional: stored column i holds original column i
  const stored = storedColumns(h, fields);
  const out = Buffer.alloc(total);

  for (let t = 0; t < tiles; t++) {
    const tileRows = Math.min(tileLen, rows - t * tileLen);
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i]!;
      const sc = stored[i]!;
      const { count, offset: heapOff } = readDescriptor(tableBytes, t, table.rowBytes, { ...sc, name: `column ${i + 1}`, repeat: 1, elemBytes: 1 });
      const expected = tileRows * col.width;
      if (heapOff + count > table.heapBytes) {
        throw badData(`compressed table tile ${t + 1}, column ${i + 1}: descriptor points outside the heap`);
      }
      const src = new Uint8Array(await file.readBytes(hdu.dataOffset + table.heapOffset + heapOff, count));
      const bytes = decodeColumn(src, col, expected);
      for (let r = 0; r < tileRows; r++) {
        out.set(bytes.subarray(r * col.width, (r + 1) * col.width), (t * tileLen + r) * rowBytes + col.offset);
      }
    }
  }

  const header = h.clone();
  for (const c of [...header.cards]) if (DROPPED.test(c.keyword)) header.remove(c.keyword);
  header.set('NAXIS1', rowBytes);
  header.set('NAXIS2', rows);
  header.set('PCOUNT', 0);
  for (let i = 1; i <= fields; i++) header.set(`TFORM${i}`, h.getString(`ZFORM${i}`)!.trim());
  for (const [z, k] of [['ZHECKSUM', 'CHECKSUM'], ['ZDATASUM', 'DATASUM']] as const) {
    const v = h.getString(z);
    if (v !== undefined) {
      header.remove(z);
      header.set(k, v);
    }
  }
  return { header, data: out };
}

function storedColumns(h: Header, fields: number): { offset: number; descriptor: 'P' | 'Q'; type: string }[] {
  const cols: { offset: number; descriptor: 'P' | 'Q'; type: string }[] = [];
  let offset = 0;
  for (let i = 1; i <= fields; i++) {
    const { type, descriptor, byteWidth } = parseTform(h.getString(`TFORM${i}`) ?? '', i);
    if (!descriptor) throw badData(`compressed table: stored column ${i} is not a variable-length array`);
    cols.push({ offset, descriptor, type });
    offset += byteWidth;
  }
  return cols;
}

/** One column of one tile back to its big-endian bytes (rows x field width). */
function decodeColumn(src: Uint8Array, col: OriginalColumn, expected: number): Uint8Array {
  if (expected === 0) return new Uint8Array(0);
  const elem = NUMBER_BYTES[col.type]!;
  const elems = expected / elem;
  switch (col.codec) {
    case 'NOCOMPRESS':
      if (src.length !== expected) throw badData(`uncompressed table column holds ${src.length} bytes, expected ${expected}`);
      return src;
    case 'GZIP_1':
    case 'GZIP_2': {
      const { bytes } = decodeGzipTile(src, expected, false);
      if (bytes.length !== expected) throw badData(`table column inflates to ${bytes.length} bytes, expected ${expected}`);
      if (col.codec === 'GZIP_1' || elem === 1) return bytes;
      // GZIP_2: bytes were shuffled by element size over the whole tile column
      const out = new Uint8Array(expected);
      for (let j = 0; j < elem; j++) for (let k = 0; k < elems; k++) out[k * elem + j] = bytes[j * elems + k]!;
      return out;
    }
    case 'RICE_1': {
      if (!['B', 'I', 'J'].includes(col.type)) throw unsupported(`RICE_1 on a table column of type ${col.type}`);
      const values = decodeRice(src, elems, 32, elem);
      const out = Buffer.alloc(expected);
      for (let k = 0; k < elems; k++) {
        if (elem === 1) out[k] = values[k]! & 0xff;
        else if (elem === 2) out.writeInt16BE(values[k]!, k * 2);
        else out.writeInt32BE(values[k]!, k * 4);
      }
      return out;
    }
  }
}

/**
 * The original table as an in-memory FITS file (an empty primary HDU, then the table as HDU 1), so
 * the table module can read a compressed table exactly like a plain one.
 */
export async function openDecompressedTable(file: FitsFile, hdu: Hdu, options: DecompressTableOptions = {}): Promise<FitsFile> {
  const { header, data } = await decompressTable(file, hdu, options);
  const primary = Header.fromRecords(['SIMPLE  =                    T'.padEnd(80), 'BITPIX  =                    8'.padEnd(80), 'NAXIS   =                    0'.padEnd(80), 'EXTEND  =                    T'.padEnd(80)]);
  const pad = (n: number) => Math.ceil(n / 2880) * 2880;
  const dataPadded = Buffer.alloc(pad(data.length));
  data.copy(dataPadded);
  const buf = Buffer.concat([primary.toBuffer(), header.toBuffer(), dataPadded]);
  return FitsFile.fromBuffer(buf, {}, `${file.path}[${hdu.index}] (decompressed)`);
}
