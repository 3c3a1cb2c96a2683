/**
 * Lazy, bounded reading of table rows: only the requested row range (and the heap bytes its
 * variable-length cells point at) is read, through `readBytes`, never the whole table.
 */
import { FitsError } from '../errors.js';
import { resolveHdu } from '../hdu-ref.js';
import { HeapBytes } from '../heap-ranges.js';
import { decodeAsciiCell } from './decode-ascii.js';
import { decodeElements, decodeFixedCell, readDescriptor, varCellShape } from './decode-binary.js';
import { describeTable } from './describe.js';
import { elementBytes } from './tform.js';
import type { BinaryCode, HduRef, TableSource, NullMode, TableCell, TableColumn, TableDescription, TableHduLike } from './types.js';

/** Default cap on bytes read (rows + heap) by one call. */
export const DEFAULT_MAX_TABLE_BYTES = 32 * 1024 * 1024;
/** Rows wider than this are refused by the chunked readers (a chunk holds at least one row). */
const MAX_CHUNK_ROW_BYTES = 64 * 1024 * 1024;
/** Default number of rows `readTableRows` returns when no limit is given. */
export const DEFAULT_ROW_LIMIT = 100;
/** Default cap on cells (rows x columns) decoded by one readTableRows call. */
export const DEFAULT_MAX_CELLS = 10_000_000;
/** Rows of zero width carry no bytes, so their count alone must be bounded. */
const MAX_ZERO_WIDTH_ROWS = 1_000_000;
/** Elements decoded per chunk by the chunked readers (and heap bytes per chunk). */
const CHUNK_ELEMENTS = 4 * 1024 * 1024;
/** Heap ranges closer than this are read together. */
const HEAP_MERGE_GAP = 16 * 1024;
/** Merging reads bytes nobody asked for; that waste stays below max(this, the bytes asked for). */
const HEAP_MIN_WASTE_BUDGET = 1024 * 1024;

export interface ReadRowsOptions {
  /** First row (0-based). Default 0. */
  readonly offset?: number;
  /** Number of rows. Default 100 for readTableRows; all remaining rows for readColumn. */
  readonly limit?: number;
  /** Column subset, by name (exact, then case-insensitive) or 0-based index. Default all. */
  readonly columns?: readonly (string | number)[];
  /** 'mask' (default): TNULL values become null / NaN; 'raw': stored values, as astropy's FITS_rec. */
  readonly nulls?: NullMode;
  /** Refuse (FitsError FITS_TOO_LARGE, 413) to read more than this many bytes. Default 32 MiB. */
  readonly maxBytes?: number;
  /** Refuse (FITS_TOO_LARGE) to decode more than this many cells (rows x columns). Default 10^7. */
  readonly maxCells?: number;
  /** An already computed description of the HDU (saves parsing the header again). */
  readonly description?: TableDescription;
}

export interface TableRows {
  readonly description: TableDescription;
  /** The columns of each row, in this order. */
  readonly columns: readonly TableColumn[];
  /** Index of the first returned row. */
  readonly offset: number;
  /** rows[i][j] = cell of columns[j] in row offset + i. */
  readonly rows: readonly (readonly TableCell[])[];
}

/** Resolve a column reference: exact name, then case-insensitive name, or a 0-based index. */
export function findColumn(description: TableDescription, ref: string | number): TableColumn {
  const cols = description.columns;
  if (typeof ref === 'number') {
    const col = Number.isInteger(ref) ? cols[ref] : undefined;
    if (!col) throw new FitsError('FITS_BAD_ARGUMENT', `column index ${ref} is out of range (the table has ${cols.length} columns)`);
    return col;
  }
  const exact = cols.find((c) => c.name === ref);
  if (exact) return exact;
  const lower = ref.toLowerCase();
  const loose = cols.find((c) => c.name.toLowerCase() === lower);
  if (loose) return loose;
  throw new FitsError('FITS_BAD_ARGUMENT', `no column named '${ref}' (columns: ${cols.map((c) => c.name).join(', ')})`);
}

function checkCount(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new FitsError('FITS_BAD_ARGUMENT', `${name} must be a non-negative integer, got ${value}`);
  return value;
}

async function readExact(file: TableSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const bytes = await file.readBytes(offset, length);
  if (bytes.length < length) {
    throw new FitsError('FITS_TRUNCATED', `the file ends inside ${what} (wanted ${length} bytes at ${offset}, got ${bytes.length})`);
  }
  return bytes;
}

interface VarRef {
  row: number;
  col: number;
  count: number;
  start: number;
  length: number;
}

/** Decode rows [firstRow, firstRow + n) whose bytes are `main` (already read). */
async function decodeRows(
  file: TableSource,
  hdu: TableHduLike,
  d: TableDescription,
  columns: readonly TableColumn[],
  main: Uint8Array,
  firstRow: number,
  n: number,
  nulls: NullMode,
  budget: number,
): Promise<TableCell[][]> {
  const rows: TableCell[][] = [];
  const varRefs: VarRef[] = [];
  const heapEnd = d.dataBytes;
  let heapBytes = 0;
  for (let i = 0; i < n; i++) {
    const rowStart = i * d.rowBytes;
    const row: TableCell[] = [];
    for (let j = 0; j < columns.length; j++) {
      const col = columns[j] as TableColumn;
      if (d.kind === 'ascii-table') row.push(decodeAsciiCell(col, main, rowStart, nulls, firstRow + i));
      else if (col.varLength === null) row.push(decodeFixedCell(col, main, rowStart, nulls));
      else if (col.byteWidth === 0) row.push({ shape: [0], values: [] });
      else {
        const { count, offset } = readDescriptor(col, main, rowStart);
        const length = elementBytes(col.code as BinaryCode, count);
        const start = d.heapOffset + offset;
        if (!Number.isSafeInteger(start + length) || start + length > heapEnd) {
          throw new FitsError('FITS_BAD_DATA', `column '${col.name}': descriptor (${count} elements at heap offset ${offset}) points beyond the heap (PCOUNT = ${d.pcount})`);
        }
        // Count elements as well as bytes: a bit (X) array expands 8-fold when decoded.
        heapBytes += Math.max(length, count);
        if (heapBytes > budget) {
          throw new FitsError('FITS_TOO_LARGE', `the variable-length cells of the requested rows need more than ${budget} bytes; ask for fewer rows`);
        }
        varRefs.push({ row: i, col: j, count, start, length });
        row.push(null);
      }
    }
    rows.push(row);
  }
  if (varRefs.length > 0) {
    const needed = varRefs.reduce((sum, r) => sum + r.length, 0);
    const limits = { maxGap: HEAP_MERGE_GAP, maxWasteBytes: Math.max(HEAP_MIN_WASTE_BUDGET, needed) };
    const heap = await HeapBytes.load(varRefs, limits, (start, length) => readExact(file, hdu.dataOffset + start, length, 'the table heap'));
    for (const ref of varRefs) {
      const col = columns[ref.col] as TableColumn;
      const { bytes, pos } = heap.locate(ref.start, ref.length);
      const shape = varCellShape(col, ref.count);
      (rows[ref.row] as TableCell[])[ref.col] = decodeElements(col, bytes, pos, ref.count, shape, nulls);
    }
  }
  return rows;
}

/** Elements one row of these columns decodes to (VLA cells count 1 here; their heap is checked apart). */
function elementsPerRow(columns: readonly TableColumn[]): number {
  return Math.max(1, columns.reduce((sum, c) => sum + Math.max(1, c.varLength ? 1 : c.code === 'A' ? 1 : c.repeat), 0));
}

function selectColumns(d: TableDescription, refs: readonly (string | number)[] | undefined): TableColumn[] {
  if (!refs) return [...d.columns];
  return refs.map((r) => findColumn(d, r));
}

/** Read the bytes of rows [offset, offset + n) of the main table. */
async function readMain(file: TableSource, hdu: TableHduLike, d: TableDescription, offset: number, n: number): Promise<Uint8Array> {
  return readExact(file, hdu.dataOffset + offset * d.rowBytes, n * d.rowBytes, `rows ${offset + 1}..${offset + n} of the table`);
}

/**
 * Read a row range of a table, decoded to typed cells (see TableCell). Reads only those rows and
 * the heap bytes their variable-length cells use.
 */
export async function readTableRows(file: TableSource, hduRef: HduRef, options: ReadRowsOptions = {}): Promise<TableRows> {
  const hdu = resolveHdu(file, hduRef);
  const d = options.description ?? describeTable(hdu);
  const offset = checkCount(options.offset, 'offset', 0);
  if (offset > d.nRows) throw new FitsError('FITS_BAD_ARGUMENT', `offset ${offset} is beyond the ${d.nRows} rows of the table`);
  const limit = checkCount(options.limit, 'limit', DEFAULT_ROW_LIMIT);
  const n = Math.min(limit, d.nRows - offset);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TABLE_BYTES;
  const columns = selectColumns(d, options.columns);
  const mainBytes = n * d.rowBytes;
  if (mainBytes > maxBytes) {
    throw new FitsError('FITS_TOO_LARGE', `${n} rows of ${d.rowBytes} bytes exceed the ${maxBytes}-byte read limit; ask for fewer rows`);
  }
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  if (n * elementsPerRow(columns) > maxCells) {
    throw new FitsError('FITS_TOO_LARGE', `${n} rows of ${columns.length} columns exceed the ${maxCells}-element limit; ask for fewer rows`);
  }
  const main = await readMain(file, hdu, d, offset, n);
  const rows = await decodeRows(file, hdu, d, columns, main, offset, n, options.nulls ?? 'mask', maxBytes - mainBytes);
  return { description: d, columns, offset, rows };
}

export interface ReadColumnOptions {
  readonly offset?: number;
  /** Default: all remaining rows. */
  readonly limit?: number;
  readonly nulls?: NullMode;
  /** Cap on bytes read in total (default 256 MiB); the rows are read in chunks. */
  readonly maxBytes?: number;
  readonly description?: TableDescription;
}

/** Rows per chunk so a chunk stays near `chunkBytes`. */
function chunkRows(rowBytes: number, chunkBytes = 4 * 1024 * 1024): number {
  return Math.max(1, Math.floor(chunkBytes / Math.max(1, rowBytes)));
}

export interface RowBlock {
  /** Index of the first row of the block. */
  readonly start: number;
  readonly n: number;
  /** The block's row bytes (n * NAXIS1). */
  readonly bytes: Uint8Array;
}

/**
 * Raw row bytes of [offset, offset + limit) in blocks of whole rows, sized so a block stays near
 * `chunkBytes` and decodes to at most a few million elements of `columns`.
 */
export async function* iterateRowBlocks(
  file: TableSource,
  hdu: TableHduLike,
  d: TableDescription,
  columns: readonly TableColumn[],
  options: { offset?: number; limit?: number; chunkBytes?: number; maxBytes?: number; reuseBuffer?: boolean } = {},
): AsyncGenerator<RowBlock> {
  const offset = checkCount(options.offset, 'offset', 0);
  if (offset > d.nRows) throw new FitsError('FITS_BAD_ARGUMENT', `offset ${offset} is beyond the ${d.nRows} rows of the table`);
  const end = offset + Math.min(checkCount(options.limit, 'limit', d.nRows), d.nRows - offset);
  if (d.rowBytes === 0 && end - offset > MAX_ZERO_WIDTH_ROWS) {
    throw new FitsError('FITS_TOO_LARGE', `${end - offset} rows of zero width: refusing to iterate over them`);
  }
  if (d.rowBytes > MAX_CHUNK_ROW_BYTES && end > offset) {
    throw new FitsError('FITS_TOO_LARGE', `rows of ${d.rowBytes} bytes are too wide to read in bounded chunks`);
  }
  const perRow = elementsPerRow(columns);
  if (perRow > CHUNK_ELEMENTS) throw new FitsError('FITS_TOO_LARGE', `rows of ${perRow} elements are too large to read in bounded chunks`);
  const step = Math.max(1, Math.min(chunkRows(d.rowBytes, options.chunkBytes), Math.floor(CHUNK_ELEMENTS / perRow)));
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  let used = 0;
  const claim = (n: number) => {
    used += n * d.rowBytes;
    if (used > maxBytes) throw new FitsError('FITS_TOO_LARGE', `the read needs more than ${maxBytes} bytes`);
  };
  if (options.reuseBuffer && file.readInto && d.rowBytes > 0 && end > offset) {
    yield* readAhead(file as TableSource & Required<Pick<TableSource, 'readInto'>>, hdu.dataOffset, d.rowBytes, offset, end, step, claim);
    return;
  }
  for (let start = offset; start < end; start += step) {
    const n = Math.min(step, end - start);
    claim(n);
    yield { start, n, bytes: await readMain(file, hdu, d, start, n) };
  }
}

/**
 * The blocks of [offset, end) read into two buffers in turn (valid until the next block, or until
 * the iteration ends: the buffers are kept for the next scan): the read
 * of the next block is in flight while the caller decodes this one, so the kernel's copy from the
 * page cache runs on libuv's thread pool (the other core) during the decoding instead of before
 * it. A column scan touches two chunks of memory (kept for the next scan), not the table's size.
 */
async function* readAhead(
  file: TableSource & Required<Pick<TableSource, 'readInto'>>,
  dataOffset: number,
  rowBytes: number,
  offset: number,
  end: number,
  step: number,
  claim: (n: number) => void,
): AsyncGenerator<RowBlock> {
  const size = Math.min(step, end - offset) * rowBytes;
  const buffers = takeChunkPair(size);
  const read = (start: number, k: number) => {
    const n = Math.min(step, end - start);
    claim(n);
    let buffer = buffers[k];
    if (buffer === undefined || buffer.length < size) buffer = buffers[k] = new Uint8Array(size);
    const bytes = buffer.subarray(0, n * rowBytes);
    const done = file.readInto(bytes, dataOffset + start * rowBytes, true);
    done.catch(() => undefined); // awaited below, or dropped when the caller stops early
    return { start, n, bytes, done };
  };
  let next: ReturnType<typeof read> | undefined = read(offset, 0);
  let refused: unknown;
  try {
    for (let k = 0; next; k ^= 1) {
      const block: ReturnType<typeof read> = next;
      next = undefined;
      await block.done;
      if (block.start + step < end) {
        try {
          next = read(block.start + step, k ^ 1);
        } catch (e) {
          refused = e; // over maxBytes: thrown where that block is asked for, as without read-ahead
        }
      }
      yield { start: block.start, n: block.n, bytes: block.bytes };
      if (refused !== undefined) throw refused;
    }
  } finally {
    // a caller that stopped early may close the file next: no read may still be running then
    await next?.done.catch(() => undefined);
    giveChunkPair(buffers);
  }
}

/**
 * The read-ahead's two chunk buffers, kept for the next scan: a column read or statistics scan
 * then writes into memory that is already faulted in, instead of 2 x 4 MiB of fresh pages per
 * call (the kernel zeroing them) or a calloc clearing recycled ones (issue #20, session 16).
 * One pair per thread; a scan running while another holds it allocates its own.
 */
let sparePair: Uint8Array[] | undefined;
/** Pairs bigger than this are not kept (a table of very wide rows): 2 x 4 MiB, the default chunks. */
const MAX_KEPT_CHUNK_BYTES = 4 * 1024 * 1024;

/** The kept pair when it fits `size` (read() replaces a member that is missing or too small). */
function takeChunkPair(size: number): Uint8Array[] {
  const pair = sparePair;
  if (pair && pair[0]!.length >= size) {
    sparePair = undefined;
    return pair;
  }
  return [];
}

function giveChunkPair(pair: Uint8Array[]): void {
  const size = Math.min(...pair.map((b) => b.length));
  if (pair.length === 0 || size > MAX_KEPT_CHUNK_BYTES || (sparePair && sparePair[0]!.length >= size)) return;
  sparePair = pair;
}

/**
 * Iterate over a row range in chunks of whole rows, each decoded for `columns`. Memory stays
 * bounded by the chunk size whatever NAXIS2 says.
 */
export async function* iterateTableChunks(
  file: TableSource,
  hduRef: HduRef,
  options: ReadRowsOptions & { chunkBytes?: number } = {},
): AsyncGenerator<TableRows> {
  const hdu = resolveHdu(file, hduRef);
  const d = options.description ?? describeTable(hdu);
  const columns = selectColumns(d, options.columns);
  for await (const block of iterateRowBlocks(file, hdu, d, columns, options)) {
    const rows = await decodeRows(file, hdu, d, columns, block.bytes, block.start, block.n, options.nulls ?? 'mask', CHUNK_ELEMENTS);
    yield { description: d, columns, offset: block.start, rows };
  }
}

/** All cells of one column over a row range (default: the whole table), read in chunks. */
export async function readColumn(
  file: TableSource,
  hduRef: HduRef,
  column: string | number,
  options: ReadColumnOptions = {},
): Promise<{ column: TableColumn; offset: number; cells: TableCell[] }> {
  const hdu = resolveHdu(file, hduRef);
  const d = options.description ?? describeTable(hdu);
  const col = findColumn(d, column);
  const cells: TableCell[] = [];
  for await (const chunk of iterateTableChunks(file, hdu, {
    ...options,
    description: d,
    columns: [col.index],
    maxBytes: options.maxBytes ?? 256 * 1024 * 1024,
  })) {
    for (const row of chunk.rows) cells.push(row[0] as TableCell);
  }
  return { column: col, offset: options.offset ?? 0, cells };
}
